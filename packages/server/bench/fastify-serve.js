// The reference: a minimal fastify server that parses JSON, checks Basic credentials against a constant and signs
// the same token (same header members, same claims) with jose RS256. Nothing else.
// With an SQLite file as third argument, it also commits an audit row for each token before answering, as ours does
// (WAL, synchronous=NORMAL, one transaction per request: what the obvious durable version does), so that the cost of
// that durability can be told apart from the cost of the rest.
// Usage: node bench/fastify-serve.js <port> <user:password> [audit.db]
import Database from "better-sqlite3"
import Fastify from "fastify"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { createHash } from "node:crypto"

const [port, caller, auditFile] = process.argv.slice(2)
const audit = auditFile === undefined ? undefined : (() => {
  const db = new Database(auditFile)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.exec(`CREATE TABLE IF NOT EXISTS audit_events (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, caller TEXT NOT NULL,
    client_address TEXT NOT NULL, auth_user_name TEXT NOT NULL, kid TEXT NOT NULL)`)
  return db.prepare(
    "INSERT INTO audit_events (time, caller, client_address, auth_user_name, kid) VALUES (?, ?, ?, ?, ?)"
  )
})()
const expected = `Basic ${Buffer.from(caller).toString("base64")}`
const { privateKey, publicKey } = await generateKeyPair("RS256")
const jwk = await exportJWK(publicKey)
const kid = createHash("sha256").update(jwk.n).digest("base64url")
const x5t = createHash("sha1").update(jwk.n).digest("base64url")
const domain = "bzndv-chatinteg-vip.dv.lan"
const chatSiteName = "sdi_07_13_17_1643_46-Svcdit-Fusion"
const aud = `https://${domain}/engagement/api/consumer/${chatSiteName}`

const app = Fastify({ logger: false })
app.post("/crmRestApi/resources/11.13.18.05/chatAuthenticate", async (request, reply) => {
  if (request.headers.authorization !== expected) {
    return reply.code(401).header("www-authenticate", "Basic realm=\"bench\"").send("Unauthorized")
  }
  const body = request.body
  const iat = Math.floor(Date.now() / 1000)
  const jwt = await new SignJWT({
    exp: iat + 120,
    sub: body.authUserName,
    aud,
    iss: "Fusion Apps",
    prn: body.authUserName,
    iat
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", x5t, kid })
    .sign(privateKey)
  audit?.run(iat, caller.split(":")[0], request.ip, body.authUserName, kid)
  return reply.code(201).header("content-type", "application/vnd.oracle.adf.resourceitem+json").send(
    JSON.stringify({ ...body, chatSiteName, domain, jwt, poolId: "452:2" })
  )
})
app.get("/health/ready", async () => ({ status: "ok" }))
await app.listen({ host: "127.0.0.1", port: Number(port) })
process.on("SIGTERM", () => app.close().then(() => process.exit(0)))

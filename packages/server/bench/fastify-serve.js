// The reference: a minimal fastify server that parses JSON, checks Basic credentials against a constant and signs
// the same token (same header members, same claims) with jose RS256. Nothing else.
// Usage: node bench/fastify-serve.js <port> <user:password>
import Fastify from "fastify"
import { exportJWK, generateKeyPair, SignJWT } from "jose"
import { createHash } from "node:crypto"

const [port, caller] = process.argv.slice(2)
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
  return reply.code(201).header("content-type", "application/vnd.oracle.adf.resourceitem+json").send(
    JSON.stringify({ ...body, chatSiteName, domain, jwt, poolId: "452:2" })
  )
})
app.get("/health/ready", async () => ({ status: "ok" }))
await app.listen({ host: "127.0.0.1", port: Number(port) })
process.on("SIGTERM", () => app.close().then(() => process.exit(0)))

import * as crypto from "node:crypto"
import { performance } from "node:perf_hooks"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"
const slice = async (task, seconds) => {
  let count = 0; const start = performance.now(); const end = start + seconds * 1000
  const loop = async () => { while (performance.now() < end) { await task(); count++ } }
  await Promise.all(Array.from({ length: 4 }, loop))
  return [count, (performance.now() - start) / 1000]
}
const alg = process.argv[2] ?? "RS256"
const runtime = ManagedRuntime.make(TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.layerGenerated({ alg }))))
const issuer = await runtime.runPromise(TokenIssuer)
const store = await runtime.runPromise(KeyStore)
const key = await runtime.runPromise(store.activeKey)
const ko = crypto.KeyObject.from(key.privateKey)
const signAlg = alg === "RS256" ? {name:"RSASSA-PKCS1-v1_5"} : alg === "ES256" ? {name:"ECDSA", hash:"SHA-256"} : {name:"Ed25519"}
const k = alg === "ES256" ? { key: ko, dsaEncoding: "ieee-p1363" } : ko
const digest = alg === "EdDSA" ? null : "sha256"
const prefix = Buffer.from(JSON.stringify({ alg, typ: "JWT", x5t: key.x5t, kid: key.kid })).toString("base64url") + "."
const req = { authUserName: "jeff.test@example.com", domain: "chat.example.com", chatSiteName: "site-1" }
const build = (r, now) => { const iat = Math.floor(now / 1000); return { exp: iat + 120, sub: r.authUserName, aud: `https://${r.domain}/engagement/api/consumer/${r.chatSiteName}`, iss: "Fusion Apps", prn: r.authUserName, iat } }
const sample = await runtime.runPromise(issuer.issue(req))
const data = Buffer.from(sample.jwt.slice(0, sample.jwt.lastIndexOf(".")))
const raw = () => new Promise((res, rej) => crypto.sign(digest, data, k, (e, s) => e ? rej(e) : res(s)))
const nodeAsync = (r) => Effect.flatMap(store.activeKey, (key) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.async((resume) => {
  const claims = build(r, now)
  const input = prefix + Buffer.from(JSON.stringify(claims)).toString("base64url")
  crypto.sign(digest, Buffer.from(input, "latin1"), k, (e, sig) => resume(e ? Effect.die(e) : Effect.succeed({ jwt: input + "." + sig.toString("base64url"), kid: key.kid, claims })))
})))
const subtleAsync = (r) => Effect.flatMap(store.activeKey, (key) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.async((resume) => {
  const claims = build(r, now)
  const input = prefix + Buffer.from(JSON.stringify(claims)).toString("base64url")
  crypto.subtle.sign(signAlg, key.privateKey, Buffer.from(input, "latin1")).then((sig) => resume(Effect.succeed({ jwt: input + "." + Buffer.from(sig).toString("base64url"), kid: key.kid, claims })), (e) => resume(Effect.die(e)))
})))
const floor = Effect.async((resume) => crypto.sign(digest, data, k, (e, sig) => resume(Effect.succeed(sig))))
const floorP = Effect.promise(raw)
const c = {
  floorAsync: () => runtime.runPromise(floor),
  floorPromise: () => runtime.runPromise(floorP),
  raw,
  issue: () => runtime.runPromise(issuer.issue(req)),
  nodeAsync: () => runtime.runPromise(nodeAsync(req)),
  subtleAsync: () => runtime.runPromise(subtleAsync(req)),
}
const tot = Object.fromEntries(Object.keys(c).map(n => [n, [0, 0]]))
for (const t of Object.values(c)) await slice(t, 0.3)
for (let i = 0; i < 8; i++) for (const [n, t] of Object.entries(c)) { const [a, b] = await slice(t, 0.4); tot[n][0] += a; tot[n][1] += b }
for (const [n, [a, b]] of Object.entries(tot)) console.log(alg, n.padEnd(12), Math.round(a / b), (a / b / (tot.raw[0] / tot.raw[1])).toFixed(2))
await runtime.dispose()

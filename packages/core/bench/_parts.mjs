import * as crypto from "node:crypto"
import { performance } from "node:perf_hooks"
import { Effect, Layer, ManagedRuntime } from "effect"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"
const slice = async (task, seconds) => {
  let count = 0; const start = performance.now(); const end = start + seconds * 1000
  const loop = async () => { while (performance.now() < end) { await task(); count++ } }
  await Promise.all(Array.from({ length: 4 }, loop))
  return [count, (performance.now() - start) / 1000]
}
const alg = process.argv[2] ?? "ES256"
const runtime = ManagedRuntime.make(TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.layerGenerated({ alg }))))
const issuer = await runtime.runPromise(TokenIssuer)
const store = await runtime.runPromise(KeyStore)
const key = await runtime.runPromise(store.activeKey)
const ko = crypto.KeyObject.from(key.privateKey)
const data = Buffer.alloc(300, 65)
const signAlg = alg === "RS256" ? {name:"RSASSA-PKCS1-v1_5"} : alg === "ES256" ? {name:"ECDSA", hash:"SHA-256"} : {name:"Ed25519"}
const k = alg === "ES256" ? { key: ko, dsaEncoding: "ieee-p1363" } : ko
const raw = () => new Promise((res, rej) => crypto.sign(alg === "EdDSA" ? null : "sha256", data, k, (e, s) => e ? rej(e) : res(s)))
const subtle = () => crypto.subtle.sign(signAlg, key.privateKey, data)
const eff = issuer.issue({ authUserName: "a", domain: "b", chatSiteName: "c" })
const c = {
  raw, subtle,
  issue: () => runtime.runPromise(eff),
  effRaw: ((e) => () => runtime.runPromise(e))(Effect.promise(raw)),
  effSubtle: ((e) => () => runtime.runPromise(e))(Effect.promise(subtle)),
}
const tot = Object.fromEntries(Object.keys(c).map(n => [n, [0, 0]]))
for (const t of Object.values(c)) await slice(t, 0.3)
for (let i = 0; i < 6; i++) for (const [n, t] of Object.entries(c)) { const [a, b] = await slice(t, 0.4); tot[n][0] += a; tot[n][1] += b }
for (const [n, [a, b]] of Object.entries(tot)) console.log(alg, n.padEnd(10), Math.round(a / b), (a / b / (tot.raw[0] / tot.raw[1])).toFixed(2))
await runtime.dispose()

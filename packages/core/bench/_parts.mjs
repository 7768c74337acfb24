import * as crypto from "node:crypto"
import { Effect, Layer, ManagedRuntime } from "effect"
import { KeyStore } from "/work/main/packages/core/dist/KeyStore.js"
import { TokenIssuer } from "/work/main/packages/core/dist/TokenIssuer.js"
const measure = async (task, seconds) => {
  let count = 0; const start = performance.now(); const end = start + seconds * 1000
  const loop = async () => { while (performance.now() < end) { await task(); count++ } }
  await Promise.all(Array.from({ length: 4 }, loop))
  return Math.round(count / ((performance.now() - start) / 1000))
}
for (const alg of ["RS256","ES256","EdDSA"]) {
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
  const viaEffect = () => runtime.runPromise(eff)
  const trivial = Effect.promise(() => subtle())
  const viaTrivial = () => runtime.runPromise(trivial)
  const viaRunP = () => Effect.runPromise(trivial)
  for (const [n, t] of [["raw", raw], ["subtle", subtle], ["effect-issue", viaEffect], ["effect-trivial-subtle", viaTrivial], ["Effect.runPromise trivial", viaRunP], ["raw", raw]]) {
    await measure(t, 0.3)
    console.log(alg, n, await measure(t, 2))
  }
  await runtime.dispose()
}

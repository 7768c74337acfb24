import * as crypto from "node:crypto"
import { Effect, Layer, ManagedRuntime } from "effect"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"
const measure = async (task, seconds) => {
  let count = 0; const start = performance.now(); const end = start + seconds * 1000
  const loop = async () => { while (performance.now() < end) { await task(); count++ } }
  await Promise.all(Array.from({ length: 4 }, loop))
  return Math.round(count / ((performance.now() - start) / 1000))
}
const measureFiber = async (runtime, eff, seconds) => {
  let count = 0; const start = performance.now(); const end = start + seconds * 1000
  const loop = Effect.whileLoop({ while: () => performance.now() < end, body: () => eff, step: () => { count++ } })
  await runtime.runPromise(Effect.all([loop, loop, loop, loop], { concurrency: "unbounded", discard: true }))
  return Math.round(count / ((performance.now() - start) / 1000))
}
for (const alg of (process.argv[2] ?? "RS256,ES256,EdDSA").split(",")) {
  const runtime = ManagedRuntime.make(TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.layerGenerated({ alg }))))
  const issuer = await runtime.runPromise(TokenIssuer)
  const store = await runtime.runPromise(KeyStore)
  const key = await runtime.runPromise(store.activeKey)
  const ko = crypto.KeyObject.from(key.privateKey)
  const data = Buffer.alloc(300, 65)
  const k = alg === "ES256" ? { key: ko, dsaEncoding: "ieee-p1363" } : ko
  const raw = () => new Promise((res, rej) => crypto.sign(alg === "EdDSA" ? null : "sha256", data, k, (e, s) => e ? rej(e) : res(s)))
  const eff = issuer.issue({ authUserName: "a", domain: "b", chatSiteName: "c" })
  const viaEffect = () => runtime.runPromise(eff)
  for (let i = 0; i < 2; i++) {
    await measure(raw, 0.3); console.log(alg, "raw", await measure(raw, 2))
    await measure(viaEffect, 0.3); console.log(alg, "runPromise", await measure(viaEffect, 2))
    await measureFiber(runtime, eff, 0.3); console.log(alg, "fiber", await measureFiber(runtime, eff, 2))
  }
  await runtime.dispose()
}

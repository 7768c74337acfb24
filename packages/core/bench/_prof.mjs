import { performance } from "node:perf_hooks"
import { Layer, ManagedRuntime } from "effect"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"
const alg = process.argv[2] ?? "ES256"
const runtime = ManagedRuntime.make(TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.layerGenerated({ alg }))))
const issuer = await runtime.runPromise(TokenIssuer)
const eff = issuer.issue({ authUserName: "a", domain: "b", chatSiteName: "c" })
let count = 0; const end = performance.now() + 4000
const elu0 = performance.eventLoopUtilization()
await Promise.all(Array.from({ length: 4 }, async () => { while (performance.now() < end) { await runtime.runPromise(eff); count++ } }))
const elu = performance.eventLoopUtilization(elu0)
console.log(count / 4, "per s", (elu.active * 1000 / count).toFixed(1), "µs/op main")
await runtime.dispose()

import { performance } from "node:perf_hooks"
import { Clock, Effect, Layer, ManagedRuntime } from "effect"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"
const runtime = ManagedRuntime.make(TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.layerGenerated({ alg: "ES256" }))))
const store = await runtime.runPromise(KeyStore)
const key = await runtime.runPromise(store.activeKey)
const time = (name, n, f) => { for (let i = 0; i < n / 10; i++) f(); const t = performance.now(); for (let i = 0; i < n; i++) f(); console.log(name, ((performance.now() - t) * 1000 / n).toFixed(2), "µs") }
const prefix = Buffer.from(JSON.stringify({ alg: "ES256", typ: "JWT", x5t: key.x5t, kid: key.kid })).toString("base64url") + "."
time("encode", 100000, () => {
  const claims = { exp: 1, sub: "jeff", aud: `https://a/engagement/api/consumer/b`, iss: "Fusion Apps", prn: "jeff", iat: 2 }
  const input = prefix + Buffer.from(JSON.stringify(claims)).toString("base64url")
  return Buffer.from(input, "latin1")
})
const chain = Effect.flatMap(store.activeKey, (k) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.succeed(now)))
const n = 20000
let t = performance.now(); for (let i = 0; i < n; i++) await runtime.runPromise(chain); console.log("runPromise chain", ((performance.now() - t) * 1000 / n).toFixed(2), "µs")
t = performance.now(); for (let i = 0; i < n; i++) await runtime.runPromise(Effect.void); console.log("runPromise void", ((performance.now() - t) * 1000 / n).toFixed(2), "µs")
t = performance.now(); for (let i = 0; i < n; i++) await runtime.runPromise(Effect.promise(() => Promise.resolve(1))); console.log("runPromise promise", ((performance.now() - t) * 1000 / n).toFixed(2), "µs")
t = performance.now(); for (let i = 0; i < n; i++) await Effect.runPromise(Effect.promise(() => Promise.resolve(1))); console.log("Effect.runPromise promise", ((performance.now() - t) * 1000 / n).toFixed(2), "µs")
await runtime.dispose()

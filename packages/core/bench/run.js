// Signing throughput: TokenIssuer.issue (through Effect, as the server calls it) against raw node:crypto async
// signing, both with 4 signatures in flight, in one process. Target: issue >= 0.9 x raw for RS256.
//
// Run after a build: `pnpm exec tsc -b tsconfig.src.json && node bench/run.js` (or `pnpm bench` from the root).
// BENCH_SECONDS (default 3) is the measured time per contender and algorithm.
//
// The machine is shared and noisy: rather than 3 s of one contender then 3 s of the other, the two alternate in
// slices of BENCH_SECONDS / 6, so that a burst of load elsewhere hits both and the ratio stays meaningful.
import { Effect, Layer, ManagedRuntime } from "effect"
import { Buffer } from "node:buffer"
import * as crypto from "node:crypto"
import { performance } from "node:perf_hooks"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const SLICES = 6
const WARMUP_SECONDS = 0.5
const IN_FLIGHT = 4
const TARGET = 0.9
const request = { authUserName: "jeff.test@example.com", domain: "chat.example.com", chatSiteName: "site-1" }

/** Process CPU time (main thread and libuv's thread pool) since `start`, in seconds. */
const cpuSeconds = (start) => {
  const { system, user } = process.cpuUsage(start)
  return (user + system) / 1e6
}

/** Promise-based contender: IN_FLIGHT loops awaiting `task`. Returns [completions, seconds, CPU seconds]. */
const slice = async (task, seconds) => {
  let count = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + seconds * 1000
  const loop = async () => {
    while (performance.now() < end) {
      await task()
      count++
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop))
  return [count, (performance.now() - start) / 1000, cpuSeconds(cpu)]
}

/** Fiber-based contender: IN_FLIGHT fibers calling `effect` in a loop, as a server's request fibers would. */
const fiberSlice = (runtime, effect) => async (seconds) => {
  let count = 0
  const cpu = process.cpuUsage()
  const start = performance.now()
  const end = start + seconds * 1000
  const loop = Effect.whileLoop({
    while: () => performance.now() < end,
    body: () => effect,
    step: () => {
      count++
    }
  })
  await runtime.runPromise(Effect.all(Array.from({ length: IN_FLIGHT }, () => loop), { concurrency: "unbounded" }))
  return [count, (performance.now() - start) / 1000, cpuSeconds(cpu)]
}

const rawSigner = (alg, privateKey, signingInput) => {
  const data = Buffer.from(signingInput)
  const key = alg === "ES256" ? { key: privateKey, dsaEncoding: "ieee-p1363" } : privateKey
  const digest = alg === "EdDSA" ? null : "sha256"
  return () =>
    new Promise((resolve, reject) =>
      crypto.sign(digest, data, key, (error, signature) => (error ? reject(error) : resolve(signature)))
    )
}

const row = async (alg) => {
  const runtime = ManagedRuntime.make(TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.layerGenerated({ alg }))))
  try {
    const issuer = await runtime.runPromise(TokenIssuer)
    const store = await runtime.runPromise(KeyStore)
    const key = await runtime.runPromise(store.activeKey)
    const issueEffect = issuer.issue(request)
    // raw signs the same bytes a token signs: the header.payload of a real token
    const sample = await runtime.runPromise(issueEffect)
    const contenders = {
      raw: (s) =>
        slice(
          rawSigner(alg, crypto.KeyObject.from(key.privateKey), sample.jwt.slice(0, sample.jwt.lastIndexOf("."))),
          s
        ),
      runPromise: (s) => slice(() => runtime.runPromise(issueEffect), s),
      fiber: fiberSlice(runtime, issueEffect)
    }
    const totals = {}
    for (const [name, run] of Object.entries(contenders)) {
      await run(WARMUP_SECONDS)
      totals[name] = { count: 0, seconds: 0, cpu: 0 }
    }
    for (let i = 0; i < SLICES; i++) {
      for (const [name, run] of Object.entries(contenders)) {
        const [count, seconds, cpu] = await run(SECONDS / SLICES)
        totals[name].count += count
        totals[name].seconds += seconds
        totals[name].cpu += cpu
      }
    }
    const result = { alg }
    for (const [name, { count, cpu, seconds }] of Object.entries(totals)) {
      result[name] = { rate: count / seconds, cpuPerOp: (cpu / count) * 1e6 }
    }
    return result
  } finally {
    await runtime.dispose()
  }
}

const format = (n) => Math.round(n).toLocaleString("en-US")
const columns = [
  ["alg", 5],
  ["raw sig/s", 9],
  ["runPromise tok/s", 16],
  ["ratio", 5],
  ["fibers tok/s", 12],
  ["ratio", 5],
  ["CPU µs/op raw, runPromise, fibers", 33]
]
const line = (cells) => cells.map((cell, i) => String(cell).padStart(columns[i][1])).join(" | ")

console.log(
  `@chatauth/core signing: ${IN_FLIGHT} in flight, ${SECONDS} s per contender in alternating slices, node ${process.version}`
)
console.log("raw = node:crypto async sign; runPromise = ManagedRuntime.runPromise(issuer.issue(...)) per token;")
console.log("fibers = issuer.issue inside long-lived fibers (like request handlers); CPU = main thread + thread pool")
console.log(line(columns.map(([name]) => name)))
const results = []
for (const alg of ["RS256", "ES256", "EdDSA"]) {
  const r = await row(alg)
  results.push(r)
  console.log(line([
    alg,
    format(r.raw.rate),
    format(r.runPromise.rate),
    (r.runPromise.rate / r.raw.rate).toFixed(2),
    format(r.fiber.rate),
    (r.fiber.rate / r.raw.rate).toFixed(2),
    [r.raw.cpuPerOp, r.runPromise.cpuPerOp, r.fiber.cpuPerOp].map(format).join(", ")
  ]))
}
const rs256 = results[0]
const ratio = rs256.runPromise.rate / rs256.raw.rate
console.log(
  `RS256 target (runPromise / raw >= ${TARGET}): ${ratio >= TARGET ? "met" : "NOT met"} (${ratio.toFixed(2)})`
)

// Signing throughput of TokenIssuer.issue (through Effect, as the server calls it) against raw node:crypto async
// signing, both with 4 signatures in flight, in one process. Target: issue >= 0.9 x raw for RS256.
// Run after a build: `pnpm exec tsc -b tsconfig.src.json && node bench/run.js` (or `pnpm bench` from the root).
// Environment: BENCH_SECONDS (default 3) per measurement.
import * as crypto from "node:crypto"
import { Layer, ManagedRuntime } from "effect"
import { KeyStore } from "../dist/KeyStore.js"
import { TokenIssuer } from "../dist/TokenIssuer.js"

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const IN_FLIGHT = 4
const TARGET = 0.9
const request = { authUserName: "jeff.test@example.com", domain: "chat.example.com", chatSiteName: "site-1" }

/** Runs `task` with IN_FLIGHT concurrent loops for `seconds`; returns completions per second. */
const measure = async (task, seconds) => {
  let count = 0
  const start = performance.now()
  const end = start + seconds * 1000
  const loop = async () => {
    while (performance.now() < end) {
      await task()
      count++
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop))
  return count / ((performance.now() - start) / 1000)
}

const rawSigner = (alg, privateKey) => {
  // the same bytes a token signs: header.payload of a real token
  const data = Buffer.from(
    "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsIng1dCI6IjhQNEN0NHdWbEJWSVd2MjJ5aW5pV2xTRWFQVSIsImtpZCI6InRydXN0c2VydmljZSJ9." +
      "eyJleHAiOjE3MzYwMDAxMjAsInN1YiI6ImplZmYudGVzdEBleGFtcGxlLmNvbSIsImF1ZCI6Imh0dHBzOi8vY2hhdC5leGFtcGxlLmNvbS9lbmdh" +
      "Z2VtZW50L2FwaS9jb25zdW1lci9zaXRlLTEiLCJpc3MiOiJGdXNpb24gQXBwcyIsInBybiI6ImplZmYudGVzdEBleGFtcGxlLmNvbSIsImlhdCI6MTczNjAwMDAwMH0"
  )
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
    const raw = rawSigner(alg, crypto.KeyObject.from(key.privateKey))
    const issue = () => runtime.runPromise(issuer.issue(request))

    // warm up both paths (JIT, thread pool, key caches)
    await measure(raw, 0.5)
    await measure(issue, 0.5)

    const rawRate = await measure(raw, SECONDS)
    const issueRate = await measure(issue, SECONDS)
    return { alg, rawRate, issueRate, ratio: issueRate / rawRate }
  } finally {
    await runtime.dispose()
  }
}

const format = (n) => Math.round(n).toLocaleString("en-US").padStart(9)

console.log(`@chatauth/core signing: ${IN_FLIGHT} in flight, ${SECONDS} s per measurement, node ${process.version}`)
console.log("alg    | raw node:crypto (sig/s) | TokenIssuer.issue (tokens/s) | ratio")
const rows = []
for (const alg of ["RS256", "ES256", "EdDSA"]) {
  const result = await row(alg)
  rows.push(result)
  console.log(
    `${alg.padEnd(6)} | ${format(result.rawRate).padStart(23)} | ${format(result.issueRate).padStart(28)} | ${
      result.ratio.toFixed(2)
    }`
  )
}
const rs256 = rows[0]
console.log(
  `RS256 target ratio >= ${TARGET}: ${rs256.ratio >= TARGET ? "met" : "NOT met"} (${rs256.ratio.toFixed(2)})`
)


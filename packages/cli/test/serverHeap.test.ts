/**
 * The heap of a process started without V8 flags: the young generation held while the CLI loads, then grown up to
 * its cap and no further; the old generation collected before it has grown far beyond what is alive. Each case runs
 * in a child process of its own (V8 flags are process-wide), which reports the sizes V8 gives after allocating far
 * more than the caps would let it keep.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { userSized } from "../src/internal/serverHeap.js"

const moduleUrl = new URL("../dist/internal/serverHeap.js", import.meta.url).href
const MiB = 1024 * 1024

// Allocates objects that survive a few scavenges (what makes V8 grow the young generation), in rounds of a size a
// server's turn of the event loop has, turning the event loop between them so that the observer sees the
// collections; the steps print the young generation's size in bytes.
const script = (steps: string) => `
import { getHeapSpaceStatistics } from "node:v8"
import { cap, hold } from ${JSON.stringify(moduleUrl)}
const space = (name) => getHeapSpaceStatistics().find((s) => s.space_name === name).space_size
const young = () => space("new_space")
const churn = async () => {
  let keep = []
  for (let round = 0; round < 400; round++) {
    for (let i = 0; i < 5000; i++) { keep.push({ i, text: "x" + i }); if (keep.length > 100000) keep = [] }
    await new Promise((resolve) => setImmediate(resolve))
  }
}
// About 10 MB alive throughout, and batches that live a few rounds (promoted, then garbage): the old generation's
// largest size over the second half of the run, once V8 has seen a few full collections (the first comes when V8's
// initial limit is reached, whatever the growth policy).
const promote = async () => {
  const live = Array.from({ length: 200000 }, (_, i) => ({ i, text: "live" + i }))
  let largest = 0
  let ring = []
  for (let round = 0; round < 600; round++) {
    ring.push(Array.from({ length: 20000 }, (_, i) => ({ i, text: "t" + i })))
    if (ring.length > 3) ring.shift()
    await new Promise((resolve) => setImmediate(resolve))
    if (round >= 300) largest = Math.max(largest, space("old_space"))
  }
  return live.length > 0 ? largest : 0
}
${steps}
`

const youngBytes = (steps: string, options: { execArgv?: Array<string>; nodeOptions?: string } = {}) =>
  new Promise<Array<number>>((resolve, reject) => {
    execFile(
      process.execPath,
      [...(options.execArgv ?? []), "--input-type=module", "--eval", script(steps)],
      {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        env: { ...process.env, NODE_OPTIONS: options.nodeOptions ?? "" }
      },
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim().split(/\s+/).map(Number)))
    )
  })

describe("the heap of a process chatauth did not start", () => {
  it("does not grow while held, grows to the cap once capped, and no further", async () => {
    const [held, capped] = await youngBytes(
      "hold(); await churn(); const a = young(); cap(); await churn(); await churn(); console.log(a, young())"
    )
    expect(held).toBeLessThanOrEqual(2 * MiB)
    expect(capped).toBe(8 * MiB)
  }, 60_000)

  it("is V8's own without hold and cap (what they change)", async () => {
    const [free] = await youngBytes("await churn(); await churn(); console.log(young())")
    expect(free).toBeGreaterThan(8 * MiB)
  }, 60_000)

  it(
    "has an old generation collected at 30% over what is alive, less than half of what it reaches with V8's own growth",
    async () => {
      const [own, capped] = await Promise.all([
        youngBytes("console.log(await promote())"),
        youngBytes("hold(); cap(); console.log(await promote())")
      ])
      expect(capped[0]).toBeLessThan(own[0]! * 0.7)
      // What is alive is still kept: the test's 10 MB and more.
      expect(capped[0]).toBeGreaterThan(10 * MiB)
    },
    60_000
  )

  it("is left alone when the process was given a heap flag", async () => {
    const [given] = await youngBytes("hold(); await churn(); await churn(); console.log(young())", {
      execArgv: ["--max-semi-space-size=16"]
    })
    expect(given).toBeGreaterThan(8 * MiB)
  }, 60_000)

  it("recognises such a flag in execArgv or NODE_OPTIONS, in either spelling", () => {
    expect(userSized(["--max-semi-space-size=16"], undefined)).toBe(true)
    expect(userSized([], "--no-warnings --max_semi_space_size=32")).toBe(true)
    expect(userSized(["--semi-space-growth-factor=4"], "")).toBe(true)
    expect(userSized([], "--heap-growing-percent=50")).toBe(true)
    expect(userSized(["--enable-source-maps"], "--no-warnings")).toBe(false)
    expect(userSized([], undefined)).toBe(false)
  })
})

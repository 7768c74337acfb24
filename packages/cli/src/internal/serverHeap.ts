/**
 * V8's heap held small in a `chatauth` process, without the V8 flags a bare `chatauth serve` is not started with.
 *
 * V8 sizes its heap for throughput on a machine of its own: a young generation of 16 MiB a semi-space (both are
 * resident: 32 MiB), and an old generation allowed to grow to several times what is alive before a full collection.
 * Measured under `pnpm bench`'s load (32 connections, a body with every attribute), a server keeps 1.5 MB a second
 * alive past its scavenges, nearly all of it garbage by the next full collection: with V8's defaults the old
 * generation swelled to 48 MB over ~25 MB alive before its first full collection, and the process peaked at
 * 155–167 MB. Held here: 4 MiB a semi-space, and an old generation that grows by 30% of what survives a full
 * collection; the same load peaked at 138 MB with the same throughput (scavenges copy little, and a full
 * collection of a 30 MB heap is mostly concurrent marking).
 *
 * Flags would do it (`--max-semi-space-size=4 --heap-growing-percent=30`), but V8 reads the first only when a
 * process starts, and a shebang cannot carry flags portably (`env -S` is not understood by every `env`, BusyBox's
 * among them); a second process to carry them would cost more memory than they save. V8 does read
 * `--semi-space-growth-factor` each time it grows the young generation, and `--heap-growing-percent` after each
 * full collection. So: first thing in the executable (`hold`), the old generation's growth at 30% and no
 * young-generation growth while the CLI loads and reads its command line; once a server is to run (`cap`), one
 * growth to 4 MiB a semi-space and none after it (rechecked after every collection, so that it also holds after V8
 * shrinks it at an idle time). A heap flag of the user's own (in `execArgv` or `NODE_OPTIONS`) wins: nothing is done
 * then.
 *
 * @internal
 */
import { PerformanceObserver } from "node:perf_hooks"
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8"

// Both semi-spaces: V8's figure for the young generation ("new_space") at 4 MiB a semi-space.
const YOUNG_GENERATION_CAP_BYTES = 8 * 1024 * 1024
const OLD_GENERATION_GROWING_PERCENT = 30

const HEAP_FLAGS = [
  "--max-semi-space-size",
  "--min-semi-space-size",
  "--semi-space-growth-factor",
  "--heap-growing-percent"
]

/** Whether the process was given a heap flag of its own. */
export const userSized = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): boolean =>
  [...execArgv, ...(nodeOptions ?? "").split(/\s+/)]
    .map((flag) => flag.split("=")[0].replace(/_/g, "-"))
    .some((flag) => HEAP_FLAGS.includes(flag))

const mine = !userSized(process.execArgv, process.env.NODE_OPTIONS)
let growthFactor = 0

const setGrowthFactor = (factor: number) => {
  if (factor === growthFactor) return
  growthFactor = factor
  setFlagsFromString(`--semi-space-growth-factor=${factor}`)
}

const youngGenerationBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0

// V8 sets the old generation's next limit at each full collection, from this.
const limitOldGeneration = () => setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWING_PERCENT}`)

/**
 * No young-generation growth from here on (until `cap`), and the old generation's at 30% from the first full
 * collection on (set later, the limits V8 set while the CLI loaded would let the old generation swell once more
 * first).
 */
export const hold = (): void => {
  if (!mine) return
  setGrowthFactor(1)
  limitOldGeneration()
}

let observer: PerformanceObserver | undefined

/** From here on, the young generation grows up to its cap and no further, and the old generation by 30%. */
export const cap = (): void => {
  if (!mine || observer !== undefined) return
  // Also without `hold` before it (a process that is not the executable).
  limitOldGeneration()
  // The factor that takes it to the cap in one growth: V8 grows it only after it has copied as many surviving bytes
  // as it holds, many collections later, by when the observer has set the factor to 1.
  const adjust = () => {
    const bytes = youngGenerationBytes()
    setGrowthFactor(
      bytes >= YOUNG_GENERATION_CAP_BYTES || bytes === 0 ? 1 : Math.ceil(YOUNG_GENERATION_CAP_BYTES / bytes)
    )
  }
  adjust()
  observer = new PerformanceObserver(adjust)
  observer.observe({ entryTypes: ["gc"] })
}

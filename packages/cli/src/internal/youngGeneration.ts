/**
 * V8's young generation held at `--max-semi-space-size=4` (4 MiB a semi-space instead of 16) in a process that was
 * not started with that flag: a bare `chatauth serve`, which is how most people start the server. It is about 20 MB
 * of a server's peak memory (`serverV8Flags.ts` has the measurements); chatauth passes the flag itself where it
 * starts the process (`serve --workers`, `npm start`).
 *
 * V8 reads `--max-semi-space-size` only when a process starts, but `--semi-space-growth-factor` each time it grows
 * the young generation. So: no growth while the CLI loads and reads its command line (`hold`, at the very start);
 * then, once a server is to run (`cap`), one growth to the cap, and none after it, rechecked after every collection
 * (it also holds after V8 shrinks it, at an idle time: the next growth is back to the cap). A flag of the user's own (in `execArgv` or `NODE_OPTIONS`) about the
 * young generation wins: nothing is done then.
 *
 * @internal
 */
import { PerformanceObserver } from "node:perf_hooks"
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8"

// Both semi-spaces: V8's figure for the young generation ("new_space") at 4 MiB a semi-space.
const CAP_BYTES = 8 * 1024 * 1024

const YOUNG_GENERATION_FLAGS = ["--max-semi-space-size", "--semi-space-growth-factor", "--min-semi-space-size"]

/** Whether the process was given a young-generation flag of its own. */
export const userSized = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): boolean =>
  [...execArgv, ...(nodeOptions ?? "").split(/\s+/)]
    .map((flag) => flag.split("=")[0].replace(/_/g, "-"))
    .some((flag) => YOUNG_GENERATION_FLAGS.includes(flag))

const mine = !userSized(process.execArgv, process.env.NODE_OPTIONS)
let growthFactor = 0

const setGrowthFactor = (factor: number) => {
  if (factor === growthFactor) return
  growthFactor = factor
  setFlagsFromString(`--semi-space-growth-factor=${factor}`)
}

const youngGenerationBytes = (): number =>
  getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0

/** No young-generation growth from here on (until `cap`). */
export const hold = (): void => {
  if (mine) setGrowthFactor(1)
}

let observer: PerformanceObserver | undefined

/** From here on, the young generation grows up to the cap and no further. */
export const cap = (): void => {
  if (!mine || observer !== undefined) return
  // The factor that takes it to the cap in one growth: V8 grows it only after it has copied as many surviving bytes
  // as it holds, many collections later, by when the observer has set the factor to 1.
  const adjust = () => {
    const bytes = youngGenerationBytes()
    setGrowthFactor(bytes >= CAP_BYTES || bytes === 0 ? 1 : Math.ceil(CAP_BYTES / bytes))
  }
  adjust()
  observer = new PerformanceObserver(adjust)
  observer.observe({ entryTypes: ["gc"] })
}

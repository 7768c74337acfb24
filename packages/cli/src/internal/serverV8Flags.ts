/**
 * The V8 flags a server process is best started with, where chatauth starts the process itself: the workers of
 * `chatauth serve --workers N`, and `npm start` (`scripts/start.sh` repeats them; it cannot import this).
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MB a semi-space instead of 16: measured with
 * `pnpm bench` (`BENCH_NODE_FLAGS`), one server's peak RSS under load 164 → 145 MB and its RSS at ready 117 → 103 MB,
 * two workers and their supervisor 409 → 370 MB, throughput unchanged within the bench's noise (what a request leaves
 * alive at a scavenge is small, so more frequent scavenges cost little). V8 reads it only when a process starts: a
 * `chatauth serve` started directly cannot give it to itself (a shebang with `env -S` is not understood by every
 * `env`, BusyBox's among them, and starting a second process to carry it would cost more memory than it saves), and
 * holds its young generation to the same size another way (`youngGeneration.ts`).
 *
 * @internal
 */
export const SERVER_V8_FLAGS: ReadonlyArray<string> = ["--max-semi-space-size=4"]

/** `execArgv` with the server flags that it (or `NODE_OPTIONS`) does not already set: the caller's own win. */
export const withServerV8Flags = (
  execArgv: ReadonlyArray<string>,
  nodeOptions: string | undefined
): Array<string> => {
  const given = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].map((flag) => flag.split("=")[0].replace(/_/g, "-"))
  return [...SERVER_V8_FLAGS.filter((flag) => !given.includes(flag.split("=")[0])), ...execArgv]
}

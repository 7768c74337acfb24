/**
 * Settings every package's vitest configuration shares.
 */
import { availableParallelism } from "node:os"

/**
 * How many test files run at once. vitest's default, one fewer than the cores, is a single file at a time on a
 * two-core machine; ours spend much of their time waiting on sockets, child processes and the database, so one
 * file per core (one more where the files mostly wait on child processes) finishes sooner without starving them.
 */
export const testWorkers = (options: { readonly waitsOnChildren?: boolean } = {}) => {
  const cores = availableParallelism()
  const max = options.waitsOnChildren === true ? cores + 1 : cores
  return { maxWorkers: max, minWorkers: 1 }
}

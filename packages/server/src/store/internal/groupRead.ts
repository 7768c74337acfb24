/**
 * Group read: lookups by key that arrive while the store is busy are answered together, by one query for all their
 * keys — the read side of `groupCommit.ts`.
 *
 * A lookup starts a read at once when fewer than `parallel` are in flight (no added latency when the store is
 * idle); otherwise it waits, and when a read ends, every key that waited meanwhile (at most `maxBatch`) goes into
 * the next one. Under load a database round trip, its parsing and its planning then serve many requests instead of
 * one. A key asked for twice in one batch is read once. A failed read fails every lookup of its batch with its
 * defect.
 *
 * @internal
 */
import { Effect, Exit, Option } from "effect"

/** @internal */
export interface GroupRead<K, V> {
  /** The value stored under `key`, read in the next batch. */
  readonly getCallback: (key: K, done: (exit: Exit.Exit<Option.Option<V>>) => void) => void
}

type Resume<V> = (exit: Exit.Exit<Option.Option<V>>) => void

/** @internal */
export const make = <K, V>(options: {
  /** Reads the values of `keys` (those absent are not stored). */
  readonly read: (keys: ReadonlyArray<K>) => Effect.Effect<ReadonlyMap<K, V>>
  readonly maxBatch?: number | undefined
  /** Reads in flight at once (default 1). */
  readonly parallel?: number | undefined
}): GroupRead<K, V> => {
  const maxBatch = Math.max(1, options.maxBatch ?? 500)
  const parallel = Math.max(1, options.parallel ?? 1)
  // Insertion order: the keys that waited longest are read first.
  let waiting = new Map<K, Array<Resume<V>>>()
  let inFlight = 0

  const takeBatch = (): Map<K, Array<Resume<V>>> => {
    if (waiting.size <= maxBatch) {
      const batch = waiting
      waiting = new Map()
      return batch
    }
    const batch = new Map<K, Array<Resume<V>>>()
    for (const [key, resumes] of waiting) {
      if (batch.size === maxBatch) break
      batch.set(key, resumes)
      waiting.delete(key)
    }
    return batch
  }

  const startReads = (): void => {
    while (inFlight < parallel && waiting.size > 0) {
      const batch = takeBatch()
      inFlight++
      Effect.runCallback(options.read([...batch.keys()]), {
        onExit: (exit) => {
          inFlight--
          for (const [key, resumes] of batch) {
            const answer = Exit.map(exit, (values) => Option.fromNullable(values.get(key)))
            for (const resume of resumes) resume(answer)
          }
          // Emptied once answered, as the group commit's batches are: what ran the read may outlive a scavenge,
          // and must not keep the callers' requests alive with it.
          batch.clear()
          startReads()
        }
      })
    }
  }

  const getCallback = (key: K, done: Resume<V>): void => {
    const resumes = waiting.get(key)
    if (resumes === undefined) waiting.set(key, [done])
    else resumes.push(done)
    startReads()
  }

  return {
    getCallback
  }
}

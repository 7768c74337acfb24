/**
 * Group commit: items submitted while a write is being prepared or is in flight are written together, in one
 * transaction, and every submitter waiting on them is released when it commits (or fails with it).
 *
 * One writer fiber takes whatever is queued (at most `maxBatch`), lingers `linger` so that requests finishing at
 * the same moment share the commit, writes, and settles the batch. A submitter that must not answer before its row
 * is durable awaits `submit`; `enqueue` rides along in the next batch without waiting (its loss on a failed write
 * is acceptable to its owner). Closing the scope writes what is queued; after that a submit writes its item alone
 * and an enqueue is dropped.
 *
 * @internal
 */
import type { Scope } from "effect"
import { Deferred, Duration, Effect, Exit, Fiber } from "effect"

/** @internal */
export interface GroupCommit<A> {
  /** Queues `item` and waits until the batch holding it is committed; dies with the write's defect if it fails. */
  readonly submit: (item: A) => Effect.Effect<void>
  /** `submit` for a caller outside a fiber: `done` gets the batch's exit. */
  readonly submitCallback: (item: A, done: (exit: Exit.Exit<void>) => void) => void
  /** Queues `item` for the next batch without waiting. */
  readonly enqueue: (item: A) => void
  /** Items queued and not yet committed. */
  readonly pending: () => number
}

interface Entry<A> {
  readonly item: A
  /** Resumes the submitter (a callback rather than a `Deferred`: one allocation less per item on the hot route). */
  readonly done: ((exit: Exit.Exit<void>) => void) | undefined
}

/** @internal */
export const make = <A>(options: {
  readonly write: (items: ReadonlyArray<A>) => Effect.Effect<void>
  readonly linger?: Duration.DurationInput | undefined
  readonly maxBatch?: number | undefined
  /** Items waiting beyond which `enqueue` drops the oldest un-awaited ones (bounded memory in an outage). */
  readonly capacity?: number | undefined
  readonly onDropped?: ((count: number) => void) | undefined
}): Effect.Effect<GroupCommit<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const maxBatch = Math.max(1, options.maxBatch ?? 1000)
    const capacity = Math.max(maxBatch, options.capacity ?? 100_000)
    const linger = Duration.decode(options.linger ?? Duration.millis(1))
    let queue: Array<Entry<A>> = []
    let wake: Deferred.Deferred<void> | undefined
    // Once the scope closes there is no writer: a late submitter writes its item itself instead of waiting forever.
    let closed = false

    const signal = () => {
      if (wake !== undefined) {
        Deferred.unsafeDone(wake, Exit.void)
        wake = undefined
      }
    }

    const writeBatch = (batch: ReadonlyArray<Entry<A>>) =>
      Effect.exit(options.write(batch.map((entry) => entry.item))).pipe(
        Effect.flatMap((exit) =>
          Effect.sync(() => {
            for (const entry of batch) if (entry.done !== undefined) entry.done(exit)
          })
        )
      )

    const takeBatch = () => {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch)
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch)
      return batch
    }

    const step = Effect.gen(function*() {
      if (queue.length === 0) {
        const waiting = yield* Deferred.make<void>()
        wake = waiting
        yield* Deferred.await(waiting)
      }
      if (Duration.toMillis(linger) > 0) yield* Effect.sleep(linger)
      yield* Effect.uninterruptible(writeBatch(takeBatch()))
    })

    const writer = yield* Effect.forkDaemon(Effect.forever(step))
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
      }).pipe(
        Effect.zipRight(Fiber.interrupt(writer)),
        Effect.zipRight(Effect.suspend(function drain(): Effect.Effect<void> {
          return queue.length === 0 ? Effect.void : Effect.zipRight(writeBatch(takeBatch()), Effect.suspend(drain))
        }))
      )
    )

    const dropOverflow = () => {
      if (queue.length < capacity) return
      const kept = queue.filter((entry) => entry.done !== undefined)
      const dropped = queue.length - kept.length
      queue = kept
      if (dropped > 0) options.onDropped?.(dropped)
    }

    return {
      submit: (item) =>
        Effect.suspend(() =>
          closed ? options.write([item]) : Effect.async<void>((resume) => {
            queue.push({ item, done: resume })
            signal()
          })
        ),
      submitCallback: (item, done) => {
        // After the scope closed nobody drains the queue: write the item on its own, as `submit` does.
        if (closed) return Effect.runCallback(options.write([item]), { onExit: done })
        queue.push({ item, done })
        signal()
      },
      enqueue: (item) => {
        if (closed) return options.onDropped?.(1)
        dropOverflow()
        queue.push({ item, done: undefined })
        signal()
      },
      pending: () => queue.length
    }
  })

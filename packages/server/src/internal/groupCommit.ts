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
 * With `parallel` above 1 (a database that commits several transactions at once, on several connections), the
 * writer starts the next batch while earlier ones are still committing, up to `parallel` in flight: a batch no
 * longer waits for a whole commit round trip before it can start. Batches are still settled in the order they
 * were taken: a submitter is released only once every earlier batch is settled, as with one writer.
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
  /** Batches written at once (default 1). */
  readonly parallel?: number | undefined
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

    // The batch is emptied once settled: the fibers and closures that wrote it can outlive a young-generation
    // collection (until a full one) and, through the batch, the submitters' callbacks would keep every request they
    // answer with it — measured, that kept most of each request alive past its scavenge, tripled the scavenges'
    // pauses and grew the old generation by some 40 MB between full collections.
    const settle = (batch: Array<Entry<A>>, exit: Exit.Exit<void>) => {
      for (const entry of batch) if (entry.done !== undefined) entry.done(exit)
      batch.length = 0
    }
    const writeBatch = (batch: Array<Entry<A>>) =>
      Effect.exit(options.write(batch.map((entry) => entry.item))).pipe(
        Effect.flatMap((exit) => Effect.sync(() => settle(batch, exit)))
      )

    const parallel = Math.max(1, options.parallel ?? 1)
    const permits = yield* Effect.makeSemaphore(parallel)
    // Completed when the latest batch taken has been settled: the next one settles after it.
    let lastSettled: Deferred.Deferred<void> | undefined

    /** Writes `batch` in its own fiber (holding a permit until its commit ends), settled after the one before. */
    const startBatch = (batch: Array<Entry<A>>) =>
      Effect.gen(function*() {
        const before = lastSettled
        const settled = yield* Deferred.make<void>()
        lastSettled = settled
        yield* Effect.forkDaemon(Effect.uninterruptible(
          Effect.exit(options.write(batch.map((entry) => entry.item))).pipe(
            Effect.tap(() => permits.release(1)),
            Effect.tap(() => before === undefined ? Effect.void : Deferred.await(before)),
            Effect.flatMap((exit) => Effect.sync(() => settle(batch, exit))),
            Effect.ensuring(Deferred.succeed(settled, undefined))
          )
        ))
      })

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
      // Items keep arriving while every permit is taken: the batch taken then is the larger. Once the permit is
      // held the batch starts, whatever interrupts the writer: the closing scope counts on every permit coming back.
      yield* Effect.uninterruptibleMask((restore) =>
        Effect.zipRight(
          restore(permits.take(1)),
          Effect.suspend(() => {
            const batch = takeBatch()
            return batch.length === 0 ? permits.release(1) : startBatch(batch)
          })
        )
      )
    })

    const writer = yield* Effect.forkDaemon(Effect.forever(step))
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        closed = true
      }).pipe(
        Effect.zipRight(Fiber.interrupt(writer)),
        // The batches in flight end (and are settled) before what is left is written.
        Effect.zipRight(permits.take(parallel)),
        Effect.zipRight(Effect.suspend(() => lastSettled === undefined ? Effect.void : Deferred.await(lastSettled))),
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

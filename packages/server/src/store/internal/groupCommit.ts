/**
 * Group commit: items submitted while a write is being prepared or is in flight are written together, in one
 * transaction, and every submitter waiting on them is released when it commits (or fails with it).
 *
 * The first item queued schedules a batch `linger` later, so that requests finishing at the same moment share the
 * commit; the batch then takes whatever is queued (at most `maxBatch`), is written, and is settled. A submitter that
 * must not answer before its row is durable awaits `submit`; `enqueue` rides along in the next batch without
 * waiting (its loss on a failed write is acceptable to its owner). Closing the scope writes what is queued; after
 * that a submit writes its item alone and an enqueue is dropped.
 *
 * With `parallel` above 1 (a database that commits several transactions at once, on several connections), the
 * next batch starts while earlier ones are still committing, up to `parallel` in flight: a batch no longer waits
 * for a whole commit round trip before it can start. Batches are still settled in the order they were taken: a
 * submitter is released only once every earlier batch is settled, as with one writer.
 *
 * Driven by callbacks, one fiber per write (and one for each linger, so that the linger runs on the runtime's
 * clock): it is on the hot route of every chat authentication, where a long-lived writer fiber, waking on a
 * `Deferred` and taking a semaphore per batch, cost about a tenth of the event loop's time (measured, CPU profile
 * of `pnpm bench`).
 *
 * @internal
 */
import type { Scope } from "effect"
import { Duration, Effect, Exit, Runtime } from "effect"

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

/** A batch taken, and how its write ended once it has. */
interface Taken<A> {
  readonly batch: Array<Entry<A>>
  exit: Exit.Exit<void> | undefined
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
    const parallel = Math.max(1, options.parallel ?? 1)
    const linger = Duration.decode(options.linger ?? Duration.millis(1))
    // The writes and lingers run in the runtime that built this: its logger, its clock.
    const run = Runtime.runCallback(yield* Effect.runtime<never>())
    const lingering = Duration.toMillis(linger) > 0 ? Effect.sleep(linger) : Effect.yieldNow()

    let queue: Array<Entry<A>> = []
    // A batch is scheduled (lingering): nothing else schedules one meanwhile.
    let scheduled = false
    let inFlight = 0
    // The batches taken and not yet settled, oldest first.
    const unsettled: Array<Taken<A>> = []
    // Once the scope closes nothing is scheduled; a late submitter writes its item itself instead of waiting forever.
    let closed = false
    // What the closing scope waits for: called when the last batch in flight is settled.
    let whenIdle: (() => void) | undefined

    const takeBatch = () => {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch)
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch)
      return batch
    }

    // Each batch is emptied once settled: what ran its write can outlive a young-generation collection (until a
    // full one) and, through the batch, the submitters' callbacks would keep every request they answer alive with
    // it — measured, that kept most of each request past its scavenge, tripled the scavenges' pauses and grew the
    // old generation by some 40 MB between full collections.
    const settle = (batch: Array<Entry<A>>, exit: Exit.Exit<void>) => {
      for (const entry of batch) if (entry.done !== undefined) entry.done(exit)
      batch.length = 0
    }

    const settleInOrder = () => {
      for (let head = unsettled[0]; head?.exit !== undefined; head = unsettled[0]) {
        unsettled.shift()
        settle(head.batch, head.exit)
      }
    }

    const schedule = (): void => {
      if (scheduled || closed || inFlight >= parallel || queue.length === 0) return
      scheduled = true
      run(lingering, { onExit: startBatches })
    }

    // After the linger: as many batches as there are free slots. Items keep arriving while every slot is taken: the
    // batch taken then is the larger.
    function startBatches(): void {
      scheduled = false
      while (!closed && inFlight < parallel && queue.length > 0) {
        const taken: Taken<A> = { batch: takeBatch(), exit: undefined }
        unsettled.push(taken)
        inFlight++
        run(options.write(taken.batch.map((entry) => entry.item)), {
          onExit: (exit) => {
            inFlight--
            taken.exit = exit
            settleInOrder()
            if (closed) {
              if (inFlight === 0) whenIdle?.()
            } else {
              schedule()
            }
          }
        })
      }
    }

    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        closed = true
        // The batches in flight end (and are settled) before what is left is written, a batch at a time.
        const drain = (): void => {
          if (queue.length === 0) return resume(Effect.void)
          const batch = takeBatch()
          run(options.write(batch.map((entry) => entry.item)), {
            onExit: (exit) => {
              settle(batch, exit)
              drain()
            }
          })
        }
        if (inFlight === 0) drain()
        else whenIdle = drain
      })
    )

    const dropOverflow = () => {
      if (queue.length < capacity) return
      const kept = queue.filter((entry) => entry.done !== undefined)
      const dropped = queue.length - kept.length
      queue = kept
      if (dropped > 0) options.onDropped?.(dropped)
    }

    const submitCallback: GroupCommit<A>["submitCallback"] = (item, done) => {
      // After the scope closed nobody drains the queue: write the item on its own.
      if (closed) return run(options.write([item]), { onExit: done })
      queue.push({ item, done })
      schedule()
    }
    return {
      submit: (item) => Effect.async<void>((resume) => submitCallback(item, resume)),
      submitCallback,
      enqueue: (item) => {
        if (closed) return options.onDropped?.(1)
        dropOverflow()
        queue.push({ item, done: undefined })
        schedule()
      },
      pending: () => queue.length
    }
  })

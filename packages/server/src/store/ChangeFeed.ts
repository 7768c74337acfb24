/**
 * Follows the store's change feed, so that a change made by another replica or by the CLI (a caller removed, a
 * password changed, a key rotated, a lockout started or lifted) is applied here too.
 *
 * The feed is polled every `pollInterval` (default 500 ms), and PostgreSQL's `NOTIFY` wakes it at once; so a
 * change reaches every replica within about the poll interval even when notifications are lost. Polling starts at
 * the newest change when the service starts (history is not replayed: services load their state at start). Ids
 * from concurrent PostgreSQL transactions may commit out of order, so each poll re-reads a short overlap and skips
 * what it has already seen. A feed that cannot be read is retried at the next poll; once it can be read again the
 * notification subscription is renewed.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ChangeFeed } from "@chatauth/server/ChangeFeed"
 *
 * const program = Effect.flatMap(ChangeFeed, (feed) =>
 *   feed.subscribe("caller", (change) => Effect.log(`caller ${change.subject} changed`)))
 * ```
 *
 * @since 0.1.0
 */
import type { Scope } from "effect"
import { Clock, Context, Duration, Effect, Fiber, Layer, Queue } from "effect"
import type { StoreChange } from "./Store.js"
import { Store } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ChangeFeedOptions {
  /** How often the feed is read (default 500 ms). */
  readonly pollInterval?: Duration.DurationInput | undefined
  /** How long changes are kept in the store (default 1 day). */
  readonly retention?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ChangeFeedService {
  /** Runs `handler` for each change of `topic` from now on. */
  readonly subscribe: (
    topic: StoreChange["topic"],
    handler: (change: StoreChange) => Effect.Effect<void>
  ) => Effect.Effect<void>
  /** Reads the feed now (what a poll does). */
  readonly poll: Effect.Effect<void>
}

// Ids re-read below the highest seen: room for transactions that took an id earlier and committed later.
const OVERLAP = 64
const PAGE = 500

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: ChangeFeedOptions = {}): Effect.Effect<ChangeFeedService, never, Store | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Store
    const interval = Duration.decode(options.pollInterval ?? Duration.millis(500))
    const retention = Duration.toMillis(options.retention ?? Duration.days(1))
    const handlers = new Map<StoreChange["topic"], Array<(change: StoreChange) => Effect.Effect<void>>>()
    let highest = yield* store.changes.latest().pipe(Effect.catchAllDefect(() => Effect.succeed(0)))
    const seen = new Set<number>()
    // What is already in the overlap at start is history: seen. A change committed later with a lower id is not.
    const history = yield* store.changes.since(Math.max(0, highest - OVERLAP), OVERLAP).pipe(
      Effect.catchAllDefect(() => Effect.succeed([]))
    )
    for (const change of history) seen.add(change.id)
    const lock = yield* Effect.makeSemaphore(1)
    const wake = yield* Queue.sliding<void>(1)
    let healthy = true

    const dispatch = (change: StoreChange) =>
      Effect.forEach(handlers.get(change.topic) ?? [], (handler) =>
        handler(change).pipe(
          Effect.catchAllCause((cause) => Effect.logWarning("change feed: applying a change failed", cause))
        ), { discard: true })

    const readPage = Effect.gen(function*() {
      const changes = yield* store.changes.since(Math.max(0, highest - OVERLAP), PAGE)
      let fresh = 0
      for (const change of changes) {
        if (seen.has(change.id)) continue
        seen.add(change.id)
        fresh++
        if (change.id > highest) highest = change.id
        yield* dispatch(change)
      }
      for (const id of seen) if (id <= highest - OVERLAP) seen.delete(id)
      return changes.length === PAGE && fresh > 0
    })

    const poll = lock.withPermits(1)(Effect.gen(function*() {
      while (yield* readPage) { /* another page */ }
    }))

    const subscribeToWakeups = Effect.forkScoped(
      store.changes.wakeups(() => wake.unsafeOffer(undefined)).pipe(Effect.catchAllDefect(() => Effect.void))
    )
    let wakeups = yield* subscribeToWakeups

    const cycle = Effect.gen(function*() {
      const ok = yield* poll.pipe(Effect.as(true), Effect.catchAllDefect(() => Effect.succeed(false)))
      if (ok && !healthy) {
        // The notification connection died with the outage: subscribe again.
        yield* Fiber.interrupt(wakeups)
        wakeups = yield* subscribeToWakeups
      }
      healthy = ok
      yield* Effect.race(Queue.take(wake), Effect.sleep(interval))
    })
    yield* Effect.forkScoped(Effect.forever(cycle))

    // Any replica may prune: deleting old rows twice is harmless.
    yield* Effect.forkScoped(Effect.forever(
      Effect.zipRight(
        Effect.sleep(Duration.hours(1)),
        Effect.flatMap(Clock.currentTimeMillis, (now) => store.changes.prune(now - retention)).pipe(
          Effect.catchAllDefect(() => Effect.void)
        )
      )
    ))

    return ChangeFeed.of({
      subscribe: (topic, handler) =>
        Effect.sync(() => {
          const list = handlers.get(topic) ?? []
          list.push(handler)
          handlers.set(topic, list)
        }),
      poll
    })
  })

/**
 * The change feed service. `ChangeFeed.layer(options)` needs a `Store`.
 *
 * @since 0.1.0
 * @category services
 */
export class ChangeFeed extends Context.Tag("@chatauth/server/ChangeFeed")<ChangeFeed, ChangeFeedService>() {
  /** @since 0.1.0 */
  static readonly layer = (options: ChangeFeedOptions = {}): Layer.Layer<ChangeFeed, never, Store> =>
    Layer.scoped(ChangeFeed, make(options))
}

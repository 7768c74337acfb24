/**
 * Whether the store answers: a fiber pings it every `interval` (default 1 s, each ping bounded by `timeout`), and
 * a request whose store operation failed reports it at once. While the store is down `/health/ready` answers 503
 * (load balancers take the replica out) and chatAuthenticate answers 503 with `Retry-After` without waiting on the
 * database; the first successful ping brings the replica back, without a restart.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { StoreHealth } from "@chatauth/server/StoreHealth"
 *
 * const canServe = Effect.map(StoreHealth, (health) => health.isHealthy())
 * ```
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Layer } from "effect"
import type { StoreFailure } from "./Store.js"
import { causeText, Store } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface StoreHealthOptions {
  /** Pause between pings (default 1 s). */
  readonly interval?: Duration.DurationInput | undefined
  /** Longest a ping may take (default 1 s). */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StoreHealthService {
  readonly isHealthy: () => boolean
  /** A store operation failed: readiness goes off until a ping succeeds. Logged once per outage. */
  readonly failed: (failure: StoreFailure) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: StoreHealthOptions = {}) =>
  Effect.gen(function*() {
    const store = yield* Store
    let healthy = true
    const down = (reason: string) =>
      Effect.suspend(() => {
        if (!healthy) return Effect.void
        healthy = false
        return Effect.logError("The store is failing: not ready until it answers again").pipe(
          Effect.annotateLogs({ store: store.location, reason })
        )
      })
    const ping = store.ping.pipe(
      Effect.disconnect,
      Effect.timeoutFail({
        duration: options.timeout ?? Duration.seconds(1),
        onTimeout: () => new Error("no answer to a ping")
      }),
      Effect.matchCauseEffect({
        onFailure: (cause) => down(causeText(cause.toString())),
        onSuccess: () =>
          Effect.suspend(() => {
            if (healthy) return Effect.void
            healthy = true
            return Effect.logInfo("The store answers again: ready").pipe(Effect.annotateLogs("store", store.location))
          })
      })
    )
    yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(Effect.sleep(options.interval ?? Duration.seconds(1)), ping))
    )
    return StoreHealth.of({
      isHealthy: () => healthy,
      failed: (failure) => down(failure.message)
    })
  })

/**
 * The store's health. `StoreHealth.layer(options)` needs the `Store`.
 *
 * @since 0.1.0
 * @category services
 */
export class StoreHealth extends Context.Tag("@chatauth/server/StoreHealth")<StoreHealth, StoreHealthService>() {
  /** @since 0.1.0 */
  static readonly layer = (options: StoreHealthOptions = {}): Layer.Layer<StoreHealth, never, Store> =>
    Layer.scoped(StoreHealth, make(options))
}

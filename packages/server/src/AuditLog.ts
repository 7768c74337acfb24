/**
 * The audit trail of the endpoint: one event per issued token and per refused caller.
 *
 * Recording never waits for the store: events go to a bounded in-memory queue that a background fiber writes in
 * batches (one transaction per batch, every `flushInterval`, default 5 ms). Closing the layer's scope (a graceful
 * stop) writes everything still queued before the store closes. If the store fails, the batch is kept and
 * retried; if the queue is full, recording waits (back-pressure) rather than dropping events.
 *
 * Events hold no password, key or token by construction (there is no field for one); free-text fields are cut to
 * a bounded length and stripped of control characters, so a hostile user name cannot forge log lines.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { AuditLog } from "@chatauth/server/AuditLog"
 *
 * const onIssued = Effect.gen(function*() {
 *   const audit = yield* AuditLog
 *   yield* audit.issued({
 *     caller: "integration-user",
 *     clientAddress: "203.0.113.7",
 *     authUserName: "jane.doe@example.com",
 *     chatSiteName: "site-a",
 *     poolId: "101:1",
 *     kid: "trustservice"
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Scope } from "effect"
import { Chunk, Clock, Config, Context, Duration, Effect, Fiber, Layer, Queue } from "effect"
import type { ConfigError } from "effect"
import type { AuditEvent } from "./Store.js"
import { Store } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface IssuedEvent {
  readonly caller: string
  readonly clientAddress: string
  readonly authUserName: string
  readonly chatSiteName: string
  readonly poolId: string
  readonly kid: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RefusedEvent {
  /** Why: e.g. `invalid`, `locked`, `forbidden` (authenticated, lacking the chat privilege). */
  readonly reason: string
  /** The caller's user name when known (the presented one for `forbidden`), else null. */
  readonly caller: string | null
  readonly clientAddress: string
  readonly authUserName?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuditLogService {
  readonly issued: (event: IssuedEvent) => Effect.Effect<void>
  readonly refused: (event: RefusedEvent) => Effect.Effect<void>
  /** Writes every queued event now. */
  readonly flush: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuditLogOptions {
  /** Pause between batches (default 5 ms). */
  readonly flushInterval?: Duration.DurationInput | undefined
  /** Most events per write (default 1000). */
  readonly maxBatch?: number | undefined
  /** Queued events before recording waits (default 10 000). */
  readonly capacity?: number | undefined
}

const MAX_FIELD = 512
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g

const clean = (value: string): string => {
  const cut = value.length > MAX_FIELD ? value.slice(0, MAX_FIELD) : value
  return CONTROL.test(cut) ? cut.replace(CONTROLS, "\uFFFD") : cut
}

const cleanOptional = (value: string | undefined): string | undefined => value === undefined ? undefined : clean(value)

/**
 * Builds the service; its scope's closing flushes the queue.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: AuditLogOptions = {}): Effect.Effect<AuditLogService, never, Store | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Store
    const maxBatch = Math.max(1, options.maxBatch ?? 1000)
    const interval = options.flushInterval ?? Duration.millis(5)
    const queue = yield* Queue.bounded<AuditEvent>(Math.max(1, options.capacity ?? 10_000))
    const lock = yield* Effect.makeSemaphore(1)
    // Events taken from the queue but not yet written (kept across a failed write).
    let pending: Array<AuditEvent> = []

    const writePending = Effect.suspend(() => {
      if (pending.length === 0) return Effect.void
      const batch = pending
      return store.audit.appendAll(batch).pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            pending = pending === batch ? [] : pending.slice(batch.length)
          })
        ),
        Effect.catchAllCause((cause) => Effect.logError("audit: writing events failed; will retry", cause))
      )
    })

    // Taking and writing are one uninterruptible step: an interruption between them would lose the batch.
    const step = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(
        restore(Queue.takeBetween(queue, 1, maxBatch)),
        (chunk) =>
          lock.withPermits(1)(Effect.suspend(() => {
            pending.push(...Chunk.toReadonlyArray(chunk))
            return writePending
          }))
      )
    )

    const drain = lock.withPermits(1)(Effect.gen(function*() {
      while (true) {
        const chunk = yield* Queue.takeUpTo(queue, maxBatch)
        pending.push(...Chunk.toReadonlyArray(chunk))
        const before = pending.length
        yield* writePending
        if (pending.length === before && before > 0) return // the store is failing: keep them, do not spin
        if (Chunk.isEmpty(chunk) && pending.length === 0) return
      }
    }))

    const writer = yield* Effect.forkDaemon(Effect.forever(Effect.zipRight(step, Effect.sleep(interval))))
    yield* Effect.addFinalizer(() =>
      Fiber.interrupt(writer).pipe(
        Effect.zipRight(drain),
        Effect.zipRight(Effect.suspend(() =>
          pending.length === 0
            ? Effect.void
            : Effect.logError(`audit: ${pending.length} events could not be written before shutdown`)
        ))
      )
    )

    const record = (event: AuditEvent) => Queue.offer(queue, event).pipe(Effect.asVoid)

    return {
      issued: (event) =>
        Effect.flatMap(Clock.currentTimeMillis, (time) =>
          record({
            time,
            outcome: "issued",
            caller: clean(event.caller),
            clientAddress: clean(event.clientAddress),
            authUserName: clean(event.authUserName),
            chatSiteName: clean(event.chatSiteName),
            poolId: clean(event.poolId),
            kid: clean(event.kid)
          })),
      refused: (event) =>
        Effect.flatMap(Clock.currentTimeMillis, (time) => {
          const authUserName = cleanOptional(event.authUserName)
          return record({
            time,
            outcome: "refused",
            reason: clean(event.reason),
            caller: event.caller === null ? null : clean(event.caller),
            clientAddress: clean(event.clientAddress),
            ...(authUserName === undefined ? {} : { authUserName })
          })
        }),
      flush: drain
    }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: AuditLogOptions = {}): Layer.Layer<AuditLog, never, Store> =>
  Layer.scoped(AuditLog, make(options))

/**
 * `layer` with `CHATAUTH_AUDIT_FLUSH_MILLIS` (default 5).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<AuditLog, ConfigError.ConfigError, Store> = Layer.unwrapEffect(
  Effect.map(
    Config.integer("CHATAUTH_AUDIT_FLUSH_MILLIS").pipe(Config.withDefault(5)),
    (millis) => layer({ flushInterval: Duration.millis(Math.max(1, millis)) })
  )
)

/**
 * The audit trail service. `AuditLog.layer(options)` / `AuditLog.layerConfig` need a `Store`.
 *
 * @since 0.1.0
 * @category services
 */
export class AuditLog extends Context.Tag("@chatauth/server/AuditLog")<AuditLog, AuditLogService>() {
  /**
   * @since 0.1.0
   */
  static readonly make = make
  /**
   * @since 0.1.0
   */
  static readonly layer = layer
  /**
   * @since 0.1.0
   */
  static readonly layerConfig = layerConfig
}

/**
 * The audit trail of the endpoint: one event per issued token, per refused request and per lockout started.
 *
 * Recording waits until the event is committed (group commit through {@link Journal}): the handler answers only
 * after that, so no 201 leaves without its audit row, and a store that cannot write turns the answer into a 503.
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
import type { Exit } from "effect"
import { Clock, Context, Effect, Layer } from "effect"
import { Journal } from "../store/Journal.js"
import type { AuditEvent, LockoutScope } from "../store/Store.js"

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
 * A lockout that started: of an address, of a caller name from one address, or of a caller name everywhere (the
 * address is then `*`).
 *
 * @since 0.1.0
 * @category models
 */
export interface LockoutEvent {
  readonly scope: LockoutScope
  readonly caller: string | null
  readonly clientAddress: string
  readonly seconds: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuditLogService {
  readonly issued: (event: IssuedEvent) => Effect.Effect<void>
  /** `issued` for a caller outside a fiber: `done` gets the commit's exit. */
  readonly issuedCallback: (event: IssuedEvent, done: (exit: Exit.Exit<void>) => void) => void
  readonly refused: (event: RefusedEvent) => Effect.Effect<void>
  readonly lockout: (event: LockoutEvent) => Effect.Effect<void>
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
 * Builds the service over the journal.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<AuditLogService, never, Journal> = Effect.gen(function*() {
  const journal = yield* Journal
  const clock = yield* Effect.clock
  const record = (event: Omit<AuditEvent, "time">) =>
    Effect.flatMap(Clock.currentTimeMillis, (time) => journal.append({ time, ...event }))
  const issuedEvent = (event: IssuedEvent): Omit<AuditEvent, "time"> => ({
    outcome: "issued",
    caller: clean(event.caller),
    clientAddress: clean(event.clientAddress),
    authUserName: clean(event.authUserName),
    chatSiteName: clean(event.chatSiteName),
    poolId: clean(event.poolId),
    kid: clean(event.kid)
  })
  const issuedCallback: AuditLogService["issuedCallback"] = (event, done) =>
    journal.appendCallback({ time: clock.unsafeCurrentTimeMillis(), ...issuedEvent(event) }, done)
  return {
    issued: (event) => Effect.async<void>((resume) => issuedCallback(event, resume)),
    issuedCallback,
    refused: (event) => {
      const authUserName = cleanOptional(event.authUserName)
      return record({
        outcome: "refused",
        reason: clean(event.reason),
        caller: event.caller === null ? null : clean(event.caller),
        clientAddress: clean(event.clientAddress),
        ...(authUserName === undefined ? {} : { authUserName })
      })
    },
    lockout: (event) =>
      record({
        outcome: "lockout",
        reason: `${event.scope} locked for ${event.seconds} s`,
        caller: event.caller === null ? null : clean(event.caller),
        clientAddress: clean(event.clientAddress)
      })
  }
})

/**
 * The audit trail service. `AuditLog.layer` needs a `Journal`.
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
  static readonly layer: Layer.Layer<AuditLog, never, Journal> = Layer.effect(AuditLog, make)
}

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<AuditLog, never, Journal> = AuditLog.layer

/**
 * Fault injection and time travel, for testing clients: faults queued for the next calls of chatAuthenticate or of
 * a Channel Server emulator operation, and a shift of the emulator's clock. The server builds this service only
 * with `--faults` (`CHATAUTH_FAULTS=true`); without it nothing here exists, and the hot route checks one
 * `undefined`.
 *
 * A fault is taken by the call it applies to, before anything else happens, so an injected answer changes no state:
 * - `status`: answer that status (chatAuthenticate: 429, 500, 502, 503, 504, in Oracle's error format, with
 *   `Retry-After` when given; an emulator operation: 400, 403, 404, 408, 409, 429, 500, 502, 503, 504);
 * - `delay`: wait that long, then answer normally;
 * - `drop`: close the connection without answering.
 *
 * @example
 * import { FaultInjection } from "@chatauth/server"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const faults = yield* FaultInjection.FaultInjection
 *   faults.add({ target: "chatAuthenticate", fault: { kind: "status", status: 503, retryAfterSeconds: 1 }, count: 2 })
 *   faults.shiftClock(130) // the emulator now sees tokens issued a moment ago as expired
 * }).pipe(Effect.provide(FaultInjection.FaultInjection.layer))
 *
 * @since 0.1.0
 */
import { ChannelServer } from "@chatauth/core"
import { Clock, Context, Effect, Layer } from "effect"

/**
 * The privilege a caller needs to use the fault admin endpoints (`chatauth callers add NAME --privilege
 * CHATAUTH_ADMIN`).
 *
 * @since 0.1.0
 * @category constants
 */
export const ADMIN_PRIVILEGE = "CHATAUTH_ADMIN"

/**
 * The admin paths: the fault queue and the emulator's clock.
 *
 * @since 0.1.0
 * @category constants
 */
export const ADMIN_PATHS = { faults: "/chatauth/faults", clock: "/chatauth/clock" } as const

/**
 * What a fault applies to.
 *
 * @since 0.1.0
 * @category models
 */
export type FaultTarget = "chatAuthenticate" | ChannelServer.Operation

/**
 * @since 0.1.0
 * @category models
 */
export type Fault =
  | { readonly kind: "status"; readonly status: number; readonly retryAfterSeconds?: number | undefined }
  | { readonly kind: "delay"; readonly delayMs: number }
  | { readonly kind: "drop" }

/**
 * A queued fault and how many more calls it applies to.
 *
 * @since 0.1.0
 * @category models
 */
export interface QueuedFault {
  readonly target: FaultTarget
  readonly fault: Fault
  readonly remaining: number
}

/**
 * @since 0.1.0
 * @category constants
 */
export const TARGETS: ReadonlyArray<FaultTarget> = ["chatAuthenticate", ...ChannelServer.OPERATIONS]

/**
 * The statuses a fault may answer, by target.
 *
 * @since 0.1.0
 * @category constants
 */
export const allowedStatuses = (target: FaultTarget): ReadonlyArray<number> =>
  target === "chatAuthenticate" ? [429, 500, 502, 503, 504] : [400, 403, 404, 408, 409, 429, 500, 502, 503, 504]

/**
 * @since 0.1.0
 * @category models
 */
export interface FaultInjectionService {
  /** Queues `fault` for the next `count` calls of `target` (after those already queued for it). */
  readonly add: (queued: { readonly target: FaultTarget; readonly fault: Fault; readonly count: number }) => void
  /** The fault the current call of `target` gets, if any (it counts as used). */
  readonly take: (target: FaultTarget) => Fault | undefined
  /** Removes every queued fault. */
  readonly clear: () => void
  readonly queued: () => ReadonlyArray<QueuedFault>
  /** Moves the emulator's clock by `seconds` (negative goes back). */
  readonly shiftClock: (seconds: number) => void
  /** Puts the emulator's clock back on the real time. */
  readonly resetClock: () => void
  readonly clockOffsetSeconds: () => number
  /** The emulator's clock: the real one plus the offset. */
  readonly clock: Clock.Clock
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<FaultInjectionService> = Effect.map(Effect.clock, (base) => {
  let queue: Array<{ target: FaultTarget; fault: Fault; remaining: number }> = []
  let offsetMillis = 0
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis() + offsetMillis,
    currentTimeMillis: Effect.sync(() => base.unsafeCurrentTimeMillis() + offsetMillis),
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos() + BigInt(offsetMillis) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => base.unsafeCurrentTimeNanos() + BigInt(offsetMillis) * 1_000_000n),
    sleep: (duration) => base.sleep(duration)
  }
  return {
    add: ({ count, fault, target }) => void queue.push({ target, fault, remaining: count }),
    take: (target) => {
      const index = queue.findIndex((entry) => entry.target === target)
      if (index === -1) return undefined
      const entry = queue[index]
      entry.remaining -= 1
      if (entry.remaining <= 0) queue.splice(index, 1)
      return entry.fault
    },
    clear: () => {
      queue = []
    },
    queued: () => queue.map((entry) => ({ ...entry })),
    shiftClock: (seconds) => {
      offsetMillis += Math.round(seconds * 1000)
    },
    resetClock: () => {
      offsetMillis = 0
    },
    clockOffsetSeconds: () => offsetMillis / 1000,
    clock
  }
})

/**
 * The service (present only when the server runs with `--faults`).
 *
 * @since 0.1.0
 * @category services
 */
export class FaultInjection extends Context.Tag("@chatauth/server/FaultInjection")<
  FaultInjection,
  FaultInjectionService
>() {
  /**
   * @since 0.1.0
   */
  static readonly layer: Layer.Layer<FaultInjection> = Layer.effect(FaultInjection, make)
}

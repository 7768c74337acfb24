/**
 * Brute-force protection for caller authentication, counted in the store so that every replica sees the same
 * counts, and designed so that an attacker cannot lock a legitimate service account out (OWASP ASVS V2.2, in the
 * manner of Keycloak's brute-force detector):
 *
 * - **By address** (default 20 failures in 5 min → 5 min): firm; every name from that address is refused.
 * - **By caller name and address** (default 5 failures in 5 min → 5 min): firm; that name from that address.
 * - **By caller name everywhere** (default 50 failures in 5 min → 60 s, doubling on each lock in a row up to 15
 *   min): harder to reach, shorter and growing. It refuses only addresses that have failed recently; a caller
 *   presenting the right password from an address without recent failures is let through, so someone else's
 *   failures cannot lock a service account out.
 *
 * Failures are counted with one atomic statement per counter, and a lock is started by exactly one request (a
 * conditional update), which writes a change to the feed and a `lockout` row to the audit trail. Checks before a
 * password is hashed read the counters from the store; a check answered from the credential cache reads only the
 * locks this replica knows of (its own, and those the change feed brought in), so the hot path touches no database.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Lockouts } from "@chatauth/server/Lockouts"
 *
 * const program = Effect.gen(function*() {
 *   const lockouts = yield* Lockouts
 *   const lockedMillis = yield* lockouts.check({ username: "svc", address: "203.0.113.7", cached: false })
 *   if (lockedMillis === 0) yield* lockouts.failed({ username: "svc", address: "203.0.113.7" })
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Scope } from "effect"
import { Clock, Context, Duration, Effect, Layer } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import { ChangeFeed } from "../store/ChangeFeed.js"
import type { FailureCounter, LockoutScope } from "../store/Store.js"
import { Store } from "../store/Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface LockoutRule {
  /** Failures within `window` that start a lock. */
  readonly threshold: number
  readonly window: Duration.DurationInput
  /** How long a lock lasts (the first one, for a growing rule). */
  readonly duration: Duration.DurationInput
  /** A growing rule doubles the lock each time it locks again within an hour of the last lock, up to this. */
  readonly maxDuration?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LockoutOptions {
  readonly address?: LockoutRule | undefined
  readonly userAddress?: LockoutRule | undefined
  readonly user?: LockoutRule | undefined
  /** Told each time a lock starts (for metrics). */
  readonly onLockout?: ((scope: LockoutScope) => void) | undefined
}

/**
 * The defaults: 20 per address, 5 per name and address (both 5 min in 5 min), 50 per name (60 s growing to 15 min).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_RULES: { readonly [S in LockoutScope]: LockoutRule } = {
  address: { threshold: 20, window: Duration.minutes(5), duration: Duration.minutes(5) },
  "user-address": { threshold: 5, window: Duration.minutes(5), duration: Duration.minutes(5) },
  user: {
    threshold: 50,
    window: Duration.minutes(5),
    duration: Duration.seconds(60),
    maxDuration: Duration.minutes(15)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Attempt {
  /** Undefined when the presented name is not a valid caller name: only the address is counted then. */
  readonly username: string | undefined
  readonly address: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LockoutsService {
  /** Milliseconds this attempt stays refused (0: go ahead). `cached`: its password is known right. */
  readonly check: (attempt: Attempt & { readonly cached: boolean }) => Effect.Effect<number>
  /**
   * Counts a failure: 0 when it is answered as a plain failure (the one that reaches a threshold included), else the
   * milliseconds its address or name and address stay locked.
   */
  readonly failed: (attempt: Attempt) => Effect.Effect<number>
  /**
   * A right password: the name and address counter starts again. A check answered from the cache costs a store write
   * only when this replica has seen that pair fail.
   */
  readonly succeeded: (
    attempt: Attempt & { readonly username: string; readonly cached: boolean }
  ) => Effect.Effect<void>
  /**
   * The synchronous form of `check` + `succeeded` for an attempt whose password the cache knows right: `true` when
   * no lock known here refuses it and there is no failure here to reset, so it may go ahead with nothing to read or
   * write; `false` sends it through `check` and `succeeded`.
   */
  readonly cachedAttemptClear: (username: string, address: string, now: number) => boolean
  /** Lifts every lock and count of a caller name (on every replica, through the change feed). */
  readonly unlock: (username: string) => Effect.Effect<number>
}

const GROWTH_MEMORY = Duration.toMillis(Duration.hours(1))

/** A caller name cannot contain `:` (HTTP Basic), so `name:address` splits unambiguously. */
const pairKey = (username: string, address: string) => `${username}:${address}`

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: LockoutOptions = {}
): Effect.Effect<LockoutsService, never, Store | AuditLog | ChangeFeed | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Store
    const audit = yield* AuditLog
    const feed = yield* ChangeFeed
    const rules: { readonly [S in LockoutScope]: LockoutRule } = {
      address: options.address ?? DEFAULT_RULES.address,
      "user-address": options.userAddress ?? DEFAULT_RULES["user-address"],
      user: options.user ?? DEFAULT_RULES.user
    }
    const windowMillis = (scope: LockoutScope) => Duration.toMillis(rules[scope].window)
    // Locks known here, by `scope key`: the cached path reads only these.
    const known = new Map<string, number>()
    // Name-and-address pairs that failed here since their last success (bounded: forgetting one costs a reset).
    const failedHere = new Set<string>()
    const remember = (counter: FailureCounter) => {
      const id = `${counter.scope} ${counter.key}`
      if (counter.lockedUntil > 0) known.set(id, counter.lockedUntil)
      else known.delete(id)
    }
    const knownLock = (scope: LockoutScope, key: string, now: number) => {
      const until = known.get(`${scope} ${key}`)
      if (until === undefined) return 0
      if (until <= now) {
        known.delete(`${scope} ${key}`)
        return 0
      }
      return until - now
    }

    yield* feed.subscribe("lockout", (change) => {
      const space = change.subject.indexOf(" ")
      const scope = change.subject.slice(0, space) as LockoutScope
      const key = change.subject.slice(space + 1)
      if (scope === "user") {
        // An unlock (or a name-wide lock): forget what we know of the name, then read its counter again.
        for (const id of known.keys()) if (id.startsWith(`user-address ${key}:`)) known.delete(id)
      }
      known.delete(change.subject)
      return Effect.map(store.lockouts.read([{ scope, key }]), (counters) => counters.forEach(remember))
    })

    const keysOf = (attempt: Attempt) =>
      attempt.username === undefined
        ? [{ scope: "address" as const, key: attempt.address }]
        : [
          { scope: "address" as const, key: attempt.address },
          { scope: "user-address" as const, key: pairKey(attempt.username, attempt.address) },
          { scope: "user" as const, key: attempt.username }
        ]

    const recentlyFailed = (counter: FailureCounter | undefined, now: number) =>
      counter !== undefined && counter.failures > 0 && counter.windowStart > now - windowMillis(counter.scope)

    const check: LockoutsService["check"] = (attempt) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const pair = attempt.username === undefined ? undefined : pairKey(attempt.username, attempt.address)
        const local = Math.max(
          knownLock("address", attempt.address, now),
          pair === undefined ? 0 : knownLock("user-address", pair, now)
        )
        if (local > 0 || attempt.cached) return Effect.succeed(local)
        return Effect.map(store.lockouts.read(keysOf(attempt)), (counters) => {
          counters.forEach(remember)
          const by = (scope: LockoutScope) => counters.find((c) => c.scope === scope)
          const lockedFor = (counter: FailureCounter | undefined) =>
            counter === undefined ? 0 : Math.max(0, counter.lockedUntil - now)
          const firm = Math.max(lockedFor(by("address")), lockedFor(by("user-address")))
          if (firm > 0) return firm
          const nameWide = lockedFor(by("user"))
          return nameWide > 0 && (recentlyFailed(by("address"), now) || recentlyFailed(by("user-address"), now))
            ? nameWide
            : 0
        })
      })

    const lockDuration = (counter: FailureCounter, now: number) => {
      const rule = rules[counter.scope]
      const base = Duration.toMillis(rule.duration)
      if (rule.maxDuration === undefined) return { millis: base, lockCount: counter.lockCount }
      // The streak of locks in a row is forgotten an hour after the last one ended.
      const streak = counter.lockedUntil > 0 && now - counter.lockedUntil < GROWTH_MEMORY ? counter.lockCount : 0
      return {
        millis: Math.min(Duration.toMillis(rule.maxDuration), base * 2 ** Math.min(streak, 20)),
        lockCount: counter.lockCount
      }
    }

    const startLock = (counter: FailureCounter, attempt: Attempt, now: number) => {
      const { lockCount, millis } = lockDuration(counter, now)
      return Effect.flatMap(
        store.lockouts.lock({
          scope: counter.scope,
          key: counter.key,
          now,
          until: now + millis,
          expectedLockCount: lockCount
        }),
        (started) => {
          if (!started) return Effect.succeed(false)
          known.set(`${counter.scope} ${counter.key}`, now + millis)
          options.onLockout?.(counter.scope)
          return Effect.as(
            audit.lockout({
              scope: counter.scope,
              caller: counter.scope === "address" ? null : attempt.username ?? null,
              clientAddress: counter.scope === "user" ? "*" : attempt.address,
              seconds: Math.round(millis / 1000)
            }),
            true
          )
        }
      )
    }

    // The failure that reaches a threshold starts the lock and is answered as a plain failure (like the ones before
    // it); every later one is refused as locked, including those of a burst still in flight when the lock started.
    const failed: LockoutsService["failed"] = (attempt) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (attempt.username !== undefined) {
          if (failedHere.size >= 100_000) failedHere.clear()
          failedHere.add(pairKey(attempt.username, attempt.address))
        }
        const counters = yield* store.lockouts.recordFailure(
          keysOf(attempt).map(({ key, scope }) => ({ scope, key, windowStartedBefore: now - windowMillis(scope) })),
          now
        )
        let locked = 0
        for (const counter of counters) {
          const threshold = rules[counter.scope].threshold
          const running = counter.lockedUntil > now
          if (!running && counter.failures === threshold) yield* startLock(counter, attempt, now)
          if (counter.scope === "user") continue
          if (running || counter.failures > threshold) {
            const until = Math.max(known.get(`${counter.scope} ${counter.key}`) ?? 0, counter.lockedUntil)
            locked = Math.max(locked, until > now ? until - now : Duration.toMillis(rules[counter.scope].duration))
          }
        }
        return locked
      })

    // Counters idle for an hour past their window and lock carry no information any more: any replica may delete them.
    const idle = Math.max(...Object.values(rules).map((rule) => Duration.toMillis(rule.window))) + GROWTH_MEMORY
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(
      Effect.sleep(Duration.minutes(10)),
      Effect.flatMap(Clock.currentTimeMillis, (now) => store.lockouts.prune(now - idle)).pipe(
        Effect.catchAllDefect(() => Effect.void)
      )
    )))

    return Lockouts.of({
      check,
      failed,
      cachedAttemptClear: (username, address, now) => {
        const pair = pairKey(username, address)
        return !failedHere.has(pair) && knownLock("address", address, now) === 0 &&
          knownLock("user-address", pair, now) === 0
      },
      succeeded: ({ address, cached, username }) => {
        const pair = pairKey(username, address)
        if (!failedHere.delete(pair) && cached) return Effect.void
        return store.lockouts.reset("user-address", pair)
      },
      unlock: (username) =>
        Effect.tap(store.lockouts.unlockUser(username), () =>
          Effect.sync(() => {
            known.delete(`user ${username}`)
            for (const id of known.keys()) if (id.startsWith(`user-address ${username}:`)) known.delete(id)
          }))
    })
  })

/**
 * The lockout service. `Lockouts.layer(options)` needs the `Store`, the `AuditLog` and the `ChangeFeed`.
 *
 * @since 0.1.0
 * @category services
 */
export class Lockouts extends Context.Tag("@chatauth/server/Lockouts")<Lockouts, LockoutsService>() {
  /** @since 0.1.0 */
  static readonly layer = (
    options: LockoutOptions = {}
  ): Layer.Layer<Lockouts, never, Store | AuditLog | ChangeFeed> => Layer.scoped(Lockouts, make(options))
}

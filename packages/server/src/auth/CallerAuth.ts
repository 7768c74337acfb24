/**
 * Hardened HTTP Basic authentication of callers (their management is `CallerDirectory`).
 *
 * - The same refusal (`AuthRefused` with reason `invalid`) for an unknown user, a wrong or an empty password; an
 *   unknown user still costs one scrypt run so timing does not reveal which user names exist.
 * - A successful check is cached (default 60 s) under an HMAC of the presented credentials with a random
 *   per-process key; concurrent checks of the same credentials share one scrypt run. A change to a caller (made by
 *   the CLI or another replica) drops its cached checks when the change feed brings it, within its poll interval.
 * - Brute force is refused by `Lockouts` (by address, by name and address, by name), cluster-wide: a refused
 *   attempt answers `locked` with `retryAfterSeconds`, without looking at the password.
 * - At most `maxConcurrentHashes` scrypt runs at once (default 2), so a flood of bad credentials cannot take the
 *   whole libuv thread pool (which token signing also uses) or much memory (32 MiB per run).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { CallerAuth, hasChatPrivilege } from "@chatauth/server/CallerAuth"
 *
 * const program = Effect.gen(function*() {
 *   const auth = yield* CallerAuth
 *   const caller = yield* auth.authenticate({
 *     username: "integration-user",
 *     password: Redacted.make("s3cret-passw0rd"),
 *     clientAddress: "127.0.0.1"
 *   })
 *   return hasChatPrivilege(caller)
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Scope } from "effect"
import { Clock, Config, Context, Duration, Effect, Fiber, Layer, Option, Redacted, Schema } from "effect"
import { ChangeFeed } from "../store/ChangeFeed.js"
import { Store } from "../store/Store.js"
import {
  CHAT_PRIVILEGE,
  DEFAULT_SCRYPT_PARAMS,
  type ScryptParams,
  validatePassword,
  validateUsername
} from "./CallerDirectory.js"
import * as Password from "./internal/password.js"
import { makeVerificationCache } from "./internal/verificationCache.js"
import { type LockoutOptions, Lockouts } from "./Lockouts.js"

/**
 * An authenticated caller.
 *
 * @since 0.1.0
 * @category models
 */
export interface Caller {
  readonly username: string
  readonly privileges: ReadonlyArray<string>
}

/**
 * Whether the caller may use `chatAuthenticate` (403 otherwise).
 *
 * @since 0.1.0
 * @category predicates
 */
export const hasChatPrivilege = (caller: Caller): boolean => caller.privileges.includes(CHAT_PRIVILEGE)

/**
 * Authentication refused. `invalid`: the credentials are wrong, whatever was wrong (HTTP 401). `locked`: too many
 * recent failures; `retryAfterSeconds` says when to come back (HTTP 429 with `Retry-After`).
 *
 * @since 0.1.0
 * @category errors
 */
export class AuthRefused extends Schema.TaggedError<AuthRefused>()("AuthRefused", {
  reason: Schema.Literal("invalid", "locked"),
  retryAfterSeconds: Schema.optional(Schema.Number)
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerAuthOptions {
  /** How long a successful check is remembered (default 60 s; 0 disables the cache). */
  readonly cacheTtl?: Duration.DurationInput | undefined
  /** Most remembered checks (default 10 000). */
  readonly cacheMaxEntries?: number | undefined
  /** The lockout rules (defaults: `Lockouts.DEFAULT_RULES`). */
  readonly lockouts?: LockoutOptions | undefined
  /** Parameters for new hashes (default `DEFAULT_SCRYPT_PARAMS`); existing hashes keep their own. */
  readonly scrypt?: ScryptParams | undefined
  /** scrypt runs allowed at once (default 2). */
  readonly maxConcurrentHashes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerAuthService {
  /** Checks Basic credentials. `clientAddress` is the peer address (or the trusted forwarded one). */
  readonly authenticate: (credentials: {
    readonly username: string
    readonly password: Redacted.Redacted<string>
    readonly clientAddress: string
  }) => Effect.Effect<Caller, AuthRefused>
  /**
   * The synchronous fast path of `authenticate`: the caller when the credential cache holds these credentials and
   * the attempt has nothing to wait for (no lock known here, no failure here to reset); `undefined` means "call
   * `authenticate`", which then answers exactly as it always does.
   */
  readonly authenticateCached: (credentials: {
    readonly username: string
    readonly password: Redacted.Redacted<string>
    readonly clientAddress: string
  }) => Caller | undefined
}

type Check =
  | { readonly _tag: "Valid"; readonly caller: Caller }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "Locked"; readonly millis: number }

const INVALID: Check = { _tag: "Invalid" }

const locked = (millis: number) =>
  new AuthRefused({ reason: "locked", retryAfterSeconds: Math.max(1, Math.ceil(millis / 1000)) })

/**
 * Builds the service. The returned effect needs a scope: shared verifications run in it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: CallerAuthOptions = {}
): Effect.Effect<CallerAuthService, never, Store | Lockouts | ChangeFeed | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Store
    const lockouts = yield* Lockouts
    const feed = yield* ChangeFeed
    const scope = yield* Effect.scope
    const params = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
    if (!Password.validParams(params)) return yield* Effect.dieMessage("Invalid scrypt parameters")
    const cache = makeVerificationCache({
      ttlMillis: Duration.toMillis(options.cacheTtl ?? Duration.seconds(60)),
      maxEntries: options.cacheMaxEntries ?? 10_000
    })
    const permits = yield* Effect.makeSemaphore(Math.max(1, options.maxConcurrentHashes ?? 2))
    const inflight = new Map<string, Fiber.Fiber<Check>>()
    // Bumped on every invalidation: a check that started before it must not cache its (maybe stale) success.
    let generation = 0

    yield* feed.subscribe("caller", (change) =>
      Effect.sync(() => {
        generation++
        cache.invalidate(change.subject)
      }))

    // A hash with the configured parameters that no password matches: unknown users cost the same as known ones.
    const dummyHash = Password.unmatchable(params)
    const burnOneHash = Password.verify("", dummyHash)

    const check = (username: string, password: string, address: string): Effect.Effect<Check> =>
      permits.withPermits(1)(Effect.gen(function*() {
        // Checked once we hold a permit: requests queued behind a flood must not hash once a lock has started.
        const lockedMillis = yield* lockouts.check({ username, address, cached: false })
        if (lockedMillis > 0) return { _tag: "Locked", millis: lockedMillis } as const
        const startedAt = generation
        const record = yield* store.callers.find(username)
        if (Option.isNone(record)) {
          yield* Password.verify(password, dummyHash)
          return INVALID
        }
        const ok = yield* Password.verify(password, record.value.passwordHash)
        if (!ok) return INVALID
        const caller: Caller = { username: record.value.username, privileges: record.value.privileges }
        if (startedAt === generation) {
          cache.set(cache.keyOf(username, password), caller, yield* Clock.currentTimeMillis)
        }
        return { _tag: "Valid", caller } as const
      }))

    // Concurrent requests with the same credentials from the same address share one check. It runs in the
    // service's scope, so a request that goes away does not interrupt it for the others.
    const sharedCheck = (key: string, username: string, password: string, address: string) =>
      Effect.suspend(() => {
        const flight = `${key} ${address}`
        const running = inflight.get(flight)
        if (running !== undefined) return Fiber.join(running)
        return Effect.flatMap(
          Effect.forkIn(
            Effect.ensuring(check(username, password, address), Effect.sync(() => inflight.delete(flight))),
            scope
          ),
          (fiber) => {
            inflight.set(flight, fiber)
            return Fiber.join(fiber)
          }
        )
      })

    const refuse = (attempt: { readonly username: string | undefined; readonly address: string }) =>
      Effect.flatMap(
        lockouts.failed(attempt),
        (millis) => Effect.fail(millis > 0 ? locked(millis) : new AuthRefused({ reason: "invalid" }))
      )

    const authenticate: CallerAuthService["authenticate"] = ({ clientAddress, password, username }) => {
      const secret = Redacted.value(password)
      const validName = validateUsername(username) === undefined
      if (!validName || validatePassword(secret) !== undefined) {
        const attempt = { username: validName ? username : undefined, address: clientAddress }
        return Effect.flatMap(lockouts.check({ ...attempt, cached: false }), (millis) =>
          millis > 0
            ? Effect.fail(locked(millis))
            // Still one scrypt run, so malformed credentials cost what wrong ones cost.
            : Effect.zipRight(burnOneHash, refuse(attempt)))
      }
      const key = cache.keyOf(username, secret)
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const cached = cache.get(key, now)
        if (cached !== undefined) {
          return Effect.flatMap(
            lockouts.check({ username, address: clientAddress, cached: true }),
            (millis) =>
              millis > 0
                ? Effect.fail(locked(millis))
                : Effect.as(lockouts.succeeded({ username, address: clientAddress, cached: true }), cached)
          )
        }
        return Effect.flatMap(
          sharedCheck(key, username, secret, clientAddress),
          (result): Effect.Effect<Caller, AuthRefused> => {
            switch (result._tag) {
              case "Valid":
                return Effect.as(
                  lockouts.succeeded({ username, address: clientAddress, cached: false }),
                  result.caller
                )
              case "Locked":
                return Effect.fail(locked(result.millis))
              case "Invalid":
                return refuse({ username, address: clientAddress })
            }
          }
        )
      })
    }

    const clock = yield* Effect.clock
    const authenticateCached: CallerAuthService["authenticateCached"] = ({ clientAddress, password, username }) => {
      // No validity checks: only credentials `authenticate` accepted are ever cached.
      const now = clock.unsafeCurrentTimeMillis()
      const cached = cache.get(cache.keyOf(username, Redacted.value(password)), now)
      return cached !== undefined && lockouts.cachedAttemptClear(username, clientAddress, now) ? cached : undefined
    }

    return { authenticate, authenticateCached }
  })

/**
 * The options read from the environment:
 *
 * | variable | default |
 * |---|---|
 * | `CHATAUTH_AUTH_CACHE_SECONDS` | 60 (0 disables the cache) |
 * | `CHATAUTH_AUTH_CACHE_SIZE` | 10000 |
 * | `CHATAUTH_LOCKOUT_THRESHOLD` | 5 failures per caller name and address |
 * | `CHATAUTH_LOCKOUT_ADDRESS_THRESHOLD` | 20 failures per client address |
 * | `CHATAUTH_LOCKOUT_USER_THRESHOLD` | 50 failures per caller name, from all addresses |
 * | `CHATAUTH_LOCKOUT_WINDOW_SECONDS` | 300 |
 * | `CHATAUTH_LOCKOUT_SECONDS` | 300 (address; name and address) |
 * | `CHATAUTH_LOCKOUT_USER_SECONDS` | 60, doubling on each lock in a row up to 900 (name-wide) |
 * | `CHATAUTH_SCRYPT_N` | 8192 (r=8) |
 * | `CHATAUTH_SCRYPT_P` | 10 |
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<CallerAuthOptions> = Config.all({
  cacheSeconds: Config.integer("CHATAUTH_AUTH_CACHE_SECONDS").pipe(Config.withDefault(60)),
  cacheSize: Config.integer("CHATAUTH_AUTH_CACHE_SIZE").pipe(Config.withDefault(10_000)),
  pairThreshold: Config.integer("CHATAUTH_LOCKOUT_THRESHOLD").pipe(Config.withDefault(5)),
  addressThreshold: Config.integer("CHATAUTH_LOCKOUT_ADDRESS_THRESHOLD").pipe(Config.withDefault(20)),
  userThreshold: Config.integer("CHATAUTH_LOCKOUT_USER_THRESHOLD").pipe(Config.withDefault(50)),
  windowSeconds: Config.integer("CHATAUTH_LOCKOUT_WINDOW_SECONDS").pipe(Config.withDefault(300)),
  lockoutSeconds: Config.integer("CHATAUTH_LOCKOUT_SECONDS").pipe(Config.withDefault(300)),
  userLockoutSeconds: Config.integer("CHATAUTH_LOCKOUT_USER_SECONDS").pipe(Config.withDefault(60)),
  scryptN: Config.integer("CHATAUTH_SCRYPT_N").pipe(
    Config.withDefault(DEFAULT_SCRYPT_PARAMS.N),
    Config.validate({
      message: "CHATAUTH_SCRYPT_N must be a power of two between 2 and 2^20",
      validation: (N) => Password.validParams({ ...DEFAULT_SCRYPT_PARAMS, N })
    })
  ),
  scryptP: Config.integer("CHATAUTH_SCRYPT_P").pipe(
    Config.withDefault(DEFAULT_SCRYPT_PARAMS.p),
    Config.validate({
      message: "CHATAUTH_SCRYPT_P must be a whole number from 1 to 16",
      validation: (p) => Password.validParams({ ...DEFAULT_SCRYPT_PARAMS, p })
    })
  )
}).pipe(Config.map((c): CallerAuthOptions => {
  const window = Duration.seconds(Math.max(1, c.windowSeconds))
  const duration = Duration.seconds(Math.max(0, c.lockoutSeconds))
  const userDuration = Duration.seconds(Math.max(1, c.userLockoutSeconds))
  return {
    cacheTtl: Duration.seconds(Math.max(0, c.cacheSeconds)),
    cacheMaxEntries: Math.max(0, c.cacheSize),
    lockouts: {
      address: { threshold: Math.max(1, c.addressThreshold), window, duration },
      userAddress: { threshold: Math.max(1, c.pairThreshold), window, duration },
      user: {
        threshold: Math.max(1, c.userThreshold),
        window,
        duration: userDuration,
        maxDuration: Duration.max(userDuration, Duration.seconds(900))
      }
    },
    scrypt: { ...DEFAULT_SCRYPT_PARAMS, N: c.scryptN, p: c.scryptP }
  }
}))

/**
 * Authenticates callers. `CallerAuth.layer(options)` needs the `Store`, `Lockouts` and the `ChangeFeed`.
 *
 * @since 0.1.0
 * @category services
 */
export class CallerAuth extends Context.Tag("@chatauth/server/CallerAuth")<CallerAuth, CallerAuthService>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static readonly layer = (
    options: CallerAuthOptions = {}
  ): Layer.Layer<CallerAuth, never, Store | Lockouts | ChangeFeed> => Layer.scoped(CallerAuth, make(options))
}

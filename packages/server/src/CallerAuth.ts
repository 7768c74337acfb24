/**
 * Hardened HTTP Basic authentication of callers, and the management of callers.
 *
 * - Passwords are hashed with scrypt (`node:crypto`, asynchronous, N=2^15, r=8, p=1) into a self-describing
 *   string `scrypt$N$r$p$salt$hash`, and compared with `timingSafeEqual`.
 * - The same refusal (`AuthRefused` with reason `invalid`) for an unknown user, a wrong or an empty password; an
 *   unknown user still costs one scrypt run so timing does not reveal which user names exist.
 * - A successful check is cached (default 60 s) under an HMAC of the presented credentials with a random
 *   per-process key; concurrent checks of the same credentials share one scrypt run. Changing a password or the
 *   privileges, or removing a caller, through this service drops its cache entries at once; a change made by
 *   another process sharing the store takes effect within the cache TTL.
 * - Failures are counted per user name (default 5 in 5 min) and per client address (default 20 in 5 min); reaching
 *   either threshold locks that name or address (default 5 min). While locked the answer is `locked` with
 *   `retryAfterSeconds`, without looking at the password. A success resets the user name's count.
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
 *   yield* auth.ensureCaller("integration-user", "s3cret-passw0rd")
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
import { ChatAuthenticateApi } from "@chatauth/core"
import type { ConfigError, Scope } from "effect"
import { Clock, Config, Context, Duration, Effect, Fiber, Layer, Option, Redacted, Schema } from "effect"
import { randomBytes } from "node:crypto"
import { makeFailureTracker } from "./internal/failureTracker.js"
import * as Password from "./internal/password.js"
import { makeVerificationCache } from "./internal/verificationCache.js"
import { Store } from "./Store.js"

/**
 * The privilege Oracle requires for `chatAuthenticate`.
 *
 * @since 0.1.0
 * @category constants
 */
export const CHAT_PRIVILEGE: string = ChatAuthenticateApi.CHAT_PRIVILEGE

/**
 * The longest accepted user name (the spec's `authUserName` bound, reused for callers).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_USERNAME_LENGTH = 320

/**
 * The longest accepted password: longer ones are refused like any wrong password.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_PASSWORD_LENGTH = 1024

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
 * A caller as listed for operators: everything but the password hash.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallerInfo extends Caller {
  readonly createdAt: number
  readonly updatedAt: number
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
 * recent failures for this user name or client address; `retryAfterSeconds` says when to come back (HTTP 429 with
 * `Retry-After`).
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
 * @category errors
 */
export class CallerExists extends Schema.TaggedError<CallerExists>()("CallerExists", {
  username: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category errors
 */
export class CallerNotFound extends Schema.TaggedError<CallerNotFound>()("CallerNotFound", {
  username: Schema.String
}) {}

/**
 * A user name or password that breaks the rules (see `validateUsername`, `validatePassword`).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidCaller extends Schema.TaggedError<InvalidCaller>()("InvalidCaller", {
  message: Schema.String
}) {}

// C0, DEL and C1 control characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/**
 * The rules for a caller's user name: non-empty, at most 320 characters, no control character, no `:` (HTTP Basic
 * splits on the first colon). Returns the reason it is invalid, or `undefined`.
 *
 * @since 0.1.0
 * @category validation
 */
export const validateUsername = (username: string): string | undefined =>
  username.length === 0
    ? "the user name is empty"
    : username.length > MAX_USERNAME_LENGTH
    ? `the user name is longer than ${MAX_USERNAME_LENGTH} characters`
    : CONTROL.test(username)
    ? "the user name contains a control character"
    : username.includes(":")
    ? "the user name contains ':'"
    : undefined

/**
 * The rules for a password: non-empty, at most 1024 characters. Returns the reason it is invalid, or `undefined`.
 *
 * @since 0.1.0
 * @category validation
 */
export const validatePassword = (password: string): string | undefined =>
  password.length === 0
    ? "the password is empty"
    : password.length > MAX_PASSWORD_LENGTH
    ? `the password is longer than ${MAX_PASSWORD_LENGTH} characters`
    : undefined

/**
 * scrypt cost parameters (N a power of two).
 *
 * @since 0.1.0
 * @category models
 */
export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/**
 * N=2^15, r=8, p=1: 32 MiB and tens of milliseconds per hash.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Password.DEFAULT_SCRYPT

/**
 * Hashes a password with scrypt and a random salt into `scrypt$N$r$p$salt$hash` (base64url salt and hash).
 *
 * @since 0.1.0
 * @category passwords
 */
export const hashPassword = (
  password: string | Redacted.Redacted<string>,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS
): Effect.Effect<string> =>
  Password.validParams(params)
    ? Password.hash(Redacted.isRedacted(password) ? Redacted.value(password) : password, params)
    : Effect.dieMessage("Invalid scrypt parameters")

/**
 * Checks a password against a hash made by `hashPassword`, in constant time. A malformed hash never verifies.
 *
 * @since 0.1.0
 * @category passwords
 */
export const verifyPassword = (
  password: string | Redacted.Redacted<string>,
  hash: string
): Effect.Effect<boolean> => Password.verify(Redacted.isRedacted(password) ? Redacted.value(password) : password, hash)

/**
 * Counters since the service started, for metrics and tests.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallerAuthStats {
  /** scrypt runs (verifications, dummy runs for unknown users, and hashes of new passwords). */
  readonly hashes: number
  /** Authentications answered from the verification cache. */
  readonly cacheHits: number
  /** Refusals with reason `invalid`. */
  readonly failures: number
  /** Refusals with reason `locked`. */
  readonly lockedRefusals: number
  /** Locks started (of a user name or an address). */
  readonly lockouts: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LockoutPolicy {
  /** Failures within `window` that lock the key. */
  readonly threshold: number
  readonly window: Duration.DurationInput
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerAuthOptions {
  /** How long a successful check is remembered (default 60 s; 0 disables the cache). */
  readonly cacheTtl?: Duration.DurationInput | undefined
  /** Most remembered checks (default 10 000). */
  readonly cacheMaxEntries?: number | undefined
  /** Per user name (default 5 failures in 5 minutes). */
  readonly userLockout?: LockoutPolicy | undefined
  /** Per client address (default 20 failures in 5 minutes). */
  readonly addressLockout?: LockoutPolicy | undefined
  /** How long a lock lasts (default 5 minutes). */
  readonly lockoutDuration?: Duration.DurationInput | undefined
  /** Most user names and addresses tracked at once, each (default 100 000). */
  readonly maxTrackedKeys?: number | undefined
  /** Parameters for new hashes (default `DEFAULT_SCRYPT_PARAMS`); existing hashes keep their own. */
  readonly scrypt?: ScryptParams | undefined
  /** Told each time a user name or a client address gets locked (for metrics). */
  readonly onLockout?: ((scope: "user" | "address") => void) | undefined
  /** scrypt runs allowed at once (default 2). */
  readonly maxConcurrentHashes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerAuthService {
  /**
   * Checks Basic credentials. `clientAddress` is the peer address (or the first trusted forwarded one).
   */
  readonly authenticate: (credentials: {
    readonly username: string
    readonly password: Redacted.Redacted<string>
    readonly clientAddress: string
  }) => Effect.Effect<Caller, AuthRefused>
  /** Creates a caller; privileges default to `[CHAT_PRIVILEGE]`. */
  readonly addCaller: (caller: {
    readonly username: string
    readonly password: string | Redacted.Redacted<string>
    readonly privileges?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<CallerInfo, CallerExists | InvalidCaller>
  readonly setPassword: (
    username: string,
    password: string | Redacted.Redacted<string>
  ) => Effect.Effect<void, CallerNotFound | InvalidCaller>
  readonly setPrivileges: (username: string, privileges: ReadonlyArray<string>) => Effect.Effect<void, CallerNotFound>
  readonly removeCaller: (username: string) => Effect.Effect<void, CallerNotFound>
  readonly listCallers: () => Effect.Effect<ReadonlyArray<CallerInfo>>
  /** Creates the caller (with the chat privilege) when missing; leaves an existing one alone. True when created. */
  readonly ensureCaller: (
    username: string,
    password: string | Redacted.Redacted<string>
  ) => Effect.Effect<boolean, InvalidCaller>
  readonly stats: Effect.Effect<CallerAuthStats>
}

type Check =
  | { readonly _tag: "Valid"; readonly caller: Caller }
  | { readonly _tag: "Invalid" }
  | { readonly _tag: "Skipped" }

const INVALID: Check = { _tag: "Invalid" }
const SKIPPED: Check = { _tag: "Skipped" }

const reveal = (password: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(password) ? Redacted.value(password) : password

const toInfo = (record: {
  readonly username: string
  readonly privileges: ReadonlyArray<string>
  readonly createdAt: number
  readonly updatedAt: number
}): CallerInfo => ({
  username: record.username,
  privileges: record.privileges,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt
})

/**
 * Builds the service. The returned effect needs a scope: shared verifications run in it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: CallerAuthOptions = {}
): Effect.Effect<CallerAuthService, never, Store | Scope.Scope> =>
  Effect.gen(function*() {
    const store = yield* Store
    const scope = yield* Effect.scope
    const params = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
    if (!Password.validParams(params)) return yield* Effect.dieMessage("Invalid scrypt parameters")
    const lockoutMillis = Duration.toMillis(options.lockoutDuration ?? Duration.minutes(5))
    const maxKeys = options.maxTrackedKeys ?? 100_000
    const userPolicy = options.userLockout ?? { threshold: 5, window: Duration.minutes(5) }
    const addressPolicy = options.addressLockout ?? { threshold: 20, window: Duration.minutes(5) }
    const users = makeFailureTracker({
      threshold: userPolicy.threshold,
      windowMillis: Duration.toMillis(userPolicy.window),
      lockoutMillis,
      maxKeys
    })
    const addresses = makeFailureTracker({
      threshold: addressPolicy.threshold,
      windowMillis: Duration.toMillis(addressPolicy.window),
      lockoutMillis,
      maxKeys
    })
    const cache = makeVerificationCache({
      ttlMillis: Duration.toMillis(options.cacheTtl ?? Duration.seconds(60)),
      maxEntries: options.cacheMaxEntries ?? 10_000
    })
    const permits = yield* Effect.makeSemaphore(Math.max(1, options.maxConcurrentHashes ?? 2))
    const counters = { hashes: 0, cacheHits: 0, failures: 0, lockedRefusals: 0, lockouts: 0 }
    const inflight = new Map<string, Fiber.Fiber<Check>>()
    // Bumped on every invalidation: a check that started before it must not cache its (maybe stale) success.
    let generation = 0

    const counted = <A>(effect: Effect.Effect<A>) =>
      Effect.suspend(() => {
        counters.hashes++
        return effect
      })

    // A hash of a random password with the configured parameters: unknown users cost the same as known ones.
    // Computed in the background from the start rather than awaited by it: a scrypt run is a good part of a start.
    const dummyHash = yield* Effect.cached(Password.hash(randomBytes(16).toString("base64url"), params))
    yield* Effect.forkIn(dummyHash, scope)

    const check = (username: string, password: string): Effect.Effect<Check> =>
      permits.withPermits(1)(Effect.gen(function*() {
        // Re-checked once we hold a permit: requests queued behind a flood must not hash for a locked name.
        if (users.lockedFor(username, yield* Clock.currentTimeMillis) > 0) return SKIPPED
        const startedAt = generation
        const record = yield* store.callers.find(username)
        if (Option.isNone(record)) {
          yield* counted(Effect.flatMap(dummyHash, (hash) => Password.verify(password, hash)))
          return INVALID
        }
        const ok = yield* counted(Password.verify(password, record.value.passwordHash))
        if (!ok || password.length === 0) return INVALID
        const caller: Caller = { username: record.value.username, privileges: record.value.privileges }
        if (startedAt === generation) {
          cache.set(cache.keyOf(username, password), caller, yield* Clock.currentTimeMillis)
        }
        return { _tag: "Valid", caller } as const
      }))

    // Concurrent requests with the same credentials share one check. It runs in the service's scope, so a
    // request that goes away does not interrupt it for the others.
    const sharedCheck = (key: string, username: string, password: string): Effect.Effect<Check> =>
      Effect.suspend(() => {
        const running = inflight.get(key)
        if (running !== undefined) return Fiber.join(running)
        return Effect.flatMap(
          Effect.forkIn(
            Effect.ensuring(check(username, password), Effect.sync(() => inflight.delete(key))),
            scope
          ),
          (fiber) => {
            inflight.set(key, fiber)
            return Fiber.join(fiber)
          }
        )
      })

    const lockedOut = (scope: "user" | "address") => {
      counters.lockouts++
      options.onLockout?.(scope)
    }

    const locked = (millis: number) => {
      counters.lockedRefusals++
      return new AuthRefused({ reason: "locked", retryAfterSeconds: Math.max(1, Math.ceil(millis / 1000)) })
    }

    const authenticate: CallerAuthService["authenticate"] = ({ clientAddress, password, username }) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const validName = validateUsername(username) === undefined
        const lockMillis = Math.max(
          validName ? users.lockedFor(username, now) : 0,
          addresses.lockedFor(clientAddress, now)
        )
        if (lockMillis > 0) return Effect.fail(locked(lockMillis))
        const secret = Redacted.value(password)
        if (!validName || validatePassword(secret) !== undefined) {
          // Still one scrypt run, so malformed credentials cost what wrong ones cost.
          return counted(Effect.flatMap(dummyHash, (hash) => Password.verify("", hash))).pipe(
            Effect.zipRight(Clock.currentTimeMillis),
            Effect.flatMap((at) => {
              counters.failures++
              if (addresses.fail(clientAddress, at)) lockedOut("address")
              return Effect.fail(new AuthRefused({ reason: "invalid" }))
            })
          )
        }
        const key = cache.keyOf(username, secret)
        const cached = cache.get(key, now)
        if (cached !== undefined) {
          counters.cacheHits++
          users.reset(username)
          return Effect.succeed(cached)
        }
        return Effect.flatMap(sharedCheck(key, username, secret), (result) =>
          Effect.flatMap(Clock.currentTimeMillis, (at): Effect.Effect<Caller, AuthRefused> => {
            switch (result._tag) {
              case "Valid": {
                users.reset(username)
                return Effect.succeed(result.caller)
              }
              case "Skipped": {
                return Effect.fail(locked(Math.max(users.lockedFor(username, at), 1)))
              }
              case "Invalid": {
                counters.failures++
                if (users.fail(username, at)) {
                  lockedOut("user")
                }
                if (addresses.fail(clientAddress, at)) {
                  lockedOut("address")
                }
                return Effect.fail(new AuthRefused({ reason: "invalid" }))
              }
            }
          }))
      })

    const invalidate = (username: string) =>
      Effect.sync(() => {
        generation++
        cache.invalidate(username)
      })

    const checked = <A>(
      value: string,
      rule: (value: string) => string | undefined,
      then: Effect.Effect<A>
    ): Effect.Effect<A, InvalidCaller> => {
      const problem = rule(value)
      return problem === undefined ? then : Effect.fail(new InvalidCaller({ message: problem }))
    }

    const newHash = (password: string) =>
      checked(password, validatePassword, counted(permits.withPermits(1)(Password.hash(password, params))))

    const addCaller: CallerAuthService["addCaller"] = ({ password, privileges, username }) =>
      checked(username, validateUsername, Effect.void).pipe(
        Effect.zipRight(newHash(reveal(password))),
        Effect.flatMap((passwordHash) =>
          store.callers.insert({ username, passwordHash, privileges: privileges ?? [CHAT_PRIVILEGE] })
        ),
        Effect.flatMap(Option.match({
          onNone: () =>
            Effect.fail(new CallerExists({ username })),
          onSome: (record) =>
            Effect.succeed(toInfo(record))
        }))
      )

    const setPassword: CallerAuthService["setPassword"] = (username, password) =>
      newHash(reveal(password)).pipe(
        Effect.flatMap((hash) => store.callers.updatePassword(username, hash)),
        Effect.tap(() => invalidate(username)),
        Effect.flatMap((found) => found ? Effect.void : Effect.fail(new CallerNotFound({ username })))
      )

    const setPrivileges: CallerAuthService["setPrivileges"] = (username, privileges) =>
      store.callers.setPrivileges(username, privileges).pipe(
        Effect.tap(() => invalidate(username)),
        Effect.flatMap((found) => found ? Effect.void : Effect.fail(new CallerNotFound({ username })))
      )

    const removeCaller: CallerAuthService["removeCaller"] = (username) =>
      store.callers.remove(username).pipe(
        Effect.tap(() => invalidate(username)),
        Effect.flatMap((found) => found ? Effect.void : Effect.fail(new CallerNotFound({ username })))
      )

    const listCallers: CallerAuthService["listCallers"] = () =>
      Effect.map(store.callers.list(), (records) => records.map(toInfo))

    const ensureCaller: CallerAuthService["ensureCaller"] = (username, password) =>
      Effect.flatMap(store.callers.find(username), (existing) =>
        Option.isSome(existing)
          ? Effect.succeed(false)
          : addCaller({ username, password }).pipe(
            Effect.as(true),
            // Another process created it between our look-up and our insert: it exists, which is what we wanted.
            Effect.catchTag("CallerExists", () => Effect.succeed(false))
          ))

    return {
      authenticate,
      addCaller,
      setPassword,
      setPrivileges,
      removeCaller,
      listCallers,
      ensureCaller,
      stats: Effect.sync(() => ({ ...counters }))
    }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: CallerAuthOptions = {}): Layer.Layer<CallerAuth, never, Store> =>
  Layer.scoped(CallerAuth, make(options))

/**
 * The options read from the environment:
 *
 * | variable | default |
 * |---|---|
 * | `CHATAUTH_AUTH_CACHE_SECONDS` | 60 (0 disables the cache) |
 * | `CHATAUTH_AUTH_CACHE_SIZE` | 10000 |
 * | `CHATAUTH_LOCKOUT_THRESHOLD` | 5 failures per user name |
 * | `CHATAUTH_LOCKOUT_ADDRESS_THRESHOLD` | 20 failures per client address |
 * | `CHATAUTH_LOCKOUT_WINDOW_SECONDS` | 300 |
 * | `CHATAUTH_LOCKOUT_SECONDS` | 300 |
 * | `CHATAUTH_SCRYPT_N` | 32768 (r=8, p=1) |
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<CallerAuthOptions> = Config.all({
  cacheSeconds: Config.integer("CHATAUTH_AUTH_CACHE_SECONDS").pipe(Config.withDefault(60)),
  cacheSize: Config.integer("CHATAUTH_AUTH_CACHE_SIZE").pipe(Config.withDefault(10_000)),
  userThreshold: Config.integer("CHATAUTH_LOCKOUT_THRESHOLD").pipe(Config.withDefault(5)),
  addressThreshold: Config.integer("CHATAUTH_LOCKOUT_ADDRESS_THRESHOLD").pipe(Config.withDefault(20)),
  windowSeconds: Config.integer("CHATAUTH_LOCKOUT_WINDOW_SECONDS").pipe(Config.withDefault(300)),
  lockoutSeconds: Config.integer("CHATAUTH_LOCKOUT_SECONDS").pipe(Config.withDefault(300)),
  scryptN: Config.integer("CHATAUTH_SCRYPT_N").pipe(
    Config.withDefault(DEFAULT_SCRYPT_PARAMS.N),
    Config.validate({
      message: "CHATAUTH_SCRYPT_N must be a power of two between 2 and 2^20",
      validation: (N) => Password.validParams({ ...DEFAULT_SCRYPT_PARAMS, N })
    })
  )
}).pipe(Config.map((c): CallerAuthOptions => ({
  cacheTtl: Duration.seconds(Math.max(0, c.cacheSeconds)),
  cacheMaxEntries: Math.max(0, c.cacheSize),
  userLockout: { threshold: Math.max(1, c.userThreshold), window: Duration.seconds(Math.max(1, c.windowSeconds)) },
  addressLockout: {
    threshold: Math.max(1, c.addressThreshold),
    window: Duration.seconds(Math.max(1, c.windowSeconds))
  },
  lockoutDuration: Duration.seconds(Math.max(0, c.lockoutSeconds)),
  scrypt: { ...DEFAULT_SCRYPT_PARAMS, N: c.scryptN }
})))

/**
 * `layer` with `optionsConfig`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<CallerAuth, ConfigError.ConfigError, Store> = Layer.unwrapEffect(
  Effect.map(optionsConfig, layer)
)

/**
 * Authenticates callers and manages them. `CallerAuth.layer(options)` / `CallerAuth.layerConfig` need a `Store`.
 *
 * @since 0.1.0
 * @category services
 */
export class CallerAuth extends Context.Tag("@chatauth/server/CallerAuth")<CallerAuth, CallerAuthService>() {
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

/**
 * Splits `user:password` (as in `CHATAUTH_BOOTSTRAP_CALLER`) at the first colon.
 *
 * @since 0.1.0
 * @category bootstrap
 */
export const parseCredentials = (
  value: Redacted.Redacted<string>
): Option.Option<{ readonly username: string; readonly password: Redacted.Redacted<string> }> => {
  const text = Redacted.value(value)
  const colon = text.indexOf(":")
  if (colon <= 0 || colon === text.length - 1) return Option.none()
  return Option.some({ username: text.slice(0, colon), password: Redacted.make(text.slice(colon + 1)) })
}

/**
 * Applies `CHATAUTH_BOOTSTRAP_CALLER=user:password` when set: creates that caller with the chat privilege if it
 * does not exist. Returns the user name and whether it was created.
 *
 * @since 0.1.0
 * @category bootstrap
 */
export const bootstrapFromConfig: Effect.Effect<
  Option.Option<{ readonly username: string; readonly created: boolean }>,
  ConfigError.ConfigError | InvalidCaller,
  CallerAuth
> = Effect.gen(function*() {
  const value = yield* Config.option(Config.redacted("CHATAUTH_BOOTSTRAP_CALLER"))
  if (Option.isNone(value)) return Option.none()
  const credentials = parseCredentials(value.value)
  if (Option.isNone(credentials)) {
    return yield* new InvalidCaller({ message: "CHATAUTH_BOOTSTRAP_CALLER must be user:password" })
  }
  const auth = yield* CallerAuth
  const created = yield* auth.ensureCaller(credentials.value.username, credentials.value.password)
  return Option.some({ username: credentials.value.username, created })
})

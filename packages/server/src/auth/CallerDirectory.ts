/**
 * The callers allowed to use the endpoint, as operators manage them: add, list, change a password or the
 * privileges, remove, unlock. The rules for names and passwords, and password hashing, live here too.
 *
 * - Passwords are hashed with scrypt (`node:crypto`, asynchronous, N=2^13, r=8, p=10) into a self-describing
 *   string `scrypt$N$r$p$salt$hash`, and compared with `timingSafeEqual`.
 * - Every change is written with a row of the store's change feed, so each replica drops the cached checks of that
 *   caller (and a removed caller or an old password stops working) within the feed's poll interval.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { CallerDirectory } from "@chatauth/server/CallerDirectory"
 *
 * const program = Effect.gen(function*() {
 *   const callers = yield* CallerDirectory
 *   yield* callers.add({ username: "integration-user", password: "s3cret-passw0rd" })
 *   return yield* callers.list()
 * })
 * ```
 *
 * @since 0.1.0
 */
import { CHAT_PRIVILEGE as CORE_CHAT_PRIVILEGE } from "@chatauth/core/Resource"
import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { Store } from "../store/Store.js"
import * as Password from "./internal/password.js"

/**
 * The privilege Oracle requires for `chatAuthenticate`.
 *
 * @since 0.1.0
 * @category constants
 */
export const CHAT_PRIVILEGE: string = CORE_CHAT_PRIVILEGE

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
 * A caller as listed for operators: everything but the password hash.
 *
 * @since 0.1.0
 * @category models
 */
export interface CallerInfo {
  readonly username: string
  readonly privileges: ReadonlyArray<string>
  readonly createdAt: number
  readonly updatedAt: number
}

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
 * N=2^13, r=8, p=10 (OWASP's minimum, in the setting that needs least memory): 8 MiB and about 150 ms of one core
 * per hash.
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
    ? Password.hash(reveal(password), params)
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
): Effect.Effect<boolean> => Password.verify(reveal(password), hash)

const reveal = (password: string | Redacted.Redacted<string>): string =>
  Redacted.isRedacted(password) ? Redacted.value(password) : password

const toInfo = (record: CallerInfo): CallerInfo => ({
  username: record.username,
  privileges: record.privileges,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerDirectoryService {
  /** Creates a caller; privileges default to `[CHAT_PRIVILEGE]`. */
  readonly add: (caller: {
    readonly username: string
    readonly password: string | Redacted.Redacted<string>
    readonly privileges?: ReadonlyArray<string> | undefined
  }) => Effect.Effect<CallerInfo, CallerExists | InvalidCaller>
  readonly setPassword: (
    username: string,
    password: string | Redacted.Redacted<string>
  ) => Effect.Effect<void, CallerNotFound | InvalidCaller>
  readonly setPrivileges: (username: string, privileges: ReadonlyArray<string>) => Effect.Effect<void, CallerNotFound>
  readonly remove: (username: string) => Effect.Effect<void, CallerNotFound>
  readonly list: () => Effect.Effect<ReadonlyArray<CallerInfo>>
  /** Creates the caller (with the chat privilege) when missing; leaves an existing one alone. True when created. */
  readonly ensure: (
    username: string,
    password: string | Redacted.Redacted<string>
  ) => Effect.Effect<boolean, InvalidCaller>
  /** Lifts the lockouts of a caller name (name-wide, and from every address); the number of counters removed. */
  readonly unlock: (username: string) => Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: { readonly scrypt?: ScryptParams | undefined } = {}
): Effect.Effect<CallerDirectoryService, never, Store> =>
  Effect.gen(function*() {
    const store = yield* Store
    const params = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
    if (!Password.validParams(params)) return yield* Effect.dieMessage("Invalid scrypt parameters")

    const checked = <A>(
      value: string,
      rule: (value: string) => string | undefined,
      then: Effect.Effect<A>
    ): Effect.Effect<A, InvalidCaller> => {
      const problem = rule(value)
      return problem === undefined ? then : Effect.fail(new InvalidCaller({ message: problem }))
    }
    const newHash = (password: string) => checked(password, validatePassword, Password.hash(password, params))
    const found = (username: string) => (exists: boolean) =>
      exists ? Effect.void : Effect.fail(new CallerNotFound({ username }))

    const add: CallerDirectoryService["add"] = ({ password, privileges, username }) =>
      checked(username, validateUsername, Effect.void).pipe(
        Effect.zipRight(newHash(reveal(password))),
        Effect.flatMap((passwordHash) =>
          store.callers.insert({ username, passwordHash, privileges: privileges ?? [CHAT_PRIVILEGE] })
        ),
        Effect.flatMap(Option.match({
          onNone: () => Effect.fail(new CallerExists({ username })),
          onSome: (record) => Effect.succeed(toInfo(record))
        }))
      )

    return CallerDirectory.of({
      add,
      setPassword: (username, password) =>
        newHash(reveal(password)).pipe(
          Effect.flatMap((hash) => store.callers.updatePassword(username, hash)),
          Effect.flatMap(found(username))
        ),
      setPrivileges: (username, privileges) =>
        Effect.flatMap(store.callers.setPrivileges(username, privileges), found(username)),
      remove: (username) => Effect.flatMap(store.callers.remove(username), found(username)),
      list: () => Effect.map(store.callers.list(), (records) => records.map(toInfo)),
      ensure: (username, password) =>
        Effect.flatMap(store.callers.find(username), (existing) =>
          Option.isSome(existing)
            ? Effect.succeed(false)
            : add({ username, password }).pipe(
              Effect.as(true),
              // Another replica created it between our look-up and our insert: it exists, which is what we wanted.
              Effect.catchTag("CallerExists", () => Effect.succeed(false))
            )),
      unlock: (username) => store.lockouts.unlockUser(username)
    })
  })

/**
 * Caller management. `CallerDirectory.layer(options)` needs a `Store`.
 *
 * @since 0.1.0
 * @category services
 */
export class CallerDirectory extends Context.Tag("@chatauth/server/CallerDirectory")<
  CallerDirectory,
  CallerDirectoryService
>() {
  /** @since 0.1.0 */
  static readonly make = make
  /** @since 0.1.0 */
  static readonly layer = (
    options: { readonly scrypt?: ScryptParams | undefined } = {}
  ): Layer.Layer<CallerDirectory, never, Store> => Layer.effect(CallerDirectory, make(options))
}

/**
 * The server's persistence boundary: callers, signing keys, routing assignments, the audit trail, failed-login
 * counters, and a feed of changes that every replica sharing the store follows.
 *
 * Services depend only on this interface. `SqliteStore` (one machine, the embedded default) and `PgStore` (several
 * replicas) fill it with the same SQL over `@effect/sql` (`internal/sqlStore.ts`); the contract suite in the tests
 * runs against both. Every operation is infrastructure: a failure or a time-out dies with a {@link StoreFailure}
 * (the request path answers 503 and turns readiness off), never a per-call business error. Business outcomes a
 * caller must handle (a user name already taken, a row that is not there) are in the success value.
 *
 * Consistency between replicas: each change to callers, keys or lockouts is written together with a row of the
 * change feed, in one transaction. Replicas read the feed (woken by PostgreSQL's `LISTEN/NOTIFY`, and polling in any
 * case), so a change made on one replica or by the CLI reaches every replica within the feed's poll interval.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Store } from "@chatauth/server/Store"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* Store
 *   const caller = yield* store.callers.find("integration-user")
 *   const recent = yield* store.audit.list({ limit: 10, caller: "integration-user" })
 *   return { caller, recent }
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { KeyMaterial, KeyState } from "@chatauth/core/KeyStore"
import type { Effect, Exit, Option } from "effect"
import { Context, Schema } from "effect"

/**
 * A caller allowed to use the endpoint with HTTP Basic credentials.
 *
 * `passwordHash` is self-describing (`scrypt$N$r$p$salt$hash`) so parameters can change without a migration.
 * Times are epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export const CallerRecord = Schema.Struct({
  username: Schema.String,
  passwordHash: Schema.String,
  privileges: Schema.Array(Schema.String),
  createdAt: Schema.Number,
  updatedAt: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerRecord extends Schema.Schema.Type<typeof CallerRecord> {}

/**
 * The Channel Server a user was last routed to (routing stickiness for `resumeType: RESUME`).
 * `assignedAt` is epoch milliseconds.
 *
 * @since 0.1.0
 * @category models
 */
export const Assignment = Schema.Struct({
  authUserName: Schema.String,
  chatSiteName: Schema.String,
  domain: Schema.String,
  poolId: Schema.String,
  assignedAt: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export interface Assignment extends Schema.Schema.Type<typeof Assignment> {}

/**
 * The outcome recorded for one event: a token was issued, a request was refused, or a lockout started.
 *
 * @since 0.1.0
 * @category models
 */
export const AuditOutcome = Schema.Literal("issued", "refused", "lockout")

/**
 * @since 0.1.0
 * @category models
 */
export type AuditOutcome = Schema.Schema.Type<typeof AuditOutcome>

/**
 * One audit record. It never holds a password, a key or a token: only who asked, from where, for whom,
 * what was decided and with which key id. `time` is epoch milliseconds; `caller` is null when the presented
 * credentials did not identify a caller.
 *
 * @since 0.1.0
 * @category models
 */
export const AuditEvent = Schema.Struct({
  time: Schema.Number,
  outcome: AuditOutcome,
  reason: Schema.optional(Schema.String),
  caller: Schema.NullOr(Schema.String),
  clientAddress: Schema.String,
  authUserName: Schema.optional(Schema.String),
  chatSiteName: Schema.optional(Schema.String),
  poolId: Schema.optional(Schema.String),
  kid: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface AuditEvent extends Schema.Schema.Type<typeof AuditEvent> {}

/**
 * What the audit trail is searched by. `since` is epoch milliseconds (inclusive); the newest events come first.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuditQuery {
  readonly limit: number
  readonly since?: number | undefined
  readonly caller?: string | undefined
  readonly authUserName?: string | undefined
  readonly outcome?: AuditOutcome | undefined
}

/**
 * What a failed login is counted against: the client address, the (caller name, address) pair, or the caller name
 * across all addresses.
 *
 * @since 0.1.0
 * @category models
 */
export type LockoutScope = "address" | "user-address" | "user"

/**
 * One failure counter and its lock. `lockCount` counts the locks this counter has served in a row, so a lock can
 * grow on repeated offences. Times are epoch milliseconds; `lockedUntil` is 0 when never locked.
 *
 * @since 0.1.0
 * @category models
 */
export interface FailureCounter {
  readonly scope: LockoutScope
  readonly key: string
  readonly failures: number
  readonly windowStart: number
  readonly lockedUntil: number
  readonly lockCount: number
}

/**
 * A change other replicas must apply: a caller's credentials or privileges (`subject` the user name), the signing
 * keys, or a lockout (`subject` `<scope> <key>`).
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreChange {
  readonly id: number
  readonly topic: "caller" | "keys" | "lockout"
  readonly subject: string
}

/**
 * A key's new state, written with others in one transaction.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyStateChange {
  readonly kid: string
  readonly state: KeyState
  readonly activatedAt: number | null
  readonly retiredAt: number | null
}

/**
 * The store could not do what was asked (unreachable, timed out, corrupt). Carried as a defect: the request path
 * recognises it and answers 503.
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreFailure extends Error {
  readonly _tag = "StoreFailure"
  constructor(readonly operation: string, override readonly cause: unknown) {
    super(`the store failed to ${operation}: ${causeText(cause)}`)
    this.name = "StoreFailure"
  }
}

/**
 * The store cannot be opened or reached at start: a one-line reason, no secret (a URL's password is never in it).
 *
 * @since 0.1.0
 * @category errors
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", {
  message: Schema.String
}) {}

/**
 * A short, secret-free, one-line description of a failure's cause (a driver error's message and code).
 *
 * @since 0.1.0
 * @category errors
 */
export const causeText = (cause: unknown): string => describeCause(cause).replace(/\s*[\r\n]+\s*/g, " ")

// Drivers' messages may span lines (SQLite's integrity check lists one problem a line): joined by causeText.
const describeCause = (cause: unknown): string => {
  if (cause instanceof Error) {
    const inner = (cause as { cause?: unknown }).cause
    const code = (cause as { code?: unknown }).code
    const own = typeof code === "string" ? `${cause.message} [${code}]` : cause.message
    return inner instanceof Error && inner.message !== cause.message ? `${own}: ${describeCause(inner)}` : own
  }
  return String(cause)
}

/**
 * Whether a defect is a {@link StoreFailure}.
 *
 * @since 0.1.0
 * @category errors
 */
export const isStoreFailure = (defect: unknown): defect is StoreFailure => defect instanceof StoreFailure

/**
 * @since 0.1.0
 * @category models
 */
export interface CallerRepository {
  /** The caller with this exact user name, if any. */
  readonly find: (username: string) => Effect.Effect<Option.Option<CallerRecord>>
  /** Every caller, ordered by user name. */
  readonly list: () => Effect.Effect<ReadonlyArray<CallerRecord>>
  /** Inserts a caller; `None` when the user name is already taken (nothing is changed then). */
  readonly insert: (caller: {
    readonly username: string
    readonly passwordHash: string
    readonly privileges: ReadonlyArray<string>
  }) => Effect.Effect<Option.Option<CallerRecord>>
  /** Replaces the password hash; `false` when there is no such caller. */
  readonly updatePassword: (username: string, passwordHash: string) => Effect.Effect<boolean>
  /** Replaces the privileges; `false` when there is no such caller. */
  readonly setPrivileges: (username: string, privileges: ReadonlyArray<string>) => Effect.Effect<boolean>
  /** Deletes the caller; `false` when there was no such caller. */
  readonly remove: (username: string) => Effect.Effect<boolean>
}

/**
 * Signing keys at rest. The store keeps `privateKeyPem` as given: `PersistentKeys` seals it before.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyRepository {
  /** Every stored key, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<KeyMaterial>>
  /** Inserts a key; `false` (nothing changed) when its `kid` is taken. */
  readonly insert: (material: KeyMaterial) => Effect.Effect<boolean>
  /** Applies state changes to several keys in one transaction (a rotation: next → active, active → retired). */
  readonly setStates: (changes: ReadonlyArray<KeyStateChange>) => Effect.Effect<void>
  /** Deletes the key; `false` when there was no such key. */
  readonly remove: (kid: string) => Effect.Effect<boolean>
  /** Replaces the stored private key of `kid` (re-sealing under a new secret). */
  readonly replacePrivateKey: (kid: string, privateKeyPem: string) => Effect.Effect<void>
  /**
   * Runs `effect` holding the store-wide key lock (a row lock, in a transaction): two replicas deciding a rotation
   * at the same moment take turns, and the second sees what the first wrote.
   */
  readonly exclusive: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AssignmentRepository {
  /** The last assignment of this user, if any. */
  readonly find: (authUserName: string) => Effect.Effect<Option.Option<Assignment>>
  /**
   * `find` with a callback, as the route calls it: called at once when the store can answer now (SQLite's direct
   * lane), else when its read answers (PostgreSQL's grouped read; the ordinary path when the direct lane is busy).
   */
  readonly findCallback: (authUserName: string, done: (exit: Exit.Exit<Option.Option<Assignment>>) => void) => void
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuditRepository {
  /** The matching events, newest first. */
  readonly list: (query: AuditQuery) => Effect.Effect<ReadonlyArray<AuditEvent>>
}

/**
 * The rows of one group commit: written in one transaction, in order.
 *
 * @since 0.1.0
 * @category models
 */
export interface JournalBatch {
  readonly audit: ReadonlyArray<AuditEvent>
  readonly assignments: ReadonlyArray<Assignment>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface JournalRepository {
  /**
   * Writes a batch in one transaction: the audit events appended, the assignments upserted (an assignment older
   * than the one stored for its user is left out: batches may commit out of order).
   */
  readonly write: (batch: JournalBatch) => Effect.Effect<void>
  /** How many batches the store commits at once: 1 for SQLite (one writer), more for PostgreSQL. */
  readonly parallelBatches: number
}

/**
 * A failure to count, and the policy that decides when it locks.
 *
 * @since 0.1.0
 * @category models
 */
export interface FailureToCount {
  readonly scope: LockoutScope
  readonly key: string
  /** A counter whose window started at or before this time starts again at 1. */
  readonly windowStartedBefore: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface LockoutRepository {
  /** The counters of these keys that exist. */
  readonly read: (
    keys: ReadonlyArray<{ readonly scope: LockoutScope; readonly key: string }>
  ) => Effect.Effect<ReadonlyArray<FailureCounter>>
  /** Counts one failure on each counter atomically (cluster-wide) and returns the counters after it. */
  readonly recordFailure: (
    failures: ReadonlyArray<FailureToCount>,
    now: number
  ) => Effect.Effect<ReadonlyArray<FailureCounter>>
  /**
   * Starts a lock on a counter unless one is already running (`expectedLockCount` guards against a concurrent
   * start): resets its count and publishes a `lockout` change. `true` when this call started the lock.
   */
  readonly lock: (input: {
    readonly scope: LockoutScope
    readonly key: string
    readonly now: number
    readonly until: number
    readonly expectedLockCount: number
  }) => Effect.Effect<boolean>
  /** Forgets a counter (a success on the pair). */
  readonly reset: (scope: LockoutScope, key: string) => Effect.Effect<void>
  /** Removes every counter and lock of a caller name (by name and by name and address); the number removed. */
  readonly unlockUser: (username: string) => Effect.Effect<number>
  /** Deletes counters idle since `before` (no window, no lock after it). */
  readonly prune: (before: number) => Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ChangeFeed {
  /** The newest change id (0 when none). */
  readonly latest: () => Effect.Effect<number>
  /** Changes with an id above `after`, oldest first, at most `limit`. */
  readonly since: (after: number, limit: number) => Effect.Effect<ReadonlyArray<StoreChange>>
  /** Deletes changes older than `before` (epoch ms). */
  readonly prune: (before: number) => Effect.Effect<void>
  /**
   * Runs `onWake` each time another process announces a change (PostgreSQL `NOTIFY`); returns when the
   * subscription ends (the connection was lost). SQLite has no notifications: it never calls `onWake` and never
   * returns. Polling covers both.
   */
  readonly wakeups: (onWake: () => void) => Effect.Effect<void>
}

/**
 * What a store implementation provides: one repository per concern, plus health and verification.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreService {
  /** `sqlite` or `postgresql`. */
  readonly dialect: "sqlite" | "postgresql"
  /** Where it is, without secrets: a file path, or `host:port/database`. */
  readonly location: string
  readonly callers: CallerRepository
  readonly keys: KeyRepository
  readonly assignments: AssignmentRepository
  readonly audit: AuditRepository
  readonly journal: JournalRepository
  readonly lockouts: LockoutRepository
  readonly changes: ChangeFeed
  /** A cheap round trip; dies with a `StoreFailure` when the store cannot answer. */
  readonly ping: Effect.Effect<void>
}

/**
 * The store service.
 *
 * @since 0.1.0
 * @category services
 */
export class Store extends Context.Tag("@chatauth/server/Store")<Store, StoreService>() {}

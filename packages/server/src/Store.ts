/**
 * The server's persistence boundary: callers, signing keys, routing assignments and the audit trail.
 *
 * Handlers and services depend only on this interface; `SqliteStore` fills it today and a PostgreSQL
 * implementation can fill it later without touching them. Every operation is infrastructure: a failure is a
 * defect (the store is broken), never a per-call business error. Business outcomes that a caller must handle
 * (a user name already taken, a row that is not there) are expressed in the success value.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Store } from "@chatauth/server/Store"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* Store
 *   const caller = yield* store.callers.find("integration-user")
 *   yield* store.audit.append({
 *     time: Date.now(),
 *     outcome: "refused",
 *     reason: "invalid",
 *     caller: null,
 *     clientAddress: "203.0.113.7"
 *   })
 *   return caller
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { KeyMaterial } from "@chatauth/core/KeyStore"
import type { Effect, Option } from "effect"
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
 * The outcome recorded for one request: a token was issued, or the caller was refused.
 *
 * @since 0.1.0
 * @category models
 */
export const AuditOutcome = Schema.Literal("issued", "refused")

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
 * Signing keys at rest. `privateKeyPem` is secret: implementations keep it out of logs and may encrypt it.
 *
 * @since 0.1.0
 * @category models
 */
export interface KeyRepository {
  /** Every stored key, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<KeyMaterial>>
  /** Inserts the key or replaces the stored one with the same `kid`. */
  readonly upsert: (material: KeyMaterial) => Effect.Effect<void>
  /** Deletes the key; `false` when there was no such key. */
  readonly remove: (kid: string) => Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AssignmentRepository {
  /** The last assignment of this user, if any. */
  readonly find: (authUserName: string) => Effect.Effect<Option.Option<Assignment>>
  /** Records (replaces) the user's assignment. */
  readonly record: (assignment: Assignment) => Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface AuditRepository {
  /** Appends one event. */
  readonly append: (event: AuditEvent) => Effect.Effect<void>
  /** Appends events atomically and in order (one transaction): what a batching writer uses. */
  readonly appendAll: (events: ReadonlyArray<AuditEvent>) => Effect.Effect<void>
  /** The most recent events first, at most `limit`, only those at or after `since` (epoch ms) when given. */
  readonly list: (options: {
    readonly limit: number
    readonly since?: number | undefined
  }) => Effect.Effect<ReadonlyArray<AuditEvent>>
}

/**
 * What a store implementation provides: one repository per concern.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoreService {
  readonly callers: CallerRepository
  readonly keys: KeyRepository
  readonly assignments: AssignmentRepository
  readonly audit: AuditRepository
}

/**
 * The store service.
 *
 * @since 0.1.0
 * @category services
 */
export class Store extends Context.Tag("@chatauth/server/Store")<Store, StoreService>() {}

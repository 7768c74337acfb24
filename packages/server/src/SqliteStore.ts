/**
 * The SQLite implementation of `Store`: one file, `<dataDir>/chatauth.db`, opened with `@effect/sql-sqlite-node`.
 *
 * - The data directory is created with mode 0700 and the database file with mode 0600 before SQLite opens it
 *   (SQLite gives its `-wal`/`-shm` files the database file's mode). The file holds the signing keys' private
 *   PEMs, so it is as secret as a key file: back it up and move it accordingly.
 * - With `keyEncryptionSecret` (`CHATAUTH_KEY_ENCRYPTION_SECRET`) private keys are also sealed with AES-256-GCM
 *   (key derived by HKDF-SHA256). Keys stored before a secret was configured stay readable and are sealed when
 *   next written; a sealed key without the secret (or with a wrong one) makes loading it a defect.
 * - WAL journal, `synchronous=NORMAL` (a commit costs no fsync; a power loss may drop the last commits, never
 *   corrupt the file), `busy_timeout` so a CLI writing to the same file waits instead of failing.
 * - Migrations are defined in code and run at start; running them again on an up-to-date file changes nothing.
 * - Statements are prepared once and reused (the client's statement cache); look-ups go by primary key.
 * - Assignments (one per issued token: the hot path) are written behind, in batches a few milliseconds later, and
 *   read back from memory until then; closing the layer (a graceful stop) writes what is pending. A crash can
 *   lose the last few milliseconds of assignments, which only costs those users their stickiness.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SqliteStore } from "@chatauth/server/SqliteStore"
 * import { Store } from "@chatauth/server/Store"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* Store
 *   return yield* store.callers.list()
 * }).pipe(Effect.provide(SqliteStore.layer({ dataDir: "./.chatauth" })))
 * ```
 *
 * @since 0.1.0
 */
import type { KeyMaterial } from "@chatauth/core/KeyStore"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { ConfigError, Redacted, Scope } from "effect"
import { Clock, Config, Duration, Effect, Fiber, Layer, Option, Queue } from "effect"
import { prepareDataDirectory } from "./internal/dataDirectory.js"
import { makeSealer } from "./internal/keyEncryption.js"
import { loader } from "./internal/migrations/index.js"
import type { Assignment, AuditEvent, CallerRecord, StoreService } from "./Store.js"
import { Store } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SqliteStoreOptions {
  /** Directory holding `chatauth.db` (created when missing). */
  readonly dataDir: string
  /** How long a write waits for a lock held by another process (default 5000 ms). */
  readonly busyTimeoutMillis?: number | undefined
  /** Delay before pending assignments are written (default 5 ms); a graceful stop writes them at once. */
  readonly assignmentFlushInterval?: Duration.DurationInput | undefined
  /** When set, private keys are encrypted at rest with a key derived from it. */
  readonly keyEncryptionSecret?: Redacted.Redacted<string> | undefined
}

/**
 * The database file name inside the data directory.
 *
 * @since 0.1.0
 * @category constants
 */
export const DATABASE_FILE = "chatauth.db"

/**
 * The default data directory (`CHATAUTH_DATA_DIR` unset).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_DATA_DIR = "./.chatauth"

// An unusable directory is a defect like any other failure to open the store; its message is one line for `serve`.
const prepareFiles = (dataDir: string) => Effect.orDie(prepareDataDirectory(dataDir, DATABASE_FILE))

interface CallerRow {
  readonly username: string
  readonly password_hash: string
  readonly privileges: string
  readonly created_at: number
  readonly updated_at: number
}

interface KeyRow {
  readonly kid: string
  readonly alg: KeyMaterial["alg"]
  readonly state: KeyMaterial["state"]
  readonly private_key_pem: string
  readonly certificate_pem: string
  readonly created_at: number
  readonly activated_at: number | null
  readonly retired_at: number | null
}

interface AssignmentRow {
  readonly auth_user_name: string
  readonly chat_site_name: string
  readonly domain: string
  readonly pool_id: string
  readonly assigned_at: number
}

type AuditRow = {
  readonly time: number
  readonly outcome: AuditEvent["outcome"]
  readonly reason: string | null
  readonly caller: string | null
  readonly client_address: string
  readonly auth_user_name: string | null
  readonly chat_site_name: string | null
  readonly pool_id: string | null
  readonly kid: string | null
}

const toCaller = (row: CallerRow): CallerRecord => ({
  username: row.username,
  passwordHash: row.password_hash,
  privileges: JSON.parse(row.privileges) as Array<string>,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at)
})

const toAssignment = (row: AssignmentRow): Assignment => ({
  authUserName: row.auth_user_name,
  chatSiteName: row.chat_site_name,
  domain: row.domain,
  poolId: row.pool_id,
  assignedAt: Number(row.assigned_at)
})

const toAuditEvent = (row: AuditRow): AuditEvent => {
  const event: {
    -readonly [K in keyof AuditEvent]: AuditEvent[K]
  } = {
    time: Number(row.time),
    outcome: row.outcome,
    caller: row.caller,
    clientAddress: row.client_address
  }
  if (row.reason !== null) event.reason = row.reason
  if (row.auth_user_name !== null) event.authUserName = row.auth_user_name
  if (row.chat_site_name !== null) event.chatSiteName = row.chat_site_name
  if (row.pool_id !== null) event.poolId = row.pool_id
  if (row.kid !== null) event.kid = row.kid
  return event
}

const toAuditRow = (event: AuditEvent): AuditRow => ({
  time: event.time,
  outcome: event.outcome,
  reason: event.reason ?? null,
  caller: event.caller,
  client_address: event.clientAddress,
  auth_user_name: event.authUserName ?? null,
  chat_site_name: event.chatSiteName ?? null,
  pool_id: event.poolId ?? null,
  kid: event.kid ?? null
})

// Rows per INSERT: 9 (audit) or 5 (assignments) parameters each, far below SQLite's 32766-parameter limit.
const AUDIT_CHUNK = 500
const ASSIGNMENT_CHUNK = 1000

/**
 * Builds a `Store` over an already provided `SqlClient` (migrations must have run). Exposed so another
 * SQLite-compatible client can reuse it; most users want `layer`. Needs a scope: closing it writes pending
 * assignments.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: {
  readonly keyEncryptionSecret?: Redacted.Redacted<string> | undefined
  readonly assignmentFlushInterval?: Duration.DurationInput | undefined
} = {}): Effect.Effect<StoreService, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const flushInterval = options.assignmentFlushInterval ?? Duration.millis(5)
    const sealer = makeSealer(options.keyEncryptionSecret)
    const seal = (pem: string) => Effect.try(() => sealer.seal(pem)).pipe(Effect.orDie)
    const open = (pem: string) => Effect.try(() => sealer.open(pem)).pipe(Effect.orDie)

    const callers: StoreService["callers"] = {
      find: (username) =>
        sql<CallerRow>`SELECT * FROM callers WHERE username = ${username}`.pipe(
          Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toCaller)),
          Effect.orDie
        ),
      list: () =>
        sql<CallerRow>`SELECT * FROM callers ORDER BY username`.pipe(
          Effect.map((rows) => rows.map(toCaller)),
          Effect.orDie
        ),
      insert: ({ passwordHash, privileges, username }) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          sql<CallerRow>`INSERT INTO callers (username, password_hash, privileges, created_at, updated_at)
            VALUES (${username}, ${passwordHash}, ${JSON.stringify(privileges)}, ${now}, ${now})
            ON CONFLICT (username) DO NOTHING
            RETURNING *`).pipe(
            Effect.map((rows) =>
              Option.map(Option.fromNullable(rows[0]), toCaller)
            ),
            Effect.orDie
          ),
      updatePassword: (username, passwordHash) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          sql<{ username: string }>`UPDATE callers SET password_hash = ${passwordHash}, updated_at = ${now}
            WHERE username = ${username} RETURNING username`).pipe(
            Effect.map((rows) =>
              rows.length > 0
            ),
            Effect.orDie
          ),
      setPrivileges: (username, privileges) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          sql<{ username: string }>`UPDATE callers SET privileges = ${JSON.stringify(privileges)}, updated_at = ${now}
            WHERE username = ${username} RETURNING username`).pipe(
            Effect.map((rows) =>
              rows.length > 0
            ),
            Effect.orDie
          ),
      remove: (username) =>
        sql<{ username: string }>`DELETE FROM callers WHERE username = ${username} RETURNING username`.pipe(
          Effect.map((rows) =>
            rows.length > 0
          ),
          Effect.orDie
        )
    }

    const keys: StoreService["keys"] = {
      list: () =>
        sql<KeyRow>`SELECT * FROM signing_keys ORDER BY created_at, kid`.pipe(
          Effect.orDie,
          Effect.flatMap((rows) =>
            Effect.forEach(rows, (row) =>
              Effect.map(open(row.private_key_pem), (privateKeyPem): KeyMaterial => ({
                kid: row.kid,
                alg: row.alg,
                state: row.state,
                privateKeyPem,
                certificatePem: row.certificate_pem,
                createdAt: Number(row.created_at),
                activatedAt: row.activated_at === null ? null : Number(row.activated_at),
                retiredAt: row.retired_at === null ? null : Number(row.retired_at)
              })))
          )
        ),
      upsert: (material) =>
        Effect.flatMap(seal(material.privateKeyPem), (sealed) =>
          sql`INSERT INTO signing_keys
            (kid, alg, state, private_key_pem, certificate_pem, created_at, activated_at, retired_at)
            VALUES (${material.kid}, ${material.alg}, ${material.state}, ${sealed}, ${material.certificatePem},
              ${material.createdAt}, ${material.activatedAt}, ${material.retiredAt})
            ON CONFLICT (kid) DO UPDATE SET alg = excluded.alg, state = excluded.state,
              private_key_pem = excluded.private_key_pem, certificate_pem = excluded.certificate_pem,
              created_at = excluded.created_at, activated_at = excluded.activated_at,
              retired_at = excluded.retired_at`).pipe(Effect.asVoid, Effect.orDie),
      remove: (kid) =>
        sql<{ kid: string }>`DELETE FROM signing_keys WHERE kid = ${kid} RETURNING kid`.pipe(
          Effect.map((rows) => rows.length > 0),
          Effect.orDie
        )
    }

    // Assignments are written behind: `record` only updates `pendingAssignments` (read back by `find`) and wakes
    // a fiber that upserts everything pending in one transaction after `assignmentFlushInterval`. One commit per
    // request cost about 100 µs; one per batch costs a few µs per row. The scope's closing flushes what is left.
    const pendingAssignments = new Map<string, Assignment>()
    const wake = yield* Queue.sliding<void>(1)
    const flushLock = yield* Effect.makeSemaphore(1)

    const upsertAssignments = (rows: ReadonlyArray<Assignment>) =>
      sql`INSERT INTO assignments ${
        sql.insert(rows.map((a) => ({
          auth_user_name: a.authUserName,
          chat_site_name: a.chatSiteName,
          domain: a.domain,
          pool_id: a.poolId,
          assigned_at: a.assignedAt
        })))
      } ON CONFLICT (auth_user_name) DO UPDATE SET chat_site_name = excluded.chat_site_name,
          domain = excluded.domain, pool_id = excluded.pool_id, assigned_at = excluded.assigned_at`

    const flushAssignments = flushLock.withPermits(1)(Effect.uninterruptible(Effect.suspend(() => {
      if (pendingAssignments.size === 0) return Effect.void
      const batch = Array.from(pendingAssignments.values())
      const chunks: Array<ReadonlyArray<Assignment>> = []
      for (let i = 0; i < batch.length; i += ASSIGNMENT_CHUNK) chunks.push(batch.slice(i, i + ASSIGNMENT_CHUNK))
      return Effect.forEach(chunks, upsertAssignments, { discard: true }).pipe(
        sql.withTransaction,
        Effect.tap(() =>
          Effect.sync(() => {
            // Keep what was recorded again while we were writing.
            for (const a of batch) {
              if (pendingAssignments.get(a.authUserName) === a) pendingAssignments.delete(a.authUserName)
            }
          })
        ),
        Effect.catchAllCause((cause) => Effect.logError("store: writing assignments failed; will retry", cause))
      )
    })))

    const assignmentWriter = yield* Effect.forkDaemon(Effect.forever(
      Queue.take(wake).pipe(Effect.zipRight(Effect.sleep(flushInterval)), Effect.zipRight(flushAssignments))
    ))
    yield* Effect.addFinalizer(() => Effect.zipRight(Fiber.interrupt(assignmentWriter), flushAssignments))

    const assignments: StoreService["assignments"] = {
      find: (authUserName) =>
        Effect.suspend(() => {
          const pending = pendingAssignments.get(authUserName)
          if (pending !== undefined) return Effect.succeed(Option.some(pending))
          return sql<AssignmentRow>`SELECT * FROM assignments WHERE auth_user_name = ${authUserName}`.pipe(
            Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toAssignment)),
            Effect.orDie
          )
        }),
      record: (assignment) =>
        Effect.sync(() => {
          pendingAssignments.set(assignment.authUserName, assignment)
          wake.unsafeOffer(undefined)
        })
    }

    const insertAudit = (events: ReadonlyArray<AuditEvent>) =>
      sql`INSERT INTO audit_events ${sql.insert(events.map(toAuditRow))}`

    const audit: StoreService["audit"] = {
      append: (event) => insertAudit([event]).pipe(Effect.asVoid, Effect.orDie),
      appendAll: (events) => {
        if (events.length === 0) return Effect.void
        const chunks: Array<ReadonlyArray<AuditEvent>> = []
        for (let i = 0; i < events.length; i += AUDIT_CHUNK) chunks.push(events.slice(i, i + AUDIT_CHUNK))
        return Effect.forEach(chunks, insertAudit, { discard: true }).pipe(sql.withTransaction, Effect.orDie)
      },
      list: ({ limit, since }) =>
        (since === undefined
          ? sql<AuditRow>`SELECT * FROM audit_events ORDER BY id DESC LIMIT ${limit}`
          : sql<AuditRow>`SELECT * FROM audit_events WHERE time >= ${since} ORDER BY id DESC LIMIT ${limit}`).pipe(
            Effect.map((rows) => rows.map(toAuditEvent)),
            Effect.orDie
          )
    }

    return Store.of({ callers, keys, assignments, audit })
  })

/**
 * Runs the store's migrations on the provided client. Idempotent.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrate: Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, never, SqlClient.SqlClient> =
  Migrator.make({})({ loader, table: "chatauth_migrations" }).pipe(Effect.orDie)

/**
 * The `Store` over `<dataDir>/chatauth.db`, migrated, closed when the layer's scope closes. Opening or migrating
 * failures are defects: the server cannot run without its store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SqliteStoreOptions): Layer.Layer<Store> =>
  Layer.unwrapEffect(
    Effect.map(prepareFiles(options.dataDir), (filename) => {
      const client = SqliteClient.layer({ filename }).pipe(Layer.orDie)
      const store = Layer.scoped(
        Store,
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          yield* sql.unsafe(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMillis ?? 5000))}`)
          yield* sql`PRAGMA synchronous = NORMAL`
          yield* sql`PRAGMA foreign_keys = ON`
          return sql
        }).pipe(
          Effect.orDie,
          Effect.zipRight(migrate),
          Effect.zipRight(make({
            keyEncryptionSecret: options.keyEncryptionSecret,
            assignmentFlushInterval: options.assignmentFlushInterval
          }))
        )
      )
      return Layer.provide(store, client)
    })
  )

/**
 * `layer` configured from the environment: `CHATAUTH_DATA_DIR` (default `./.chatauth`) and the optional
 * `CHATAUTH_KEY_ENCRYPTION_SECRET`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig: Layer.Layer<Store, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(
    Config.all({
      dataDir: Config.string("CHATAUTH_DATA_DIR").pipe(Config.withDefault(DEFAULT_DATA_DIR)),
      keyEncryptionSecret: Config.option(Config.redacted("CHATAUTH_KEY_ENCRYPTION_SECRET"))
    }),
    ({ dataDir, keyEncryptionSecret }) =>
      layer({ dataDir, keyEncryptionSecret: Option.getOrUndefined(keyEncryptionSecret) })
  )
)

/**
 * Namespace-style access: `SqliteStore.layer(...)`.
 *
 * @since 0.1.0
 * @category layers
 */
export const SqliteStore = { layer, layerConfig, make, migrate } as const

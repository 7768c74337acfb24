/**
 * The PostgreSQL `Store`, for several replicas sharing one database (`--database-url postgres://…`).
 *
 * - Start: connects with retries and backoff for `connectTimeout` (default 30 s), then fails with one line naming
 *   what it could not reach; never the URL's password.
 * - Migrations (recorded in `chatauth_migrations`) run under a transaction-scoped advisory lock, so replicas starting
 *   at the same moment take turns and the later ones find the schema done; then the schema is checked.
 * - Changes to callers, keys and lockouts are announced with `NOTIFY chatauth_changes` on commit (through
 *   `pg_notify`, since `@effect/sql-pg`'s `notify` sends a statement PostgreSQL rejects).
 * - Every operation is bounded by `operationTimeout` (default 5 s); the pool reconnects by itself once the database
 *   is back.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { PgStore } from "@chatauth/server/PgStore"
 * import { Store } from "@chatauth/server/Store"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* Store
 *   return yield* store.callers.list()
 * }).pipe(Effect.provide(PgStore.layer({ url: Redacted.make("postgres://chatauth@db.internal:5432/chatauth") })))
 * ```
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Layer, Redacted, Schedule, Stream } from "effect"
import { loader } from "./internal/migrations/pg/index.js"
import * as PgDirect from "./internal/pgDirect.js"
import * as SqlStore from "./SqlStore.js"
import { causeText, Store, StoreUnavailable } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PgStoreOptions {
  /** `postgres://user:password@host:port/database` (`postgresql://` too). */
  readonly url: Redacted.Redacted<string>
  /** How long the start keeps trying to reach the database (default 30 s). */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Longest a store operation may take before it counts as failed (default 5 s). */
  readonly operationTimeout?: Duration.DurationInput | undefined
  /** Connections in the pool (default 10); the hot route's two statements have 2 × `parallelBatches` of their own. */
  readonly maxConnections?: number | undefined
  /**
   * Journal commits, and grouped reads of assignments, in flight at once (default 1): one at a time makes the
   * largest batches, the least work per request for both processes, which pays where they share the cores; more
   * shortens the wait where the database is remote and its round trips, not CPU, bound the rate.
   */
  readonly parallelBatches?: number | undefined
}

/**
 * Whether a database URL selects PostgreSQL.
 *
 * @since 0.1.0
 * @category parsing
 */
export const isPostgresUrl = (url: string): boolean => /^postgres(?:ql)?:\/\//i.test(url.trim())

/**
 * `host:port/database` of a URL, without user or password: what messages and logs may show.
 *
 * @since 0.1.0
 * @category parsing
 */
export const describeUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port === "" ? "5432" : parsed.port}${parsed.pathname}`
  } catch {
    return "(an unparsable PostgreSQL URL)"
  }
}

// An arbitrary constant shared by every replica: the advisory lock the migrations run under.
const MIGRATION_LOCK = 726_354_101

/**
 * Runs the migrations under the advisory lock. Idempotent.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrate = (sql: SqlClient.SqlClient) =>
  sql.withTransaction(
    Effect.all([
      sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`,
      // The Migrator probes for its table with a query that fails when it is missing, which would abort our
      // transaction: create it first, with the Migrator's own columns.
      sql`CREATE TABLE IF NOT EXISTS chatauth_migrations (
        migration_id integer primary key,
        created_at timestamp with time zone not null default now(),
        name text not null
      )`,
      Migrator.make({})({ loader, table: "chatauth_migrations" })
    ], { discard: true })
  ).pipe(Effect.provideService(SqlClient.SqlClient, sql))

const connect = (options: PgStoreOptions, location: string) => {
  const connectTimeout = Duration.decode(options.connectTimeout ?? Duration.seconds(30))
  const attempt = PgClient.make({
    url: options.url,
    // One attempt's bound; the retries below bound the whole start.
    connectTimeout: Duration.min(connectTimeout, Duration.seconds(5)),
    maxConnections: options.maxConnections ?? 10,
    idleTimeout: Duration.seconds(30),
    applicationName: "chatauth"
  })
  let warned = false
  return attempt.pipe(
    // One line while it waits, not one per attempt: the start ends with its own one-line reason if it gives up.
    Effect.tapError((error) =>
      warned ? Effect.void : Effect.logWarning(
        `PostgreSQL is not reachable yet; retrying for up to ${Duration.format(connectTimeout)}`
      ).pipe(
        Effect.annotateLogs({ database: location, reason: causeText(error) }),
        Effect.zipRight(Effect.sync(() => (warned = true)))
      )
    ),
    Effect.retry({
      schedule: Schedule.exponential(Duration.millis(250), 2).pipe(
        Schedule.union(Schedule.spaced(Duration.seconds(2))),
        Schedule.upTo(connectTimeout)
      )
    }),
    Effect.mapError((error) =>
      new StoreUnavailable({ message: `cannot reach PostgreSQL at ${location} (${causeText(error)})` })
    )
  )
}

/**
 * The `Store` on PostgreSQL: connected, migrated, checked; closed with the layer's scope.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: PgStoreOptions): Layer.Layer<Store, StoreUnavailable> =>
  Layer.scoped(
    Store,
    Effect.gen(function*() {
      const location = describeUrl(Redacted.value(options.url))
      const client = yield* connect(options, location)
      const sql: SqlClient.SqlClient = client
      const fail = (what: string) => (cause: unknown) =>
        new StoreUnavailable({ message: `cannot ${what} the PostgreSQL store at ${location} (${causeText(cause)})` })
      yield* migrate(sql).pipe(Effect.mapError(fail("migrate")))
      yield* SqlStore.verifySchema(sql).pipe(Effect.mapError((reason) => fail("use")(new Error(reason))))
      const operationTimeout = Duration.decode(options.operationTimeout ?? Duration.seconds(5))
      const parallelBatches = options.parallelBatches ?? 1
      // A read and a journal batch of each parallel slot at once.
      const pgDirect = yield* Effect.acquireRelease(
        Effect.sync(() =>
          PgDirect.open({
            url: Redacted.value(options.url),
            connections: 2 * parallelBatches,
            queryTimeoutMillis: Duration.toMillis(operationTimeout),
            connectTimeoutMillis: 5_000
          })
        ),
        (lane) => Effect.promise(() => lane.close())
      )
      return yield* SqlStore.make(sql, {
        name: "postgresql",
        location,
        pgDirect,
        parallelBatches,
        announce: (tx) => tx`SELECT pg_notify(${SqlStore.CHANGES_CHANNEL}, '1')`,
        wakeups: (onWake) =>
          client.listen(SqlStore.CHANGES_CHANNEL).pipe(
            Stream.runForEach(() => Effect.sync(onWake)),
            Effect.ignore
          )
      }, { operationTimeout })
    }).pipe(Effect.provide(Reactivity.layer))
  )

/**
 * Namespace-style access: `PgStore.layer(...)`.
 *
 * @since 0.1.0
 * @category layers
 */
export const PgStore = { layer, migrate, isPostgresUrl, describeUrl } as const

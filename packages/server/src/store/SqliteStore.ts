/**
 * The SQLite `Store`: one file, `<dataDir>/chatauth.db`, for a server on one machine (the embedded default).
 *
 * - The data directory is created with mode 0700 and the database file with mode 0600 before SQLite opens it
 *   (SQLite gives its `-wal`/`-shm` files the database file's mode). The file holds the signing keys (sealed when
 *   `CHATAUTH_KEY_ENCRYPTION_SECRET` is set), so it is as secret as a key file: back it up and move it accordingly.
 *   `secure_delete` is on: a key sealed later or removed leaves no readable copy in the file's free pages.
 * - WAL journal, `synchronous=NORMAL`: a commit survives the process being killed (`kill -9`); a power loss may drop
 *   the last commits, never corrupt the file. `busy_timeout` lets the CLI and the server share the file.
 * - At open: SQLite's `quick_check`, the migrations (recorded in `chatauth_migrations`), then a check that every
 *   table and column they made is there. Any failure refuses the start with one line.
 * - Several processes may open the same file (the server and the CLI): the change feed is polled, so a change made
 *   by one reaches the others.
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
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Effect, Layer } from "effect"
import { prepareDataDirectory } from "./internal/dataDirectory.js"
import { loader } from "./internal/migrations/sqlite/index.js"
import * as SqliteDirect from "./internal/sqliteDirect.js"
import * as SqlStore from "./SqlStore.js"
import { causeText, Store, StoreUnavailable } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface SqliteStoreOptions {
  /** Directory holding `chatauth.db` (created when missing). */
  readonly dataDir: string
  /** How long a write waits for a lock held by another process (default 5000 ms). */
  readonly busyTimeoutMillis?: number | undefined
  /**
   * Kept for symmetry with PostgreSQL's options; SQLite's driver answers synchronously, so its operations are bounded
   * by `busyTimeoutMillis` instead.
   */
  readonly operationTimeout?: Duration.DurationInput | undefined
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

// Modes, creation one level at a time and loose permissions: `internal/dataDirectory.ts`.
const prepareFiles = (dataDir: string) =>
  Effect.mapError(
    prepareDataDirectory(dataDir, DATABASE_FILE),
    (error) => new StoreUnavailable({ message: error.message })
  )

/**
 * Runs the migrations on the provided client. Idempotent.
 *
 * @since 0.1.0
 * @category migrations
 */
export const migrate = Migrator.make({})({ loader, table: "chatauth_migrations" })

const open = (filename: string, options: SqliteStoreOptions) =>
  Effect.gen(function*() {
    const fail = (what: string) => (cause: unknown) =>
      new StoreUnavailable({ message: `cannot ${what} the SQLite store ${filename} (${causeText(cause)})` })
    // better-sqlite3 throws while opening a file that is not a database: a defect of the client's constructor.
    const client = yield* SqliteClient.make({ filename }).pipe(
      Effect.catchAllDefect((defect) => Effect.fail(fail("open")(defect)))
    )
    const sql: SqlClient.SqlClient = client
    yield* Effect.gen(function*() {
      yield* sql.unsafe(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMillis ?? 5000))}`)
      yield* sql`PRAGMA synchronous = NORMAL`
      yield* sql.unsafe(`PRAGMA cache_size = -${SqliteDirect.PAGE_CACHE_KIB}`)
      // Deleted and rewritten content is zeroed, so a private key sealed or removed leaves no copy in free pages.
      yield* sql`PRAGMA secure_delete = ON`
      yield* sql`PRAGMA foreign_keys = ON`
      const check = yield* sql<{ readonly quick_check: string }>`PRAGMA quick_check(1)`
      const verdict = check[0]?.quick_check ?? "no answer"
      if (verdict !== "ok") return yield* Effect.fail(new Error(`integrity check: ${verdict}`))
    }).pipe(Effect.mapError(fail("open")))
    yield* migrate.pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.mapError(fail("migrate")))
    yield* SqlStore.verifySchema(sql).pipe(Effect.mapError((reason) => fail("use")(new Error(reason))))
    const direct = yield* Effect.acquireRelease(
      Effect.try({ try: () => SqliteDirect.open(filename), catch: fail("open") }),
      (lane) => Effect.sync(() => lane.close())
    )
    return yield* SqlStore.make(sql, {
      name: "sqlite",
      location: filename,
      announce: () => Effect.void,
      wakeups: () => Effect.never,
      synchronous: true,
      direct
    }, { operationTimeout: options.operationTimeout ?? Duration.seconds(5) })
  }).pipe(
    Effect.catchAllDefect((defect) =>
      Effect.fail(new StoreUnavailable({ message: `cannot open the SQLite store ${filename} (${causeText(defect)})` }))
    )
  )

/**
 * The `Store` over `<dataDir>/chatauth.db`: checked, migrated, closed when the layer's scope closes. Fails with a
 * one-line {@link StoreUnavailable} when the directory or the file cannot be used.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: SqliteStoreOptions): Layer.Layer<Store, StoreUnavailable> =>
  Layer.scoped(
    Store,
    Effect.flatMap(prepareFiles(options.dataDir), (filename) => open(filename, options)).pipe(
      Effect.provide(Reactivity.layer)
    )
  )

/**
 * Namespace-style access: `SqliteStore.layer(...)`.
 *
 * @since 0.1.0
 * @category layers
 */
export const SqliteStore = { layer, migrate } as const

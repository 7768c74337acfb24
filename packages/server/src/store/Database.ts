/**
 * Which store the server and the CLI use, chosen in one place: a `postgres://…` URL (`--database-url`,
 * `CHATAUTH_DATABASE_URL`) selects PostgreSQL, for several replicas; without one, SQLite under the data directory
 * (`--data-dir`, `CHATAUTH_DATA_DIR`, default `./.chatauth`), for one machine.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Database } from "@chatauth/server/Database"
 * import { Store } from "@chatauth/server/Store"
 *
 * const callers = Effect.flatMap(Store, (store) => store.callers.list()).pipe(
 *   Effect.provide(Database.layer({ databaseUrl: Redacted.make("postgres://chatauth@127.0.0.1:5432/chatauth") }))
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Duration, Either, Layer, Option, Redacted } from "effect"
import * as PgStore from "./PgStore.js"
import * as SqliteStore from "./SqliteStore.js"
import type { Store, StoreUnavailable } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface DatabaseOptions {
  /** A PostgreSQL URL; without it, SQLite under `dataDir`. */
  readonly databaseUrl?: Redacted.Redacted<string> | undefined
  /** SQLite's data directory (default `./.chatauth`). */
  readonly dataDir?: string | undefined
  /** How long a start keeps trying to reach PostgreSQL (default 30 s). */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Longest a store operation may take before it counts as failed (default 5 s). */
  readonly operationTimeout?: Duration.DurationInput | undefined
}

/**
 * Where the store is, for messages: `SQLite at <file>` or `PostgreSQL at host:port/database` (never a password).
 *
 * @since 0.1.0
 * @category formatting
 */
export const describe = (options: DatabaseOptions): string =>
  options.databaseUrl === undefined
    ? `SQLite at ${options.dataDir ?? SqliteStore.DEFAULT_DATA_DIR}/${SqliteStore.DATABASE_FILE}`
    : `PostgreSQL at ${PgStore.describeUrl(Redacted.value(options.databaseUrl))}`

/**
 * The store the options select.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: DatabaseOptions): Layer.Layer<Store, StoreUnavailable> =>
  options.databaseUrl === undefined
    ? SqliteStore.layer({
      dataDir: options.dataDir ?? SqliteStore.DEFAULT_DATA_DIR,
      operationTimeout: options.operationTimeout
    })
    : PgStore.layer({
      url: options.databaseUrl,
      connectTimeout: options.connectTimeout,
      operationTimeout: options.operationTimeout
    })

const optional = <A>(config: Config.Config<A>) => Config.map(Config.option(config), Option.getOrUndefined)

/**
 * The options from the environment:
 *
 * | variable | meaning |
 * |---|---|
 * | `CHATAUTH_DATABASE_URL` | `postgres://user:password@host:port/database`: PostgreSQL |
 * | `CHATAUTH_DATA_DIR` | SQLite's data directory (default `./.chatauth`) |
 * | `CHATAUTH_DATABASE_CONNECT_SECONDS` | how long a start waits for PostgreSQL (default 30) |
 * | `CHATAUTH_DATABASE_TIMEOUT_MS` | longest store operation (default 5000) |
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<DatabaseOptions> = Config.all({
  databaseUrl: optional(
    Config.redacted("CHATAUTH_DATABASE_URL").pipe(
      Config.mapOrFail((url) =>
        Redacted.value(url).trim() === "" || PgStore.isPostgresUrl(Redacted.value(url))
          ? Either.right(url)
          : Either.left(
            ConfigError.InvalidData(["CHATAUTH_DATABASE_URL"], "must be a postgres:// or postgresql:// URL")
          )
      )
    )
  ),
  dataDir: optional(Config.string("CHATAUTH_DATA_DIR")),
  connectSeconds: optional(Config.integer("CHATAUTH_DATABASE_CONNECT_SECONDS")),
  timeoutMillis: optional(Config.integer("CHATAUTH_DATABASE_TIMEOUT_MS"))
}).pipe(Config.map((c): DatabaseOptions => ({
  databaseUrl: c.databaseUrl !== undefined && Redacted.value(c.databaseUrl).trim() !== "" ? c.databaseUrl : undefined,
  dataDir: c.dataDir,
  connectTimeout: c.connectSeconds === undefined ? undefined : Duration.seconds(Math.max(0, c.connectSeconds)),
  operationTimeout: c.timeoutMillis === undefined ? undefined : Duration.millis(Math.max(1, c.timeoutMillis))
})))

/**
 * Namespace-style access: `Database.layer(...)`.
 *
 * @since 0.1.0
 * @category layers
 */
export const Database = { layer, describe, optionsConfig } as const

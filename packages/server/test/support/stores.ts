/**
 * The two stores the tests run against, each on a fresh, empty site: a temporary SQLite data directory, or a new
 * PostgreSQL database. A site can be opened several times (several connections, as replicas or the CLI would) and
 * read through a raw connection of its own.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type { Duration, Scope } from "effect"
import { Context, Effect, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as PgStore from "../../src/store/PgStore.js"
import * as SqliteStore from "../../src/store/SqliteStore.js"
import { EXPECTED_SCHEMA } from "../../src/store/SqlStore.js"
import type { StoreService, StoreUnavailable } from "../../src/store/Store.js"
import { Store } from "../../src/store/Store.js"
import { tempDataDir } from "../storeTestUtils.js"
import { freshDatabase } from "./testDatabase.js"

export interface OpenOptions {
  readonly operationTimeout?: Duration.DurationInput | undefined
  /** SQLite only: how long a write waits for another connection's lock. */
  readonly busyTimeoutMillis?: number | undefined
}

export interface StoreSite {
  readonly dialect: StoreService["dialect"]
  /** The data directory (SQLite) or the database URL (PostgreSQL). */
  readonly location: string
  /** A layer that opens the store here: each build is a connection (a replica) of its own. */
  readonly layer: (options?: OpenOptions) => Layer.Layer<Store, StoreUnavailable>
  /** Runs SQL on a connection of its own, outside the store. */
  readonly query: <A extends object = Record<string, unknown>>(statement: string) => Effect.Effect<ReadonlyArray<A>>
}

export interface StoreKind {
  readonly name: StoreService["dialect"]
  /** A fresh, empty site, removed when the scope closes. */
  readonly site: Effect.Effect<StoreSite, never, Scope.Scope>
}

export const sqliteSite = (dataDir: string): StoreSite => ({
  dialect: "sqlite",
  location: dataDir,
  layer: (options = {}) =>
    SqliteStore.layer({
      dataDir,
      operationTimeout: options.operationTimeout,
      busyTimeoutMillis: options.busyTimeoutMillis
    }),
  query: <A extends object>(statement: string) =>
    Effect.scoped(Effect.flatMap(
      SqliteClient.make({ filename: NodePath.join(dataDir, SqliteStore.DATABASE_FILE) }),
      (sql) => sql.unsafe<A>(statement)
    )).pipe(Effect.provide(Reactivity.layer), Effect.orDie)
})

export const pgSite = (url: string): StoreSite => ({
  dialect: "postgresql",
  location: url,
  layer: (options = {}) =>
    PgStore.layer({
      url: Redacted.make(url),
      operationTimeout: options.operationTimeout,
      connectTimeout: "10 seconds"
    }),
  query: <A extends object>(statement: string) =>
    Effect.scoped(Effect.flatMap(
      PgClient.make({ url: Redacted.make(url), maxConnections: 1 }),
      (sql) => sql.unsafe<A>(statement)
    )).pipe(Effect.provide(Reactivity.layer), Effect.orDie)
})

export const sqlite: StoreKind = { name: "sqlite", site: Effect.map(tempDataDir, sqliteSite) }

export const postgresql: StoreKind = { name: "postgresql", site: Effect.map(freshDatabase, pgSite) }

/** Both stores, for `describe.each`. */
export const STORES: ReadonlyArray<StoreKind> = [sqlite, postgresql]

/** Opens the store for the scope (a connection of its own). */
export const open = (
  site: StoreSite,
  options?: OpenOptions
): Effect.Effect<StoreService, StoreUnavailable, Scope.Scope> =>
  Effect.map(Layer.build(site.layer(options)), (context) => Context.get(context, Store))

/**
 * Everything the site holds, as text, read around the store: SQLite's files byte for byte (WAL included, so data
 * not yet checkpointed is there too); PostgreSQL's rows of every table the migrations made.
 */
export const rawText = (site: StoreSite): Effect.Effect<string> =>
  site.dialect === "sqlite"
    ? Effect.sync(() =>
      NodeFs.readdirSync(site.location)
        .filter((file) => file.startsWith(SqliteStore.DATABASE_FILE))
        .map((file) => NodeFs.readFileSync(NodePath.join(site.location, file)).toString("latin1"))
        .join("\n")
    )
    : Effect.map(
      Effect.forEach(Object.keys(EXPECTED_SCHEMA), (table) =>
        site.query<{ readonly row: string | null }>(`SELECT string_agg(t::text, E'\\n') AS row FROM ${table} t`)),
      (tables) =>
        tables.map((rows) =>
          rows[0]?.row ?? ""
        ).join("\n")
    )

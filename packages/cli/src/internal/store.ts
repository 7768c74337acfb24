import type { DatabaseOptions } from "@chatauth/server/Database"
import { DEFAULT_DATA_DIR } from "@chatauth/server/ServerOptions"
import { DATABASE_FILE } from "@chatauth/server/SqliteStore"
import type { Store } from "@chatauth/server/Store"
import { Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Config, ConfigError, Effect, Layer, Option, type Redacted } from "effect"
import { CliError } from "../CliError.js"

/** `--data-dir`, else `CHATAUTH_DATA_DIR`, else `./.chatauth`: where the SQLite store lives. */
export const dataDirOption = Options.text("data-dir").pipe(
  Options.withDescription(
    "The server's data directory, holding chatauth.db (default: CHATAUTH_DATA_DIR, else ./.chatauth)"
  ),
  Options.withFallbackConfig(Config.string("CHATAUTH_DATA_DIR")),
  Options.withDefault(DEFAULT_DATA_DIR)
)

/** `--database-url`, else `CHATAUTH_DATABASE_URL`: a PostgreSQL store instead of SQLite. */
export const databaseUrlOption = Options.redacted("database-url").pipe(
  Options.withDescription(
    "A PostgreSQL store, postgres://user:password@host:port/database (default: CHATAUTH_DATABASE_URL; without it, " +
      "SQLite under --data-dir)"
  ),
  Options.optional
)

/** The options that choose the store, as every store command takes them. */
export const storeOptions = { dataDir: dataDirOption, databaseUrl: databaseUrlOption }

/** What the store options gave. */
export interface StoreFlags {
  readonly dataDir: string
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
}

/**
 * The store the flags and the environment select, the same way the server chooses it (`Database`): the flags win
 * over their variables; the other `CHATAUTH_DATABASE_*` variables come from the environment.
 */
export const databaseOptions = (flags: StoreFlags): Effect.Effect<DatabaseOptions, CliError> =>
  Effect.gen(function*() {
    const { optionsConfig } = yield* Effect.promise(() => import("@chatauth/server/Database"))
    const env = yield* optionsConfig
    return {
      ...env,
      dataDir: flags.dataDir,
      databaseUrl: Option.getOrElse(flags.databaseUrl, () => env.databaseUrl)
    }
  }).pipe(
    Effect.catchIf(
      ConfigError.isConfigError,
      (error) => Effect.fail(CliError.usage(`invalid configuration in the environment: ${error}`))
    )
  )

/**
 * Fails unless the SQLite store exists: reading or changing what is not there must not silently create an empty
 * store in a mistyped directory. (A PostgreSQL database is created by its operator; its schema by the first start.)
 */
export const requireStore = (
  options: DatabaseOptions
): Effect.Effect<void, CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    if (options.databaseUrl !== undefined) return
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dataDir = options.dataDir ?? DEFAULT_DATA_DIR
    const file = path.join(dataDir, DATABASE_FILE)
    const exists = yield* fs.exists(file).pipe(Effect.orElseSucceed(() => false))
    if (!exists) {
      return yield* Effect.fail(
        CliError.refused(
          `no chatauth store in ${dataDir} (${file} does not exist); start the server with --data-dir ${dataDir} ` +
            `or add a caller first`
        )
      )
    }
  })

/**
 * Runs `use` with the store the options select, opened the way the server opens it. A store that cannot be opened,
 * reached or used is refused with its one-line reason.
 */
export const withStore = <A, E, R>(
  options: DatabaseOptions,
  use: Effect.Effect<A, E, R | Store>
): Effect.Effect<A, E | CliError, Exclude<R, Store>> =>
  Effect.gen(function*() {
    const Database = yield* Effect.promise(() => import("@chatauth/server/Database"))
    const { isStoreFailure } = yield* Effect.promise(() => import("@chatauth/server/Store"))
    const store = Database.layer(options).pipe(Layer.mapError((error) => CliError.refused(error.message)))
    return yield* use.pipe(
      Effect.provide(store),
      Effect.catchAllDefect((defect) =>
        isStoreFailure(defect) ? Effect.fail(CliError.refused(defect.message)) : Effect.die(defect)
      )
    )
  })

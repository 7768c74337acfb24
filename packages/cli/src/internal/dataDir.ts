import { DEFAULT_DATA_DIR } from "@chatauth/server/ServerOptions"
import { DATABASE_FILE } from "@chatauth/server/SqliteStore"
import { Options } from "@effect/cli"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { Config, Effect } from "effect"
import { CliError } from "../CliError.js"

/** `--data-dir`, else `CHATAUTH_DATA_DIR`, else `./.chatauth`: where the server keeps its store. */
export const dataDirOption = Options.text("data-dir").pipe(
  Options.withDescription(
    "The server's data directory, holding chatauth.db (default: CHATAUTH_DATA_DIR, else ./.chatauth)"
  ),
  Options.withFallbackConfig(Config.string("CHATAUTH_DATA_DIR")),
  Options.withDefault(DEFAULT_DATA_DIR)
)

/**
 * Fails unless the store exists: reading or changing what is not there must not silently create an empty store in a
 * mistyped directory.
 */
export const requireStore = (dataDir: string): Effect.Effect<void, CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
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

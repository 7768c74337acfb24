/**
 * `chatauth keys list|rotate|activate|prune`: the server's signing keys, in its store.
 *
 * These commands open the store the server uses (`--database-url` / `CHATAUTH_DATABASE_URL` for PostgreSQL, else
 * SQLite under `--data-dir` / `CHATAUTH_DATA_DIR` / `./.chatauth`), with the server's key settings
 * (`CHATAUTH_KEY_ENCRYPTION_SECRET`, `CHATAUTH_SIGNING_ALG`, …). Every running replica publishes and signs with a
 * key rotated, activated or pruned here within about a second (the store's change feed). Listing never changes the
 * store.
 *
 * @example
 * // $ chatauth keys rotate --data-dir /var/lib/chatauth
 * // $ chatauth keys list --data-dir /var/lib/chatauth --json
 * import { keysCommand } from "@chatauth/cli/Keys"
 *
 * @since 0.1.0
 */
import type { SigningKey } from "@chatauth/core/KeyStore"
import type { PersistentKeysService } from "@chatauth/server/PersistentKeys"
import { Args, Command, Options } from "@effect/cli"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { ConfigError, Duration, Effect, Layer, Logger, LogLevel, Option } from "effect"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { databaseOptions, requireStore, type StoreFlags, storeOptions, withStore } from "./internal/store.js"

const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print the result as JSON"))

// The store's keys through the server's own services, loaded on use (they are heavy, and only these commands need
// them), configured from the same variables the server reads. The server's layers log what they do at Info
// ("Generated a new active signing key"); a command reports it itself.
const withKeys = <A, E>(
  flags: StoreFlags,
  access: { readonly readOnly: boolean; readonly mustExist: boolean },
  use: (keys: PersistentKeysService, list: Effect.Effect<ReadonlyArray<SigningKey>>) => Effect.Effect<A, E>
): Effect.Effect<A, E | CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const database = yield* databaseOptions(flags)
    if (access.mustExist) yield* requireStore(database)
    const { KeyStore } = yield* Effect.promise(() => import("@chatauth/core/KeyStore"))
    const { PersistentKeys } = yield* Effect.promise(() => import("@chatauth/server/PersistentKeys"))
    const { ChangeFeed } = yield* Effect.promise(() => import("@chatauth/server/ChangeFeed"))
    const { serverConfig } = yield* Effect.promise(() => import("@chatauth/server/ServerConfig"))
    const config = yield* serverConfig
    const program = Effect.gen(function*() {
      const keys = yield* PersistentKeys
      const store = yield* KeyStore
      return yield* use(keys, store.keys)
    }).pipe(
      Effect.provide(
        PersistentKeys.layer({
          ...config.keys,
          ...(config.tokenTtlSeconds === undefined ? {} : { tokenTtl: Duration.seconds(config.tokenTtlSeconds) }),
          generateIfMissing: !access.readOnly
        }).pipe(Layer.provide(ChangeFeed.layer()))
      )
    )
    return yield* withStore(database, program)
  }).pipe(
    Effect.catchIf(
      ConfigError.isConfigError,
      (error) => Effect.fail(CliError.usage(`invalid configuration: ${error}`))
    ),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )

const describe = (key: SigningKey) => ({
  kid: key.kid,
  alg: key.alg,
  state: key.state,
  createdAt: Output.time(key.createdAt),
  activatedAt: key.activatedAt === null ? null : Output.time(key.activatedAt),
  retiredAt: key.retiredAt === null ? null : Output.time(key.retiredAt),
  x5t: key.x5t
})

const stateOrder = { active: 0, next: 1, retired: 2 } as const

const list = Command.make(
  "list",
  { ...storeOptions, json: jsonOption },
  ({ dataDir, databaseUrl, json }) =>
    Effect.gen(function*() {
      const keys = yield* withKeys({ dataDir, databaseUrl }, { readOnly: true, mustExist: true }, (_, list) => list)
      const sorted = [...keys].sort((a, b) => stateOrder[a.state] - stateOrder[b.state] || b.createdAt - a.createdAt)
      if (json) return yield* Output.json(sorted.map(describe))
      yield* Output.line(Output.table(
        ["KID", "ALG", "STATE", "CREATED", "ACTIVATED", "RETIRED"],
        sorted.map((key) => [
          key.kid,
          key.alg,
          key.state,
          Output.time(key.createdAt),
          Output.time(key.activatedAt),
          Output.time(key.retiredAt)
        ])
      ))
    })
).pipe(Command.withDescription("List the signing keys: kid, algorithm, state and times"))

const RUNNING_SERVER_NOTE = "Every running server on this store picks the change up within 2 seconds."

const rotate = Command.make(
  "rotate",
  {
    ...storeOptions,
    alg: Options.choice("alg", ["RS256", "ES256", "EdDSA"]).pipe(
      Options.withDescription("Algorithm of the new key (default: CHATAUTH_SIGNING_ALG, else RS256)"),
      Options.optional
    ),
    json: jsonOption
  },
  ({ alg, dataDir, databaseUrl, json }) =>
    Effect.gen(function*() {
      const key = yield* withKeys(
        { dataDir, databaseUrl },
        { readOnly: false, mustExist: false },
        (keys) => keys.rotate(Option.isSome(alg) ? { alg: alg.value } : undefined)
      )
      if (json) return yield* Output.json(describe(key))
      yield* Output.line(`Published the next key ${key.kid} (${key.alg}): it is in the JWKS and does not sign yet.`)
      const store = Option.isSome(databaseUrl) ? "--database-url …" : `--data-dir ${dataDir}`
      yield* Output.line(
        "Once verifiers have refetched the JWKS, make it sign with: chatauth keys activate " +
          // A key id is base64url: one that begins with "-" would read as an option before "--".
          (key.kid.startsWith("-") ? `${store} -- ${key.kid}` : `${key.kid} ${store}`)
      )
      yield* Output.note(RUNNING_SERVER_NOTE)
    })
).pipe(Command.withDescription("Generate a new key and publish it as next (it does not sign until activated)"))

const activate = Command.make(
  "activate",
  {
    kid: Args.text({ name: "KID" }).pipe(Args.withDescription("The key to sign with from now on")),
    ...storeOptions
  },
  ({ dataDir, databaseUrl, kid }) =>
    Effect.gen(function*() {
      const key = yield* withKeys(
        { dataDir, databaseUrl },
        { readOnly: false, mustExist: true },
        (keys) =>
          keys.activate(kid).pipe(
            Effect.catchTag("UnknownKey", () => Effect.fail(CliError.refused(`no key ${kid} in the store`)))
          )
      )
      yield* Output.line(`Key ${key.kid} is now active; the previous active key is retired (still published).`)
      yield* Output.note(RUNNING_SERVER_NOTE)
    })
).pipe(Command.withDescription("Make a key the signing key; the previous active key is retired"))

const prune = Command.make("prune", storeOptions, ({ dataDir, databaseUrl }) =>
  Effect.gen(function*() {
    const removed = yield* withKeys(
      { dataDir, databaseUrl },
      { readOnly: false, mustExist: true },
      (keys) => keys.prune()
    )
    yield* Output.line(
      removed.length === 0 ? "No retired key is past its retention." : `Removed ${removed.join(", ")}.`
    )
  })).pipe(
    Command.withDescription(
      "Remove retired keys past retention (token TTL + clock tolerance + JWKS cache time) from the store"
    )
  )

/**
 * `chatauth keys list|rotate|activate|prune`.
 *
 * @since 0.1.0
 * @category commands
 */
export const keysCommand = Command.make("keys").pipe(
  Command.withDescription("Manage the server's signing keys in its store"),
  Command.withSubcommands([list, rotate, activate, prune])
)

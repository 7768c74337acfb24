/**
 * `chatauth keys list|rotate|activate|prune`: the server's signing keys, in its data directory.
 *
 * These commands open the same SQLite store the server uses (`--data-dir`, else `CHATAUTH_DATA_DIR`, else
 * `./.chatauth`). A running server on the same store picks a key rotated, activated or pruned here up within
 * seconds: it publishes it, or signs with it.
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
import { ConfigError, Effect, Layer, Logger, LogLevel, Option } from "effect"
import { CliError } from "./CliError.js"
import { dataDirOption, requireStore } from "./internal/dataDir.js"
import * as Output from "./internal/output.js"

const jsonOption = Options.boolean("json").pipe(Options.withDescription("Print the result as JSON"))

// The store's keys through the server's own services, loaded on use (they are heavy, and only these commands need
// them). The server's layers log what they do at Info ("Generated a new active signing key"); a command reports it
// itself.
const withKeys = <A, E>(
  dataDir: string,
  use: (keys: PersistentKeysService, list: Effect.Effect<ReadonlyArray<SigningKey>>) => Effect.Effect<A, E>
): Effect.Effect<A, E | CliError> =>
  Effect.gen(function*() {
    const { KeyStore } = yield* Effect.promise(() => import("@chatauth/core/KeyStore"))
    const { PersistentKeys } = yield* Effect.promise(() => import("@chatauth/server/PersistentKeys"))
    const { SqliteStore } = yield* Effect.promise(() => import("@chatauth/server/SqliteStore"))
    const program = Effect.gen(function*() {
      const keys = yield* PersistentKeys
      const store = yield* KeyStore
      return yield* use(keys, store.keys)
    })
    return yield* program.pipe(
      Effect.provide(PersistentKeys.layerConfig.pipe(Layer.provideMerge(SqliteStore.layer({ dataDir }))))
    )
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
  { dataDir: dataDirOption, json: jsonOption },
  ({ dataDir, json }) =>
    Effect.gen(function*() {
      yield* requireStore(dataDir)
      const keys = yield* withKeys(dataDir, (_, list) => list)
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

const RUNNING_SERVER_NOTE = "A running server on this data directory picks the change up within 2 seconds."

const rotate = Command.make(
  "rotate",
  {
    dataDir: dataDirOption,
    alg: Options.choice("alg", ["RS256", "ES256", "EdDSA"]).pipe(
      Options.withDescription("Algorithm of the new key (default: CHATAUTH_SIGNING_ALG, else RS256)"),
      Options.optional
    ),
    json: jsonOption
  },
  ({ alg, dataDir, json }) =>
    Effect.gen(function*() {
      const key = yield* withKeys(
        dataDir,
        (keys) => keys.rotate(Option.isSome(alg) ? { alg: alg.value } : undefined)
      )
      if (json) return yield* Output.json(describe(key))
      yield* Output.line(`Published the next key ${key.kid} (${key.alg}): it is in the JWKS and does not sign yet.`)
      yield* Output.line(
        `Once verifiers have refetched the JWKS, make it sign with: chatauth keys activate ${key.kid} --data-dir ${dataDir}`
      )
      yield* Output.note(RUNNING_SERVER_NOTE)
    })
).pipe(Command.withDescription("Generate a new key and publish it as next (it does not sign until activated)"))

const activate = Command.make(
  "activate",
  {
    kid: Args.text({ name: "KID" }).pipe(Args.withDescription("The key to sign with from now on")),
    dataDir: dataDirOption
  },
  ({ dataDir, kid }) =>
    Effect.gen(function*() {
      yield* requireStore(dataDir)
      const key = yield* withKeys(
        dataDir,
        (keys) =>
          keys.activate(kid).pipe(
            Effect.catchTag("UnknownKey", () => Effect.fail(CliError.refused(`no key ${kid} in ${dataDir}`)))
          )
      )
      yield* Output.line(`Key ${key.kid} is now active; the previous active key is retired (still published).`)
      yield* Output.note(RUNNING_SERVER_NOTE)
    })
).pipe(Command.withDescription("Make a key the signing key; the previous active key is retired"))

const prune = Command.make("prune", { dataDir: dataDirOption }, ({ dataDir }) =>
  Effect.gen(function*() {
    yield* requireStore(dataDir)
    const removed = yield* withKeys(dataDir, (keys) => keys.prune())
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
  Command.withDescription("Manage the server's signing keys in its data directory"),
  Command.withSubcommands([list, rotate, activate, prune])
)

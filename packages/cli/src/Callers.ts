/**
 * `chatauth callers add|list|remove|passwd`: who may call chatAuthenticate (HTTP Basic), in the server's data
 * directory.
 *
 * Passwords are read from a prompt (asked twice) when a person is at a terminal, else from the first line of
 * standard input; `--password-stdin` reads standard input even at a terminal. `--password VALUE` exists for
 * throwaway setups only: the password then stays in the shell history and is visible in the process list.
 * Changes take effect on a running server within its verification cache time (default 60 s).
 *
 * @example
 * // $ printf '%s\n' "$PASSWORD" | chatauth callers add integration-user --data-dir /var/lib/chatauth
 * // $ chatauth callers list --data-dir /var/lib/chatauth
 * import { callersCommand } from "@chatauth/cli/Callers"
 *
 * @since 0.1.0
 */
import { CHAT_PRIVILEGE } from "@chatauth/core/Resource"
import type { CallerAuthService, CallerExists, CallerNotFound, InvalidCaller } from "@chatauth/server/CallerAuth"
import { Args, Command, Options } from "@effect/cli"
import { ConfigError, Effect, Layer, Logger, LogLevel } from "effect"
import { CliError } from "./CliError.js"
import { dataDirOption, requireStore } from "./internal/dataDir.js"
import * as Output from "./internal/output.js"
import { newPassword } from "./internal/stdio.js"

const nameArg = Args.text({ name: "NAME" }).pipe(Args.withDescription("The caller's user name (HTTP Basic)"))

const passwordOptions = {
  password: Options.redacted("password").pipe(
    Options.withDescription(
      "The password itself. It stays in your shell history and shows in the process list: prefer --password-stdin"
    ),
    Options.optional
  ),
  passwordStdin: Options.boolean("password-stdin").pipe(
    Options.withDescription("Read the password from the first line of standard input, even at a terminal")
  )
}

// The server's caller service over the store, loaded on use.
const withCallers = <A>(
  dataDir: string,
  use: (callers: CallerAuthService) => Effect.Effect<A, CallerExists | CallerNotFound | InvalidCaller>
): Effect.Effect<A, CliError> =>
  Effect.gen(function*() {
    const { CallerAuth } = yield* Effect.promise(() => import("@chatauth/server/CallerAuth"))
    const { SqliteStore } = yield* Effect.promise(() => import("@chatauth/server/SqliteStore"))
    return yield* Effect.flatMap(CallerAuth, use).pipe(
      Effect.provide(CallerAuth.layerConfig.pipe(Layer.provide(SqliteStore.layer({ dataDir }))))
    )
  }).pipe(
    Effect.catchIf(
      ConfigError.isConfigError,
      (error) => Effect.fail(CliError.usage(`invalid configuration: ${error}`))
    ),
    Effect.catchTags({
      CallerExists: (error) => Effect.fail(CliError.refused(`the caller "${error.username}" already exists`)),
      CallerNotFound: (error) => Effect.fail(CliError.refused(`there is no caller "${error.username}"`)),
      InvalidCaller: (error) => Effect.fail(CliError.refused(error.message))
    }),
    Logger.withMinimumLogLevel(LogLevel.Warning)
  )

const add = Command.make(
  "add",
  {
    name: nameArg,
    dataDir: dataDirOption,
    privilege: Options.text("privilege").pipe(
      Options.withDescription(`A privilege to grant (repeatable; default ${CHAT_PRIVILEGE})`),
      Options.repeated
    ),
    ...passwordOptions
  },
  ({ dataDir, name, password, passwordStdin, privilege }) =>
    Effect.gen(function*() {
      const secret = yield* newPassword({ flag: password, fromStdin: passwordStdin, warn: Output.note })
      const privileges = privilege.length === 0 ? [CHAT_PRIVILEGE] : privilege
      const caller = yield* withCallers(
        dataDir,
        (callers) => callers.addCaller({ username: name, password: secret, privileges })
      )
      yield* Output.line(`Added the caller "${caller.username}" (${caller.privileges.join(", ")}) to ${dataDir}.`)
    })
).pipe(Command.withDescription("Add a caller; the password comes from a prompt or standard input"))

const list = Command.make(
  "list",
  { dataDir: dataDirOption, json: Options.boolean("json").pipe(Options.withDescription("Print the callers as JSON")) },
  ({ dataDir, json }) =>
    Effect.gen(function*() {
      yield* requireStore(dataDir)
      const callers = yield* withCallers(dataDir, (auth) => auth.listCallers())
      if (json) {
        return yield* Output.json(callers.map((caller) => ({
          username: caller.username,
          privileges: caller.privileges,
          createdAt: Output.time(caller.createdAt),
          updatedAt: Output.time(caller.updatedAt)
        })))
      }
      if (callers.length === 0) return yield* Output.line(`No callers in ${dataDir}.`)
      yield* Output.line(Output.table(
        ["NAME", "CREATED", "UPDATED", "PRIVILEGES"],
        callers.map((caller) => [
          caller.username,
          Output.time(caller.createdAt),
          Output.time(caller.updatedAt),
          caller.privileges.join(",")
        ])
      ))
    })
).pipe(Command.withDescription("List the callers (never their passwords)"))

const remove = Command.make(
  "remove",
  { name: nameArg, dataDir: dataDirOption },
  ({ dataDir, name }) =>
    Effect.gen(function*() {
      yield* requireStore(dataDir)
      yield* withCallers(dataDir, (callers) => callers.removeCaller(name))
      yield* Output.line(`Removed the caller "${name}".`)
    })
).pipe(Command.withDescription("Remove a caller"))

const passwd = Command.make(
  "passwd",
  { name: nameArg, dataDir: dataDirOption, ...passwordOptions },
  (options) =>
    Effect.gen(function*() {
      yield* requireStore(options.dataDir)
      const secret = yield* newPassword({ flag: options.password, fromStdin: options.passwordStdin, warn: Output.note })
      yield* withCallers(options.dataDir, (callers) => callers.setPassword(options.name, secret))
      yield* Output.line(`Changed the password of "${options.name}".`)
    })
).pipe(Command.withDescription("Change a caller's password; the new one comes from a prompt or standard input"))

/**
 * `chatauth callers add|list|remove|passwd`.
 *
 * @since 0.1.0
 * @category commands
 */
export const callersCommand = Command.make("callers").pipe(
  Command.withDescription("Manage the callers allowed to use chatAuthenticate, in the server's data directory"),
  Command.withSubcommands([add, list, remove, passwd])
)

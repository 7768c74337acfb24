/**
 * `chatauth callers add|list|remove|passwd|unlock`: who may call chatAuthenticate (HTTP Basic), in the server's
 * store (SQLite under `--data-dir`, or PostgreSQL with `--database-url`).
 *
 * Passwords are read from a prompt (asked twice) when a person is at a terminal, else from the first line of
 * standard input; `--password-stdin` reads standard input even at a terminal. `--password VALUE` exists for
 * throwaway setups only: the password then stays in the shell history and is visible in the process list.
 * Changes take effect on every running replica within about a second (the store's change feed), cached credential
 * checks included. `unlock` lifts the lockouts of a caller name, from every address.
 *
 * @example
 * // $ printf '%s\n' "$PASSWORD" | chatauth callers add integration-user --data-dir /var/lib/chatauth
 * // $ chatauth callers list --database-url postgres://chatauth@db.internal/chatauth
 * // $ chatauth callers unlock integration-user --data-dir /var/lib/chatauth
 * import { callersCommand } from "@chatauth/cli/Callers"
 *
 * @since 0.1.0
 */
import { CHAT_PRIVILEGE } from "@chatauth/core/Resource"
import type {
  CallerDirectoryService,
  CallerExists,
  CallerNotFound,
  InvalidCaller
} from "@chatauth/server/CallerDirectory"
import { Args, Command, Options } from "@effect/cli"
import { ConfigError, Effect, Logger, LogLevel } from "effect"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { newPassword } from "./internal/stdio.js"
import { databaseOptions, requireStore, type StoreFlags, storeOptions, withStore } from "./internal/store.js"

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

// The server's caller management over the store, loaded on use. `mustExist`: refuse a SQLite store that is not there.
const withCallers = <A>(
  flags: StoreFlags,
  mustExist: boolean,
  use: (callers: CallerDirectoryService) => Effect.Effect<A, CallerExists | CallerNotFound | InvalidCaller>
) =>
  Effect.gen(function*() {
    const options = yield* databaseOptions(flags)
    if (mustExist) yield* requireStore(options)
    const { optionsConfig } = yield* Effect.promise(() => import("@chatauth/server/CallerAuth"))
    const { CallerDirectory } = yield* Effect.promise(() => import("@chatauth/server/CallerDirectory"))
    const { scrypt } = yield* optionsConfig
    return yield* withStore(options, Effect.flatMap(CallerDirectory.make({ scrypt }), use))
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
    ...storeOptions,
    privilege: Options.text("privilege").pipe(
      Options.withDescription(`A privilege to grant (repeatable; default ${CHAT_PRIVILEGE})`),
      Options.repeated
    ),
    ...passwordOptions
  },
  ({ dataDir, databaseUrl, name, password, passwordStdin, privilege }) =>
    Effect.gen(function*() {
      const secret = yield* newPassword({ flag: password, fromStdin: passwordStdin, warn: Output.note })
      const privileges = privilege.length === 0 ? [CHAT_PRIVILEGE] : privilege
      const caller = yield* withCallers(
        { dataDir, databaseUrl },
        false,
        (callers) => callers.add({ username: name, password: secret, privileges })
      )
      yield* Output.line(`Added the caller "${caller.username}" (${caller.privileges.join(", ")}).`)
    })
).pipe(Command.withDescription("Add a caller; the password comes from a prompt or standard input"))

const list = Command.make(
  "list",
  { ...storeOptions, json: Options.boolean("json").pipe(Options.withDescription("Print the callers as JSON")) },
  ({ dataDir, databaseUrl, json }) =>
    Effect.gen(function*() {
      const callers = yield* withCallers({ dataDir, databaseUrl }, true, (directory) => directory.list())
      if (json) {
        return yield* Output.json(callers.map((caller) => ({
          username: caller.username,
          privileges: caller.privileges,
          createdAt: Output.time(caller.createdAt),
          updatedAt: Output.time(caller.updatedAt)
        })))
      }
      if (callers.length === 0) return yield* Output.line("No callers.")
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
  { name: nameArg, ...storeOptions },
  ({ dataDir, databaseUrl, name }) =>
    Effect.gen(function*() {
      yield* withCallers({ dataDir, databaseUrl }, true, (callers) => callers.remove(name))
      yield* Output.line(`Removed the caller "${name}".`)
    })
).pipe(Command.withDescription("Remove a caller"))

const unlock = Command.make(
  "unlock",
  { name: nameArg, ...storeOptions },
  ({ dataDir, databaseUrl, name }) =>
    Effect.gen(function*() {
      const removed = yield* withCallers({ dataDir, databaseUrl }, true, (callers) => callers.unlock(name))
      yield* Output.line(
        removed === 0
          ? `"${name}" had no lockout or failure count.`
          : `Unlocked "${name}": its lockouts and failure counts are gone, on every replica within a second.`
      )
    })
).pipe(Command.withDescription("Lift a caller's lockouts (by name, and by name from every address)"))

const passwd = Command.make(
  "passwd",
  { name: nameArg, ...storeOptions, ...passwordOptions },
  (options) =>
    Effect.gen(function*() {
      const secret = yield* newPassword({ flag: options.password, fromStdin: options.passwordStdin, warn: Output.note })
      yield* withCallers(options, true, (callers) => callers.setPassword(options.name, secret))
      yield* Output.line(`Changed the password of "${options.name}".`)
    })
).pipe(Command.withDescription("Change a caller's password; the new one comes from a prompt or standard input"))

/**
 * `chatauth callers add|list|remove|passwd|unlock`.
 *
 * @since 0.1.0
 * @category commands
 */
export const callersCommand = Command.make("callers").pipe(
  Command.withDescription("Manage the callers allowed to use chatAuthenticate, in the server's store"),
  Command.withSubcommands([add, list, remove, passwd, unlock])
)

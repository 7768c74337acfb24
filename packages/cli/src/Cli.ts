/**
 * The `chatauth` command tree and how a run ends: `run` parses and executes a command line, `main` turns every
 * outcome into an exit code (0 success, 1 refused or invalid, 2 usage) after reporting expected failures on
 * standard error without a stack trace.
 *
 * @example
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 * import * as Cli from "@chatauth/cli/Cli"
 *
 * // ["node", "chatauth", ...arguments], as in process.argv
 * const code = await Effect.runPromise(
 *   Cli.main(["node", "chatauth", "medialist", "parse", "CHAT"]).pipe(
 *     Effect.provide(Layer.merge(NodeContext.layer, Cli.StdioLive))
 *   )
 * )
 *
 * @since 0.1.0
 */
import { CliConfig, Command, ValidationError } from "@effect/cli"
import type { CliApp } from "@effect/cli"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import { Cause, Console, Effect, type Layer } from "effect"
import { auditCommand } from "./Audit.js"
import { authenticateCommand, helpGroups as authenticateHelpGroups } from "./Authenticate.js"
import { callersCommand } from "./Callers.js"
import { chatCommand } from "./Chat.js"
import { CliError, ExitCode } from "./CliError.js"
import { conformanceCommand, helpGroups as conformanceHelpGroups } from "./ConformanceCommand.js"
import * as CommandTree from "./internal/commandTree.js"
import * as Help from "./internal/help.js"
import * as Stdio from "./internal/stdio.js"
import { VERSION } from "./internal/version.js"
import { keysCommand } from "./Keys.js"
import { mediaListCommand } from "./MediaListCommand.js"
import { serveCommand } from "./Serve.js"
import { tokenCommand } from "./Token.js"

const subcommands = [
  serveCommand,
  authenticateCommand,
  chatCommand,
  conformanceCommand,
  tokenCommand,
  keysCommand,
  callersCommand,
  auditCommand,
  mediaListCommand
] as const

/**
 * The top-level help. `@effect/cli` lists every subcommand with its full usage, padded to the longest one, and
 * `authenticate` has a flag per request attribute (over 40): that listing would be thousands of columns wide, so
 * `chatauth --help` prints this overview instead; each command's own `--help` is `@effect/cli`'s.
 *
 * @since 0.1.0
 * @category help
 */
export const overview = (version: string): string =>
  [
    `chatauth ${version}: the command line of chatAuthenticate (Oracle Fusion "Create a chat authentication")`,
    "",
    "USAGE",
    "  chatauth <command> [options]      chatauth <command> --help shows a command's options",
    "",
    "COMMANDS",
    "  serve                             Run the server until SIGINT/SIGTERM (no options: development mode)",
    "  authenticate                      Call chatAuthenticate once; print site, pool, engagement URL, token expiry",
    "  chat                              Authenticate, then chat through the Channel Server (lines in, agent out)",
    "  conformance                       Check an endpoint (chatauth or an Oracle pod) against the contract's cases,",
    "                                    or diff two endpoints' answers (--compare)",
    "  token decode|verify               Read a token without verifying it, or verify it against a JWKS",
    "  keys list|rotate|activate|prune   The server's signing keys, in its store",
    "  callers add|list|remove|passwd|unlock",
    "                                    The callers allowed to call chatAuthenticate, in its store",
    "  audit list                        The audit trail: issued tokens, refusals, lockouts",
    "  medialist parse|format            The mediaList codec: string to typed JSON and back",
    "",
    "GLOBAL OPTIONS",
    "  -h, --help    --version    --log-level LEVEL    --completions sh|bash|fish|zsh",
    "",
    "EXIT CODES",
    "  0 success    1 refused or invalid (a 401, a rejected token, a bad mediaList)    2 usage (bad flags or arguments)"
  ].join("\n")

/**
 * `chatauth` and its subcommands. Run without a subcommand, it exits 2.
 *
 * @since 0.1.0
 * @category commands
 */
export const command = Command.make("chatauth", {}, () =>
  Effect.fail(
    CliError.usage(
      "a command is required: serve, authenticate, chat, conformance, token, keys, callers, audit or medialist (see " +
        "chatauth --help)"
    )
  )).pipe(
    Command.withDescription(
      "The command line of chatAuthenticate: run the server, call it, check tokens, manage keys and callers"
    ),
    Command.withSubcommands(subcommands)
  )

/**
 * What the commands need from the platform: files, paths, the terminal and standard input.
 *
 * @since 0.1.0
 * @category models
 */
export type Environment = CliApp.CliApp.Environment | Stdio.Stdio

/**
 * Standard input of the Node process (whether a person is at a terminal; piped input).
 *
 * @since 0.1.0
 * @category layers
 */
export const StdioLive: Layer.Layer<Stdio.Stdio> = Stdio.layerNode

/**
 * A fixed standard input, for tests and embedding: not interactive unless told, with the given piped text.
 *
 * @since 0.1.0
 * @category layers
 */
export const stdioFixed: (options: { readonly interactive?: boolean; readonly input?: string }) => Layer.Layer<
  Stdio.Stdio
> = Stdio.layerFixed

const tree = (() => {
  let built: CommandTree.Node | undefined
  return () => (built ??= CommandTree.build(command, subcommands))
})()

// Per command, how its --help groups the options.
const helpGroups: ReadonlyMap<string, ReadonlyArray<Help.Group>> = new Map([
  ["authenticate", authenticateHelpGroups],
  ["conformance", conformanceHelpGroups]
])

const LOG_LEVELS = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"]

const hint = (node: CommandTree.Node) => ` (see ${["chatauth", ...node.path, "--help"].join(" ")})`

// `@effect/cli`'s complaints read "Expected to find option: '--jwks'"; ours are sentences in the same voice.
const usageMessage = (error: ValidationError.ValidationError, node: CommandTree.Node): string => {
  const text = Help.plainText(error.error)
  const missing = text.match(/^Expected to find option: '(.+)'$/)
  const reason = missing !== null
    ? `missing option ${missing[1]}`
    : text.replace(/^Received unknown argument: '(.*)'$/, "unexpected argument $1").replace(
      /^\w/,
      (c) => c.toLowerCase()
    )
  return `${reason}${hint(node)}`
}

/**
 * The help of a command (`chatauth token verify --help`): plain text, one line an option.
 *
 * @since 0.2.0
 * @category help
 */
export const help = (path: ReadonlyArray<string>): string | undefined => {
  const { node, rest } = CommandTree.resolve(tree(), path)
  return rest.length > 0 || node.path.length === 0 ? undefined : renderHelp(node)
}

const renderHelp = (node: CommandTree.Node): string => Help.render(node, helpGroups.get(node.path.join(" ")))

/**
 * Parses and runs a command line (`argv` as `process.argv`: the runtime and script first).
 *
 * Before `@effect/cli` parses it, the command line is checked against the command's options, so that an unknown
 * option is named as such (`@effect/cli` would report the first required option instead), and the options are put
 * before the positional arguments (it takes a `-` for an option, so `token verify - --jwks URL` would fail).
 * `--help` prints {@link help}; `--version` this package's version.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>,
  version: string = VERSION
): Effect.Effect<void, CliError | ValidationError.ValidationError, Environment> =>
  Effect.suspend(() => {
    const args = argv.slice(2)
    if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) return Console.log(overview(version))
    if (args.length === 1 && args[0] === "--version") return Console.log(version)
    // Global options first (`chatauth --log-level debug serve`), then the command.
    const globals: Array<string> = []
    let index = 0
    while (index < args.length && CommandTree.builtInOptions.has(args[index].split("=")[0])) {
      const takesValue = CommandTree.builtInOptions.get(args[index].split("=")[0]) === true
      globals.push(args[index++])
      if (takesValue && !args[index - 1].includes("=") && index < args.length) globals.push(args[index++])
    }
    const level = globals.find((_, i) => globals[i - 1] === "--log-level") ??
      globals.find((word) => word.startsWith("--log-level="))?.slice("--log-level=".length)
    if (level !== undefined && !LOG_LEVELS.includes(level)) {
      return Effect.fail(CliError.usage(`--log-level must be one of ${LOG_LEVELS.join(", ")}; got ${level}`))
    }
    const { node, rest } = CommandTree.resolve(tree(), args.slice(index))
    const end = rest.indexOf("--")
    const options = end === -1 ? rest : rest.slice(0, end)
    if (node.path.length > 0 && (options.includes("--help") || options.includes("-h"))) {
      return Console.log(renderHelp(node))
    }
    if (node.children.size > 0) {
      const names = [...node.children.keys()]
      const choices = `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`
      const word = rest[0]
      if (word === undefined || globals.includes("--completions")) {
        if (node.path.length === 0 && globals.length > 0) {
          return Command.run(command, { name: "chatauth", version })(["node", "chatauth", ...globals])
        }
        return Effect.fail(CliError.usage(`a command is required: ${choices}${hint(node)}`))
      }
      return Effect.fail(
        CliError.usage(
          word.startsWith("-")
            ? `unknown option ${word.split("=")[0]}${hint(node)}`
            : `unknown command ${[...node.path, word].join(" ")}: the commands are ${choices}${hint(node)}`
        )
      )
    }
    const checked = CommandTree.check(node, rest)
    if (checked._tag === "UnknownOption") {
      const near = CommandTree.suggest(node, checked.option)
      return Effect.fail(
        CliError.usage(
          `unknown option ${checked.option}${
            near !== undefined
              ? `; did you mean ${near}?`
              // A key id is base64url: one in 64 begins with "-".
              : checked.option.startsWith("--")
              ? ""
              : `; if it is a value rather than an option, put it after --: ${
                ["chatauth", ...node.path].join(" ")
              } … -- ${checked.option}`
          }${hint(node)}`
        )
      )
    }
    if (checked._tag === "MissingValue") {
      return Effect.fail(CliError.usage(`${checked.option} needs a value${hint(node)}`))
    }
    const line = [...globals, ...node.path, ...checked.args]
    // @effect/cli's own parse reports without printing; its complaints then read like every other failure.
    return Descriptor.parse(command.descriptor, ["chatauth", ...line], CliConfig.defaultConfig).pipe(
      Effect.mapError((error) => CliError.usage(usageMessage(error, node))),
      Effect.zipRight(Command.run(command, { name: "chatauth", version })(["node", "chatauth", ...line]))
    )
  })

/**
 * Runs a command line and returns its exit code. Every failure is reported on standard error as
 * `chatauth: <reason>`, without a stack trace.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (
  argv: ReadonlyArray<string>,
  version: string = VERSION
): Effect.Effect<number, never, Environment> =>
  run(argv, version).pipe(
    Effect.as(ExitCode.success),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        // Printed by @effect/cli already (a built-in option's complaint).
        ? Effect.succeed(ExitCode.usage)
        : Effect.as(Console.error(`chatauth: ${error.message}`), error.exitCode)
    ),
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
      const failure = Cause.squash(cause)
      const reason = failure instanceof Error ? failure.message : String(failure)
      return Effect.as(Console.error(`chatauth: unexpected failure: ${reason}`), ExitCode.refused)
    })
  )

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
import { Command, ValidationError } from "@effect/cli"
import type { CliApp } from "@effect/cli"
import { Cause, Console, Effect, type Layer } from "effect"
import { auditCommand } from "./Audit.js"
import { authenticateCommand } from "./Authenticate.js"
import { callersCommand } from "./Callers.js"
import { chatCommand } from "./Chat.js"
import { CliError, ExitCode } from "./CliError.js"
import * as Stdio from "./internal/stdio.js"
import { keysCommand } from "./Keys.js"
import { mediaListCommand } from "./MediaListCommand.js"
import { serveCommand } from "./Serve.js"
import { tokenCommand } from "./Token.js"

const subcommands = [
  serveCommand,
  authenticateCommand,
  chatCommand,
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
      "a command is required: serve, authenticate, token, keys, callers, audit or medialist (see chatauth --help)"
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

/**
 * Parses and runs a command line (`argv` as `process.argv`: the runtime and script first).
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  argv: ReadonlyArray<string>,
  version = "0.0.0"
): Effect.Effect<void, CliError | ValidationError.ValidationError, Environment> => {
  const rest = argv.slice(2)
  if (rest.length === 1 && (rest[0] === "--help" || rest[0] === "-h")) return Console.log(overview(version))
  return Command.run(command, { name: "chatauth", version })(argv)
}

/**
 * Runs a command line and returns its exit code. Expected failures are reported on standard error as
 * `chatauth: <reason>`; `@effect/cli`'s usage errors have already been printed by it and end with 2.
 *
 * @since 0.1.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string>, version = "0.0.0"): Effect.Effect<number, never, Environment> =>
  run(argv, version).pipe(
    Effect.as(ExitCode.success),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? Effect.succeed(ExitCode.usage)
        : Effect.as(Console.error(`chatauth: ${error.message}`), error.exitCode)
    ),
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause)
        : Effect.as(Console.error(`chatauth: unexpected failure\n${Cause.pretty(cause)}`), ExitCode.refused)
    )
  )

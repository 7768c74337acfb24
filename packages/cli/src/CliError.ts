/**
 * The expected ways a `chatauth` command fails, each with the exit code it ends the process with: 1 when something
 * was refused or is invalid (a 401, an expired token, a malformed mediaList), 2 when the command line itself cannot
 * be used (a missing password with no terminal to ask on, a missing `authUserName`). `@effect/cli`'s own validation
 * errors (an unknown flag, a missing argument) also end with 2.
 *
 * @example
 * import { CliError } from "@chatauth/cli/CliError"
 * import { Effect } from "effect"
 *
 * const needName = (name: string | undefined) =>
 *   name === undefined ? Effect.fail(CliError.usage("--auth-user-name is required")) : Effect.succeed(name)
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * Exit codes of the CLI.
 *
 * @since 0.1.0
 * @category constants
 */
export const ExitCode = {
  success: 0,
  refused: 1,
  usage: 2
} as const

/**
 * An expected failure of a command: `message` goes to standard error (no stack trace), `exitCode` ends the process.
 *
 * @since 0.1.0
 * @category errors
 */
export class CliError extends Schema.TaggedError<CliError>()("CliError", {
  message: Schema.String,
  exitCode: Schema.Literal(1, 2)
}) {
  /**
   * Something was refused or is invalid: exit 1.
   *
   * @since 0.1.0
   */
  static refused(message: string): CliError {
    return new CliError({ message, exitCode: ExitCode.refused })
  }

  /**
   * The command line cannot be used as given: exit 2.
   *
   * @since 0.1.0
   */
  static usage(message: string): CliError {
    return new CliError({ message, exitCode: ExitCode.usage })
  }
}

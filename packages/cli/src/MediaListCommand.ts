/**
 * `chatauth medialist parse|format`: the `mediaList` codec of `@chatauth/core` on the command line.
 *
 * - `parse STRING [--strict]` prints the typed value as JSON; an invalid string exits 1 with the reason.
 * - `format JSON [--strict]` validates a typed value and prints its wire string; `format "$(chatauth medialist parse
 *   S)"` gives back `S` in canonical form.
 *
 * @example
 * // $ chatauth medialist parse 'CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA'
 * // $ chatauth medialist format '{"channels":[{"channel":"CHAT","errors":[]}]}'
 * import { mediaListCommand } from "@chatauth/cli/MediaListCommand"
 *
 * @since 0.1.0
 */
import { MediaList } from "@chatauth/core"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Either, ParseResult, Schema } from "effect"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { Stdio } from "./internal/stdio.js"

const strict = Options.boolean("strict").pipe(
  Options.withDescription("Reject error codes not documented for their channel, and errors given twice")
)

const fromArgOrStdin = (value: string) =>
  value === "-"
    ? Effect.flatMap(Stdio, (stdio) => Effect.map(stdio.readAll, (text) => text.trim()))
    : Effect.succeed(value)

const parse = Command.make(
  "parse",
  {
    value: Args.text({ name: "MEDIALIST" }).pipe(
      Args.withDescription("A mediaList string such as CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE (- reads stdin)")
    ),
    strict
  },
  ({ strict, value }) =>
    Effect.gen(function*() {
      const input = yield* fromArgOrStdin(value)
      const decoded = MediaList.decode(input, { strict })
      if (Either.isLeft(decoded)) {
        return yield* Effect.fail(CliError.refused(`invalid mediaList: ${decoded.left.message}`))
      }
      yield* Output.json(decoded.right)
      for (const { channel, token } of MediaList.unrecognizedErrors(decoded.right)) {
        yield* Output.note(`note: ${token} is not a documented ${channel} error (kept; --strict rejects it)`)
      }
    })
).pipe(Command.withDescription("Decode a mediaList string and print the typed value as JSON"))

const format = Command.make(
  "format",
  {
    value: Args.text({ name: "JSON" }).pipe(
      Args.withDescription(`A typed mediaList as "medialist parse" prints it: {"channels":[…]} (- reads stdin)`)
    ),
    strict
  },
  ({ strict, value }) =>
    Effect.gen(function*() {
      const input = yield* fromArgOrStdin(value)
      const schema = Schema.parseJson(strict ? MediaList.StrictMediaList : MediaList.MediaList)
      const decoded = Schema.decodeUnknownEither(schema)(input)
      if (Either.isLeft(decoded)) {
        return yield* Effect.fail(
          CliError.refused(
            `invalid mediaList value: ${
              ParseResult.ArrayFormatter.formatErrorSync(decoded.left)
                .map((issue) => issue.path.length === 0 ? issue.message : `${issue.path.join(".")}: ${issue.message}`)
                .join("; ")
            }`
          )
        )
      }
      yield* Output.line(MediaList.encode(decoded.right))
    })
).pipe(Command.withDescription("Validate a typed mediaList (JSON) and print its wire string"))

/**
 * `chatauth medialist parse|format`.
 *
 * @since 0.1.0
 * @category commands
 */
export const mediaListCommand = Command.make("medialist").pipe(
  Command.withDescription("Decode and encode the mediaList attribute (channels and their capability errors)"),
  Command.withSubcommands([parse, format])
)

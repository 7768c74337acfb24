import { Prompt } from "@effect/cli"
import { Context, Effect, Layer, Option, Redacted, Stream } from "effect"
import * as Readline from "node:readline"
import { CliError } from "../CliError.js"

/**
 * What the commands need of the process's standard input beyond `Terminal`: whether a person is at a terminal (both
 * ends: a prompt written into a redirected stdout would corrupt the output) and the whole of a piped input.
 */
export interface StdioService {
  readonly interactive: boolean
  /** Everything on standard input up to its end. */
  readonly readAll: Effect.Effect<string>
  /** Standard input line by line (without line endings), as it comes, until its end. */
  readonly lines: Stream.Stream<string>
}

export class Stdio extends Context.Tag("@chatauth/cli/Stdio")<Stdio, StdioService>() {}

export const layerNode: Layer.Layer<Stdio> = Layer.sync(Stdio, () => ({
  interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  readAll: Effect.async<string>((resume) => {
    const chunks: Array<Buffer> = []
    const onData = (chunk: Buffer) => chunks.push(chunk)
    const onEnd = () => {
      cleanup()
      resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
    }
    const cleanup = () => {
      process.stdin.off("data", onData)
      process.stdin.off("end", onEnd)
      process.stdin.off("error", onEnd)
      process.stdin.pause()
    }
    process.stdin.on("data", onData)
    process.stdin.once("end", onEnd)
    process.stdin.once("error", onEnd)
    process.stdin.resume()
    return Effect.sync(cleanup)
  }),
  lines: Stream.async<string>((emit) => {
    const reader = Readline.createInterface({ input: process.stdin, terminal: false, crlfDelay: Infinity })
    reader.on("line", (line) => void emit.single(line))
    reader.once("close", () => void emit.end())
    return Effect.sync(() => {
      reader.close()
      process.stdin.pause()
    })
  })
}))

/** A fixed standard input, for tests. */
export const layerFixed = (options: { readonly interactive?: boolean; readonly input?: string }): Layer.Layer<Stdio> =>
  Layer.succeed(Stdio, {
    interactive: options.interactive ?? false,
    readAll: Effect.succeed(options.input ?? ""),
    lines: Stream.fromIterable(
      (options.input ?? "").split("\n").map((line) => line.replace(/\r$/, "")).filter((line, i, all) =>
        i < all.length - 1 || line !== ""
      )
    )
  })

/** The first line of standard input, without its line ending; `None` when it is empty. */
export const readFirstLine: Effect.Effect<Option.Option<string>, never, Stdio> = Effect.flatMap(
  Stdio,
  (stdio) =>
    Effect.map(stdio.readAll, (text) => {
      const line = text.split("\n")[0].replace(/\r$/, "")
      return line === "" ? Option.none() : Option.some(line)
    })
)

/** Runs a prompt, turning Ctrl-C / Ctrl-D into a usage failure instead of a defect. */
export const prompt = <A>(p: Prompt.Prompt<A>): Effect.Effect<A, CliError, Prompt.Prompt.Environment> =>
  Prompt.run(p).pipe(Effect.catchTag("QuitException", () => Effect.fail(CliError.usage("cancelled"))))

/**
 * A new password: asked twice at a terminal, else the first line of standard input. Explicit sources come first:
 * `--password` (visible in shell history, hence the warning) and `--password-stdin`.
 */
export const newPassword = (options: {
  readonly flag: Option.Option<Redacted.Redacted<string>>
  readonly fromStdin: boolean
  readonly warn: (line: string) => Effect.Effect<void>
}): Effect.Effect<Redacted.Redacted<string>, CliError, Stdio | Prompt.Prompt.Environment> =>
  Effect.gen(function*() {
    if (Option.isSome(options.flag)) {
      yield* options.warn(
        "warning: --password leaves the password in your shell history and the process list; prefer --password-stdin"
      )
      return options.flag.value
    }
    const stdio = yield* Stdio
    if (options.fromStdin || !stdio.interactive) {
      const line = yield* readFirstLine
      if (Option.isNone(line)) {
        return yield* Effect.fail(
          CliError.usage("no password: standard input is empty (pipe the password in, or run at a terminal)")
        )
      }
      return Redacted.make(line.value)
    }
    const first = yield* prompt(Prompt.password({ message: "Password" }))
    const second = yield* prompt(Prompt.password({ message: "Repeat the password" }))
    if (Redacted.value(first) !== Redacted.value(second)) {
      return yield* Effect.fail(CliError.usage("the two passwords differ"))
    }
    return first
  })

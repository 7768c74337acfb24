/**
 * Runs `chatauth` in this process: `Cli.main` with a console that records what it prints and a fixed standard input.
 */
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Console, Effect, Layer } from "effect"
import * as Cli from "../../src/Cli.js"

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const realConsole = Effect.runSync(Effect.console)

const recordingConsole = (stdout: Array<string>, stderr: Array<string>): Console.Console => {
  const text = (args: ReadonlyArray<unknown>) => args.map(String).join(" ")
  const out = (...args: ReadonlyArray<unknown>) => Effect.sync(() => void stdout.push(text(args)))
  const err = (...args: ReadonlyArray<unknown>) => Effect.sync(() => void stderr.push(text(args)))
  return {
    ...realConsole,
    log: out,
    info: out,
    error: err,
    warn: err,
    unsafe: {
      ...realConsole.unsafe,
      log: (...args: ReadonlyArray<unknown>) => void stdout.push(text(args)),
      info: (...args: ReadonlyArray<unknown>) => void stdout.push(text(args)),
      error: (...args: ReadonlyArray<unknown>) => void stderr.push(text(args)),
      warn: (...args: ReadonlyArray<unknown>) => void stderr.push(text(args))
    }
  }
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "")

/**
 * `chatauth ...args`; `input` is standard input (not a terminal); `env` is the whole environment the configuration
 * sees (the test process's own variables are not).
 */
export const chatauth = (
  args: ReadonlyArray<string>,
  options: { readonly input?: string; readonly env?: Record<string, string> } = {}
): Effect.Effect<Run> =>
  Effect.gen(function*() {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const code = yield* Cli.main(["node", "chatauth", ...args]).pipe(
      Effect.withConsole(recordingConsole(stdout, stderr)),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(options.env ?? {})))),
      Effect.provide(Layer.merge(NodeContext.layer, Cli.stdioFixed({ input: options.input ?? "" })))
    )
    return { code, stdout: stripAnsi(stdout.join("\n")), stderr: stripAnsi(stderr.join("\n")) }
  })

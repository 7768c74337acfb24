/**
 * The `chatauth` executable's work, once `bin.ts` has set up the process: logging, the command line, the exit code.
 *
 * @internal
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Layer, Logger } from "effect"
import * as Cli from "../Cli.js"

// Logs are diagnostics: standard error, so that standard output stays the command's output (JSON included).
// Structured (one JSON object a line) for machines — the default when standard error is not a terminal — and
// readable for people at a terminal; CHATAUTH_LOG_FORMAT=json|logfmt|pretty chooses. Colours only at a terminal,
// and never with NO_COLOR set.
const logFormat = process.env.CHATAUTH_LOG_FORMAT ?? (process.stderr.isTTY ? "pretty" : "json")
const colors = process.stderr.isTTY === true && (process.env.NO_COLOR ?? "") === ""
const logger = logFormat === "pretty"
  ? Logger.prettyLogger({ stderr: true, colors })
  : Logger.withConsoleError(logFormat === "logfmt" ? Logger.logfmtLogger : Logger.jsonLogger)

Cli.main(process.argv).pipe(
  Effect.provide(Layer.merge(NodeContext.layer, Cli.StdioLive)),
  Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // SIGINT/SIGTERM interrupt the run: `serve` then stops gracefully, and that is a normal end (0).
    teardown: (exit, onExit) => {
      const code = Exit.isSuccess(exit) ? Number(exit.value) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1
      onExit(code)
      // A finished command ends even if a library left a handle open (a PostgreSQL connection whose opening was
      // interrupted by the end of the command stays open): the process normally exits at once when its event loop
      // drains; this unref'd timer only fires when something keeps it alive, after output has had time to flush.
      setTimeout(() => process.exit(code), 500).unref()
    }
  })
)

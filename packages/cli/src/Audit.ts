/**
 * `chatauth audit list`: the audit trail of the server's store (either store), newest first: one line per issued
 * token, refused request and lockout, or JSON lines with `--json`. It never shows a password, key or token: the
 * trail holds none.
 *
 * @example
 * // $ chatauth audit list --since 2026-12-01T00:00:00Z --caller portal --limit 20
 * // $ chatauth audit list --database-url postgres://chatauth@db.internal/chatauth --auth-user-name jane --json
 * import { auditCommand } from "@chatauth/cli/Audit"
 *
 * @since 0.1.0
 */
import type { AuditEvent } from "@chatauth/server/Store"
import { Command, Options } from "@effect/cli"
import { Effect, Logger, LogLevel, Option } from "effect"
import { CliError } from "./CliError.js"
import * as Output from "./internal/output.js"
import { databaseOptions, requireStore, storeOptions, withStore } from "./internal/store.js"

/**
 * An event as `--json` prints it: every field present (null when it does not apply), times as ISO 8601.
 *
 * @since 0.1.0
 * @category formatting
 */
export const toJsonLine = (event: AuditEvent) => ({
  at: new Date(event.time).toISOString(),
  outcome: event.outcome,
  caller: event.caller,
  authUserName: event.authUserName ?? null,
  chatSiteName: event.chatSiteName ?? null,
  poolId: event.poolId ?? null,
  kid: event.kid ?? null,
  reason: event.reason ?? null,
  clientAddress: event.clientAddress
})

const list = Command.make(
  "list",
  {
    ...storeOptions,
    since: Options.text("since").pipe(
      Options.withDescription("Only events at or after this time (ISO 8601, e.g. 2026-12-01T00:00:00Z)"),
      Options.optional
    ),
    caller: Options.text("caller").pipe(Options.withDescription("Only this caller's events"), Options.optional),
    authUserName: Options.text("auth-user-name").pipe(
      Options.withDescription("Only events for this authUserName"),
      Options.optional
    ),
    limit: Options.integer("limit").pipe(
      Options.withDescription("At most this many events (default 100)"),
      Options.withDefault(100)
    ),
    json: Options.boolean("json").pipe(Options.withDescription("One JSON object per line"))
  },
  ({ authUserName, caller, dataDir, databaseUrl, json, limit, since }) =>
    Effect.gen(function*() {
      if (limit < 1) return yield* Effect.fail(CliError.usage("--limit must be 1 or more"))
      const sinceMillis = Option.map(since, (text) => Date.parse(text))
      if (Option.isSome(sinceMillis) && !Number.isFinite(sinceMillis.value)) {
        return yield* Effect.fail(CliError.usage(`--since is not an ISO 8601 time: ${Option.getOrThrow(since)}`))
      }
      const database = yield* databaseOptions({ dataDir, databaseUrl })
      yield* requireStore(database)
      const { Store } = yield* Effect.promise(() => import("@chatauth/server/Store"))
      const events = yield* withStore(
        database,
        Effect.flatMap(Store, (store) =>
          store.audit.list({
            limit,
            since: Option.getOrUndefined(sinceMillis),
            caller: Option.getOrUndefined(caller),
            authUserName: Option.getOrUndefined(authUserName)
          }))
      )
      if (json) {
        for (const event of events) yield* Output.line(JSON.stringify(toJsonLine(event)))
        return
      }
      if (events.length === 0) return yield* Output.line("No audit events match.")
      yield* Output.line(Output.table(
        ["AT", "OUTCOME", "CALLER", "AUTH USER", "SITE", "POOL", "KID", "ADDRESS", "REASON"],
        events.map((event) => [
          Output.time(event.time),
          event.outcome,
          event.caller ?? "-",
          event.authUserName ?? "-",
          event.chatSiteName ?? "-",
          event.poolId ?? "-",
          event.kid ?? "-",
          event.clientAddress,
          event.reason ?? "-"
        ])
      ))
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
).pipe(Command.withDescription("List audit events, newest first (issued tokens, refusals, lockouts)"))

/**
 * `chatauth audit list`.
 *
 * @since 0.1.0
 * @category commands
 */
export const auditCommand = Command.make("audit").pipe(
  Command.withDescription("Read the audit trail of the server's store"),
  Command.withSubcommands([list])
)

/**
 * Why a server failed to start, as one line `<what failed> (<cause>)`: the operator reads it in a terminal or a
 * service manager's log, where a stack trace or a multi-line report is noise around one fact.
 *
 * @since 0.2.0
 */
import { Cause } from "effect"
import * as NodePath from "node:path"

const oneLine = (text: string) => text.replace(/\s*[\r\n]+\s*/g, " ").trim()

const messageOf = (error: unknown): string =>
  error instanceof Error || (typeof error === "object" && error !== null && "message" in error)
    ? String((error as { readonly message: unknown }).message)
    : String(error)

// SQLite's own error, wherever a wrapper (`SqlError`, `MigrationError`) put it.
const sqliteErrorIn = (error: unknown): { readonly message: string } | undefined => {
  let current = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && code.startsWith("SQLITE_")) return { message: messageOf(current) }
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

interface Issue {
  readonly path: string
  readonly message: string
}

/**
 * The line for a start that failed with `cause`.
 *
 * @since 0.2.0
 * @category formatting
 * @internal
 */
export const describeStartFailure = (cause: Cause.Cause<unknown>, context: { readonly dataDir: string }): string => {
  const error = Cause.squash(cause)
  const tag = typeof error === "object" && error !== null ? (error as { readonly _tag?: unknown })._tag : undefined
  if (
    tag === "DataDirectoryError" || tag === "ServerStartError" || tag === "StoreUnavailable" || tag === "StoreFailure"
  ) {
    return oneLine(messageOf(error))
  }
  if (tag === "RoutingConfigError") {
    const { file, issues } = error as { readonly file?: string; readonly issues: ReadonlyArray<Issue> }
    const problems = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ")
    return oneLine(`invalid routing config${file === undefined ? "" : ` ${file}`} (${problems})`)
  }
  const sqlite = sqliteErrorIn(error)
  if (sqlite !== undefined) {
    return oneLine(`cannot open the database in ${NodePath.resolve(context.dataDir)} (${sqlite.message})`)
  }
  return oneLine(`cannot start the server (${messageOf(error)})`)
}

const LISTEN_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: "the address is already in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "no such address on this machine",
  ENOTFOUND: "no such host"
}

/**
 * The reason a `listen` failed, in words.
 *
 * @since 0.2.0
 * @category formatting
 * @internal
 */
export const listenFailureReason = (error: Error): string => {
  const code = (error as NodeJS.ErrnoException).code
  return code !== undefined && code in LISTEN_REASONS ? LISTEN_REASONS[code] : oneLine(error.message)
}

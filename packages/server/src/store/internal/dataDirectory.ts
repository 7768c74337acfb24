/**
 * Preparing the data directory and the database file before SQLite opens them: created private (0700 and 0600),
 * tightened when found wider (with a warning), refused in one sentence when unusable.
 *
 * Missing directories are created one level at a time: Node 20's `mkdirSync(…, { recursive: true })` loops forever
 * under a directory that refuses creation without saying ENOENT's parent is missing (`/proc/chatauth`).
 *
 * @since 0.2.0
 */
import { Data, Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

/**
 * The data directory or its database file cannot be used. `message` is one line: what and why.
 *
 * @since 0.2.0
 * @category errors
 */
export class DataDirectoryError extends Data.TaggedError("DataDirectoryError")<{
  readonly path: string
  readonly message: string
}> {}

const DIRECTORY_MODE = 0o700
const FILE_MODE = 0o600

const reasonOf = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "ENOTDIR":
      return "a parent is not a directory"
    case "ENOENT":
      return "it cannot be created there"
    case "EROFS":
      return "read-only file system"
    case "ENOSPC":
      return "no space left on the device"
    case "ELOOP":
      return "too many symbolic links"
    default:
      return error instanceof Error ? error.message : String(error)
  }
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, "0")

class Refusal {
  constructor(readonly message: string) {}
}

const statOrUndefined = (path: string): NodeFs.Stats | undefined => {
  try {
    return NodeFs.statSync(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw error
  }
}

// Creates `dir` and any missing parents, each with a plain `mkdir`.
const makeDirectories = (dir: string): void => {
  const missing: Array<string> = []
  for (let current = dir; statOrUndefined(current) === undefined; current = NodePath.dirname(current)) {
    if (NodePath.dirname(current) === current) break
    missing.unshift(current)
  }
  for (const path of missing) {
    try {
      NodeFs.mkdirSync(path, { mode: path === dir ? DIRECTORY_MODE : 0o755 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    }
  }
}

// A mode with group or other bits is narrowed to `private`; a line says so. Refused when it cannot be.
const tighten = (
  path: string,
  what: string,
  stats: NodeFs.Stats,
  privateMode: number,
  warnings: Array<string>
): void => {
  if ((stats.mode & 0o077) === 0) return
  try {
    NodeFs.chmodSync(path, privateMode)
  } catch (error) {
    throw new Refusal(
      `cannot use the ${what} ${path} (its mode ${octal(stats.mode)} lets other users in, and it cannot be ` +
        `tightened: ${reasonOf(error)})`
    )
  }
  warnings.push(`the ${what} ${path} had mode ${octal(stats.mode)}; tightened to ${octal(privateMode)}`)
}

const prepare = (dataDir: string, file: string, warnings: Array<string>): string => {
  const dir = NodePath.resolve(dataDir)
  try {
    makeDirectories(dir)
  } catch (error) {
    throw new Refusal(`cannot create the data directory ${dir} (${reasonOf(error)})`)
  }
  let stats: NodeFs.Stats
  try {
    stats = NodeFs.statSync(dir)
  } catch (error) {
    throw new Refusal(`cannot use the data directory ${dir} (${reasonOf(error)})`)
  }
  if (!stats.isDirectory()) throw new Refusal(`cannot use the data directory ${dir} (it is not a directory)`)
  tighten(dir, "data directory", stats, DIRECTORY_MODE, warnings)
  try {
    NodeFs.accessSync(dir, NodeFs.constants.R_OK | NodeFs.constants.W_OK | NodeFs.constants.X_OK)
  } catch (error) {
    throw new Refusal(`cannot use the data directory ${dir} (${reasonOf(error)})`)
  }
  const filename = NodePath.join(dir, file)
  const existing = statOrUndefined(filename)
  if (existing !== undefined) {
    if (!existing.isFile()) throw new Refusal(`cannot use the database file ${filename} (it is not a file)`)
    tighten(filename, "database file", existing, FILE_MODE, warnings)
  }
  try {
    // Created here rather than by SQLite so that it never exists with a wider mode, even for an instant.
    NodeFs.closeSync(NodeFs.openSync(filename, NodeFs.constants.O_RDWR | NodeFs.constants.O_CREAT, FILE_MODE))
  } catch (error) {
    throw new Refusal(`cannot open the database file ${filename} (${reasonOf(error)})`)
  }
  return filename
}

/**
 * Makes sure `dataDir` exists as a private directory holding a private `file`, and returns the file's path. Missing
 * directories are created (the data directory 0700); a data directory or file open to group or others is tightened
 * to 0700 or 0600, with a warning in the log.
 *
 * @since 0.2.0
 * @category constructors
 */
export const prepareDataDirectory = (dataDir: string, file: string): Effect.Effect<string, DataDirectoryError> =>
  Effect.suspend(() => {
    const warnings: Array<string> = []
    let filename: string
    try {
      filename = prepare(dataDir, file, warnings)
    } catch (error) {
      const message = error instanceof Refusal
        ? error.message
        : `cannot use the data directory ${dataDir} (${reasonOf(error)})`
      return Effect.fail(new DataDirectoryError({ path: dataDir, message }))
    }
    return Effect.as(Effect.forEach(warnings, (line) => Effect.logWarning(line), { discard: true }), filename)
  })

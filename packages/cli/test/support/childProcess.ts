/**
 * Runs the built executable, `node dist/chatauth.js`, as a child process.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { stripAnsi } from "./inProcess.js"

export const BIN = fileURLToPath(new URL("../../dist/chatauth.js", import.meta.url))

export const assertBuilt = (): void => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (cd packages/cli && pnpm build)`)
}

export interface Result {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

// A clean environment: the developer's CHATAUTH_* variables must not leak into the cases.
const baseEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CHATAUTH_")))

export const start = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string } = {}
): { readonly child: ChildProcess; readonly done: Promise<Result>; readonly stdout: () => string } => {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...baseEnv(), NO_COLOR: "1", ...options.env },
    stdio: ["pipe", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  child.stdin!.end(options.input ?? "")
  const done = new Promise<Result>((resolve, reject) => {
    child.once("error", reject)
    child.once(
      "close",
      (code, signal) => resolve({ code, signal, stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) })
    )
  })
  return { child, done, stdout: () => stdout }
}

/** `chatauth ...args` to its end. */
export const run = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string } = {}
): Promise<Result> => start(args, options).done

/** Resolves with the first match of `pattern` in the child's standard output. */
export const waitFor = (
  started: ReturnType<typeof start>,
  pattern: RegExp
): Promise<RegExpMatchArray> =>
  new Promise((resolve, reject) => {
    const check = () => {
      const match = started.stdout().match(pattern)
      if (match !== null) {
        started.child.stdout!.off("data", check)
        resolve(match)
      }
    }
    started.child.stdout!.on("data", check)
    started.done.then(
      (result) =>
        reject(new Error(`exited (${result.code}) before printing ${pattern}:\n${result.stdout}\n${result.stderr}`)),
      reject
    )
    check()
  })

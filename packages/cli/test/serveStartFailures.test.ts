/**
 * `chatauth serve` refused at start, through the built executable: whatever stops it (the data directory, the
 * database, the port, the routing config) ends with exit 1 and one line `chatauth: <what failed> (<cause>)`, never a
 * stack trace; loose permissions on the data directory and the database are tightened, and said so.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { spawn } from "node:child_process"
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs"
import * as Net from "node:net"
import { join } from "node:path"
import { assertBuilt, BIN, type Result, run, start, waitFor } from "./support/childProcess.js"
import { tempDirs } from "./support/tempDirs.js"

const tempDir = tempDirs("chatauth-serve-fail-")

beforeAll(assertBuilt)

const production = { CHATAUTH_BOOTSTRAP_CALLER: "svc:start-Secret-1", CHATAUTH_LOG_FORMAT: "json" }

const serve = (args: ReadonlyArray<string>) => run(["serve", "--port", "0", ...args], { env: production })

// As root every permission is granted: the cases about permissions then run the server as nobody.
const asRoot = process.getuid?.() === 0

const serveAsOther = (dataDir: string) =>
  new Promise<Result>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir], {
      env: { PATH: process.env.PATH ?? "", ...production },
      stdio: ["ignore", "pipe", "pipe"],
      ...(asRoot ? { uid: 65534, gid: 65534 } : {})
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.once("error", reject)
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

/** The one `chatauth:` line of a failed start, after checking there is exactly one and no stack trace. */
const failureLine = (result: Result): string => {
  expect(result.code).toBe(1)
  expect(result.stderr).not.toMatch(/^\s+at /m)
  expect(result.stderr).not.toContain("unexpected failure")
  const lines = result.stderr.split("\n").filter((line) => line.startsWith("chatauth:"))
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^chatauth: [^\n]+ \([^\n]+\)$/)
  return lines[0]
}

describe("chatauth serve: start failures", () => {
  it("a data directory that is a file", async () => {
    const file = join(tempDir(), "not-a-directory")
    writeFileSync(file, "x")
    const line = failureLine(await serve(["--data-dir", file]))
    expect(line).toBe(`chatauth: cannot use the data directory ${file} (it is not a directory)`)
  }, 60_000)

  it("a data directory under a file", async () => {
    const file = join(tempDir(), "file")
    writeFileSync(file, "x")
    const line = failureLine(await serve(["--data-dir", join(file, "data")]))
    expect(line).toContain(`cannot create the data directory ${join(file, "data")}`)
  }, 60_000)

  it("a data directory where nothing can be created (/proc), promptly and without spinning", async () => {
    const line = failureLine(await serve(["--data-dir", "/proc/chatauth/data"]))
    expect(line).toMatch(/^chatauth: cannot create the data directory \/proc\/chatauth\/data \(/)
  }, 60_000)

  it("a database file that is random bytes", async () => {
    const dataDir = tempDir()
    chmodSync(dataDir, 0o700)
    writeFileSync(join(dataDir, "chatauth.db"), Buffer.from(Array.from({ length: 16_384 }, (_, i) => (i * 7919) % 251)))
    chmodSync(join(dataDir, "chatauth.db"), 0o600)
    const line = failureLine(await serve(["--data-dir", dataDir]))
    expect(line).toBe(
      `chatauth: cannot open the SQLite store ${dataDir}/chatauth.db (file is not a database [SQLITE_NOTADB])`
    )
  }, 60_000)

  it("a database path that is a directory", async () => {
    const dataDir = tempDir()
    chmodSync(dataDir, 0o700)
    mkdirSync(join(dataDir, "chatauth.db"))
    const line = failureLine(await serve(["--data-dir", dataDir]))
    expect(line).toBe(`chatauth: cannot use the database file ${join(dataDir, "chatauth.db")} (it is not a file)`)
  }, 60_000)

  it("a data directory the server's user may not enter", async () => {
    const parent = tempDir()
    const dataDir = join(parent, "private")
    mkdirSync(dataDir, { mode: 0o700 })
    chmodSync(parent, 0o755)
    if (!asRoot) chmodSync(dataDir, 0o000)
    const result = await serveAsOther(dataDir)
    if (!asRoot) chmodSync(dataDir, 0o700)
    const line = failureLine(result)
    expect(line).toBe(`chatauth: cannot use the data directory ${dataDir} (permission denied)`)
  }, 60_000)

  it("a data directory open to others that the server's user cannot tighten", async () => {
    // Someone else's directory of mode 0777 (or 1777): /tmp itself for a user who is not root.
    let dataDir = "/tmp"
    if (asRoot) {
      const parent = tempDir()
      chmodSync(parent, 0o755)
      dataDir = join(parent, "shared")
      mkdirSync(dataDir)
      chmodSync(dataDir, 0o777)
    }
    const line = failureLine(await serveAsOther(dataDir))
    expect(line).toMatch(
      new RegExp(
        `^chatauth: cannot use the data directory ${dataDir} \\(its mode 1?0?777 lets other users in, and it cannot be tightened: permission denied\\)$`
      )
    )
    expect(statSync(dataDir).mode & 0o777).toBe(0o777)
  }, 60_000)

  it("a port in use", async () => {
    const blocker = Net.createServer()
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as Net.AddressInfo).port))
    )
    try {
      const result = await run(["serve", "--port", String(port), "--data-dir", tempDir()], { env: production })
      expect(failureLine(result)).toBe(`chatauth: cannot listen on 127.0.0.1:${port} (the address is already in use)`)
    } finally {
      blocker.close()
    }
  }, 60_000)

  it("a routing config that is invalid, or nested 100 000 deep", async () => {
    const dir = tempDir()
    const invalid = join(dir, "invalid.json")
    writeFileSync(invalid, JSON.stringify({ channelServers: [{ chatSiteName: "a b", domain: "x", pools: [] }] }))
    const invalidLine = failureLine(await serve(["--data-dir", tempDir(), "--config", invalid]))
    expect(invalidLine).toMatch(/^chatauth: invalid routing config .*invalid\.json \(\$\.channelServers\[0\]/)
    const deep = join(dir, "deep.json")
    writeFileSync(deep, `{"channelServers":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)
    const deepLine = failureLine(await serve(["--data-dir", tempDir(), "--config", deep]))
    expect(deepLine).toBe(`chatauth: invalid routing config ${deep} ($: nested more than 32 levels deep)`)
  }, 60_000)
})

describe("chatauth serve: loose permissions", () => {
  it("tightens a data directory of mode 0777 and a database of mode 0666, and says so", async () => {
    const dataDir = tempDir()
    const first = start(["serve", "--port", "0", "--data-dir", dataDir], { env: production })
    await waitFor(first, /listening on/)
    first.child.kill("SIGTERM")
    expect((await first.done).code).toBe(0)
    chmodSync(dataDir, 0o777)
    chmodSync(join(dataDir, "chatauth.db"), 0o666)
    const second = start(["serve", "--port", "0", "--data-dir", dataDir], { env: production })
    await waitFor(second, /listening on/)
    second.child.kill("SIGTERM")
    const result = await second.done
    expect(result.code).toBe(0)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(dataDir, "chatauth.db")).mode & 0o777).toBe(0o600)
    expect(result.stderr).toContain(`the data directory ${dataDir} had mode 0777; tightened to 0700`)
    expect(result.stderr).toContain(
      `the database file ${join(dataDir, "chatauth.db")} had mode 0666; tightened to 0600`
    )
  }, 60_000)

  it("creates a missing data directory, and its parents, private", async () => {
    const dataDir = join(tempDir(), "a", "b", "data")
    const started = start(["serve", "--port", "0", "--data-dir", dataDir], { env: production })
    await waitFor(started, /listening on/)
    started.child.kill("SIGTERM")
    expect((await started.done).code).toBe(0)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(dataDir, "chatauth.db")).mode & 0o777).toBe(0o600)
  }, 60_000)
})

/**
 * `chatauth serve --workers N`: a supervising process and N workers on one port and one store, as a person runs it.
 */
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import { assertBuilt, run, start, waitFor } from "./support/childProcess.js"
import { tempDirs } from "./support/tempDirs.js"

const tempDir = tempDirs("chatauth-workers-")

beforeAll(assertBuilt)

const PASSWORD = "Workers-Pass-42"

/** The processes `pid` started that are still running. */
const childrenOf = (pid: number): Array<number> =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number)

const isRunning = (pid: number) => existsSync(`/proc/${pid}`)

/** Polls `condition` until it holds (the test's timeout bounds the wait). */
const until = async (condition: () => boolean | Promise<boolean>) => {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 50))
}

const authenticate = (url: string) =>
  fetch(`${url}/crmRestApi/resources/11.13.18.05/chatAuthenticate`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`svc:${PASSWORD}`).toString("base64")}`,
      "content-type": "application/json"
    },
    body: JSON.stringify({ authUserName: "john.doe@example.com", resumeType: "RESUME" })
  }).then(async (response) => ({ status: response.status, body: await response.text() }))

describe("chatauth serve --workers", () => {
  it("two workers share the port and the store; a dead one is replaced; SIGTERM stops them all with 0", async () => {
    const dataDir = tempDir()
    const server = start(["serve", "--workers", "2", "--port", "0", "--data-dir", dataDir], {
      env: { CHATAUTH_BOOTSTRAP_CALLER: `svc:${PASSWORD}` }
    })
    try {
      const [, url, pids] = await waitFor(server, /2 workers on (http:\/\/127\.0\.0\.1:\d+) \(processes (\d+), (\d+)/)
        .then((match) => [match[0], match[1], [Number(match[2]), Number(match[3])]] as const)
      const primary = server.child.pid!
      expect(childrenOf(primary).sort()).toEqual([...pids].sort())
      // The start-up is done once, by the first worker.
      expect(server.stdout().match(/created the caller "svc"/g)).toHaveLength(1)
      expect(server.stdout().match(/listening on/g)).toHaveLength(1)

      const answers = await Promise.all(Array.from({ length: 20 }, () => authenticate(url)))
      expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 201))
      // One store: the audit trail holds every one of them, whichever worker answered.
      const audit = await run(["audit", "list", "--data-dir", dataDir, "--json", "--limit", "100"])
      expect(audit.code).toBe(0)
      const issued = audit.stdout.trim().split("\n").map((line) => JSON.parse(line) as { outcome: string })
      expect(issued.filter((event) => event.outcome === "issued")).toHaveLength(20)

      // A worker killed: the other goes on answering, and the supervisor starts another.
      process.kill(pids[0], "SIGKILL")
      await waitFor(server, new RegExp(`worker ${pids[0]} ended \\(SIGKILL\\); starting another`))
      expect((await authenticate(url)).status).toBe(201)
      await until(() => {
        const now = childrenOf(primary)
        return now.length === 2 && !now.includes(pids[0])
      })
      const replacement = childrenOf(primary).find((pid) => pid !== pids[1])!

      server.child.kill("SIGTERM")
      const result = await server.done
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("chatauth: stopped")
      for (const pid of [pids[1], replacement]) expect(isRunning(pid)).toBe(false)
    } finally {
      // A worker whose supervisor is gone ends by itself (node:cluster); the supervisor is ended here if a step failed.
      if (server.child.exitCode === null) server.child.kill("SIGKILL")
    }
  }, 90_000)

  it("refuses a worker count out of range", async () => {
    const result = await run(["serve", "--workers", "0", "--port", "0", "--data-dir", tempDir()])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("--workers must be from 1 to 256")
  }, 30_000)
})

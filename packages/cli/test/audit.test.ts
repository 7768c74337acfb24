/**
 * `chatauth audit list` on both stores (filters, `--json` fields, the table), and the store's choice by
 * `--database-url` or `CHATAUTH_DATABASE_URL` in every command that touches it: serve, keys, callers, audit.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assertBuilt, run } from "./support/childProcess.js"
import { createTestDatabase, type TestDatabase } from "./support/postgres.js"
import { authenticateOnce, CALLER, CALLER_PASSWORD, cli, startReplica, stopAllReplicas } from "./support/replicas.js"

let database: TestDatabase | undefined
const dirs: Array<string> = []

beforeAll(async () => {
  assertBuilt()
  database = await createTestDatabase()
})

afterAll(async () => {
  await stopAllReplicas()
  await database?.drop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}, 60_000)

interface JsonEvent {
  readonly at: string
  readonly outcome: string
  readonly caller: string | null
  readonly authUserName: string | null
  readonly chatSiteName: string | null
  readonly poolId: string | null
  readonly kid: string | null
  readonly reason: string | null
  readonly clientAddress: string
}

const parseLines = (stdout: string): Array<JsonEvent> =>
  stdout.trim() === "" ? [] : stdout.trim().split("\n").map((line) => JSON.parse(line) as JsonEvent)

const OTHER = "auditor"
const OTHER_PASSWORD = "Auditor-Pass-1"

/**
 * Runs the same story on a store chosen by `select` (flags and environment for each command): a second caller
 * added with the CLI, a server, tokens for two users and one refusal, then `audit list` with each filter.
 */
const story = async (select: {
  readonly serve: { readonly args: ReadonlyArray<string>; readonly env: Record<string, string> }
  readonly callers: { readonly args: ReadonlyArray<string>; readonly env: Record<string, string> }
  readonly keys: { readonly args: ReadonlyArray<string>; readonly env: Record<string, string> }
  readonly audit: { readonly args: ReadonlyArray<string>; readonly env: Record<string, string> }
  /** Also the table and the usage errors (store-independent: checked once). */
  readonly usage?: boolean
}) => {
  await cli(["callers", "add", OTHER, ...select.callers.args], {
    env: select.callers.env,
    input: `${OTHER_PASSWORD}\n`
  })
  const server = await startReplica({ args: select.serve.args, env: select.serve.env })
  const svc = { username: CALLER, password: CALLER_PASSWORD }
  const issue = async (credentials: typeof svc, authUserName: string) => {
    const outcome = await authenticateOnce(server.url, credentials, { authUserName }, "127.0.0.60")
    if (Either.isLeft(outcome)) throw outcome.left
    return outcome.right
  }
  const jane = await issue(svc, "jane@example.com")
  await issue(svc, "john@example.com")
  await issue({ username: OTHER, password: OTHER_PASSWORD }, "jane@example.com")
  const refused = await authenticateOnce(server.url, { username: OTHER, password: "wrong-Pass-0" }, {
    authUserName: "mallory@example.com"
  }, "127.0.0.61")
  expect(Either.isLeft(refused) && refused.left._tag).toBe("Unauthorized")
  const later = new Date(Date.now() + 60_000).toISOString()

  const audit = (args: ReadonlyArray<string>) =>
    run(["audit", "list", ...args, ...select.audit.args], { env: select.audit.env })
  // Each command a process of its own (about 2 s of CPU each): the ones that read the store, side by side.
  const [all, byCaller, byUser, future, keys, ...usage] = await Promise.all([
    audit(["--json"]),
    audit(["--json", "--caller", OTHER]),
    audit(["--json", "--auth-user-name", "jane@example.com", "--limit", "1"]),
    audit(["--json", "--since", later]),
    run(["keys", "list", "--json", ...select.keys.args], { env: select.keys.env }),
    ...(select.usage ? [audit([]), audit(["--since", "yesterday"]), audit(["--limit", "0"])] : [])
  ])
  await server.stop()

  for (const result of [all, byCaller, byUser, future, keys]) expect(result.code, result.stderr).toBe(0)
  const events = parseLines(all.stdout)
  // Newest first; every field present.
  expect(events.map((event) => event.outcome)).toEqual(["refused", "issued", "issued", "issued"])
  for (const event of events) {
    expect(Object.keys(event).sort()).toEqual(
      ["at", "authUserName", "caller", "chatSiteName", "clientAddress", "kid", "outcome", "poolId", "reason"]
    )
    expect(new Date(event.at).toISOString()).toBe(event.at)
  }
  expect(events[3]).toEqual({
    at: expect.any(String),
    outcome: "issued",
    caller: CALLER,
    authUserName: "jane@example.com",
    chatSiteName: jane.item.chatSiteName,
    poolId: jane.item.poolId,
    kid: jane.unverifiedTokenHeader.kid,
    reason: null,
    clientAddress: "127.0.0.60"
  })
  expect(events[0]).toMatchObject({
    outcome: "refused",
    caller: OTHER,
    kid: null,
    reason: expect.any(String),
    clientAddress: "127.0.0.61"
  })
  expect(parseLines(byCaller.stdout).map((event) => [event.outcome, event.caller])).toEqual([
    ["refused", OTHER],
    ["issued", OTHER]
  ])
  // Jane's newest event only: the other caller's token.
  expect(parseLines(byUser.stdout)).toEqual([events[1]])
  expect(events[1]).toMatchObject({ caller: OTHER, authUserName: "jane@example.com" })
  expect(future.stdout).toBe("")
  if (select.usage) {
    const [table, badSince, badLimit] = usage
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^AT +OUTCOME +CALLER +AUTH USER +SITE +POOL +KID +ADDRESS +REASON\n/)
    expect(table.stdout).toContain("john@example.com")
    expect(badSince.code).toBe(2)
    expect(badSince.stderr).toContain("--since")
    expect(badLimit.code).toBe(2)
    expect(badLimit.stderr).toContain("--limit")
  }
  // keys reads the same store the server signed from.
  expect(JSON.parse(keys.stdout) as Array<{ kid: string; state: string }>).toContainEqual(
    expect.objectContaining({ kid: jane.unverifiedTokenHeader.kid, state: "active" })
  )
}

describe("audit list", () => {
  it("on SQLite (--data-dir and CHATAUTH_DATA_DIR)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "chatauth-audit-"))
    dirs.push(dataDir)
    const byFlag = { args: ["--data-dir", dataDir], env: {} }
    const byEnv = { args: [], env: { CHATAUTH_DATA_DIR: dataDir } }
    await story({ callers: byFlag, serve: byEnv, keys: byFlag, audit: byEnv, usage: true })
  }, 120_000)

  it("on PostgreSQL (--database-url and CHATAUTH_DATABASE_URL, in every store command)", async () => {
    const url = database!.url
    const byFlag = { args: ["--database-url", url], env: {} }
    const byEnv = { args: [], env: { CHATAUTH_DATABASE_URL: url } }
    // The other way round from SQLite's, and from the replica suite's: each command both ways across the suites.
    await story({ callers: byEnv, serve: byEnv, keys: byEnv, audit: byFlag })
  }, 120_000)
})

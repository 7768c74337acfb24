/**
 * Durability (issue 7, point 4): no 201 leaves before its audit row is committed. Under a steady load of concurrent
 * requests, replicas are killed with SIGKILL (`kill -9`) and started again; afterwards every 201 a client received
 * has its audit row. Each request carries an `authUserName` of its own, so the check is exact: a received name
 * missing from the audit trail is a lost row.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assertBuilt } from "./support/childProcess.js"
import { createTestDatabase, type TestDatabase } from "./support/postgres.js"
import {
  CALLER,
  CALLER_PASSWORD,
  type CallerClient,
  callerClient,
  cli,
  type Replica,
  startReplica,
  stopAllReplicas
} from "./support/replicas.js"

const sleep = (millis: number) => new Promise((resolve) => setTimeout(resolve, millis))

let database: TestDatabase | undefined
const dirs: Array<string> = []

beforeAll(assertBuilt)

afterAll(async () => {
  await stopAllReplicas()
  await database?.drop()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
}, 60_000)

/**
 * Replicas under load: `workers` loops, each sending one request at a time to the live replicas in turn, each with
 * a fresh `authUserName`, recording the names whose 201 arrived. Refusals and broken connections (a killed replica)
 * are only counted.
 */
const underLoad = (live: Array<Replica>, prefix: string, workers: number) => {
  const received: Array<string> = []
  const failures: Record<string, number> = {}
  let stopped = false
  let sequence = 0
  const clients = new Map<string, CallerClient>()
  const clientFor = (url: string) => {
    let client = clients.get(url)
    if (client === undefined) {
      client = callerClient(url, { username: CALLER, password: CALLER_PASSWORD })
      clients.set(url, client)
    }
    return client
  }
  const worker = async () => {
    while (!stopped) {
      if (live.length === 0) {
        await sleep(50)
        continue
      }
      const n = sequence++
      const replica = live[n % live.length]
      const name = `${prefix}-${n}`
      const outcome = await clientFor(replica.url).authenticate({ authUserName: name })
      if (Either.isRight(outcome)) received.push(name)
      else {
        failures[outcome.left._tag] = (failures[outcome.left._tag] ?? 0) + 1
        // A dead replica refuses at once: do not spin on it.
        await sleep(20)
      }
    }
  }
  const running = Promise.all(Array.from({ length: workers }, worker))
  return {
    received,
    failures,
    stop: async () => {
      stopped = true
      await running
      await Promise.all([...clients.values()].map((client) => client.dispose()))
    }
  }
}

/** Resolves once `more` tokens have arrived since the call (or after 30 s): each kill hits a replica at work. */
const whenReceived = async (load: { readonly received: ReadonlyArray<string> }, more: number) => {
  const target = load.received.length + more
  const deadline = Date.now() + 30_000
  while (load.received.length < target && Date.now() < deadline) await sleep(50)
}

/** Kills the oldest live replica with SIGKILL while it serves, and takes it out of the rotation. */
const killOldest = async (live: Array<Replica>) => {
  const victim = live[0]
  const killed = await victim.kill()
  expect(killed.signal).toBe("SIGKILL")
  live.splice(live.indexOf(victim), 1)
}

describe("every 201 a client received has its audit row after kill -9 under load", () => {
  it("PostgreSQL, four replicas, three of them killed in turn", async () => {
    database = await createTestDatabase()
    const options = { databaseUrl: database.url }
    // A fourth replica keeps serving after the third kill; no restarts needed: the rows are in the database.
    const live: Array<Replica> = await Promise.all([0, 1, 2, 3].map(() => startReplica(options)))
    const load = underLoad(live, "pg-durable", 6)
    try {
      for (let kill = 0; kill < 3; kill++) {
        await whenReceived(load, 40)
        await killOldest(live)
      }
      await whenReceived(load, 20)
    } finally {
      await load.stop()
    }
    await stopAllReplicas()

    const rows = await database.query<{ auth_user_name: string }>(
      "SELECT auth_user_name FROM audit_events WHERE outcome = 'issued' AND auth_user_name LIKE 'pg-durable-%'"
    )
    const audited = new Set(rows.map((row) => row.auth_user_name))
    const lost = load.received.filter((name) => !audited.has(name))
    expect(load.received.length).toBeGreaterThanOrEqual(100)
    expect(lost, `${load.received.length} tokens received; refusals: ${JSON.stringify(load.failures)}`).toEqual([])
    // And nothing issued twice: one row per name.
    expect(rows.length).toBe(audited.size)
  }, 150_000)

  it("SQLite, one replica, killed, started again, killed again", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "chatauth-durability-"))
    dirs.push(dataDir)
    const live: Array<Replica> = [await startReplica({ dataDir })]
    const load = underLoad(live, "sqlite-durable", 4)
    try {
      await whenReceived(load, 40)
      await killOldest(live)
      // The crashed store opens again and serves.
      live.push(await startReplica({ dataDir }))
      await whenReceived(load, 20)
      await killOldest(live)
    } finally {
      await load.stop()
    }
    await stopAllReplicas()

    const listed = await cli(["audit", "list", "--json", "--limit", "1000000", "--data-dir", dataDir])
    const events = listed.stdout.trim().split("\n").map((line) =>
      JSON.parse(line) as { outcome: string; authUserName: string | null }
    )
    const audited = new Set(events.filter((event) => event.outcome === "issued").map((event) => event.authUserName))
    const lost = load.received.filter((name) => !audited.has(name))
    expect(load.received.length).toBeGreaterThanOrEqual(40)
    expect(lost, `${load.received.length} tokens received; refusals: ${JSON.stringify(load.failures)}`).toEqual([])
  }, 150_000)
})

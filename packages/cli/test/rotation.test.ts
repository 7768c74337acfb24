/**
 * Automatic key rotation on three replicas sharing one PostgreSQL database: exactly one replica rotates in each
 * period (issue 7, point 3), so the store holds one new key per period, never two racing ones, and every replica
 * publishes the same JWKS.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { assertBuilt } from "./support/childProcess.js"
import { createTestDatabase, type TestDatabase } from "./support/postgres.js"
import {
  authenticateOnce,
  CALLER,
  CALLER_PASSWORD,
  cli,
  jwksOf,
  kidOf,
  pollUntil,
  PROPAGATION_BOUND_MS,
  PROPAGATION_MARGIN_MS,
  startReplica,
  stopAllReplicas
} from "./support/replicas.js"

// 0.001 h: a key every 3.6 s, published 1 s before it signs.
const PERIOD_MS = 3_600
const LEAD_MS = 1_000
const PERIODS = 3

let database: TestDatabase | undefined

beforeAll(async () => {
  assertBuilt()
  database = await createTestDatabase()
})

afterAll(async () => {
  await stopAllReplicas()
  await database?.drop()
}, 60_000)

interface ListedKey {
  readonly kid: string
  readonly state: "active" | "next" | "retired"
  readonly createdAt: string
  readonly activatedAt: string | null
}

describe("automatic rotation on three replicas", () => {
  it("produces exactly one next key per period, and one JWKS everywhere", async () => {
    const url = database!.url
    const env = {
      CHATAUTH_KEY_ROTATION_HOURS: "0.001",
      CHATAUTH_KEY_PUBLISH_LEAD_SECONDS: "1",
      CHATAUTH_JWKS_CACHE_SECONDS: "1"
    }
    const replicas = await Promise.all([0, 1, 2].map(() => startReplica({ databaseUrl: url, env })))
    await new Promise((resolve) => setTimeout(resolve, PERIODS * PERIOD_MS + LEAD_MS))

    const listed = await cli(["keys", "list", "--json", "--database-url", url])
    const keys = (JSON.parse(listed.stdout) as Array<ListedKey>)
      .map((key) => ({ ...key, created: Date.parse(key.createdAt) }))
      .sort((a, b) => a.created - b.created)
    const lifetime = keys[keys.length - 1].created - keys[0].created
    // What each replica says it did with the keys, for a failure's message.
    const history = () =>
      JSON.stringify(
        {
          keys: keys.map((key) => [key.kid, key.state, key.createdAt, key.activatedAt]),
          logs: replicas.map((replica) =>
            replica.stderr().split("\n").filter((line) => line.includes("signing key")).map((line) => {
              const entry = JSON.parse(line) as { message: string; timestamp: string; annotations: { kid?: string } }
              return `${entry.timestamp} ${entry.message} ${entry.annotations.kid ?? ""}`
            })
          )
        },
        null,
        1
      )
    // One key per period since the first: never two from racing replicas (they would be milliseconds apart).
    expect(keys.length).toBeGreaterThanOrEqual(PERIODS)
    expect(keys.length).toBeLessThanOrEqual(Math.floor(lifetime / (PERIOD_MS - LEAD_MS)) + 1)
    for (let i = 1; i < keys.length; i++) {
      expect(keys[i].created - keys[i - 1].created, history())
        .toBeGreaterThanOrEqual(
          PERIOD_MS - LEAD_MS - 500
        )
    }
    expect(keys.filter((key) => key.state === "active")).toHaveLength(1)
    expect(keys.filter((key) => key.state === "next").length).toBeLessThanOrEqual(1)
    // Each rotated key was published for the lead before it signed.
    for (const key of keys.slice(1)) {
      if (key.activatedAt !== null) {
        expect(Date.parse(key.activatedAt) - key.created).toBeGreaterThanOrEqual(LEAD_MS)
      }
    }

    // One JWKS everywhere (a rotation may land between two reads: then the next poll sees them agree).
    const elapsed = await pollUntil(
      async () => {
        const sets = await Promise.all(replicas.map((replica) => jwksOf(replica.url)))
        const published = sets.map((set) => JSON.stringify(set))
        return {
          done: published.every((set) => set === published[0]),
          seen: sets.map((set) => set.map((key) => key.kid))
        }
      },
      Date.now(),
      PROPAGATION_BOUND_MS + PROPAGATION_MARGIN_MS,
      "the same JWKS on every replica"
    )
    expect(elapsed).toBeLessThanOrEqual(PROPAGATION_BOUND_MS + PROPAGATION_MARGIN_MS)
    const signing = await Promise.all(replicas.map(async (replica) => {
      const outcome = await authenticateOnce(replica.url, { username: CALLER, password: CALLER_PASSWORD }, {
        authUserName: "rotation"
      })
      if (Either.isLeft(outcome)) throw outcome.left
      return kidOf(outcome.right.item.jwt)
    }))
    // Every token verifies against the common JWKS.
    const published = new Set((await jwksOf(replicas[0].url)).map((key) => key.kid))
    for (const kid of signing) expect(published).toContain(kid)
  }, 150_000)
})

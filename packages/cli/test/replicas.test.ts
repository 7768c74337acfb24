/**
 * Three replicas of `chatauth serve` on loopback sharing one PostgreSQL database behave as one service (issue 7,
 * point 3): callers, keys, assignments, lockouts and the audit trail, driven through the real client and changed
 * through the real CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assertBuilt } from "./support/childProcess.js"
import { createTestDatabase, type TestDatabase } from "./support/postgres.js"
import {
  authenticateOnce,
  CALLER,
  CALLER_PASSWORD,
  callerClient,
  cli,
  jwksOf,
  kidOf,
  type Outcome,
  pollUntil,
  PROPAGATION_BOUND_MS,
  PROPAGATION_MARGIN_MS,
  rawAuthenticate,
  type Replica,
  startReplica,
  statusOf,
  stopAllReplicas
} from "./support/replicas.js"

const ROUTING = {
  channelServers: [
    { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1", "101:2"], weight: 1 },
    { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["201:1", "201:2", "201:3"], weight: 3 }
  ]
}
const DEADLINE = PROPAGATION_BOUND_MS + PROPAGATION_MARGIN_MS
const LOCKED_CALLER = "lock-caller"
const LOCKED_PASSWORD = "Lock-Caller-Pass-1"

let database: TestDatabase | undefined
let replicas: ReadonlyArray<Replica> = []
let configDir: string | undefined
const db = () => database!.url

beforeAll(async () => {
  assertBuilt()
  database = await createTestDatabase()
  configDir = mkdtempSync(join(tmpdir(), "chatauth-replicas-"))
  const config = join(configDir, "routing.json")
  writeFileSync(config, JSON.stringify(ROUTING))
  // All three at the same moment (the migrations take turns), and the CLI beside them.
  const [started] = await Promise.all([
    Promise.all([0, 1, 2].map(() => startReplica({ databaseUrl: db(), env: { CHATAUTH_CONFIG: config } }))),
    cli(["callers", "add", LOCKED_CALLER, "--database-url", db()], { input: `${LOCKED_PASSWORD}\n` })
  ])
  replicas = started
}, 120_000)

afterAll(async () => {
  await stopAllReplicas()
  await database?.drop()
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true })
}, 60_000)

const svc = { username: CALLER, password: CALLER_PASSWORD }
const expectIssued = (outcome: Outcome) => {
  if (Either.isLeft(outcome)) throw new Error(`expected a token, got ${outcome.left._tag}: ${outcome.left.message}`)
  return outcome.right
}

/**
 * Polls every replica until `settled` holds for its answer to `attempt`; resolves with each replica's settling
 * answer and the time it took after `since`.
 */
const pollEveryReplica = async <A>(
  attempt: (replica: Replica) => Promise<A>,
  settled: (answer: A) => boolean,
  since: number,
  what: string
): Promise<ReadonlyArray<{ readonly answer: A; readonly elapsed: number }>> =>
  Promise.all(replicas.map(async (replica, index) => {
    let last: A | undefined
    const elapsed = await pollUntil(
      async () => {
        last = await attempt(replica)
        return { done: settled(last), seen: last }
      },
      since,
      DEADLINE,
      `${what} on replica ${index}`
    )
    return { answer: last as A, elapsed }
  }))

describe("three replicas on one PostgreSQL database", () => {
  it("one JWKS everywhere; keys rotate and keys activate reach every replica within 2 s", async () => {
    const initial = await Promise.all(replicas.map((replica) => jwksOf(replica.url)))
    expect(initial[0]).toHaveLength(1)
    for (const jwks of initial) expect(jwks).toEqual(initial[0])
    const oldKid = initial[0][0].kid

    const rotated = await cli(["keys", "rotate", "--database-url", db()])
    const kid = rotated.stdout.match(/Published the next key (\S+)/)?.[1]
    expect(kid).toBeDefined()
    const published = await pollEveryReplica(
      (replica) => jwksOf(replica.url),
      (jwks) => jwks.some((key) => key.kid === kid),
      Date.now(),
      "the next key in the JWKS"
    )
    for (const { elapsed } of published) expect(elapsed).toBeLessThanOrEqual(DEADLINE)
    const both = await Promise.all(replicas.map((replica) => jwksOf(replica.url)))
    for (const jwks of both) {
      expect(jwks).toEqual(both[0])
      expect(jwks.map((key) => key.kid).sort()).toEqual([oldKid, kid].sort())
    }
    // Published, not signing: every replica still signs with the old key.
    for (const replica of replicas) {
      expect(kidOf(expectIssued(await authenticateOnce(replica.url, svc, { authUserName: "kid-before" })).item.jwt))
        .toBe(oldKid)
    }

    // After "--": a key id may begin with "-".
    await cli(["keys", "activate", "--database-url", db(), "--", kid!])
    const signing = await pollEveryReplica(
      async (replica) =>
        kidOf(expectIssued(await authenticateOnce(replica.url, svc, { authUserName: "kid-after" })).item.jwt),
      (signedWith) => signedWith === kid,
      Date.now(),
      "tokens signed with the activated key"
    )
    for (const { elapsed } of signing) expect(elapsed).toBeLessThanOrEqual(DEADLINE)
    const after = await Promise.all(replicas.map((replica) => jwksOf(replica.url)))
    for (const jwks of after) expect(jwks).toEqual(after[0])
  }, 120_000)

  it("callers add, passwd and remove take effect on every replica within 2 s, cached checks included", async () => {
    const name = "ops-caller"
    const first = { username: name, password: "Ops-First-Pass-1" }
    const second = { username: name, password: "Ops-Second-Pass-2" }
    // Each phase from its own address, so that the refusals polled for never add up to a lockout.
    await cli(["callers", "add", name, "--database-url", db()], { input: `${first.password}\n` })
    const added = await pollEveryReplica(
      (replica) => authenticateOnce(replica.url, first, { authUserName: "ops-added" }, "127.0.0.10"),
      Either.isRight,
      Date.now(),
      "the added caller accepted"
    )
    for (const { elapsed } of added) expect(elapsed).toBeLessThanOrEqual(DEADLINE)
    // Accepted once more everywhere: the check is now cached on every replica.
    for (const replica of replicas) {
      expectIssued(await authenticateOnce(replica.url, first, { authUserName: "ops-cached" }, "127.0.0.10"))
    }

    await cli(["callers", "passwd", name, "--database-url", db(), "--password-stdin"], {
      input: `${second.password}\n`
    })
    const changed = await pollEveryReplica(
      (replica) => authenticateOnce(replica.url, first, { authUserName: "ops-old-password" }, "127.0.0.11"),
      Either.isLeft,
      Date.now(),
      "the old password refused"
    )
    for (const { answer, elapsed } of changed) {
      expect(statusOf(answer)).toBe("Unauthorized")
      expect(elapsed).toBeLessThanOrEqual(DEADLINE)
    }
    for (const replica of replicas) {
      expectIssued(await authenticateOnce(replica.url, second, { authUserName: "ops-new-password" }, "127.0.0.11"))
    }

    await cli(["callers", "remove", name, "--database-url", db()])
    const removed = await pollEveryReplica(
      (replica) => authenticateOnce(replica.url, second, { authUserName: "ops-removed" }, "127.0.0.12"),
      Either.isLeft,
      Date.now(),
      "the removed caller refused"
    )
    for (const { answer, elapsed } of removed) {
      expect(statusOf(answer)).toBe("Unauthorized")
      expect(elapsed).toBeLessThanOrEqual(DEADLINE)
    }
  }, 120_000)

  it("RESUME returns a user to the same site and pool whichever replica answers", async () => {
    const users = Array.from({ length: 24 }, (_, i) => `resume-${i}@example.com`)
    const clients = replicas.map((replica) => callerClient(replica.url, svc, "127.0.0.20"))
    try {
      const places = await Promise.all(users.map(async (user, i) => {
        const item = expectIssued(await clients[i % 3].authenticate({ authUserName: user })).item
        return `${item.chatSiteName}/${item.poolId}`
      }))
      // The routing config spreads them over several sites and pools, so sticking is not luck.
      expect(new Set(places).size).toBeGreaterThan(2)
      const resumed = await Promise.all(users.flatMap((user, i) =>
        [1, 2].map(async (offset) => {
          const item =
            expectIssued(await clients[(i + offset) % 3].authenticate({ authUserName: user, resumeType: "RESUME" }))
              .item
          return { user, place: `${item.chatSiteName}/${item.poolId}`, expected: places[i] }
        })
      ))
      for (const { expected, place, user } of resumed) expect(place, user).toBe(expected)
    } finally {
      await Promise.all(clients.map((client) => client.dispose()))
    }
  }, 120_000)

  it(
    "lockouts are cluster-wide: five failures over three replicas lock the caller for that address everywhere",
    async () => {
      const right = { username: LOCKED_CALLER, password: LOCKED_PASSWORD }
      const wrong = { username: LOCKED_CALLER, password: "Not-The-Password-9" }
      const attacker = "127.0.0.30"
      const other = "127.0.0.31"
      // Cached on every replica first: a cached check must not slip past a lock either.
      for (const replica of replicas) {
        expectIssued(
          await authenticateOnce(replica.url, right, { authUserName: "lock-warm" }, attacker)
        )
      }

      const failures: Array<string> = []
      for (let i = 0; i < 5; i++) {
        failures.push(
          statusOf(await authenticateOnce(replicas[i % 3].url, wrong, { authUserName: `lock-wrong-${i}` }, attacker))
        )
      }
      // The failure that reaches the threshold starts the lock and is answered like the ones before it.
      expect(failures).toEqual(["Unauthorized", "Unauthorized", "Unauthorized", "Unauthorized", "Unauthorized"])

      // The sixth attempt, with the right password, on each replica.
      const locked = await pollEveryReplica(
        (replica) => authenticateOnce(replica.url, right, { authUserName: "lock-sixth" }, attacker),
        (answer) => statusOf(answer) === "TooManyRequests",
        Date.now(),
        "the right password refused from the locked address"
      )
      for (const { answer, elapsed } of locked) {
        expect(elapsed).toBeLessThanOrEqual(DEADLINE)
        if (Either.isRight(answer) || answer.left._tag !== "TooManyRequests") throw new Error("not a 429")
        expect(answer.left.retryAfterSeconds).toBeGreaterThan(0)
      }
      const wire = await rawAuthenticate(replicas[0].url, right, { authUserName: "lock-raw" }, {
        localAddress: attacker
      })
      expect(wire.status).toBe(429)
      expect(Number(wire.headers["retry-after"])).toBeGreaterThan(0)
      expect(wire.headers["content-type"]).toContain("application/vnd.oracle.adf.error+json")

      // Someone else's failures do not lock the caller out from another address.
      for (const replica of replicas) {
        expectIssued(
          await authenticateOnce(replica.url, right, { authUserName: "lock-other" }, other)
        )
      }

      // `callers unlock` lifts it everywhere.
      await cli(["callers", "unlock", LOCKED_CALLER, "--database-url", db()])
      const unlocked = await pollEveryReplica(
        (replica) => authenticateOnce(replica.url, right, { authUserName: "lock-unlocked" }, attacker),
        Either.isRight,
        Date.now(),
        "the caller unlocked"
      )
      for (const { elapsed } of unlocked) expect(elapsed).toBeLessThanOrEqual(DEADLINE)
    },
    120_000
  )

  it("a parallel burst from one address cannot slip past the address threshold (20)", async () => {
    const burstAddress = "127.0.0.40"
    const clients = Array.from(
      { length: 100 },
      (_, i) => callerClient(replicas[i % 3].url, { username: `burst-${i}`, password: "Burst-Wrong-1" }, burstAddress)
    )
    try {
      const answers = await Promise.all(
        clients.map((client, i) => client.authenticate({ authUserName: `burst-user-${i}` }))
      )
      const counts: Record<string, number> = {}
      for (const answer of answers) {
        const kind = Either.isLeft(answer) && answer.left._tag === "ServerError"
          ? `ServerError ${answer.left.status}`
          : statusOf(answer)
        counts[kind] = (counts[kind] ?? 0) + 1
      }
      const seen = JSON.stringify(counts)
      // Counted and checked atomically in the database: the threshold's worth of 401s at most (the failure that
      // reaches it is answered 429), whatever the interleaving. Every other answer is a 429, except that a replica
      // whose database calls queue past their bound on an overloaded machine answers 503 (never 500, never a hang).
      expect(counts.Unauthorized ?? 0, seen).toBeLessThanOrEqual(20)
      const overloaded = counts["ServerError 503"] ?? 0
      expect((counts.Unauthorized ?? 0) + (counts.TooManyRequests ?? 0) + overloaded, seen).toBe(100)
      expect(counts.TooManyRequests ?? 0, seen).toBeGreaterThanOrEqual(80 - overloaded)
    } finally {
      await Promise.all(clients.map((client) => client.dispose()))
    }
    // The address is locked on every replica, whatever the credentials (polled: a replica that answered 503 above
    // is ready again within a second).
    await pollEveryReplica(
      (replica) => authenticateOnce(replica.url, svc, { authUserName: "burst-after" }, burstAddress),
      (answer) => statusOf(answer) === "TooManyRequests",
      Date.now(),
      "the burst's address locked"
    )
  }, 120_000)

  it("one audit trail: events from every replica, lockouts included, in `audit list --json`", async () => {
    for (const [index, replica] of replicas.entries()) {
      expectIssued(
        await authenticateOnce(replica.url, svc, { authUserName: `audit-from-replica-${index}` }, "127.0.0.50")
      )
    }
    const listed = await cli(["audit", "list", "--json", "--limit", "10000"], { env: { CHATAUTH_DATABASE_URL: db() } })
    const events = listed.stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>)
    const names = new Set(events.map((event) => event.authUserName))
    for (const index of [0, 1, 2]) expect(names).toContain(`audit-from-replica-${index}`)
    expect(events).toContainEqual(expect.objectContaining({
      outcome: "issued",
      caller: CALLER,
      authUserName: "audit-from-replica-1",
      clientAddress: "127.0.0.50",
      chatSiteName: expect.stringMatching(/^site-[ab]$/),
      poolId: expect.stringMatching(/^[12]01:\d$/),
      kid: expect.any(String),
      reason: null
    }))
    const lockouts = events.filter((event) => event.outcome === "lockout")
    expect(lockouts).toContainEqual(expect.objectContaining({ caller: LOCKED_CALLER, clientAddress: "127.0.0.30" }))
    expect(lockouts.some((event) => event.clientAddress === "127.0.0.40")).toBe(true)
    expect(events).toContainEqual(
      expect.objectContaining({ outcome: "refused", caller: LOCKED_CALLER, clientAddress: "127.0.0.30" })
    )
  }, 120_000)
})

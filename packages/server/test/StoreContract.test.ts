/**
 * The store contract: the same cases against SQLite and PostgreSQL, each on a fresh site (a temporary data directory,
 * a new database). Then what only one of them has: PostgreSQL's notifications and concurrent migrations, SQLite's
 * integrity check.
 */
import type { KeyMaterial, KeyState } from "@chatauth/core/KeyStore"
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, FastCheck, Fiber, Layer, Option, Redacted, Scope, TestClock } from "effect"
import { randomBytes } from "node:crypto"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import * as PgStore from "../src/store/PgStore.js"
import { DATABASE_FILE } from "../src/store/SqliteStore.js"
import type { Assignment, AuditEvent, FailureToCount, StoreService } from "../src/store/Store.js"
import { isStoreFailure, StoreUnavailable } from "../src/store/Store.js"
import { JAN_2025 } from "./storeTestUtils.js"
import type { StoreSite } from "./support/stores.js"
import { open, postgresql, sqlite, STORES } from "./support/stores.js"

const material = (kid: string, state: KeyState, createdAt: number): KeyMaterial => ({
  kid,
  alg: "RS256",
  state,
  privateKeyPem: `-----BEGIN PRIVATE KEY-----\nsecret-${kid}\n-----END PRIVATE KEY-----\n`,
  certificatePem: `-----BEGIN CERTIFICATE-----\ncert-${kid}\n-----END CERTIFICATE-----\n`,
  createdAt,
  activatedAt: state === "active" ? createdAt : null,
  retiredAt: null
})

const assignment = (authUserName: string, poolId: string, assignedAt: number): Assignment => ({
  authUserName,
  chatSiteName: "site-a",
  domain: "chat.example.com",
  poolId,
  assignedAt
})

const issued = (time: number, caller: string, authUserName: string): AuditEvent => ({
  time,
  outcome: "issued",
  caller,
  clientAddress: "192.0.2.10",
  authUserName,
  chatSiteName: "site-a",
  poolId: "101:1",
  kid: "k1"
})

/** The defect an effect died with, when it died. */
const defectOf = <A, E>(exit: Exit.Exit<A, E>): unknown =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.dieOption(exit.cause)) : undefined

/** The typed failure an effect failed with, when it failed. */
const failureOf = <A, E>(exit: Exit.Exit<A, E>): E | undefined =>
  Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined

const changesOf = (store: StoreService) =>
  Effect.map(store.changes.since(0, 1000), (changes) => changes.map((c) => `${c.topic} ${c.subject}`))

/** A connection that holds the store's write lock until the scope closes (another process in a long write). */
const holdWriteLock = (site: StoreSite): Effect.Effect<void, never, Scope.Scope> =>
  site.dialect === "sqlite"
    ? Effect.gen(function*() {
      const sql = yield* SqliteClient.make({ filename: NodePath.join(site.location, DATABASE_FILE) })
      yield* Effect.acquireRelease(sql.unsafe("BEGIN EXCLUSIVE"), () => Effect.ignore(sql.unsafe("ROLLBACK")))
    }).pipe(Effect.provide(Reactivity.layer), Effect.orDie)
    : Effect.gen(function*() {
      const sql = yield* PgClient.make({ url: Redacted.make(site.location), maxConnections: 1 })
      const locked = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      yield* Effect.forkScoped(sql.withTransaction(
        Effect.zipRight(
          sql`LOCK TABLE callers, audit_events IN ACCESS EXCLUSIVE MODE`,
          Effect.zipRight(Deferred.succeed(locked, undefined), Deferred.await(release))
        )
      ))
      yield* Effect.addFinalizer(() => Deferred.succeed(release, undefined))
      yield* Deferred.await(locked)
    }).pipe(Effect.provide(Reactivity.layer), Effect.orDie)

describe.each(STORES)("Store contract: $name", (kind) => {
  const fresh = Effect.flatMap(kind.site, (site) => Effect.map(open(site), (store) => ({ site, store })))

  it.scoped("callers: insert, find, list, update, remove; each change written to the feed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const { store } = yield* fresh
      expect(yield* store.callers.insert({ username: "bob", passwordHash: "h1", privileges: ["P1", "P2"] })).toEqual(
        Option.some({
          username: "bob",
          passwordHash: "h1",
          privileges: ["P1", "P2"],
          createdAt: JAN_2025,
          updatedAt: JAN_2025
        })
      )
      // A taken name changes nothing.
      expect(yield* store.callers.insert({ username: "bob", passwordHash: "other", privileges: [] })).toEqual(
        Option.none()
      )
      expect(Option.map(yield* store.callers.find("bob"), (c) => c.passwordHash)).toEqual(Option.some("h1"))
      expect(yield* store.callers.find("Bob")).toEqual(Option.none())

      yield* TestClock.adjust("1 second")
      expect(yield* store.callers.updatePassword("bob", "h2")).toBe(true)
      expect(yield* store.callers.updatePassword("nobody", "h2")).toBe(false)
      expect(yield* store.callers.setPrivileges("bob", [])).toBe(true)
      expect(yield* store.callers.setPrivileges("nobody", ["P1"])).toBe(false)
      expect(yield* store.callers.find("bob")).toEqual(Option.some({
        username: "bob",
        passwordHash: "h2",
        privileges: [],
        createdAt: JAN_2025,
        updatedAt: JAN_2025 + 1000
      }))

      yield* store.callers.insert({ username: "amy", passwordHash: "h", privileges: ["P1"] })
      expect((yield* store.callers.list()).map((c) => c.username)).toEqual(["amy", "bob"])
      expect(yield* store.callers.remove("bob")).toBe(true)
      expect(yield* store.callers.remove("bob")).toBe(false)
      expect((yield* store.callers.list()).map((c) => c.username)).toEqual(["amy"])

      // One change per change made, none for the calls that changed nothing.
      expect(yield* changesOf(store)).toEqual(["caller bob", "caller bob", "caller bob", "caller amy", "caller bob"])
    }))

  it.scoped("keys: insert (a taken kid changes nothing), list oldest first, remove, replacePrivateKey", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      expect(yield* store.keys.insert(material("k1", "active", JAN_2025))).toBe(true)
      expect(yield* store.keys.insert(material("k2", "next", JAN_2025 + 1))).toBe(true)
      expect(yield* store.keys.insert(material("k0", "retired", JAN_2025 - 1))).toBe(true)
      expect(yield* store.keys.insert({ ...material("k1", "next", JAN_2025 + 9), privateKeyPem: "other" })).toBe(false)
      expect(yield* store.keys.list()).toEqual([
        material("k0", "retired", JAN_2025 - 1),
        material("k1", "active", JAN_2025),
        material("k2", "next", JAN_2025 + 1)
      ])

      expect(yield* store.keys.remove("k0")).toBe(true)
      expect(yield* store.keys.remove("k0")).toBe(false)
      yield* store.keys.replacePrivateKey("k1", "enc:v1:sealed")
      const keys = yield* store.keys.list()
      expect(keys.map((k) => [k.kid, k.privateKeyPem])).toEqual([
        ["k1", "enc:v1:sealed"],
        ["k2", material("k2", "next", 0).privateKeyPem]
      ])
      expect(yield* changesOf(store)).toEqual(["keys k1", "keys k2", "keys k0", "keys k0"])
    }))

  it.scoped("keys: setStates applies a rotation in one transaction, or nothing of it", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      yield* store.keys.insert(material("k1", "active", JAN_2025))
      yield* store.keys.insert(material("k2", "next", JAN_2025 + 1))
      const before = yield* changesOf(store)

      yield* store.keys.setStates([])
      expect(yield* changesOf(store)).toEqual(before)

      yield* store.keys.setStates([
        { kid: "k1", state: "retired", activatedAt: JAN_2025, retiredAt: JAN_2025 + 5 },
        { kid: "k2", state: "active", activatedAt: JAN_2025 + 5, retiredAt: null }
      ])
      const rotated = yield* store.keys.list()
      expect(rotated.map((k) => [k.kid, k.state, k.activatedAt, k.retiredAt])).toEqual([
        ["k1", "retired", JAN_2025, JAN_2025 + 5],
        ["k2", "active", JAN_2025 + 5, null]
      ])
      // One change for the whole rotation.
      expect(yield* changesOf(store)).toEqual([...before, "keys k1,k2"])

      // The second change is refused by the database (a state is NOT NULL): the first is rolled back with it.
      const exit = yield* Effect.exit(store.keys.setStates([
        { kid: "k2", state: "retired", activatedAt: JAN_2025 + 5, retiredAt: JAN_2025 + 9 },
        { kid: "k1", state: null as unknown as KeyState, activatedAt: JAN_2025 + 9, retiredAt: null }
      ]))
      expect(isStoreFailure(defectOf(exit))).toBe(true)
      expect(yield* store.keys.list()).toEqual(rotated)
      expect(yield* changesOf(store)).toEqual([...before, "keys k1,k2"])
    }))

  it.scopedLive("keys.exclusive: a second holder waits for the first and sees what it wrote", () =>
    Effect.gen(function*() {
      const { site, store } = yield* fresh
      // SQLite's replicas are processes; inside one process the connection is shared. PostgreSQL: two replicas.
      const other = site.dialect === "sqlite" ? store : yield* open(site)
      const firstHolds = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const first = yield* Effect.fork(store.keys.exclusive(Effect.gen(function*() {
        yield* Deferred.succeed(firstHolds, undefined)
        yield* Deferred.await(release)
        yield* store.keys.insert(material("from-first", "next", JAN_2025))
      })))
      yield* Deferred.await(firstHolds)
      const second = yield* Effect.fork(
        other.keys.exclusive(Effect.map(other.keys.list(), (keys) => keys.map((k) => k.kid)))
      )
      // Time for the second holder to overtake the first, were the lock not holding it back.
      yield* Effect.sleep("300 millis")
      expect(second.unsafePoll()).toBe(null)
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(first)
      expect(yield* Fiber.join(second)).toEqual(["from-first"])
    }))

  it.scoped("assignments: journal.write upserts them, the last one per user in a batch wins, never an older one", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      expect(yield* store.assignments.find("jane")).toEqual(Option.none())
      yield* store.journal.write({
        audit: [],
        assignments: [assignment("jane", "101:1", 1), assignment("john", "101:2", 2), assignment("jane", "202:3", 3)]
      })
      expect(yield* store.assignments.find("jane")).toEqual(Option.some(assignment("jane", "202:3", 3)))
      expect(yield* store.assignments.find("john")).toEqual(Option.some(assignment("john", "101:2", 2)))
      yield* store.journal.write({ audit: [], assignments: [{ ...assignment("john", "303:4", 4), chatSiteName: "b" }] })
      expect(yield* store.assignments.find("john")).toEqual(
        Option.some({ ...assignment("john", "303:4", 4), chatSiteName: "b" })
      )
      expect(yield* store.assignments.find("JANE")).toEqual(Option.none())
      // Large batches are split into several statements, still in one transaction.
      const many = Array.from({ length: 2500 }, (_, i) => assignment(`user-${i % 1200}`, `101:${i}`, i))
      yield* store.journal.write({ audit: [], assignments: many })
      expect(yield* store.assignments.find("user-1199")).toEqual(Option.some(assignment("user-1199", "101:2399", 2399)))
      expect(yield* store.assignments.find("user-0")).toEqual(Option.some(assignment("user-0", "101:2400", 2400)))
      // Batches may commit out of order: an older assignment written after a newer one leaves the newer.
      yield* store.journal.write({ audit: [], assignments: [assignment("john", "404:5", 5)] })
      yield* store.journal.write({ audit: [], assignments: [assignment("john", "505:1", 1)] })
      expect(yield* store.assignments.find("john")).toEqual(Option.some(assignment("john", "404:5", 5)))
    }))

  it.scoped("journal.write: a batch with a bad row writes nothing", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      yield* store.journal.write({ audit: [issued(1, "svc", "before")], assignments: [] })
      const bad = { ...issued(3, "svc", "bad"), clientAddress: null as unknown as string }
      const exit = yield* Effect.exit(store.journal.write({
        audit: [issued(2, "svc", "jane"), bad, issued(4, "svc", "john")],
        assignments: [assignment("jane", "101:1", 2)]
      }))
      const defect = defectOf(exit)
      expect(isStoreFailure(defect)).toBe(true)
      expect((defect as Error).message).toMatch(/^the store failed to write the audit trail: /)
      expect((yield* store.audit.list({ limit: 10 })).map((e) => e.authUserName)).toEqual(["before"])
      expect(yield* store.assignments.find("jane")).toEqual(Option.none())
      // And the store goes on.
      yield* store.journal.write({ audit: [issued(5, "svc", "after")], assignments: [] })
      expect((yield* store.audit.list({ limit: 10 })).map((e) => e.authUserName)).toEqual(["after", "before"])
    }))

  it.scoped("audit.list: filters by since, caller, authUserName and outcome; newest first; limited", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      const e1 = issued(1000, "svc-a", "jane")
      const e2: AuditEvent = { time: 2000, outcome: "refused", reason: "invalid", caller: null, clientAddress: "a" }
      const e3 = issued(3000, "svc-b", "jane")
      const e4: AuditEvent = {
        time: 4000,
        outcome: "lockout",
        reason: "user-address locked for 300 s",
        caller: "svc-a",
        clientAddress: "b"
      }
      const e5: AuditEvent = {
        time: 5000,
        outcome: "refused",
        reason: "forbidden",
        caller: "svc-a",
        clientAddress: "c",
        authUserName: "john"
      }
      yield* store.journal.write({ audit: [e1, e2, e3], assignments: [] })
      yield* store.journal.write({ audit: [e4, e5], assignments: [] })
      const list = (query: Partial<Parameters<StoreService["audit"]["list"]>[0]>) =>
        store.audit.list({ limit: 100, ...query })
      expect(yield* list({})).toEqual([e5, e4, e3, e2, e1])
      expect(yield* list({ limit: 2 })).toEqual([e5, e4])
      expect(yield* list({ limit: 0 })).toEqual([])
      expect(yield* list({ since: 3000 })).toEqual([e5, e4, e3])
      expect(yield* list({ caller: "svc-a" })).toEqual([e5, e4, e1])
      expect(yield* list({ caller: "svc" })).toEqual([])
      expect(yield* list({ authUserName: "jane" })).toEqual([e3, e1])
      expect(yield* list({ outcome: "refused" })).toEqual([e5, e2])
      expect(yield* list({ outcome: "lockout" })).toEqual([e4])
      expect(yield* list({ caller: "svc-a", since: 2000, outcome: "refused" })).toEqual([e5])
      expect(yield* list({ caller: "svc-a", authUserName: "jane", limit: 1 })).toEqual([e1])
    }))

  it.scoped("audit: a batch larger than one statement is written whole and in order", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      const events = Array.from({ length: 1201 }, (_, i) => issued(10 + i, "svc", `u${i}`))
      yield* store.journal.write({ audit: events, assignments: [] })
      const all = yield* store.audit.list({ limit: 5000 })
      expect(all).toEqual([...events].reverse())
    }))

  describe("lockouts", () => {
    const now = JAN_2025
    const address = (key: string): FailureToCount => ({ scope: "address", key, windowStartedBefore: now - 300_000 })

    it.scoped("recordFailure counts atomically: 100 parallel failures count exactly 100", () =>
      Effect.gen(function*() {
        const { site, store } = yield* fresh
        // PostgreSQL: spread over two replicas too.
        const other = site.dialect === "sqlite" ? store : yield* open(site)
        const counted = yield* Effect.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 === 0 ? store : other).lockouts.recordFailure([address("203.0.113.7")], now)),
          { concurrency: "unbounded" }
        )
        // Each failure saw a count of its own.
        expect(
          counted.map((c) =>
            c[0]!.failures
          ).sort((a, b) => a - b)
        ).toEqual(
          Array.from({ length: 100 }, (_, i) => i + 1)
        )
        expect(yield* store.lockouts.read([{ scope: "address", key: "203.0.113.7" }])).toEqual([{
          scope: "address",
          key: "203.0.113.7",
          failures: 100,
          windowStart: now,
          lockedUntil: 0,
          lockCount: 0
        }])
      }))

    it.scoped("recordFailure: several counters at once; a window that has run out starts again at 1", () =>
      Effect.gen(function*() {
        const { store } = yield* fresh
        const pair: FailureToCount = {
          scope: "user-address",
          key: "svc:203.0.113.7",
          windowStartedBefore: now - 300_000
        }
        yield* store.lockouts.recordFailure([address("203.0.113.7"), pair], now)
        const second = yield* store.lockouts.recordFailure([address("203.0.113.7"), pair], now + 1000)
        expect(second.map((c) => [c.scope, c.failures, c.windowStart])).toEqual([
          ["address", 2, now],
          ["user-address", 2, now]
        ])
        // Later: the address's window (started at `now`) has run out, so it starts again.
        const later = now + 300_000
        const third = yield* store.lockouts.recordFailure(
          [{ ...address("203.0.113.7"), windowStartedBefore: now }],
          later
        )
        expect(third).toEqual([{
          scope: "address",
          key: "203.0.113.7",
          failures: 1,
          windowStart: later,
          lockedUntil: 0,
          lockCount: 0
        }])
        expect(
          yield* store.lockouts.read([{ scope: "user-address", key: "svc:203.0.113.7" }, {
            scope: "user",
            key: "nobody"
          }])
        ).toEqual([{
          scope: "user-address",
          key: "svc:203.0.113.7",
          failures: 2,
          windowStart: now,
          lockedUntil: 0,
          lockCount: 0
        }])
        expect(yield* store.lockouts.read([])).toEqual([])
      }))

    it.scoped("lock starts exactly once under concurrency, is published, and can start again after it ends", () =>
      Effect.gen(function*() {
        const { site, store } = yield* fresh
        const other = site.dialect === "sqlite" ? store : yield* open(site)
        const key = "svc:203.0.113.7"
        yield* store.lockouts.recordFailure([{ scope: "user-address", key, windowStartedBefore: now - 1 }], now)
        const before = yield* changesOf(store)
        const starts = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : other).lockouts.lock({
              scope: "user-address",
              key,
              now,
              until: now + 300_000,
              expectedLockCount: 0
            })),
          { concurrency: "unbounded" }
        )
        expect(starts.filter((started) => started)).toHaveLength(1)
        expect(yield* store.lockouts.read([{ scope: "user-address", key }])).toEqual([{
          scope: "user-address",
          key,
          failures: 0,
          windowStart: now,
          lockedUntil: now + 300_000,
          lockCount: 1
        }])
        expect(yield* changesOf(store)).toEqual([...before, `lockout user-address ${key}`])
        // Still locked: no second start, whatever the expected count.
        expect(
          yield* store.lockouts.lock({ scope: "user-address", key, now: now + 1, until: now + 9, expectedLockCount: 1 })
        )
          .toBe(false)
        // Over: the next lock starts, counting one more in a row; a stale expectation does not.
        const after = now + 300_000
        expect(
          yield* store.lockouts.lock({ scope: "user-address", key, now: after, until: after + 1, expectedLockCount: 0 })
        )
          .toBe(false)
        expect(
          yield* store.lockouts.lock({ scope: "user-address", key, now: after, until: after + 1, expectedLockCount: 1 })
        )
          .toBe(true)
        expect((yield* store.lockouts.read([{ scope: "user-address", key }]))[0]?.lockCount).toBe(2)
        // A counter that does not exist cannot be locked.
        expect(
          yield* store.lockouts.lock({ scope: "address", key: "nowhere", now, until: now + 1, expectedLockCount: 0 })
        )
          .toBe(false)
      }))

    it.scoped("reset forgets one counter; unlockUser removes a name's counters, not a longer name's", () =>
      Effect.gen(function*() {
        const { store } = yield* fresh
        const names = ["al", "alice", "al2", "𝒶l", "𝒶lice"]
        const counters: Array<FailureToCount> = [
          address("192.0.2.1"),
          ...names.flatMap((name): Array<FailureToCount> => [
            { scope: "user", key: name, windowStartedBefore: 0 },
            { scope: "user-address", key: `${name}:192.0.2.1`, windowStartedBefore: 0 },
            { scope: "user-address", key: `${name}:192.0.2.2`, windowStartedBefore: 0 }
          ])
        ]
        yield* store.lockouts.recordFailure(counters, now)
        const remaining = Effect.map(
          store.lockouts.read(counters),
          (rows) => rows.map((c) => `${c.scope} ${c.key}`).sort()
        )

        yield* store.lockouts.reset("user-address", "al2:192.0.2.2")
        yield* store.lockouts.reset("user-address", "not-there")
        expect(yield* remaining).not.toContain("user-address al2:192.0.2.2")
        expect(yield* remaining).toHaveLength(counters.length - 1)

        const before = yield* changesOf(store)
        expect(yield* store.lockouts.unlockUser("al")).toBe(3)
        expect(yield* store.lockouts.unlockUser("𝒶l")).toBe(3)
        expect(yield* store.lockouts.unlockUser("nobody")).toBe(0)
        expect(yield* remaining).toEqual([
          "address 192.0.2.1",
          "user al2",
          "user alice",
          "user 𝒶lice",
          "user-address al2:192.0.2.1",
          "user-address alice:192.0.2.1",
          "user-address alice:192.0.2.2",
          "user-address 𝒶lice:192.0.2.1",
          "user-address 𝒶lice:192.0.2.2"
        ].sort())
        expect(yield* changesOf(store)).toEqual([
          ...before,
          "lockout user al",
          "lockout user 𝒶l",
          "lockout user nobody"
        ])
      }))

    it.scoped("prune deletes counters idle since a time, never a running window or lock", () =>
      Effect.gen(function*() {
        const { store } = yield* fresh
        const old = now - 3_600_000
        yield* store.lockouts.recordFailure([address("idle"), address("locked")], old)
        yield* store.lockouts.lock({
          scope: "address",
          key: "locked",
          now: old,
          until: now + 60_000,
          expectedLockCount: 0
        })
        yield* store.lockouts.recordFailure([address("recent")], now)
        expect(yield* store.lockouts.prune(now - 600_000)).toBe(1)
        expect(
          (yield* store.lockouts.read(["idle", "locked", "recent"].map((key) => ({ scope: "address", key }))))
            .map((c) => c.key).sort()
        ).toEqual(["locked", "recent"])
        expect(yield* store.lockouts.prune(now - 600_000)).toBe(0)
      }))
  })

  it.scoped("change feed: latest, since (ordered, limited), prune by age", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const { store } = yield* fresh
      expect(yield* store.changes.latest()).toBe(0)
      expect(yield* store.changes.since(0, 10)).toEqual([])
      yield* store.callers.insert({ username: "a", passwordHash: "h", privileges: [] })
      yield* TestClock.adjust("1 hour")
      yield* store.keys.insert(material("k1", "active", JAN_2025))
      yield* store.lockouts.unlockUser("b")
      const all = yield* store.changes.since(0, 10)
      expect(all.map((c) => [c.topic, c.subject])).toEqual([["caller", "a"], ["keys", "k1"], ["lockout", "user b"]])
      expect(all[0]!.id).toBeLessThan(all[1]!.id)
      expect(all[1]!.id).toBeLessThan(all[2]!.id)
      expect(yield* store.changes.latest()).toBe(all[2]!.id)
      expect(yield* store.changes.since(0, 2)).toEqual(all.slice(0, 2))
      expect(yield* store.changes.since(all[0]!.id, 10)).toEqual(all.slice(1))
      expect(yield* store.changes.since(all[2]!.id, 10)).toEqual([])

      yield* store.changes.prune(JAN_2025 + 1)
      expect(yield* store.changes.since(0, 10)).toEqual(all.slice(1))
      // Ids are never reused after a prune.
      expect(yield* store.changes.latest()).toBe(all[2]!.id)
      yield* store.callers.insert({ username: "c", passwordHash: "h", privileges: [] })
      expect(yield* store.changes.latest()).toBeGreaterThan(all[2]!.id)
    }))

  it.scoped("ping answers; a closed store dies with a StoreFailure naming the operation", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const inner = yield* Effect.acquireRelease(Scope.make(), (scope) => Scope.close(scope, Exit.void))
      const store = yield* open(site).pipe(Scope.extend(inner))
      yield* store.ping
      yield* Scope.close(inner, Exit.void)
      const listed = defectOf(yield* Effect.exit(store.callers.list()))
      expect(isStoreFailure(listed)).toBe(true)
      expect((listed as Error).message).toMatch(/^the store failed to list callers: ./)
      expect(isStoreFailure(defectOf(yield* Effect.exit(store.ping)))).toBe(true)
      // Last: after a transaction failed on a closed SQLite client, its connection lock stays taken, so a further
      // operation would only end with the operation time-out (which TestClock never reaches).
      const defect = defectOf(
        yield* Effect.exit(store.journal.write({ audit: [issued(1, "s", "u")], assignments: [] }))
      ) as Error
      expect(isStoreFailure(defect)).toBe(true)
      expect(defect.message).toMatch(/^the store failed to write the audit trail: ./)
      expect(defect.message).not.toContain("\n")
    }))

  it.scopedLive("an operation that cannot finish in time dies with a StoreFailure; the store goes on after", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const store = yield* open(site, { operationTimeout: "300 millis", busyTimeoutMillis: 50 })
      yield* store.callers.insert({ username: "before", passwordHash: "h", privileges: [] })
      const blocked = yield* Effect.scoped(Effect.gen(function*() {
        yield* holdWriteLock(site)
        return yield* Effect.exit(store.callers.insert({ username: "during", passwordHash: "h", privileges: [] }))
      }))
      expect(isStoreFailure(defectOf(blocked))).toBe(true)
      expect((defectOf(blocked) as Error).message).toMatch(/^the store failed to add a caller: /)
      yield* store.callers.insert({ username: "after", passwordHash: "h", privileges: [] })
      // (On PostgreSQL the late insert may still commit once the lock is gone: a time-out says "unknown", not "not done".)
      expect((yield* store.callers.list()).map((c) => c.username)).toEqual(expect.arrayContaining(["after", "before"]))
    }))

  it.scoped("migrations are recorded and run once; reopening keeps the data", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      yield* Effect.scoped(Effect.flatMap(open(site), (store) =>
        store.callers.insert({ username: "alice", passwordHash: "h", privileges: [] })))
      yield* Effect.scoped(open(site))
      const store = yield* open(site)
      expect((yield* store.callers.list()).map((c) =>
        c.username
      )).toEqual(["alice"])
      const migrations = yield* site.query<{ migration_id: number; name: string }>(
        "SELECT migration_id, name FROM chatauth_migrations ORDER BY migration_id"
      )
      expect(migrations.map((m) => [Number(m.migration_id), m.name])).toEqual(
        site.dialect === "sqlite" ? [[1, "initial"], [2, "shared_state"]] : [[1, "initial"]]
      )
      expect(yield* site.query("SELECT name FROM store_locks")).toEqual([{ name: "keys" }])
    }))

  it.scoped("a start refuses a database whose schema lost a table, with one line", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      yield* Effect.scoped(open(site))
      yield* site.query("DROP TABLE audit_events")
      const failure = failureOf(yield* Effect.exit(Effect.scoped(open(site))))
      expect(failure).toBeInstanceOf(StoreUnavailable)
      expect(failure?.message).toContain("audit_events")
      expect(failure?.message).toMatch(/^cannot use the (SQLite|PostgreSQL) store /)
      expect(failure?.message).not.toContain("\n")
    }))

  it.scopedLive("values round-trip identically: audit events and assignments written, then read back equal", () =>
    Effect.gen(function*() {
      const { store } = yield* fresh
      // Text as the services hand it over: well-formed Unicode without NUL (AuditLog replaces control characters,
      // request validation refuses them and lone surrogates).
      const text = FastCheck.fullUnicodeString({ maxLength: 40 }).map((s) => s.replaceAll("\u0000", "\uFFFD"))
      const time = FastCheck.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })
      const event: FastCheck.Arbitrary<AuditEvent> = FastCheck.record({
        time,
        outcome: FastCheck.constantFrom("issued" as const, "refused" as const, "lockout" as const),
        reason: text,
        caller: FastCheck.option(text, { nil: null }),
        clientAddress: text,
        authUserName: text,
        chatSiteName: text,
        poolId: text,
        kid: text
      }, { requiredKeys: ["time", "outcome", "caller", "clientAddress"] })
      const assigned: FastCheck.Arbitrary<Assignment> = FastCheck.record({
        authUserName: text,
        chatSiteName: text,
        domain: text,
        poolId: text,
        assignedAt: time
      })
      // What the store holds per user across the runs: the last of a batch, unless an earlier batch's is newer.
      const stored = new Map<string, Assignment>()
      yield* Effect.promise(() =>
        FastCheck.assert(
          FastCheck.asyncProperty(
            FastCheck.array(event, { minLength: 1, maxLength: 20 }),
            FastCheck.array(assigned, { maxLength: 20 }),
            (events, assignments) =>
              Effect.runPromise(Effect.gen(function*() {
                yield* store.journal.write({ audit: events, assignments })
                expect(yield* store.audit.list({ limit: events.length })).toEqual([...events].reverse())
                const last = new Map(assignments.map((a) => [a.authUserName, a]))
                for (const [name, a] of last) {
                  const before = stored.get(name)
                  if (before === undefined || before.assignedAt <= a.assignedAt) stored.set(name, a)
                  expect(yield* store.assignments.find(name)).toEqual(Option.some(stored.get(name)))
                }
              }))
          ),
          { numRuns: 40 }
        )
      )
    }))
})

describe("PostgreSQL only", () => {
  it.scopedLive("wakeups fire on a change committed by another connection", () =>
    Effect.gen(function*() {
      const site = yield* postgresql.site
      const listener = yield* open(site)
      const writer = yield* open(site)
      const woken = yield* Deferred.make<void>()
      yield* Effect.forkScoped(listener.changes.wakeups(() => Deferred.unsafeDone(woken, Exit.void)))
      // LISTEN is set up asynchronously: keep committing changes until one is heard (bounded, not timed).
      for (let i = 0; i < 100 && Option.isNone(yield* Deferred.poll(woken)); i++) {
        yield* writer.callers.insert({ username: `u${i}`, passwordHash: "h", privileges: [] })
        yield* Effect.sleep("100 millis")
      }
      expect(Option.isSome(yield* Deferred.poll(woken))).toBe(true)
    }))

  it.scoped("several stores opening one new database at the same moment all succeed; migrations run once", () =>
    Effect.gen(function*() {
      const site = yield* postgresql.site
      const stores = yield* Effect.all(Array.from({ length: 4 }, () => open(site)), { concurrency: "unbounded" })
      for (const store of stores) yield* store.ping
      yield* stores[0]!.callers.insert({ username: "alice", passwordHash: "h", privileges: [] })
      expect((yield* stores[3]!.callers.list()).map((c) => c.username)).toEqual(["alice"])
      const migrations = yield* site.query<{ migration_id: number }>("SELECT migration_id FROM chatauth_migrations")
      expect(migrations.map((m) => Number(m.migration_id))).toEqual([1])
      expect(yield* site.query("SELECT name FROM store_locks")).toEqual([{ name: "keys" }])
    }))

  it.live("an unreachable server refuses the start with one line, without the password", () =>
    Effect.gen(function*() {
      const url = "postgres://chatauth:s3cret-pw@127.0.0.1:1/chatauth"
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(
        PgStore.layer({ url: Redacted.make(url), connectTimeout: "1 second" })
      )))
      const failure = failureOf(exit)
      expect(failure).toBeInstanceOf(StoreUnavailable)
      expect(failure?.message).toMatch(/^cannot reach PostgreSQL at 127\.0\.0\.1:1\/chatauth \(/)
      expect(failure?.message).not.toContain("s3cret-pw")
      expect(failure?.message).not.toContain("\n")
    }))
})

describe("SQLite only", () => {
  it.scoped("a corrupt file refuses the start with one line", () =>
    Effect.gen(function*() {
      const site = yield* sqlite.site
      yield* Effect.scoped(Effect.flatMap(open(site), (store) =>
        store.journal.write({
          audit: Array.from(
            { length: 3000 },
            (_, i) => ({ ...issued(i, "svc", `user-${i}`), reason: "x".repeat(100) })
          ),
          assignments: Array.from({ length: 1000 }, (_, i) => assignment(`user-${i}`, `101:${i}`, i))
        })))
      const file = NodePath.join(site.location, DATABASE_FILE)
      const size = NodeFs.statSync(file).size
      expect(size).toBeGreaterThan(64 * 1024)
      const fd = NodeFs.openSync(file, "r+")
      try {
        NodeFs.writeSync(fd, randomBytes(8192), 0, 8192, Math.floor(size / 2))
      } finally {
        NodeFs.closeSync(fd)
      }
      const failure = failureOf(yield* Effect.exit(Effect.scoped(open(site))))
      expect(failure).toBeInstanceOf(StoreUnavailable)
      expect(failure?.message).toMatch(/^cannot (open|migrate|use) the SQLite store .*chatauth\.db \(/)
      expect(failure?.message).not.toContain("\n")
    }))
})

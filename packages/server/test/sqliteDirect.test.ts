import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Option } from "effect"
import { SqliteStore } from "../src/store/SqliteStore.js"
import type { AuditEvent } from "../src/store/Store.js"
import { Store } from "../src/store/Store.js"
import { tempDataDir } from "./storeTestUtils.js"

// The hot route's statements run on a direct connection (internal/sqliteDirect.ts); these tests pin down that it
// reads and writes the same database as everything else, and steps aside while another transaction holds the lock.

const event = (n: number): AuditEvent => ({
  time: 1_700_000_000_000 + n,
  outcome: "issued",
  caller: "integration-user",
  clientAddress: "192.0.2.1",
  authUserName: `user-${n}`,
  chatSiteName: "site-a",
  poolId: "101:1",
  kid: "kid-1"
})

const assignment = (poolId: string, assignedAt: number) => ({
  authUserName: "jane",
  chatSiteName: "site-a",
  domain: "chat.example.com",
  poolId,
  assignedAt
})

const withStore = <A, E>(effect: Effect.Effect<A, E, Store>) =>
  Effect.scoped(Effect.flatMap(tempDataDir, (dataDir) => Effect.provide(effect, SqliteStore.layer({ dataDir }))))

describe("SQLite direct lane", () => {
  it.live("journal batches and assignment reads see one database, across a reopen", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* Effect.provide(
        Effect.gen(function*() {
          const store = yield* Store
          expect(yield* store.assignments.find("jane")).toEqual(Option.none())
          yield* store.journal.write({ audit: [event(1), event(2)], assignments: [assignment("101:1", 1)] })
          yield* store.journal.write({ audit: [event(3)], assignments: [assignment("101:2", 2)] })
          expect(yield* store.assignments.find("jane")).toEqual(Option.some(assignment("101:2", 2)))
          const listed = yield* store.audit.list({ limit: 10 })
          expect(listed.map((e) => e.authUserName).sort()).toEqual(["user-1", "user-2", "user-3"])
        }),
        SqliteStore.layer({ dataDir })
      )
      yield* Effect.provide(
        Effect.gen(function*() {
          const store = yield* Store
          expect(yield* store.assignments.find("jane")).toEqual(Option.some(assignment("101:2", 2)))
          expect(yield* store.audit.list({ limit: 10 })).toHaveLength(3)
        }),
        SqliteStore.layer({ dataDir })
      )
    }).pipe(Effect.scoped))

  it.live("a batch written while another transaction holds the lock waits for it, and reads do not wait", () =>
    withStore(Effect.gen(function*() {
      const store = yield* Store
      yield* store.journal.write({ audit: [], assignments: [assignment("101:1", 1)] })
      // Started outside the transaction (a fiber forked inside it would inherit it and write through it).
      const locked = yield* Deferred.make<void>()
      const writer = yield* Effect.fork(
        Effect.zipRight(
          Deferred.await(locked),
          store.journal.write({ audit: [event(1)], assignments: [assignment("101:2", 2)] })
        )
      )
      yield* store.keys.exclusive(Effect.gen(function*() {
        // The lock is held across a real asynchronous wait, as a key generation holds it.
        yield* Deferred.succeed(locked, undefined)
        yield* Effect.sleep("50 millis")
        expect(yield* store.assignments.find("jane")).toEqual(Option.some(assignment("101:1", 1)))
        expect(Option.isNone(yield* Fiber.poll(writer))).toBe(true)
      }))
      yield* Fiber.join(writer)
      expect(yield* store.assignments.find("jane")).toEqual(Option.some(assignment("101:2", 2)))
      expect((yield* store.audit.list({ limit: 10 })).map((e) => e.authUserName)).toEqual(["user-1"])
    })))
})

/**
 * The audit trail over the journal's group commit, on both stores: an event is committed before `append` returns,
 * rows of concurrent requests share transactions, a failed write fails the requests waiting on it, and nothing
 * secret or forged reaches the store.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Option, Redacted, Scope, TestClock } from "effect"
import { AuditLog } from "../src/audit/AuditLog.js"
import { CallerAuth } from "../src/auth/CallerAuth.js"
import { CallerDirectory } from "../src/auth/CallerDirectory.js"
import { Lockouts } from "../src/auth/Lockouts.js"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import { Journal } from "../src/store/Journal.js"
import type { AuditEvent, StoreService } from "../src/store/Store.js"
import { isStoreFailure, Store } from "../src/store/Store.js"
import { JAN_2025 } from "./storeTestUtils.js"
import { open, rawText, STORES } from "./support/stores.js"

const refused = (i: number): AuditEvent => ({
  time: JAN_2025 + i,
  outcome: "refused",
  reason: "invalid",
  caller: `svc-${i}`,
  clientAddress: "192.0.2.1",
  authUserName: `user-${i}`
})

/** The store, with its journal writes counted (transactions, rows). */
const counted = (store: StoreService) => {
  const counts = { transactions: 0, rows: 0 }
  const wrapped: StoreService = {
    ...store,
    journal: {
      parallelBatches: store.journal.parallelBatches,
      write: (batch) =>
        Effect.zipRight(
          Effect.sync(() => {
            counts.transactions++
            counts.rows += batch.audit.length
          }),
          store.journal.write(batch)
        )
    }
  }
  return { counts, wrapped }
}

const buildJournal = (store: StoreService, options?: Parameters<typeof Journal.layer>[0]) =>
  Effect.map(
    Layer.build(Journal.layer(options).pipe(Layer.provide(Layer.succeed(Store, store)))),
    (context) => Context.get(context, Journal)
  )

describe.each(STORES)("Journal and AuditLog: $name", (kind) => {
  it.scopedLive("each append returns once its row is readable from another connection; appends share commits", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const { counts, wrapped } = counted(yield* open(site))
      const reader = yield* open(site)
      const journal = yield* buildJournal(wrapped)
      const appends = 400
      const readable = yield* Effect.forEach(
        Array.from({ length: appends }, (_, i) => i),
        (i) =>
          Effect.zipRight(
            journal.append(refused(i)),
            Effect.map(reader.audit.list({ limit: 2, authUserName: `user-${i}` }), (rows) => rows.length === 1)
          ),
        { concurrency: "unbounded" }
      )
      expect(readable.every((found) => found)).toBe(true)
      expect(counts.rows).toBe(appends)
      // Group commit: far fewer transactions than rows.
      expect(counts.transactions).toBeLessThanOrEqual(appends / 10)
    }))

  it.scopedLive("assignments ride along in the same order: one recorded before an event is committed with it", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const journal = yield* buildJournal(yield* open(site))
      const reader = yield* open(site)
      const assignment = {
        authUserName: "jane",
        chatSiteName: "site-a",
        domain: "chat.example.com",
        poolId: "101:1",
        assignedAt: JAN_2025
      }
      journal.recordAssignment(assignment)
      expect(journal.pendingAssignment("jane")).toEqual(Option.some(assignment))
      yield* journal.append(refused(1))
      expect(yield* reader.assignments.find("jane")).toEqual(Option.some(assignment))
      expect(journal.pendingAssignment("jane")).toEqual(Option.none())
    }))

  it.scopedLive("a failing store fails the waiting appends with a StoreFailure; appends succeed once it is back", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const store = yield* open(site)
      const journal = yield* buildJournal(store)
      yield* journal.append(refused(0))
      // A real failure: the table is not there for a while (renamed by another connection).
      yield* site.query("ALTER TABLE audit_events RENAME TO audit_events_away")
      const exits = yield* Effect.forEach([1, 2, 3], (i) => Effect.exit(journal.append(refused(i))), {
        concurrency: "unbounded"
      })
      for (const exit of exits) {
        expect(Exit.isFailure(exit)).toBe(true)
        const defect = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.dieOption(exit.cause)) : undefined
        expect(isStoreFailure(defect)).toBe(true)
      }
      yield* site.query("ALTER TABLE audit_events_away RENAME TO audit_events")
      yield* journal.append(refused(4))
      yield* journal.append(refused(5))
      expect((yield* store.audit.list({ limit: 10 })).map((e) => e.authUserName)).toEqual([
        "user-5",
        "user-4",
        "user-0"
      ])
    }))

  it.scoped("closing the journal writes the events still queued and releases their requests", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      const { counts, wrapped } = counted(yield* open(site))
      const scope = yield* Scope.make()
      // Under TestClock the batch's linger never ends: only the closing can write these.
      const audit = yield* Layer.build(
        AuditLog.layer.pipe(
          Layer.provide(Journal.layer({ maxBatch: 100 })),
          Layer.provide(Layer.succeed(Store, wrapped))
        )
      ).pipe(Effect.map((context) => Context.get(context, AuditLog)), Scope.extend(scope))
      const requests = yield* Effect.fork(Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => i),
        (i) =>
          audit.issued({
            caller: "svc",
            clientAddress: "192.0.2.1",
            authUserName: `user-${i}`,
            chatSiteName: "site-a",
            poolId: "101:1",
            kid: "k1"
          }),
        { concurrency: "unbounded" }
      ))
      for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
      expect(counts.rows).toBe(0)
      yield* Scope.close(scope, Exit.void)
      expect(yield* requests.await).toEqual(Exit.succeed(Array.from({ length: 1000 }, () => undefined)))
      const store = yield* open(site)
      const events = yield* store.audit.list({ limit: 5000 })
      expect(events).toHaveLength(1000)
      expect(new Set(events.map((e) => e.authUserName)).size).toBe(1000)
      expect(events[0]).toEqual({
        time: JAN_2025,
        outcome: "issued",
        caller: "svc",
        clientAddress: "192.0.2.1",
        authUserName: "user-999",
        chatSiteName: "site-a",
        poolId: "101:1",
        kid: "k1"
      })
      expect(counts.transactions).toBe(10)
    }))

  it.scopedLive("records no secret, and neutralises control characters and overlong fields", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const password = "Sup3r-S3cret-Passw0rd"
      const scrypt = { N: 1024, r: 8, p: 1 }
      const layer = Layer.mergeAll(CallerAuth.layer({ scrypt }), CallerDirectory.layer({ scrypt })).pipe(
        Layer.provideMerge(Lockouts.layer()),
        Layer.provideMerge(AuditLog.layer),
        Layer.provideMerge(Journal.layer()),
        Layer.provideMerge(ChangeFeed.layer()),
        Layer.provideMerge(site.layer())
      )
      yield* Effect.scoped(
        Effect.gen(function*() {
          const directory = yield* CallerDirectory
          const auth = yield* CallerAuth
          const audit = yield* AuditLog
          yield* directory.add({ username: "svc", password })
          const wrong = yield* Effect.flip(
            auth.authenticate({ username: "svc", password: Redacted.make(`${password}x`), clientAddress: "192.0.2.1" })
          )
          yield* audit.refused({ reason: wrong.reason, caller: "svc", clientAddress: "192.0.2.1" })
          yield* audit.refused({ reason: "invalid", caller: "evil\r\nFORGED line", clientAddress: "192.0.2.2" })
          yield* auth.authenticate({ username: "svc", password: Redacted.make(password), clientAddress: "192.0.2.1" })
          yield* audit.issued({
            caller: "svc",
            clientAddress: "192.0.2.1",
            authUserName: "j".repeat(2000),
            chatSiteName: "s",
            poolId: "1:1",
            kid: "k"
          })
        }).pipe(Effect.provide(layer))
      )
      const store = yield* open(site)
      const events = yield* store.audit.list({ limit: 100 })
      expect(events.map((e) => e.outcome)).toEqual(["issued", "refused", "refused"])
      expect(events[0]?.authUserName).toBe("j".repeat(512))
      expect(events[1]?.caller).toBe("evil\uFFFD\uFFFDFORGED line")
      expect(events[2]).toMatchObject({ caller: "svc", reason: "invalid" })
      expect(JSON.stringify(events)).not.toContain(password)
      // Nor anywhere in the database (SQLite: its files, WAL included; PostgreSQL: every table).
      const raw = yield* rawText(site)
      expect(raw).toContain("FORGED line")
      expect(raw).not.toContain(password)
    }))
})

import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, TestClock } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { AuditLog } from "../src/AuditLog.js"
import { CallerAuth } from "../src/CallerAuth.js"
import { DATABASE_FILE, SqliteStore } from "../src/SqliteStore.js"
import { Store } from "../src/Store.js"
import { eventually, JAN_2025, tempDataDir } from "./storeTestUtils.js"

const listAll = (dataDir: string) =>
  Effect.flatMap(Store, (store) => store.audit.list({ limit: 100_000 })).pipe(
    Effect.provide(SqliteStore.layer({ dataDir }))
  )

describe("AuditLog", () => {
  it.scoped("writes every queued event when its scope closes (graceful stop)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      // Under TestClock the writer's pause never ends, so all but the first batch wait for the finalizer.
      yield* Effect.gen(function*() {
        const audit = yield* AuditLog
        for (let i = 0; i < 2500; i++) {
          yield* audit.issued({
            caller: "svc",
            clientAddress: "192.0.2.1",
            authUserName: `user-${i}`,
            chatSiteName: "site-a",
            poolId: "101:1",
            kid: "k1"
          })
        }
        yield* audit.refused({ reason: "invalid", caller: null, clientAddress: "192.0.2.9" })
      }).pipe(Effect.provide(AuditLog.layer({ maxBatch: 100 }).pipe(Layer.provide(SqliteStore.layer({ dataDir })))))

      const events = yield* listAll(dataDir)
      expect(events).toHaveLength(2501)
      expect(events[0]).toEqual({
        time: JAN_2025,
        outcome: "refused",
        reason: "invalid",
        caller: null,
        clientAddress: "192.0.2.9"
      })
      expect(events[1]).toEqual({
        time: JAN_2025,
        outcome: "issued",
        caller: "svc",
        clientAddress: "192.0.2.1",
        authUserName: "user-2499",
        chatSiteName: "site-a",
        poolId: "101:1",
        kid: "k1"
      })
      expect(new Set(events.map((e) => e.authUserName)).size).toBe(2501)
    }))

  it.live("writes in the background without waiting for the scope to close", () =>
    Effect.scoped(Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const layer = AuditLog.layer({ flushInterval: "2 millis" }).pipe(
        Layer.provideMerge(SqliteStore.layer({ dataDir }))
      )
      yield* Effect.gen(function*() {
        const audit = yield* AuditLog
        const store = yield* Store
        for (let i = 0; i < 10; i++) {
          yield* audit.refused({ reason: "invalid", caller: `u${i}`, clientAddress: "a" })
          yield* Effect.yieldNow()
        }
        expect(yield* eventually(Effect.map(store.audit.list({ limit: 100 }), (e) => e.length === 10))).toBe(true)
      }).pipe(Effect.provide(layer))
    })))

  it.scoped("records no secret and neutralises control characters", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      const password = "Sup3r-S3cret-Passw0rd"
      yield* Effect.gen(function*() {
        const auth = yield* CallerAuth
        const audit = yield* AuditLog
        yield* auth.addCaller({ username: "svc", password })
        const refused = yield* Effect.flip(
          auth.authenticate({ username: "svc", password: Redacted.make(`${password}x`), clientAddress: "192.0.2.1" })
        )
        yield* audit.refused({ reason: refused.reason, caller: "svc", clientAddress: "192.0.2.1" })
        yield* audit.refused({ reason: "invalid", caller: "evil\r\nFORGED line", clientAddress: "192.0.2.2" })
        yield* auth.authenticate({ username: "svc", password: Redacted.make(password), clientAddress: "192.0.2.1" })
        yield* audit.issued({
          caller: "svc",
          clientAddress: "192.0.2.1",
          authUserName: "jane",
          chatSiteName: "s",
          poolId: "1:1",
          kid: "k"
        })
      }).pipe(
        Effect.provide(
          Layer.mergeAll(AuditLog.layer(), CallerAuth.layer({ scrypt: { N: 1024, r: 8, p: 1 } })).pipe(
            Layer.provide(SqliteStore.layer({ dataDir }))
          )
        )
      )
      const events = yield* listAll(dataDir)
      expect(events.map((e) => e.outcome)).toEqual(["issued", "refused", "refused"])
      expect(events[1]?.caller).toBe("evil\uFFFD\uFFFDFORGED line")
      const serialized = JSON.stringify(events)
      expect(serialized).not.toContain(password)
      // Nor anywhere in the database files (WAL included).
      for (const file of NodeFs.readdirSync(dataDir).filter((f) => f.startsWith(DATABASE_FILE))) {
        expect(NodeFs.readFileSync(NodePath.join(dataDir, file)).includes(password)).toBe(false)
      }
    }))
})

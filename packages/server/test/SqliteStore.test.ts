import type { KeyMaterial } from "@chatauth/core/KeyStore"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer, Option, Redacted, TestClock } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { DATABASE_FILE, SqliteStore } from "../src/SqliteStore.js"
import { Store } from "../src/Store.js"
import { eventually, JAN_2025, tempDataDir } from "./storeTestUtils.js"

const withStore = <A, E>(dataDir: string, effect: Effect.Effect<A, E, Store>, secret?: string) =>
  Effect.provide(
    effect,
    SqliteStore.layer({ dataDir, keyEncryptionSecret: secret === undefined ? undefined : Redacted.make(secret) })
  )

const rawQuery = <A extends object>(dataDir: string, query: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(query)).pipe(
    Effect.provide(SqliteClient.layer({ filename: NodePath.join(dataDir, DATABASE_FILE) })),
    Effect.orDie
  )

const material = (kid: string, state: KeyMaterial["state"]): KeyMaterial => ({
  kid,
  alg: "RS256",
  state,
  privateKeyPem: `-----BEGIN PRIVATE KEY-----\nsecret-${kid}\n-----END PRIVATE KEY-----\n`,
  certificatePem: `-----BEGIN CERTIFICATE-----\ncert-${kid}\n-----END CERTIFICATE-----\n`,
  createdAt: JAN_2025,
  activatedAt: state === "active" ? JAN_2025 + 1 : null,
  retiredAt: null
})

describe("SqliteStore", () => {
  it.scoped("creates the directory, a 0600 database in WAL mode, and migrates idempotently", () =>
    Effect.gen(function*() {
      const parent = yield* tempDataDir
      const dataDir = NodePath.join(parent, "nested", "data")
      yield* withStore(dataDir, Effect.void)
      const file = NodePath.join(dataDir, DATABASE_FILE)
      expect(NodeFs.statSync(file).mode & 0o777).toBe(0o600)
      expect(NodeFs.statSync(dataDir).mode & 0o777).toBe(0o700)

      yield* withStore(
        dataDir,
        Effect.flatMap(Store, (store) => store.callers.insert({ username: "alice", passwordHash: "h", privileges: [] }))
      )
      // Reopen: migrations run again without error and without touching data.
      const callers = yield* withStore(dataDir, Effect.flatMap(Store, (store) => store.callers.list()))
      expect(callers.map((c) => c.username)).toEqual(["alice"])

      const migrations = yield* rawQuery<{ migration_id: number }>(
        dataDir,
        "SELECT migration_id FROM chatauth_migrations"
      )
      expect(migrations.map((m) => m.migration_id)).toEqual([1])
      const mode = yield* rawQuery<{ journal_mode: string }>(dataDir, "PRAGMA journal_mode")
      expect(mode[0]?.journal_mode).toBe("wal")
    }))

  it.scoped("callers: insert, find, list, update, remove", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      yield* withStore(
        dataDir,
        Effect.gen(function*() {
          const store = yield* Store
          const inserted = yield* store.callers.insert({
            username: "bob",
            passwordHash: "h1",
            privileges: ["P1", "P2"]
          })
          expect(inserted).toEqual(Option.some({
            username: "bob",
            passwordHash: "h1",
            privileges: ["P1", "P2"],
            createdAt: JAN_2025,
            updatedAt: JAN_2025
          }))
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
          const updated = Option.getOrThrow(yield* store.callers.find("bob"))
          expect(updated).toMatchObject({ passwordHash: "h2", privileges: [], createdAt: JAN_2025 })
          expect(updated.updatedAt).toBe(JAN_2025 + 1000)

          yield* store.callers.insert({ username: "amy", passwordHash: "h", privileges: [] })
          expect((yield* store.callers.list()).map((c) => c.username)).toEqual(["amy", "bob"])
          expect(yield* store.callers.remove("bob")).toBe(true)
          expect(yield* store.callers.remove("bob")).toBe(false)
          expect((yield* store.callers.list()).map((c) => c.username)).toEqual(["amy"])
        })
      )
    }))

  it.scoped("assignments survive a reopen; record replaces", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* withStore(
        dataDir,
        Effect.gen(function*() {
          const store = yield* Store
          yield* store.assignments.record({
            authUserName: "jane",
            chatSiteName: "site-a",
            domain: "a.example.com",
            poolId: "101:1",
            assignedAt: 1
          })
          yield* store.assignments.record({
            authUserName: "jane",
            chatSiteName: "site-b",
            domain: "b.example.com",
            poolId: "202:2",
            assignedAt: 2
          })
        })
      )
      const found = yield* withStore(dataDir, Effect.flatMap(Store, (store) => store.assignments.find("jane")))
      expect(found).toEqual(Option.some({
        authUserName: "jane",
        chatSiteName: "site-b",
        domain: "b.example.com",
        poolId: "202:2",
        assignedAt: 2
      }))
      expect(yield* withStore(dataDir, Effect.flatMap(Store, (store) => store.assignments.find("john")))).toEqual(
        Option.none()
      )
    }))

  it.live("assignments are written behind: readable at once, in the file shortly after, while the store is open", () =>
    Effect.scoped(Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* withStore(
        dataDir,
        Effect.gen(function*() {
          const store = yield* Store
          for (let i = 0; i < 3000; i++) {
            yield* store.assignments.record({
              authUserName: `user-${i % 1000}`,
              chatSiteName: "site-a",
              domain: "a.example.com",
              poolId: `101:${i}`,
              assignedAt: i
            })
          }
          expect(Option.map(yield* store.assignments.find("user-999"), (a) => a.poolId)).toEqual(
            Option.some("101:2999")
          )
          const written = yield* eventually(
            Effect.map(
              rawQuery<{ n: number; max: number }>(
                dataDir,
                "SELECT count(*) AS n, max(assigned_at) AS max FROM assignments"
              ),
              (rows) => rows[0]?.n === 1000 && rows[0]?.max === 2999
            )
          )
          expect(written).toBe(true)
        })
      )
    })))

  it.scoped("audit: append, appendAll in order, list newest first with limit and since", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const events = yield* withStore(
        dataDir,
        Effect.gen(function*() {
          const store = yield* Store
          yield* store.audit.append({
            time: 1,
            outcome: "refused",
            reason: "invalid",
            caller: null,
            clientAddress: "a"
          })
          yield* store.audit.appendAll(Array.from({ length: 1200 }, (_, i) => ({
            time: 10 + i,
            outcome: "issued" as const,
            caller: "svc",
            clientAddress: "b",
            authUserName: `u${i}`,
            chatSiteName: "s",
            poolId: "1:1",
            kid: "k"
          })))
          return {
            latest: yield* store.audit.list({ limit: 2 }),
            since: yield* store.audit.list({ limit: 5000, since: 1205 }),
            all: yield* store.audit.list({ limit: 5000 })
          }
        })
      )
      expect(events.all).toHaveLength(1201)
      expect(events.latest.map((e) => e.authUserName)).toEqual(["u1199", "u1198"])
      expect(events.since).toHaveLength(5)
      expect(events.all.at(-1)).toEqual({
        time: 1,
        outcome: "refused",
        reason: "invalid",
        caller: null,
        clientAddress: "a"
      })
    }))

  it.scoped("keys: upsert, list, remove; plain PEM without a secret", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* withStore(
        dataDir,
        Effect.gen(function*() {
          const store = yield* Store
          yield* store.keys.upsert(material("k1", "active"))
          yield* store.keys.upsert(material("k2", "next"))
          yield* store.keys.upsert({ ...material("k1", "retired"), retiredAt: JAN_2025 + 5 })
          expect(yield* store.keys.remove("k2")).toBe(true)
          expect(yield* store.keys.remove("k2")).toBe(false)
        })
      )
      const keys = yield* withStore(dataDir, Effect.flatMap(Store, (store) => store.keys.list()))
      expect(keys).toEqual([{ ...material("k1", "retired"), retiredAt: JAN_2025 + 5 }])
    }))

  it.scoped("keys: encrypted at rest with a secret, unreadable without it", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* withStore(dataDir, Effect.flatMap(Store, (store) => store.keys.upsert(material("k1", "active"))), "s3cret")
      const rows = yield* rawQuery<{ private_key_pem: string }>(dataDir, "SELECT private_key_pem FROM signing_keys")
      expect(rows[0]?.private_key_pem.startsWith("enc:v1:")).toBe(true)
      expect(rows[0]?.private_key_pem).not.toContain("secret-k1")

      const back = yield* withStore(dataDir, Effect.flatMap(Store, (store) => store.keys.list()), "s3cret")
      expect(back).toEqual([material("k1", "active")])

      const withoutSecret = yield* Effect.exit(withStore(dataDir, Effect.flatMap(Store, (store) => store.keys.list())))
      expect(Exit.isFailure(withoutSecret)).toBe(true)
      const wrongSecret = yield* Effect.exit(
        withStore(dataDir, Effect.flatMap(Store, (store) => store.keys.list()), "wrong")
      )
      expect(Exit.isFailure(wrongSecret)).toBe(true)
    }))

  it.scoped("layerConfig reads CHATAUTH_DATA_DIR", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* Effect.flatMap(Store, (store) => store.callers.list()).pipe(
        Effect.provide(SqliteStore.layerConfig.pipe(
          Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["CHATAUTH_DATA_DIR", dataDir]]))))
        ))
      )
      expect(NodeFs.existsSync(NodePath.join(dataDir, DATABASE_FILE))).toBe(true)
    }))
})

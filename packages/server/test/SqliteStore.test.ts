/**
 * What only the SQLite store has: its files. The behaviour shared with PostgreSQL is in StoreContract.test.ts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Option } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { DATABASE_FILE } from "../src/store/SqliteStore.js"
import { StoreUnavailable } from "../src/store/Store.js"
import { tempDataDir } from "./storeTestUtils.js"
import { open, rawText, sqliteSite } from "./support/stores.js"

const modeOf = (path: string) => NodeFs.statSync(path).mode & 0o777

describe("SqliteStore", () => {
  it.scoped("creates the directory (0700) and a database file (0600, WAL files too) in WAL mode", () =>
    Effect.gen(function*() {
      const parent = yield* tempDataDir
      const dataDir = NodePath.join(parent, "nested", "data")
      const site = sqliteSite(dataDir)
      const store = yield* open(site)
      yield* store.callers.insert({ username: "alice", passwordHash: "h", privileges: [] })
      const file = NodePath.join(dataDir, DATABASE_FILE)
      expect(modeOf(dataDir)).toBe(0o700)
      expect(modeOf(file)).toBe(0o600)
      // While open, the WAL and its index hold data too: they get the database file's mode.
      const sidecars = NodeFs.readdirSync(dataDir).filter((name) => name !== DATABASE_FILE)
      expect(sidecars.sort()).toEqual([`${DATABASE_FILE}-shm`, `${DATABASE_FILE}-wal`])
      for (const name of sidecars) expect(modeOf(NodePath.join(dataDir, name))).toBe(0o600)
      expect(yield* site.query("PRAGMA journal_mode")).toEqual([{ journal_mode: "wal" }])
    }))

  it.scoped("a removed or rewritten private key leaves no copy in the file (secure_delete)", () =>
    Effect.gen(function*() {
      const site = yield* Effect.map(tempDataDir, sqliteSite)
      const pem = (marker: string) => `-----BEGIN PRIVATE KEY-----\n${marker.repeat(200)}\n-----END PRIVATE KEY-----\n`
      const material = (kid: string, marker: string) => ({
        kid,
        alg: "RS256" as const,
        state: "retired" as const,
        privateKeyPem: pem(marker),
        certificatePem: "-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n",
        createdAt: 1,
        activatedAt: 1,
        retiredAt: 2
      })
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* open(site)
        yield* store.keys.insert(material("removed", "Removed-Key-Body/"))
        yield* store.keys.insert(material("rewritten", "Rewritten-Key-Body/"))
        yield* store.keys.insert(material("kept", "Kept-Key-Body/"))
      }))
      const raw = () => rawText(site)
      expect(yield* raw()).toContain("Removed-Key-Body/")
      yield* Effect.scoped(Effect.gen(function*() {
        const store = yield* open(site)
        yield* store.keys.remove("removed")
        yield* store.keys.replacePrivateKey("rewritten", "enc:v1:sealed")
      }))
      const after = yield* raw()
      expect(after).toContain("Kept-Key-Body/")
      expect(after).not.toContain("Removed-Key-Body/")
      expect(after).not.toContain("Rewritten-Key-Body/")
    }))

  it.scoped("an existing file with a wider mode is narrowed to 0600 at open", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const file = NodePath.join(dataDir, DATABASE_FILE)
      NodeFs.writeFileSync(file, "")
      NodeFs.chmodSync(file, 0o644)
      yield* Effect.scoped(open(sqliteSite(dataDir)))
      expect(modeOf(file)).toBe(0o600)
    }))

  it.scoped("a data directory that cannot be used refuses the start with one line", () =>
    Effect.gen(function*() {
      const parent = yield* tempDataDir
      const notADirectory = NodePath.join(parent, "file")
      NodeFs.writeFileSync(notADirectory, "")
      const exit = yield* Effect.exit(Effect.scoped(open(sqliteSite(notADirectory))))
      const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(failure).toBeInstanceOf(StoreUnavailable)
      expect(failure?.message).toMatch(new RegExp(`^cannot use the data directory ${notADirectory} \\(`))
      expect(failure?.message).not.toContain("\n")
    }))

  it.scoped("a file that is not a database refuses the start with one line", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      NodeFs.writeFileSync(
        NodePath.join(dataDir, DATABASE_FILE),
        "this is not an SQLite database, just text. ".repeat(200)
      )
      const exit = yield* Effect.exit(Effect.scoped(open(sqliteSite(dataDir))))
      const failure = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      expect(failure).toBeInstanceOf(StoreUnavailable)
      expect(failure?.message).toMatch(/^cannot open the SQLite store .*chatauth\.db \(/)
      expect(failure?.message).not.toContain("\n")
    }))
})

import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Either, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { Database } from "../src/store/Database.js"
import { DATABASE_FILE } from "../src/store/SqliteStore.js"
import { Store } from "../src/store/Store.js"
import { tempDataDir } from "./storeTestUtils.js"
import { testDatabaseUrl } from "./support/testDatabase.js"

const readOptions = (env: Record<string, string>) =>
  Effect.either(Effect.withConfigProvider(Database.optionsConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))

const storeOf = (options: Parameters<typeof Database.layer>[0]) =>
  Effect.map(Layer.build(Database.layer(options)), (context) => Context.get(context, Store))

describe("Database", () => {
  it.scoped("without a URL: SQLite under the data directory; with a postgres:// URL: PostgreSQL", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const sqlite = yield* storeOf({ dataDir })
      expect(sqlite.dialect).toBe("sqlite")
      expect(NodeFs.existsSync(NodePath.join(dataDir, DATABASE_FILE))).toBe(true)

      // The run's shared database: opening it only migrates it, which is safe beside any other test.
      const url = testDatabaseUrl()
      const pg = yield* storeOf({ databaseUrl: Redacted.make(url), dataDir })
      expect(pg.dialect).toBe("postgresql")
      const parsed = new URL(url)
      expect(pg.location).toBe(`${parsed.hostname}:${parsed.port === "" ? "5432" : parsed.port}${parsed.pathname}`)
    }))

  it.effect("optionsConfig reads the store's variables", () =>
    Effect.gen(function*() {
      const options = yield* readOptions({
        CHATAUTH_DATABASE_URL: "postgresql://chatauth:pw@db.internal:5433/chatauth",
        CHATAUTH_DATA_DIR: "/var/lib/chatauth",
        CHATAUTH_DATABASE_CONNECT_SECONDS: "12",
        CHATAUTH_DATABASE_TIMEOUT_MS: "250"
      })
      expect(Either.isRight(options)).toBe(true)
      const read = Either.getOrThrow(options)
      expect(Redacted.value(read.databaseUrl!)).toBe("postgresql://chatauth:pw@db.internal:5433/chatauth")
      expect(read.dataDir).toBe("/var/lib/chatauth")
      expect(Duration.toMillis(read.connectTimeout!)).toBe(12_000)
      expect(Duration.toMillis(read.operationTimeout!)).toBe(250)
      expect(Database.describe(read)).toBe("PostgreSQL at db.internal:5433/chatauth")

      // Unset or blank: SQLite.
      const blank = Either.getOrThrow(yield* readOptions({ CHATAUTH_DATABASE_URL: "  " }))
      expect(blank.databaseUrl).toBeUndefined()
      expect(Database.describe(blank)).toBe("SQLite at ./.chatauth/chatauth.db")

      // Anything but a PostgreSQL URL is refused, without echoing it.
      const wrong = yield* readOptions({ CHATAUTH_DATABASE_URL: "mysql://root:hunter2@db/chatauth" })
      expect(Either.isLeft(wrong)).toBe(true)
      if (Either.isLeft(wrong)) {
        expect(String(wrong.left)).toContain("postgres://")
        expect(String(wrong.left)).not.toContain("hunter2")
      }
    }))
})

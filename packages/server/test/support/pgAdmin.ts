/**
 * Creating and dropping the test databases on the test PostgreSQL server: shared by the global setup (main process)
 * and the tests (workers).
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import { Effect, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { causeText } from "../../src/store/Store.js"

/** The server where test databases are made, through its maintenance database. */
export const DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"

/** Every test database's name starts with this. */
export const RUN_PREFIX = "chatauth_test_"

/** `CHATAUTH_PG_URL`, else the machine's and CI's test server. */
export const adminUrl = (): string => {
  const configured = process.env.CHATAUTH_PG_URL?.trim()
  return configured === undefined || configured === "" ? DEFAULT_ADMIN_URL : configured
}

/** `chatauth_test_<start time, base 36>_<random>`: unique, and datable by a later run if this one is killed. */
export const runDatabaseName = (): string => `${RUN_PREFIX}${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`

/** The same server and credentials, another database. */
export const withDatabase = (url: string, database: string): string => {
  const parsed = new URL(url)
  parsed.pathname = `/${database}`
  return parsed.toString()
}

const hostOf = (url: string): string => {
  try {
    const parsed = new URL(url)
    return `${parsed.hostname}:${parsed.port === "" ? "5432" : parsed.port}`
  } catch {
    return url
  }
}

export type AdminQuery = <A extends object = Record<string, unknown>>(statement: string) => Promise<ReadonlyArray<A>>

/**
 * Runs `use` with one connection to `url`. A server that cannot be reached fails with the message every test run
 * shows when PostgreSQL is missing.
 */
export const runAdmin = <A>(url: string, use: (query: AdminQuery) => Promise<A>): Promise<A> =>
  Effect.runPromise(
    Effect.scoped(Effect.gen(function*() {
      const sql = yield* PgClient.make({
        url: Redacted.make(url),
        maxConnections: 1,
        connectTimeout: "5 seconds",
        applicationName: "chatauth-tests"
      }).pipe(
        Effect.mapError((error) =>
          new Error(`PostgreSQL is required at ${hostOf(url)} for the store tests: ${causeText(error)}`)
        )
      )
      const query: AdminQuery = (statement) => Effect.runPromise(sql.unsafe(statement))
      return yield* Effect.tryPromise({ try: () => use(query), catch: (error) => error })
    })).pipe(Effect.provide(Reactivity.layer))
  )

/** Drops databases, disconnecting whoever still uses them. */
export const dropDatabases = async (query: AdminQuery, names: ReadonlyArray<string>): Promise<void> => {
  for (const name of names) {
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop a database named ${JSON.stringify(name)}`)
    await query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
}

/**
 * vitest global setup: the PostgreSQL database of one test run.
 *
 * Creates `chatauth_test_<time>_<random>` on the test server (`CHATAUTH_PG_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`), hands its URL to the tests (`inject("chatauthTestDatabaseUrl")`, and
 * `CHATAUTH_TEST_DATABASE_URL` in the environment), and at the end drops it together with every extra database the
 * run's test files made (`freshDatabase` names them after it), with `force` so a leaked connection cannot keep one.
 * Databases left by runs that were killed more than a day ago are dropped at the start.
 *
 * PostgreSQL is required: when it cannot be reached the run fails here, with the reason, and never skips.
 */
import type { TestProject } from "vitest/node"
import { adminUrl, dropDatabases, RUN_PREFIX, runAdmin, runDatabaseName, withDatabase } from "./pgAdmin.js"

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's database, migrated by nobody yet. */
    readonly chatauthTestDatabaseUrl: string
    /** The server's maintenance URL, where extra databases are created. */
    readonly chatauthTestAdminUrl: string
    /** The run's database name: extra databases are named after it, so the teardown finds them. */
    readonly chatauthTestDatabaseName: string
  }
}

const STALE_AFTER_MS = 24 * 60 * 60 * 1000

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const admin = adminUrl()
  const name = runDatabaseName()
  await runAdmin(admin, async (query) => {
    // Leftovers of killed runs: their names carry their start time.
    const now = Date.now()
    const stale = (await query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE left(datname, ${RUN_PREFIX.length}) = '${RUN_PREFIX}'`
    )).map((row) => row.datname).filter((db) => {
      const started = parseInt(db.slice(RUN_PREFIX.length).split("_")[0] ?? "", 36)
      return Number.isFinite(started) && now - started > STALE_AFTER_MS
    })
    await dropDatabases(query, stale)
    await query(`CREATE DATABASE ${name}`)
  })
  const url = withDatabase(admin, name)
  project.provide("chatauthTestDatabaseUrl", url)
  project.provide("chatauthTestAdminUrl", admin)
  project.provide("chatauthTestDatabaseName", name)
  process.env.CHATAUTH_TEST_DATABASE_URL = url
  return async () => {
    await runAdmin(admin, async (query) => {
      const mine = (await query<{ datname: string }>(
        `SELECT datname FROM pg_database WHERE left(datname, ${name.length}) = '${name}'`
      )).map((row) => row.datname)
      await dropDatabases(query, mine)
    })
  }
}

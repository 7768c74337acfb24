/**
 * The PostgreSQL databases of the tests (see `postgres.ts`, the global setup that creates the run's database).
 */
import type { Scope } from "effect"
import { Effect } from "effect"
import { randomBytes } from "node:crypto"
import { inject } from "vitest"
import { dropDatabases, runAdmin, withDatabase } from "./pgAdmin.js"

/** The run's database (shared by the test files of the run; unmigrated until a store opens it). */
export const testDatabaseUrl = (): string => inject("chatauthTestDatabaseUrl")

/**
 * A new, empty database for the scope, dropped when it closes (and by the run's teardown if this process dies
 * first): for tests that need a store no other test writes to, or a database nobody has migrated yet.
 */
export const freshDatabase: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.promise(async () => {
    const name = `${inject("chatauthTestDatabaseName")}_${randomBytes(4).toString("hex")}`
    await runAdmin(inject("chatauthTestAdminUrl"), (query) => query(`CREATE DATABASE ${name}`))
    return name
  }),
  (name) => Effect.promise(() => runAdmin(inject("chatauthTestAdminUrl"), (query) => dropDatabases(query, [name])))
).pipe(Effect.map((name) => withDatabase(inject("chatauthTestAdminUrl"), name)))

import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * What replicas and the CLI share beyond the first schema: failed-login counters, the change feed, the row that
 * serialises key rotations, and indexes for searching the audit trail.
 *
 * @internal
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE auth_failures (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    lock_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
  )`
  yield* sql`CREATE TABLE store_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    subject TEXT NOT NULL,
    at INTEGER NOT NULL
  )`
  yield* sql`CREATE TABLE store_locks (
    name TEXT PRIMARY KEY NOT NULL,
    taken INTEGER NOT NULL
  )`
  yield* sql`INSERT INTO store_locks (name, taken) VALUES ('keys', 0)`
  yield* sql`CREATE INDEX audit_events_caller ON audit_events (caller, id)`
  yield* sql`CREATE INDEX audit_events_auth_user_name ON audit_events (auth_user_name, id)`
})

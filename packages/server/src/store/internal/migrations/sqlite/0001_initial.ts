import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * The first schema. Times are epoch milliseconds (INTEGER) so the values round-trip exactly through any store;
 * privileges are a JSON array of strings.
 *
 * @internal
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE callers (
    username TEXT PRIMARY KEY NOT NULL,
    password_hash TEXT NOT NULL,
    privileges TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  )`
  yield* sql`CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    state TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at INTEGER
  )`
  yield* sql`CREATE TABLE assignments (
    auth_user_name TEXT PRIMARY KEY NOT NULL,
    chat_site_name TEXT NOT NULL,
    domain TEXT NOT NULL,
    pool_id TEXT NOT NULL,
    assigned_at INTEGER NOT NULL
  )`
  yield* sql`CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT,
    caller TEXT,
    client_address TEXT NOT NULL,
    auth_user_name TEXT,
    chat_site_name TEXT,
    pool_id TEXT,
    kid TEXT
  )`
  yield* sql`CREATE INDEX audit_events_time ON audit_events (time)`
})

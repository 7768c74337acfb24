import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * PostgreSQL's schema: the same tables and columns as SQLite's migrations 0001 and 0002 together. Times are epoch
 * milliseconds (BIGINT) so values round-trip exactly between the two stores.
 *
 * @internal
 */
export default Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql`CREATE TABLE callers (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    privileges TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  )`
  yield* sql`CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    state TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    certificate_pem TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT
  )`
  yield* sql`CREATE TABLE assignments (
    auth_user_name TEXT PRIMARY KEY,
    chat_site_name TEXT NOT NULL,
    domain TEXT NOT NULL,
    pool_id TEXT NOT NULL,
    assigned_at BIGINT NOT NULL
  )`
  yield* sql`CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time BIGINT NOT NULL,
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
  yield* sql`CREATE INDEX audit_events_caller ON audit_events (caller, id)`
  yield* sql`CREATE INDEX audit_events_auth_user_name ON audit_events (auth_user_name, id)`
  yield* sql`CREATE TABLE auth_failures (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    lock_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, key)
  )`
  yield* sql`CREATE TABLE store_changes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic TEXT NOT NULL,
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
  )`
  yield* sql`CREATE TABLE store_locks (
    name TEXT PRIMARY KEY,
    taken BIGINT NOT NULL
  )`
  yield* sql`INSERT INTO store_locks (name, taken) VALUES ('keys', 0)`
})

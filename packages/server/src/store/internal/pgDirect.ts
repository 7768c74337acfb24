/**
 * The hot route's two PostgreSQL statements on a small pool of their own, driven by callbacks: the grouped RESUME
 * lookup and the journal's batch (audit rows and assignments, one statement). The PostgreSQL counterpart of
 * `sqliteDirect.ts`.
 *
 * Why: through `@effect/sql` each batch cost a few fibers, a span and a statement compiled anew, and PostgreSQL
 * parsed and planned a new text each time (the row count is in the text). Here both statements have one constant
 * text, prepared once per connection (named statements), their rows passed as arrays (`unnest`), and a batch is
 * a callback. Every other statement keeps going through `@effect/sql`.
 *
 * A statement that fails, or gets no answer within `queryTimeoutMillis`, reports an error to its callback: the
 * store turns it into a `StoreFailure` (503, and the store reported unhealthy). The pool reconnects by itself.
 *
 * @internal
 */
import pg from "pg"
import type { AssignmentRow, AuditRow } from "./sqliteDirect.js"

/** An assignment as read: PostgreSQL's BIGINT arrives as a string. */
export type FoundAssignment = Omit<AssignmentRow, "assigned_at"> & { readonly assigned_at: number | string }

/** @internal */
export interface PgDirect {
  readonly findAssignments: (
    names: ReadonlyArray<string>,
    done: (error: Error | undefined, rows: ReadonlyArray<FoundAssignment>) => void
  ) => void
  /** Appends `audit`, upserts `assignments` (never over a newer one), in one statement: all or nothing. */
  readonly writeJournal: (
    audit: ReadonlyArray<AuditRow>,
    assignments: ReadonlyArray<AssignmentRow>,
    done: (error: Error | undefined) => void
  ) => void
  readonly close: () => Promise<void>
}

const FIND_ASSIGNMENTS: pg.QueryConfig = {
  name: "chatauth_find_assignments",
  text: `SELECT auth_user_name, chat_site_name, domain, pool_id, assigned_at FROM assignments
    WHERE auth_user_name = ANY($1::text[])`
}

// A data-modifying WITH runs with its statement, atomically; empty arrays insert nothing.
const WRITE_JOURNAL_TEXT = `WITH audit AS (
    INSERT INTO audit_events (time, outcome, reason, caller, client_address, auth_user_name, chat_site_name, pool_id,
      kid)
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
      $8::text[], $9::text[])
  )
  INSERT INTO assignments (auth_user_name, chat_site_name, domain, pool_id, assigned_at)
  SELECT * FROM unnest($10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[])
  ON CONFLICT (auth_user_name) DO UPDATE SET chat_site_name = excluded.chat_site_name, domain = excluded.domain,
    pool_id = excluded.pool_id, assigned_at = excluded.assigned_at
  WHERE assignments.assigned_at <= excluded.assigned_at`

const column = <R, K extends keyof R>(rows: ReadonlyArray<R>, key: K): Array<R[K]> => rows.map((row) => row[key])

/** @internal */
export const open = (options: {
  readonly url: string
  readonly connections: number
  readonly queryTimeoutMillis: number
  readonly connectTimeoutMillis: number
}): PgDirect => {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: Math.max(1, options.connections),
    query_timeout: options.queryTimeoutMillis,
    connectionTimeoutMillis: options.connectTimeoutMillis,
    idleTimeoutMillis: 30_000,
    application_name: "chatauth"
  })
  // An idle connection that breaks (the database restarting) is dropped by the pool; the next query opens another.
  pool.on("error", () => {})
  const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)))

  return {
    findAssignments: (names, done) => {
      pool.query<FoundAssignment>({ ...FIND_ASSIGNMENTS, values: [names] }).then(
        (result) => done(undefined, result.rows),
        (error) => done(asError(error), [])
      )
    },
    writeJournal: (audit, assignments, done) => {
      const values = [
        column(audit, "time"),
        column(audit, "outcome"),
        column(audit, "reason"),
        column(audit, "caller"),
        column(audit, "client_address"),
        column(audit, "auth_user_name"),
        column(audit, "chat_site_name"),
        column(audit, "pool_id"),
        column(audit, "kid"),
        column(assignments, "auth_user_name"),
        column(assignments, "chat_site_name"),
        column(assignments, "domain"),
        column(assignments, "pool_id"),
        column(assignments, "assigned_at")
      ]
      pool.query({ name: "chatauth_write_journal", text: WRITE_JOURNAL_TEXT, values }).then(
        () => done(undefined),
        (error) => done(asError(error))
      )
    },
    close: () => pool.end()
  }
}

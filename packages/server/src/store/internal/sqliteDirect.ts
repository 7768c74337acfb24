/**
 * The hot route's two SQLite statements, run straight on a second better-sqlite3 connection: the RESUME read of an
 * assignment (every such request) and the journal's batch (audit rows + assignments, one transaction).
 *
 * Through `@effect/sql` each costs its statement compilation, its prepared-statement cache lookup, its span and its
 * fibers: about 0.17 ms for the read and 1 ms for a one-row batch here, against a few microseconds done directly.
 * The connection never waits for a lock: `busy_timeout` is 0 and a busy database answers `BUSY`, so the caller
 * takes the ordinary path (which waits for `@effect/sql`'s own connection, or for another process, as usual).
 * Waiting here could never end: the thread that would release the lock is the one waiting.
 *
 * @internal
 */
import Database from "better-sqlite3"

/** @internal */
export const BUSY: unique symbol = Symbol("busy")

/**
 * Each connection's page cache, in KiB. better-sqlite3 builds SQLite with 16 MiB a connection: as the audit table
 * grows each connection's cache fills up to it, and two connections added some 30 MB to a server's memory over its
 * first minutes under load (measured: malloc's arena grew while V8's heap did not). The hot route's pages are the
 * ends of the audit table and its indexes, and the assignments; the operating system caches the file too.
 *
 * @internal
 */
export const PAGE_CACHE_KIB = 4096

// Type literals rather than interfaces: `@effect/sql`'s insert helper takes them as records too.
/** @internal */
export type AssignmentRow = {
  readonly auth_user_name: string
  readonly chat_site_name: string
  readonly domain: string
  readonly pool_id: string
  readonly assigned_at: number
}

/** @internal */
export type AuditRow = {
  readonly time: number
  readonly outcome: string
  readonly reason: string | null
  readonly caller: string | null
  readonly client_address: string
  readonly auth_user_name: string | null
  readonly chat_site_name: string | null
  readonly pool_id: string | null
  readonly kid: string | null
}

/** @internal */
export interface SqliteDirect {
  readonly findAssignment: (authUserName: string) => AssignmentRow | undefined | typeof BUSY
  /** Writes the batch in one transaction; `BUSY` when it could not start at once (nothing written). */
  readonly writeJournal: (
    audit: ReadonlyArray<AuditRow>,
    assignments: ReadonlyArray<AssignmentRow>
  ) => void | typeof BUSY
  readonly close: () => void
}

const isBusy = (error: unknown) => {
  const code = (error as { readonly code?: unknown } | null)?.code
  return code === "SQLITE_BUSY" || code === "SQLITE_LOCKED" || code === "SQLITE_BUSY_SNAPSHOT"
}

/**
 * Opens the second connection on a migrated database file. Throws when it cannot.
 *
 * @internal
 */
export const open = (filename: string): SqliteDirect => {
  const db = new Database(filename, { fileMustExist: true })
  try {
    db.pragma("busy_timeout = 0")
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`)
    // Per connection: the same durability as the main one (a commit survives `kill -9`).
    db.pragma("synchronous = NORMAL")
    const find = db.prepare<[string], AssignmentRow>(
      "SELECT auth_user_name, chat_site_name, domain, pool_id, assigned_at FROM assignments WHERE auth_user_name = ?"
    )
    const insertAudit = db.prepare<[AuditRow]>(
      `INSERT INTO audit_events (time, outcome, reason, caller, client_address, auth_user_name, chat_site_name, pool_id,
        kid) VALUES (@time, @outcome, @reason, @caller, @client_address, @auth_user_name, @chat_site_name, @pool_id,
        @kid)`
    )
    const upsertAssignment = db.prepare<[AssignmentRow]>(
      `INSERT INTO assignments (auth_user_name, chat_site_name, domain, pool_id, assigned_at)
        VALUES (@auth_user_name, @chat_site_name, @domain, @pool_id, @assigned_at)
        ON CONFLICT (auth_user_name) DO UPDATE SET chat_site_name = excluded.chat_site_name,
          domain = excluded.domain, pool_id = excluded.pool_id, assigned_at = excluded.assigned_at
        WHERE assignments.assigned_at <= excluded.assigned_at`
    )
    // BEGIN IMMEDIATE takes the write lock first: a busy database fails before anything is written.
    const write = db.transaction((audit: ReadonlyArray<AuditRow>, assignments: ReadonlyArray<AssignmentRow>) => {
      for (const row of audit) insertAudit.run(row)
      for (const row of assignments) upsertAssignment.run(row)
    }).immediate
    return {
      findAssignment: (authUserName) => {
        try {
          return find.get(authUserName)
        } catch (error) {
          if (isBusy(error)) return BUSY
          throw error
        }
      },
      writeJournal: (audit, assignments) => {
        try {
          write(audit, assignments)
        } catch (error) {
          if (isBusy(error)) return BUSY
          throw error
        }
      },
      close: () => db.close()
    }
  } catch (error) {
    db.close()
    throw error
  }
}

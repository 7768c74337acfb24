/**
 * The one implementation of `Store` over `@effect/sql`, shared by SQLite and PostgreSQL: the statements are
 * portable SQL (`ON CONFLICT … DO UPDATE … RETURNING` counts atomically on both), and a dialect supplies the few
 * things that differ (notifications, how a failure reads).
 *
 * Every operation dies with a `StoreFailure` on error. Over a network driver (PostgreSQL) it is also bounded by
 * `operationTimeout` and detached from the caller's interruption (`Effect.disconnect`), so a connection that hangs
 * cannot hang a request; a synchronous driver (SQLite) needs neither, and they cost two fibers per operation.
 *
 * @internal
 */
import type { KeyMaterial } from "@chatauth/core/KeyStore"
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import type { Scope } from "effect"
import { Cause, Clock, Duration, Effect, Exit, Option, Runtime } from "effect"
import * as GroupRead from "./internal/groupRead.js"
import type * as PgDirect from "./internal/pgDirect.js"
import * as SqliteDirect from "./internal/sqliteDirect.js"
import type {
  Assignment,
  AuditEvent,
  AuditQuery,
  CallerRecord,
  FailureCounter,
  LockoutScope,
  StoreChange,
  StoreService
} from "./Store.js"
import { StoreFailure } from "./Store.js"

/** @internal */
export interface Dialect {
  readonly name: StoreService["dialect"]
  readonly location: string
  /** Statements run in the transaction that wrote change rows: tells the other processes (PostgreSQL NOTIFY). */
  readonly announce: (sql: SqlClient.SqlClient) => Effect.Effect<unknown, unknown>
  readonly wakeups: StoreService["changes"]["wakeups"]
  /**
   * The driver answers on the calling thread (better-sqlite3): an operation cannot hang waiting for a peer, and a
   * timer could not fire before it returns anyway, so it runs without the time bound and its two extra fibers.
   */
  readonly synchronous?: boolean | undefined
  /** The hot route's statements on a direct connection (SQLite), tried first; see `sqliteDirect.ts`. */
  readonly direct?: SqliteDirect.SqliteDirect | undefined
  /** The hot route's statements on a pool of their own (PostgreSQL); see `pgDirect.ts`. */
  readonly pgDirect?: PgDirect.PgDirect | undefined
  /**
   * Batches the database runs at once: journal commits, and grouped reads of assignments (default 1, SQLite: one
   * writer, and its reads answer on the calling thread).
   */
  readonly parallelBatches?: number | undefined
}

/** @internal */
export const CHANGES_CHANNEL = "chatauth_changes"

/** The tables and columns the migrations make: checked at start, so a damaged schema refuses to start. */
export const EXPECTED_SCHEMA: Readonly<Record<string, ReadonlyArray<string>>> = {
  callers: ["username", "password_hash", "privileges", "created_at", "updated_at"],
  signing_keys: [
    "kid",
    "alg",
    "state",
    "private_key_pem",
    "certificate_pem",
    "created_at",
    "activated_at",
    "retired_at"
  ],
  assignments: ["auth_user_name", "chat_site_name", "domain", "pool_id", "assigned_at"],
  audit_events: [
    "id",
    "time",
    "outcome",
    "reason",
    "caller",
    "client_address",
    "auth_user_name",
    "chat_site_name",
    "pool_id",
    "kid"
  ],
  auth_failures: ["scope", "key", "failures", "window_start", "locked_until", "lock_count"],
  store_changes: ["id", "topic", "subject", "at"],
  store_locks: ["name", "taken"]
}

/**
 * Fails with a one-line reason when a table or column the migrations made is missing.
 *
 * @internal
 */
export const verifySchema = (sql: SqlClient.SqlClient): Effect.Effect<void, string> =>
  Effect.forEach(
    Object.entries(EXPECTED_SCHEMA),
    ([table, columns]) =>
      sql.unsafe(`SELECT ${columns.join(", ")} FROM ${table} WHERE 1 = 0`).pipe(
        Effect.mapError((error) =>
          `the table ${table} is missing or incomplete (${
            (error.cause as Error | undefined)?.message ?? error.message
          })`
        )
      ),
    { discard: true }
  )

interface CallerRow {
  readonly username: string
  readonly password_hash: string
  readonly privileges: string
  readonly created_at: number | string
  readonly updated_at: number | string
}

interface KeyRow {
  readonly kid: string
  readonly alg: KeyMaterial["alg"]
  readonly state: KeyMaterial["state"]
  readonly private_key_pem: string
  readonly certificate_pem: string
  readonly created_at: number | string
  readonly activated_at: number | string | null
  readonly retired_at: number | string | null
}

interface AssignmentRow {
  readonly auth_user_name: string
  readonly chat_site_name: string
  readonly domain: string
  readonly pool_id: string
  readonly assigned_at: number | string
}

interface AuditRow {
  readonly time: number | string
  readonly outcome: AuditEvent["outcome"]
  readonly reason: string | null
  readonly caller: string | null
  readonly client_address: string
  readonly auth_user_name: string | null
  readonly chat_site_name: string | null
  readonly pool_id: string | null
  readonly kid: string | null
}

interface CounterRow {
  readonly scope: LockoutScope
  readonly key: string
  readonly failures: number | string
  readonly window_start: number | string
  readonly locked_until: number | string
  readonly lock_count: number | string
}

interface ChangeRow {
  readonly id: number | string
  readonly topic: StoreChange["topic"]
  readonly subject: string
}

// PostgreSQL's BIGINT arrives as a string.
const nullableNumber = (value: number | string | null): number | null => value === null ? null : Number(value)

const toCaller = (row: CallerRow): CallerRecord => ({
  username: row.username,
  passwordHash: row.password_hash,
  privileges: JSON.parse(row.privileges) as Array<string>,
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at)
})

const toKey = (row: KeyRow): KeyMaterial => ({
  kid: row.kid,
  alg: row.alg,
  state: row.state,
  privateKeyPem: row.private_key_pem,
  certificatePem: row.certificate_pem,
  createdAt: Number(row.created_at),
  activatedAt: nullableNumber(row.activated_at),
  retiredAt: nullableNumber(row.retired_at)
})

const toAssignment = (row: AssignmentRow): Assignment => ({
  authUserName: row.auth_user_name,
  chatSiteName: row.chat_site_name,
  domain: row.domain,
  poolId: row.pool_id,
  assignedAt: Number(row.assigned_at)
})

const toAuditEvent = (row: AuditRow): AuditEvent => {
  const event: { -readonly [K in keyof AuditEvent]: AuditEvent[K] } = {
    time: Number(row.time),
    outcome: row.outcome,
    caller: row.caller,
    clientAddress: row.client_address
  }
  if (row.reason !== null) event.reason = row.reason
  if (row.auth_user_name !== null) event.authUserName = row.auth_user_name
  if (row.chat_site_name !== null) event.chatSiteName = row.chat_site_name
  if (row.pool_id !== null) event.poolId = row.pool_id
  if (row.kid !== null) event.kid = row.kid
  return event
}

// The rows as written (by `@effect/sql` or the direct SQLite connection): one mapping each.
const toAssignmentRow = (a: Assignment): SqliteDirect.AssignmentRow => ({
  auth_user_name: a.authUserName,
  chat_site_name: a.chatSiteName,
  domain: a.domain,
  pool_id: a.poolId,
  assigned_at: a.assignedAt
})

const toAuditRow = (event: AuditEvent): SqliteDirect.AuditRow => ({
  time: event.time,
  outcome: event.outcome,
  reason: event.reason ?? null,
  caller: event.caller,
  client_address: event.clientAddress,
  auth_user_name: event.authUserName ?? null,
  chat_site_name: event.chatSiteName ?? null,
  pool_id: event.poolId ?? null,
  kid: event.kid ?? null
})

const toCounter = (row: CounterRow): FailureCounter => ({
  scope: row.scope,
  key: row.key,
  failures: Number(row.failures),
  windowStart: Number(row.window_start),
  lockedUntil: Number(row.locked_until),
  lockCount: Number(row.lock_count)
})

// Rows per INSERT: 9 (audit) or 5 (assignments) parameters each, far below both databases' parameter limits.
const AUDIT_CHUNK = 500
const ASSIGNMENT_CHUNK = 1000

const chunks = <A>(items: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Builds the service over a migrated client.
 *
 * @internal
 */
export const make = (
  sql: SqlClient.SqlClient,
  dialect: Dialect,
  options: { readonly operationTimeout: Duration.DurationInput }
): Effect.Effect<StoreService, never, Scope.Scope> =>
  Effect.map(Effect.runtime<never>(), (runtime) => {
    const runCallback = Runtime.runCallback(runtime)
    const timeout = Duration.decode(options.operationTimeout)

    const failure = (operation: string) => (cause: Cause.Cause<unknown>) =>
      Effect.die(new StoreFailure(operation, Cause.squash(cause)))
    // Bounded (network drivers), detached from interruption, and every failure a StoreFailure defect.
    const run = <A, E, R>(operation: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, never, R> =>
      dialect.synchronous === true
        ? Effect.catchAllCause(effect, failure(operation))
        : effect.pipe(
          Effect.disconnect,
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new Error(`no answer within ${Duration.format(timeout)}`)
          }),
          Effect.catchAllCause(failure(operation))
        )

    const change = (topic: StoreChange["topic"], subject: string, now: number) =>
      sql`INSERT INTO store_changes (topic, subject, at) VALUES (${topic}, ${subject}, ${now})`

    // A write and its change row in one transaction, announced to the other processes on commit.
    const withChange = <A, E, R>(
      topic: StoreChange["topic"],
      subject: string,
      write: Effect.Effect<A, E, R>,
      changed: (a: A) => boolean
    ) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        sql.withTransaction(Effect.flatMap(write, (result) =>
          changed(result)
            ? Effect.as(Effect.zipRight(change(topic, subject, now), dialect.announce(sql)), result)
            : Effect.succeed(result))))

    const callers: StoreService["callers"] = {
      find: (username) =>
        run(
          "find a caller",
          Effect.map(
            sql<CallerRow>`SELECT * FROM callers WHERE username = ${username}`,
            (rows) =>
              Option.map(Option.fromNullable(rows[0]), toCaller)
          )
        ),
      list: () =>
        run(
          "list callers",
          Effect.map(sql<CallerRow>`SELECT * FROM callers ORDER BY username`, (rows) =>
            rows.map(toCaller))
        ),
      insert: ({ passwordHash, privileges, username }) =>
        run(
          "add a caller",
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            withChange(
              "caller",
              username,
              Effect.map(
                sql<CallerRow>`INSERT INTO callers (username, password_hash, privileges, created_at, updated_at)
                  VALUES (${username}, ${passwordHash}, ${JSON.stringify(privileges)}, ${now}, ${now})
                  ON CONFLICT (username) DO NOTHING
                  RETURNING *`,
                (rows) => Option.map(Option.fromNullable(rows[0]), toCaller)
              ),
              Option.isSome
            ))
        ),
      updatePassword: (username, passwordHash) =>
        run(
          "change a password",
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            withChange(
              "caller",
              username,
              Effect.map(
                sql`UPDATE callers SET password_hash = ${passwordHash}, updated_at = ${now}
                  WHERE username = ${username} RETURNING username`,
                (rows) => rows.length > 0
              ),
              (found) => found
            ))
        ),
      setPrivileges: (username, privileges) =>
        run(
          "change privileges",
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            withChange(
              "caller",
              username,
              Effect.map(
                sql`UPDATE callers SET privileges = ${JSON.stringify(privileges)}, updated_at = ${now}
                  WHERE username = ${username} RETURNING username`,
                (rows) => rows.length > 0
              ),
              (found) => found
            ))
        ),
      remove: (username) =>
        run(
          "remove a caller",
          withChange(
            "caller",
            username,
            Effect.map(
              sql`DELETE FROM callers WHERE username = ${username} RETURNING username`,
              (rows) => rows.length > 0
            ),
            (found) => found
          )
        )
    }

    const keys: StoreService["keys"] = {
      list: () =>
        run(
          "list signing keys",
          Effect.map(sql<KeyRow>`SELECT * FROM signing_keys ORDER BY created_at, kid`, (rows) => rows.map(toKey))
        ),
      insert: (material) =>
        run(
          "add a signing key",
          withChange(
            "keys",
            material.kid,
            Effect.map(
              sql`INSERT INTO signing_keys
                (kid, alg, state, private_key_pem, certificate_pem, created_at, activated_at, retired_at)
                VALUES (${material.kid}, ${material.alg}, ${material.state}, ${material.privateKeyPem},
                  ${material.certificatePem}, ${material.createdAt}, ${material.activatedAt}, ${material.retiredAt})
                ON CONFLICT (kid) DO NOTHING RETURNING kid`,
              (rows) => rows.length > 0
            ),
            (inserted) => inserted
          )
        ),
      setStates: (changes) =>
        changes.length === 0 ? Effect.void : run(
          "change key states",
          withChange(
            "keys",
            changes.map((c) => c.kid).join(","),
            Effect.forEach(changes, (c) =>
              sql`UPDATE signing_keys SET state = ${c.state}, activated_at = ${c.activatedAt},
                retired_at = ${c.retiredAt} WHERE kid = ${c.kid}`, { discard: true }),
            () => true
          )
        ),
      remove: (kid) =>
        run(
          "remove a signing key",
          withChange(
            "keys",
            kid,
            Effect.map(sql`DELETE FROM signing_keys WHERE kid = ${kid} RETURNING kid`, (rows) => rows.length > 0),
            (found) => found
          )
        ),
      replacePrivateKey: (kid, privateKeyPem) =>
        run(
          "rewrite a private key",
          Effect.asVoid(sql`UPDATE signing_keys SET private_key_pem = ${privateKeyPem} WHERE kid = ${kid}`)
        ),
      // Not bounded by the operation time-out: the caller's effect runs inside (it may generate a key).
      exclusive: (effect) =>
        sql.withTransaction(
          Effect.zipRight(
            run("take the key lock", sql`UPDATE store_locks SET taken = taken + 1 WHERE name = 'keys'`),
            effect
          )
        ).pipe(
          Effect.catchIf(
            (error): error is SqlError => error instanceof SqlError,
            (error) => Effect.die(new StoreFailure("hold the key lock", error))
          )
        )
    }

    const findAssignment = (authUserName: string) =>
      run(
        "find an assignment",
        Effect.map(
          sql<AssignmentRow>`SELECT * FROM assignments WHERE auth_user_name = ${authUserName}`,
          (rows) => Option.map(Option.fromNullable(rows[0]), toAssignment)
        )
      )

    // Over the network a lookup per request would cost a round trip, a parse and a plan each: grouped instead, on
    // the direct lane.
    const pgDirect = dialect.pgDirect
    const assignmentReads = pgDirect === undefined ? undefined : GroupRead.make<string, Assignment>({
      parallel: dialect.parallelBatches,
      read: (names) =>
        Effect.async((resume) =>
          pgDirect.findAssignments(names, (error, rows) =>
            resume(
              error === undefined
                ? Effect.succeed(new Map(rows.map((row) => [row.auth_user_name, toAssignment(row)])))
                : Effect.die(new StoreFailure("find assignments", error))
            ))
        )
    })

    const direct = dialect.direct
    // The direct lane first; on `BUSY` the ordinary path, which waits as it always does.
    const directly = <A>(
      operation: string,
      attempt: (lane: SqliteDirect.SqliteDirect) => A | typeof SqliteDirect.BUSY,
      otherwise: Effect.Effect<A>
    ): Effect.Effect<A> =>
      direct === undefined ? otherwise : Effect.suspend(() => {
        try {
          const result = attempt(direct)
          return result === SqliteDirect.BUSY ? otherwise : Effect.succeed(result)
        } catch (error) {
          return Effect.die(new StoreFailure(operation, error))
        }
      })

    // The direct lane first; on `BUSY` the grouped read (PostgreSQL) or the ordinary path, which waits as it always
    // does.
    const findCallback: StoreService["assignments"]["findCallback"] = (authUserName, done) => {
      if (direct !== undefined) {
        let row: SqliteDirect.AssignmentRow | undefined | typeof SqliteDirect.BUSY
        try {
          row = direct.findAssignment(authUserName)
        } catch (error) {
          return done(Exit.die(new StoreFailure("find an assignment", error)))
        }
        if (row !== SqliteDirect.BUSY) return done(Exit.succeed(Option.map(Option.fromNullable(row), toAssignment)))
      }
      if (assignmentReads !== undefined) return assignmentReads.getCallback(authUserName, done)
      runCallback(findAssignment(authUserName), { onExit: done })
    }
    const assignments: StoreService["assignments"] = {
      find: (authUserName) => Effect.async((resume) => findCallback(authUserName, resume)),
      findCallback
    }

    const audit: StoreService["audit"] = {
      list: (query: AuditQuery) => {
        const clauses = [
          ...(query.since === undefined ? [] : [sql`time >= ${query.since}`]),
          ...(query.caller === undefined ? [] : [sql`caller = ${query.caller}`]),
          ...(query.authUserName === undefined ? [] : [sql`auth_user_name = ${query.authUserName}`]),
          ...(query.outcome === undefined ? [] : [sql`outcome = ${query.outcome}`])
        ]
        return run(
          "read the audit trail",
          Effect.map(
            sql<AuditRow>`SELECT * FROM audit_events WHERE ${sql.and(clauses)} ORDER BY id DESC LIMIT ${
              Math.max(0, Math.trunc(query.limit))
            }`,
            (rows) => rows.map(toAuditEvent)
          )
        )
      }
    }

    const upsertAssignments = (rows: ReadonlyArray<Assignment>) =>
      sql`INSERT INTO assignments ${
        sql.insert(rows.map(toAssignmentRow))
      } ON CONFLICT (auth_user_name) DO UPDATE SET chat_site_name = excluded.chat_site_name,
          domain = excluded.domain, pool_id = excluded.pool_id, assigned_at = excluded.assigned_at
        WHERE assignments.assigned_at <= excluded.assigned_at`

    const insertAudit = (events: ReadonlyArray<AuditEvent>) =>
      sql`INSERT INTO audit_events ${sql.insert(events.map(toAuditRow))}`

    const journal: StoreService["journal"] = {
      parallelBatches: Math.max(1, dialect.parallelBatches ?? 1),
      write: ({ assignments: rows, audit: events }) => {
        if (rows.length === 0 && events.length === 0) return Effect.void
        // One row per user: the last assignment of a batch wins (an upsert cannot touch a row twice in one statement).
        const latest = new Map<string, Assignment>()
        for (const row of rows) latest.set(row.authUserName, row)
        // In name order: batches committing at once lock the rows they share in the same order, so never deadlock.
        // (An older assignment committed after a newer one leaves the newer: the upsert keeps the latest.)
        const batch = [...latest.values()].sort((a, b) => a.authUserName < b.authUserName ? -1 : 1)
        if (pgDirect !== undefined) {
          return Effect.async<void>((resume) =>
            pgDirect.writeJournal(events.map(toAuditRow), batch.map(toAssignmentRow), (error) =>
              resume(error === undefined ? Effect.void : Effect.die(new StoreFailure("write the audit trail", error))))
          )
        }
        return directly(
          "write the audit trail",
          (lane) =>
            lane.writeJournal(events.map(toAuditRow), batch.map(toAssignmentRow)),
          run(
            "write the audit trail",
            sql.withTransaction(Effect.zipRight(
              Effect.forEach(chunks(events, AUDIT_CHUNK), insertAudit, { discard: true }),
              Effect.forEach(chunks(batch, ASSIGNMENT_CHUNK), upsertAssignments, { discard: true })
            ))
          )
        )
      }
    }

    const counterKeys = (keys: ReadonlyArray<{ readonly scope: LockoutScope; readonly key: string }>) =>
      sql.or(keys.map(({ key, scope }) =>
        sql`(scope = ${scope} AND key = ${key})`
      ))

    const lockouts: StoreService["lockouts"] = {
      read: (keys) =>
        keys.length === 0 ? Effect.succeed([]) : run(
          "read failure counters",
          Effect.map(sql<CounterRow>`SELECT * FROM auth_failures WHERE ${counterKeys(keys)}`, (rows) =>
            rows.map(toCounter))
        ),
      recordFailure: (failures, now) =>
        run(
          "count a failed login",
          sql.withTransaction(Effect.forEach(failures, ({ key, scope, windowStartedBefore }) =>
            Effect.map(
              sql<CounterRow>`INSERT INTO auth_failures (scope, key, failures, window_start, locked_until, lock_count)
                VALUES (${scope}, ${key}, 1, ${now}, 0, 0)
                ON CONFLICT (scope, key) DO UPDATE SET
                  failures = CASE WHEN auth_failures.window_start <= ${windowStartedBefore} THEN 1
                    ELSE auth_failures.failures + 1 END,
                  window_start = CASE WHEN auth_failures.window_start <= ${windowStartedBefore} THEN ${now}
                    ELSE auth_failures.window_start END
                RETURNING *`,
              (rows) =>
                toCounter(rows[0])
            )))
        ),
      lock: ({ expectedLockCount, key, now, scope, until }) =>
        run(
          "start a lockout",
          withChange(
            "lockout",
            `${scope} ${key}`,
            Effect.map(
              sql`UPDATE auth_failures SET locked_until = ${until}, lock_count = ${expectedLockCount + 1},
                  failures = 0, window_start = ${now}
                WHERE scope = ${scope} AND key = ${key} AND locked_until <= ${now}
                  AND lock_count = ${expectedLockCount}
                RETURNING key`,
              (rows) =>
                rows.length > 0
            ),
            (started) =>
              started
          )
        ),
      reset: (scope, key) =>
        run(
          "reset a failure counter",
          Effect.asVoid(sql`DELETE FROM auth_failures WHERE scope = ${scope} AND key = ${key}`)
        ),
      // substr counts characters (code points) on both databases, not UTF-16 units as `length` does.
      unlockUser: (username) =>
        run(
          "unlock a caller",
          withChange(
            "lockout",
            `user ${username}`,
            Effect.map(
              sql`DELETE FROM auth_failures WHERE (scope = 'user' AND key = ${username})
                OR (scope = 'user-address' AND substr(key, 1, ${[...username].length + 1}) = ${`${username}:`})
                RETURNING key`,
              (rows) => rows.length
            ),
            () => true
          )
        ),
      prune: (before) =>
        run(
          "prune failure counters",
          Effect.map(
            sql`DELETE FROM auth_failures WHERE window_start < ${before} AND locked_until < ${before} RETURNING key`,
            (rows) => rows.length
          )
        )
    }

    const changes: StoreService["changes"] = {
      latest: () =>
        run(
          "read the change feed",
          Effect.map(
            sql<{ readonly id: number | string | null }>`SELECT max(id) AS id FROM store_changes`,
            (rows) => Number(rows[0]?.id ?? 0)
          )
        ),
      since: (after, limit) =>
        run(
          "read the change feed",
          Effect.map(
            sql<ChangeRow>`SELECT id, topic, subject FROM store_changes WHERE id > ${after} ORDER BY id LIMIT ${limit}`,
            (rows) => rows.map((row) => ({ id: Number(row.id), topic: row.topic, subject: row.subject }))
          )
        ),
      prune: (before) =>
        run("prune the change feed", Effect.asVoid(sql`DELETE FROM store_changes WHERE at < ${before}`)),
      wakeups: dialect.wakeups
    }

    return {
      dialect: dialect.name,
      location: dialect.location,
      callers,
      keys,
      assignments,
      audit,
      journal,
      lockouts,
      changes,
      ping: run("answer", Effect.asVoid(sql`SELECT 1`))
    }
  })

/**
 * The rows the hot route writes, group-committed: audit events and routing assignments go into one transaction per
 * batch (every millisecond or so under load), and a request that needs its row durable waits for that commit.
 *
 * - Audit events are submitted and awaited: no answer leaves before its audit row is committed, so after a crash
 *   (even `kill -9`) every 201 a client received has its row.
 * - Assignments ride along without waiting. A request records its assignment before its audit event, and batches
 *   keep order, so when the audit row of a 201 is committed its assignment is too. Until then `pendingAssignment`
 *   answers from memory, so a RESUME on the same replica never misses it.
 * - A failed write fails (as a `StoreFailure` defect) every request waiting on that batch: they answer 503.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Journal } from "@chatauth/server/Journal"
 *
 * const record = Effect.flatMap(Journal, (journal) =>
 *   journal.append({ time: Date.now(), outcome: "refused", reason: "invalid", caller: null, clientAddress: "::1" }))
 * ```
 *
 * @since 0.1.0
 */
import type { Duration, Exit } from "effect"
import { Context, Effect, Layer, Option } from "effect"
import * as GroupCommit from "./internal/groupCommit.js"
import type { Assignment, AuditEvent } from "./Store.js"
import { Store } from "./Store.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface JournalOptions {
  /** How long a batch waits for company before it is written (default 1 ms). */
  readonly linger?: Duration.DurationInput | undefined
  /** Most rows per transaction (default 1000). */
  readonly maxBatch?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface JournalService {
  /** Appends an audit event and waits until it is committed. */
  readonly append: (event: AuditEvent) => Effect.Effect<void>
  /** `append` for a caller outside a fiber: `done` gets the commit's exit (a `StoreFailure` defect when it failed). */
  readonly appendCallback: (event: AuditEvent, done: (exit: Exit.Exit<void>) => void) => void
  /** Records an assignment in the next batch, without waiting. */
  readonly recordAssignment: (assignment: Assignment) => void
  /** An assignment recorded here and not yet committed. */
  readonly pendingAssignment: (authUserName: string) => Option.Option<Assignment>
}

type Row = { readonly _tag: "audit"; readonly event: AuditEvent } | {
  readonly _tag: "assignment"
  readonly assignment: Assignment
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: JournalOptions = {}) =>
  Effect.gen(function*() {
    const store = yield* Store
    const pending = new Map<string, Assignment>()
    const batches = yield* GroupCommit.make<Row>({
      linger: options.linger,
      parallel: store.journal.parallelBatches,
      maxBatch: options.maxBatch,
      onDropped: (count) =>
        Effect.runFork(Effect.logWarning(`journal: dropped ${count} assignments while the store was failing`)),
      write: (rows) => {
        const audit: Array<AuditEvent> = []
        const assignments: Array<Assignment> = []
        for (const row of rows) {
          if (row._tag === "audit") audit.push(row.event)
          else assignments.push(row.assignment)
        }
        return store.journal.write({ audit, assignments }).pipe(
          Effect.ensuring(Effect.sync(() => {
            // Committed or lost with the batch: either way memory no longer needs it (unless recorded again since).
            for (const a of assignments) if (pending.get(a.authUserName) === a) pending.delete(a.authUserName)
          }))
        )
      }
    })
    return Journal.of({
      append: (event) => batches.submit({ _tag: "audit", event }),
      appendCallback: (event, done) => batches.submitCallback({ _tag: "audit", event }, done),
      recordAssignment: (assignment) => {
        pending.set(assignment.authUserName, assignment)
        batches.enqueue({ _tag: "assignment", assignment })
      },
      pendingAssignment: (authUserName) => Option.fromNullable(pending.get(authUserName))
    })
  })

/**
 * The journal service. `Journal.layer(options)` needs a `Store`; closing it writes what is queued.
 *
 * @since 0.1.0
 * @category services
 */
export class Journal extends Context.Tag("@chatauth/server/Journal")<Journal, JournalService>() {
  /** @since 0.1.0 */
  static readonly layer = (options: JournalOptions = {}): Layer.Layer<Journal, never, Store> =>
    Layer.scoped(Journal, make(options))
}

import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"

/** A fresh temporary data directory, removed when the scope closes. */
export const tempDataDir = Effect.acquireRelease(
  Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "chatauth-test-"))),
  (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
)

/** A realistic "now" for TestClock (X.509 validity and JWT checks want one). */
export const JAN_2025 = Date.parse("2025-01-01T00:00:00Z")

/**
 * Waits (in real time, polling) until `check` yields true: for work that background fibers finish asynchronously
 * after a TestClock adjustment. Gives up after `attempts` polls.
 */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, attempts = 200) =>
  Effect.gen(function*() {
    for (let i = 0; i < attempts; i++) {
      if (yield* check) return true
      yield* Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 25)))
    }
    return false
  })

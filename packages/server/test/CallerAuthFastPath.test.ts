import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Layer, Redacted } from "effect"
import { AuditLog } from "../src/audit/AuditLog.js"
import { CallerAuth } from "../src/auth/CallerAuth.js"
import { CallerDirectory } from "../src/auth/CallerDirectory.js"
import { Lockouts } from "../src/auth/Lockouts.js"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import { Journal } from "../src/store/Journal.js"
import { SqliteStore } from "../src/store/SqliteStore.js"
import { tempDataDir } from "./storeTestUtils.js"

// Cheap scrypt for tests: the behaviour under test does not depend on the cost.
const FAST = { N: 1024, r: 8, p: 1 }
// Low thresholds, so that generated sequences start locks and resets often.
const rule = (threshold: number) => ({ threshold, window: "5 minutes", duration: "5 minutes" }) as const
const LOCKOUTS = { address: rule(6), userAddress: rule(2), user: rule(9) }

const authLayer = (dataDir: string) =>
  Layer.mergeAll(CallerAuth.layer({ scrypt: FAST, lockouts: LOCKOUTS }), CallerDirectory.layer({ scrypt: FAST })).pipe(
    Layer.provideMerge(Lockouts.layer(LOCKOUTS)),
    Layer.provideMerge(AuditLog.layer),
    Layer.provideMerge(Layer.mergeAll(ChangeFeed.layer({ pollInterval: "1 hour" }), Journal.layer({ linger: 0 }))),
    Layer.provideMerge(Layer.orDie(SqliteStore.layer({ dataDir })))
  )

const attempt = fc.record({
  username: fc.constantFrom("alice", "bob", "nobody"),
  password: fc.constantFrom("alice-password-1", "bob-password-12", "wrong-password-1", ""),
  clientAddress: fc.constantFrom("192.0.2.1", "192.0.2.2")
})

describe("CallerAuth.authenticateCached", () => {
  it.effect(
    "answers only what authenticate answers, and answers repeated right credentials by itself",
    () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 30 }), (attempts) =>
            Effect.runPromise(Effect.scoped(Effect.gen(function*() {
              const dataDir = yield* tempDataDir
              yield* Effect.gen(function*() {
                const directory = yield* CallerDirectory
                yield* directory.add({ username: "alice", password: "alice-password-1" })
                yield* directory.add({ username: "bob", password: "bob-password-12", privileges: [] })
                const auth = yield* CallerAuth
                for (const a of attempts) {
                  const credentials = { ...a, password: Redacted.make(a.password) }
                  const fast = auth.authenticateCached(credentials)
                  const full = yield* Effect.either(auth.authenticate(credentials))
                  // Whenever the fast path answers, the full path (which it replaces) gives the same caller.
                  if (fast !== undefined) expect(full).toEqual(Either.right(fast))
                }
                // Right credentials checked once are then answered without the effectful path.
                yield* directory.add({ username: "carol", password: "carol-password-1" })
                const carol = {
                  username: "carol",
                  password: Redacted.make("carol-password-1"),
                  clientAddress: "192.0.2.9"
                }
                expect(auth.authenticateCached(carol)).toBeUndefined()
                const checked = yield* auth.authenticate(carol)
                expect(auth.authenticateCached(carol)).toEqual(checked)
                // A wrong password is never answered by the fast path.
                expect(auth.authenticateCached({ ...carol, password: Redacted.make("carol-password-2") }))
                  .toBeUndefined()
              }).pipe(Effect.provide(authLayer(dataDir)))
            })))),
          { numRuns: 15 }
        )
      ),
    120_000
  )

  it.effect(
    "steps aside once the pair failed here, so its reset is written, and while a lock is known here",
    () =>
      Effect.scoped(Effect.gen(function*() {
        const dataDir = yield* tempDataDir
        yield* Effect.gen(function*() {
          const directory = yield* CallerDirectory
          yield* directory.add({ username: "alice", password: "alice-password-1" })
          const auth = yield* CallerAuth
          const right = { username: "alice", password: Redacted.make("alice-password-1"), clientAddress: "192.0.2.1" }
          const wrong = { ...right, password: Redacted.make("wrong-password-1") }
          yield* auth.authenticate(right)
          expect(auth.authenticateCached(right)).toBeDefined()
          yield* Effect.flip(auth.authenticate(wrong))
          expect(auth.authenticateCached(right)).toBeUndefined()
          yield* auth.authenticate(right)
          expect(auth.authenticateCached(right)).toBeDefined()
          // Two failures lock the pair (threshold 2): the second answers as a plain failure and starts the lock.
          yield* Effect.flip(auth.authenticate(wrong))
          yield* Effect.flip(auth.authenticate(wrong))
          expect(auth.authenticateCached(right)).toBeUndefined()
          const refused = yield* Effect.flip(auth.authenticate(right))
          expect(refused.reason).toBe("locked")
        }).pipe(Effect.provide(authLayer(dataDir)))
      })),
    60_000
  )
})

import { Deferred, Effect } from "effect"

/**
 * Holds the first call of a test double until `release`: a commit or a query in flight, while the test queues more.
 * `pass` is the step each call takes; `firstStarted` completes when the first call is held.
 */
export const firstCallGate = Effect.gen(function*() {
  const firstStarted = yield* Deferred.make<void>()
  const release = yield* Deferred.make<void>()
  let calls = 0
  const pass = Effect.suspend(() =>
    ++calls === 1 ? Effect.zipRight(Deferred.succeed(firstStarted, undefined), Deferred.await(release)) : Effect.void
  )
  return { firstStarted, release, pass }
})

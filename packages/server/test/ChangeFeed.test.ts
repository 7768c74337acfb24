import * as Reactivity from "@effect/experimental/Reactivity"
import * as PgClient from "@effect/sql-pg/PgClient"
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Fiber, Layer, Redacted } from "effect"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import type { StoreService } from "../src/store/Store.js"
import { Store } from "../src/store/Store.js"
import { open, postgresql, STORES } from "./support/stores.js"

/** A replica's feed on `store`, recording what it delivers. Under TestClock it polls only when told (or woken). */
const follow = (store: StoreService) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(ChangeFeed.layer().pipe(Layer.provide(Layer.succeed(Store, store))))
    const feed = Context.get(context, ChangeFeed)
    const delivered: Array<string> = []
    for (const topic of ["caller", "keys", "lockout"] as const) {
      yield* feed.subscribe(topic, (change) => Effect.sync(() => void delivered.push(`${topic} ${change.subject}`)))
    }
    return { feed, delivered }
  })

const caller = (username: string) => ({ username, passwordHash: "h", privileges: [] })

/** Another replica's transaction that writes a change row now (taking its id) and commits when told. */
const lateCommit = (url: string, subject: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.make({ url: Redacted.make(url), maxConnections: 1 }).pipe(
      Effect.provide(Reactivity.layer),
      Effect.orDie
    )
    const inserted = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const fiber = yield* Effect.fork(
      sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO store_changes (topic, subject, at) VALUES ('caller', ${subject}, 0)`
        yield* Deferred.succeed(inserted, undefined)
        yield* Deferred.await(release)
      })).pipe(Effect.orDie)
    )
    yield* Deferred.await(inserted)
    return { commit: Effect.zipRight(Deferred.succeed(release, undefined), Fiber.join(fiber)) }
  })

describe.each(STORES)("ChangeFeed: $name", (kind) => {
  it.scoped("delivers another connection's changes once each, in order, from the moment it starts", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const writer = yield* open(site)
      yield* writer.callers.insert(caller("before"))
      const { delivered, feed } = yield* follow(yield* open(site))
      yield* writer.callers.insert(caller("x"))
      yield* writer.keys.insert({
        kid: "k1",
        alg: "EdDSA",
        state: "next",
        privateKeyPem: "p",
        certificatePem: "c",
        createdAt: 1,
        activatedAt: null,
        retiredAt: null
      })
      yield* writer.lockouts.unlockUser("x")
      yield* writer.callers.remove("x")
      yield* feed.poll
      yield* feed.poll
      // (A notification may have woken a poll of its own already: still once each.)
      expect(delivered).toEqual(["caller x", "keys k1", "lockout user x", "caller x"])
    }))
})

describe("ChangeFeed: postgresql only", () => {
  it.scoped("a change that commits after a later one is still delivered, once", () =>
    Effect.gen(function*() {
      const site = yield* postgresql.site
      const writer = yield* open(site)
      const { delivered, feed } = yield* follow(yield* open(site))
      const late = yield* lateCommit(site.location, "late")
      yield* writer.callers.insert(caller("early"))
      yield* feed.poll
      expect(delivered).toEqual(["caller early"])
      yield* late.commit
      yield* feed.poll
      yield* feed.poll
      expect(delivered).toEqual(["caller early", "caller late"])
    }))

  it.scoped("a change that took its id before the feed started and commits after is delivered; history is not", () =>
    Effect.gen(function*() {
      const site = yield* postgresql.site
      const writer = yield* open(site)
      yield* writer.callers.insert(caller("history"))
      const straddling = yield* lateCommit(site.location, "straddling")
      yield* writer.callers.insert(caller("history-too"))
      const { delivered, feed } = yield* follow(yield* open(site))
      yield* straddling.commit
      yield* feed.poll
      yield* feed.poll
      expect(delivered).toEqual(["caller straddling"])
    }))
})

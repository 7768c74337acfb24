import { exportKeyMaterial, generateKey, KeyStore } from "@chatauth/core/KeyStore"
import { TokenIssuer } from "@chatauth/core/TokenIssuer"
import { TokenVerifier } from "@chatauth/core/TokenVerifier"
import { describe, expect, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Clock, Context, Duration, Effect, Exit, Layer, Redacted, TestClock } from "effect"
import type { PersistentKeysOptions, PersistentKeysService } from "../src/keys/PersistentKeys.js"
import { PersistentKeys } from "../src/keys/PersistentKeys.js"
import type { ChangeFeedOptions } from "../src/store/ChangeFeed.js"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import type { StoreService } from "../src/store/Store.js"
import { Store } from "../src/store/Store.js"
import { eventually, JAN_2025 } from "./storeTestUtils.js"
import type { StoreSite } from "./support/stores.js"
import { open, rawText, STORES } from "./support/stores.js"

type Keys = PersistentKeys | KeyStore | Store

/** The keys of one replica: its own store connection (unless one is given) and change feed. */
const keysLayer = (
  store: Layer.Layer<Store, unknown>,
  options: PersistentKeysOptions,
  feed: ChangeFeedOptions = {}
) =>
  PersistentKeys.layer(options).pipe(
    Layer.provideMerge(ChangeFeed.layer(feed)),
    Layer.provideMerge(store)
  ) as Layer.Layer<Keys | ChangeFeed>

// EdDSA keys generate fast; RS256 (the default) is exercised by the restart test.
const withKeys = <A, E>(
  site: StoreSite,
  effect: Effect.Effect<A, E, Keys>,
  options: PersistentKeysOptions = { alg: "EdDSA" }
) => Effect.provide(effect, keysLayer(site.layer(), options))

/** A replica kept running for the scope. */
const replica = (
  store: Layer.Layer<Store, unknown>,
  options: PersistentKeysOptions = { alg: "EdDSA" },
  feed: ChangeFeedOptions = {}
): Effect.Effect<{ readonly keys: PersistentKeysService; readonly keyStore: KeyStore.Service }, never, Scope.Scope> =>
  Effect.map(Layer.build(keysLayer(store, options, feed)), (context) => ({
    keys: Context.get(context, PersistentKeys),
    keyStore: Context.get(context, KeyStore)
  }))

const states = Effect.map(
  Effect.flatMap(KeyStore, (store) => store.keys),
  (keys) => Object.fromEntries(keys.map((key) => [key.kid, key.state]))
)

const storedStates = (store: StoreService) =>
  Effect.map(store.keys.list(), (keys) => Object.fromEntries(keys.map((key) => [key.kid, key.state])))

const PRIVATE_KEY = "BEGIN PRIVATE KEY"

describe.each(STORES)("PersistentKeys: $name", (kind) => {
  it.scoped("generates an RS256 key on first start; a token signed before a restart verifies after it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      const request = { authUserName: "jane", domain: "chat.example.com", chatSiteName: "site-a" }
      const before = yield* withKeys(
        site,
        Effect.gen(function*() {
          const active = yield* Effect.flatMap(KeyStore, (store) => store.activeKey)
          const issued = yield* Effect.flatMap(TokenIssuer, (issuer) => issuer.issue(request)).pipe(
            Effect.provide(TokenIssuer.layer())
          )
          return { kid: active.kid, alg: active.alg, jwt: issued.jwt }
        }),
        {}
      )
      expect(before.alg).toBe("RS256")

      yield* TestClock.adjust("10 seconds")
      const after = yield* withKeys(
        site,
        Effect.gen(function*() {
          const store = yield* KeyStore
          const active = yield* store.activeKey
          const verifier = yield* TokenVerifier.make({ jwks: (yield* store.jwks) as any })
          const verified = yield* verifier.verify(before.jwt, {
            audience: "https://chat.example.com/engagement/api/consumer/site-a"
          })
          return {
            kid: active.kid,
            count: (yield* store.keys).length,
            sub: verified.claims.sub,
            header: verified.header
          }
        }),
        {}
      )
      expect(after).toMatchObject({ kid: before.kid, count: 1, sub: "jane", header: { kid: before.kid, alg: "RS256" } })
    }))

  it.scoped("rotate publishes next, promoteNext activates it and retires the old one; all persisted", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      const { first, next } = yield* withKeys(
        site,
        Effect.gen(function*() {
          const keys = yield* PersistentKeys
          const first = (yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid
          const next = yield* keys.rotate()
          expect(next.state).toBe("next")
          // Published, not signing.
          const jwks = yield* Effect.flatMap(KeyStore, (store) => store.jwks)
          expect(jwks.keys.map((k) => k.kid).sort()).toEqual([first, next.kid].sort())
          expect((yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid).toBe(first)
          return { first, next: next.kid }
        })
      )
      yield* TestClock.adjust("10 minutes")
      yield* withKeys(
        site,
        Effect.gen(function*() {
          expect(yield* states).toEqual({ [first]: "active", [next]: "next" })
          const promoted = yield* Effect.flatMap(PersistentKeys, (keys) => keys.promoteNext())
          expect(promoted.kid).toBe(next)
          expect(yield* Effect.flatMap(Store, storedStates)).toEqual({ [first]: "retired", [next]: "active" })
          const noNext = yield* Effect.flip(Effect.flatMap(PersistentKeys, (keys) => keys.promoteNext()))
          expect(noNext._tag).toBe("NoNextKey")
        })
      )
      const reloaded = yield* withKeys(
        site,
        Effect.gen(function*() {
          const keys = yield* Effect.flatMap(KeyStore, (store) => store.keys)
          return keys.map((k) => ({ kid: k.kid, state: k.state, retiredAt: k.retiredAt }))
        })
      )
      expect(reloaded).toEqual([
        { kid: next, state: "active", retiredAt: null },
        { kid: first, state: "retired", retiredAt: JAN_2025 + 10 * 60_000 }
      ])
    }))

  it.scoped("prune removes retired keys only after TTL + tolerance + JWKS cache time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      const options: PersistentKeysOptions = {
        alg: "EdDSA",
        tokenTtl: "120 seconds",
        clockTolerance: "30 seconds",
        jwksCacheTime: "600 seconds"
      }
      const old = yield* withKeys(
        site,
        Effect.gen(function*() {
          const keys = yield* PersistentKeys
          const store = yield* Store
          expect(Duration.toMillis(keys.retention)).toBe(750_000)
          const old = (yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid
          const next = yield* keys.rotate()
          yield* keys.activate(next.kid)
          const retiredAt = yield* TestClock.currentTimeMillis
          expect(yield* keys.prune(retiredAt + 750_000)).toEqual([])
          expect(Object.keys(yield* storedStates(store))).toContain(old)
          expect(yield* keys.prune(retiredAt + 750_001)).toEqual([old])
          expect(Object.keys(yield* storedStates(store))).not.toContain(old)
          expect(Object.keys(yield* states)).not.toContain(old)
          return old
        }),
        options
      )
      const after = yield* withKeys(site, Effect.flatMap(Store, storedStates), options)
      expect(Object.keys(after)).not.toContain(old)
      expect(Object.values(after)).toEqual(["active"])
    }))

  it.scoped("imports an operator-supplied PEM as next, or straight active", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      const supplied = yield* Effect.flatMap(generateKey({ alg: "ES256" }), exportKeyMaterial)
      const other = yield* Effect.flatMap(generateKey({ alg: "ES256" }), exportKeyMaterial)
      yield* withKeys(
        site,
        Effect.gen(function*() {
          const keys = yield* PersistentKeys
          const imported = yield* keys.importPem({
            privateKeyPem: supplied.privateKeyPem,
            certificatePem: supplied.certificatePem,
            kid: "trustservice"
          })
          expect(imported).toMatchObject({ kid: "trustservice", state: "next", alg: "ES256" })
          const mismatch = yield* Effect.flip(keys.importPem({
            privateKeyPem: other.privateKeyPem,
            certificatePem: supplied.certificatePem
          }))
          expect(mismatch._tag).toBe("KeyImportError")
          yield* keys.activate("trustservice")
        })
      )
      const active = yield* withKeys(site, Effect.flatMap(KeyStore, (store) => store.activeKey))
      expect(active.kid).toBe("trustservice")
      const material = yield* exportKeyMaterial(active)
      expect(material.privateKeyPem).toBe(supplied.privateKeyPem)
    }))

  it.scopedLive("the automatic schedule publishes next ahead of time, then activates it", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      // Rotation every 3 s, a next key published 1 s before it signs: due 2 s after the first key's activation.
      const { keyStore } = yield* replica(site.layer(), {
        alg: "EdDSA",
        rotationInterval: "3 seconds",
        publishLead: "1 second"
      })
      const store = yield* open(site)
      const first = yield* keyStore.activeKey
      const keyStates = Effect.map(keyStore.keys, (keys) => keys.map((key) => [key.kid, key.state] as const))
      expect(yield* eventually(Effect.map(keyStates, (keys) => keys.some(([, state]) => state === "next")), 400))
        .toBe(true)
      const next = (yield* keyStates).find(([, state]) => state === "next")![0]
      expect(yield* eventually(Effect.map(storedStates(store), (s) => s[next] === "next"), 400)).toBe(true)
      expect((yield* keyStore.activeKey).kid).toBe(first.kid)
      // Published for the lead before it signs.
      const nextKey = yield* keyStore.get(next)
      expect(yield* eventually(Effect.map(keyStore.activeKey, (key) => key.kid === next), 400)).toBe(true)
      const activated = yield* keyStore.get(next)
      expect(activated.activatedAt! - nextKey.createdAt).toBeGreaterThanOrEqual(1000)
      expect(yield* eventually(Effect.map(storedStates(store), (s) => s[first.kid] === "retired"), 400)).toBe(true)
      expect(Object.values(yield* storedStates(store)).filter((state) => state === "active")).toHaveLength(1)
    }))

  it.scoped("with a key encryption secret, no private key is in clear in the database", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      const secret = Redacted.make("correct horse battery staple")
      const kids = yield* withKeys(
        site,
        Effect.gen(function*() {
          const keys = yield* PersistentKeys
          yield* keys.rotate()
          const supplied = yield* Effect.flatMap(generateKey({ alg: "ES256" }), exportKeyMaterial)
          yield* keys.importPem({ privateKeyPem: supplied.privateKeyPem, certificatePem: supplied.certificatePem })
          return Object.keys(yield* states).sort()
        }),
        { alg: "EdDSA", keyEncryptionSecret: secret }
      )
      expect(kids).toHaveLength(3)
      const raw = yield* rawText(site)
      for (const kid of kids) expect(raw).toContain(kid)
      expect(raw).not.toContain(PRIVATE_KEY)
      const stored = yield* site.query<{ private_key_pem: string }>("SELECT private_key_pem FROM signing_keys")
      expect(stored.map((row) => row.private_key_pem.startsWith("enc:v1:"))).toEqual([true, true, true])

      // The same secret opens them; none, or another one, refuses the start.
      const reopened = yield* withKeys(site, Effect.map(states, (s) => Object.keys(s).sort()), {
        alg: "EdDSA",
        keyEncryptionSecret: secret
      })
      expect(reopened).toEqual(kids)
      expect(Exit.isFailure(yield* Effect.exit(withKeys(site, states)))).toBe(true)
      expect(
        Exit.isFailure(
          yield* Effect.exit(withKeys(site, states, { alg: "EdDSA", keyEncryptionSecret: Redacted.make("wrong") }))
        )
      ).toBe(true)
    }))

  it.scoped("keys stored in clear are sealed at the next start with a secret", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const site = yield* kind.site
      // RS256 (the default): private keys large enough to span several database pages.
      const active = yield* withKeys(
        site,
        Effect.gen(function*() {
          yield* Effect.flatMap(PersistentKeys, (keys) => keys.rotate())
          return (yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid
        }),
        {}
      )
      expect(yield* rawText(site)).toContain(PRIVATE_KEY)
      const secret = Redacted.make("s3cret")
      const after = yield* withKeys(
        site,
        Effect.map(Effect.flatMap(KeyStore, (store) => store.activeKey), (k) => k.kid),
        { keyEncryptionSecret: secret }
      )
      expect(after).toBe(active)
      const stored = yield* site.query<{ private_key_pem: string }>("SELECT private_key_pem FROM signing_keys")
      expect(stored.map((row) => row.private_key_pem.startsWith("enc:v1:"))).toEqual([true, true])
      expect(yield* rawText(site)).not.toContain(PRIVATE_KEY)
      const again = yield* withKeys(
        site,
        Effect.map(Effect.flatMap(KeyStore, (store) => store.activeKey), (k) => k.kid),
        { keyEncryptionSecret: secret }
      )
      expect(again).toBe(active)
    }))

  it.scoped("generateIfMissing: false reads an empty store without writing to it", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const kids = yield* withKeys(site, Effect.map(Effect.flatMap(KeyStore, (store) => store.keys), (keys) => keys), {
        generateIfMissing: false
      })
      expect(kids).toEqual([])
      expect(yield* site.query("SELECT kid FROM signing_keys")).toEqual([])
      expect(yield* site.query("SELECT id FROM store_changes")).toEqual([])
    }))

  it.scopedLive("a rotation on one replica reaches another replica's JWKS within 2 s through the change feed", () =>
    Effect.gen(function*() {
      const site = yield* kind.site
      const a = yield* replica(site.layer(), { alg: "EdDSA" }, { pollInterval: "100 millis" })
      const b = yield* replica(site.layer(), { alg: "EdDSA" }, { pollInterval: "100 millis" })
      const published = (keyStore: KeyStore.Service) =>
        Effect.map(keyStore.jwks, (jwks) => jwks.keys.map((key) => key.kid).sort())
      expect(yield* published(b.keyStore)).toEqual(yield* published(a.keyStore))

      const next = yield* a.keys.rotate()
      const rotatedAt = yield* Clock.currentTimeMillis
      const seen = yield* eventually(Effect.map(published(b.keyStore), (kids) => kids.includes(next.kid)), 200)
      const arrivedAfter = (yield* Clock.currentTimeMillis) - rotatedAt
      expect(seen).toBe(true)
      expect(arrivedAfter).toBeLessThan(2000)

      // Activation too: B signs with the new key.
      yield* a.keys.activate(next.kid)
      expect(yield* eventually(Effect.map(b.keyStore.activeKey, (key) => key.kid === next.kid), 200)).toBe(true)
    }))
})

describe("PersistentKeys on several replicas", () => {
  it.scopedLive.each(STORES)(
    "$name: automatic rotation due at the same moment is carried out once",
    (kind) =>
      Effect.gen(function*() {
        const site = yield* kind.site
        // SQLite's replicas in one process share its connection (as the server's services do); PostgreSQL's each
        // have their own.
        const shared = yield* open(site)
        const storeOf = () => site.dialect === "sqlite" ? Layer.succeed(Store, shared) : site.layer()
        // The next key is due 2 s after the first was activated, for every replica at once.
        const options: PersistentKeysOptions = {
          alg: "EdDSA",
          rotationInterval: Duration.hours(1),
          publishLead: Duration.sum(Duration.minutes(59), Duration.seconds(58))
        }
        const replicas = yield* Effect.forEach(
          [1, 2, 3],
          () => replica(storeOf(), options, { pollInterval: "100 millis" })
        )
        const nextKids = (keyStore: KeyStore.Service) =>
          Effect.map(keyStore.keys, (keys) => keys.filter((key) => key.state === "next").map((key) => key.kid))
        // Every replica has decided (the loser finds the winner's key when it takes the lock, or through the feed).
        expect(
          yield* eventually(
            Effect.map(
              Effect.forEach(replicas, (r) => nextKids(r.keyStore)),
              (all) => all.every((kids) => kids.length > 0)
            ),
            400
          )
        ).toBe(true)
        const stored = yield* shared.keys.list()
        expect(stored.filter((key) => key.state === "next")).toHaveLength(1)
        expect(stored).toHaveLength(2)
        for (const r of replicas) {
          expect(yield* nextKids(r.keyStore)).toEqual([stored.find((k) => k.state === "next")!.kid])
        }
      })
  )
})

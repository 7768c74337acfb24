import { exportKeyMaterial, generateKey, KeyStore } from "@chatauth/core/KeyStore"
import { TokenIssuer } from "@chatauth/core/TokenIssuer"
import { TokenVerifier } from "@chatauth/core/TokenVerifier"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, TestClock } from "effect"
import type { PersistentKeysOptions } from "../src/PersistentKeys.js"
import { PersistentKeys } from "../src/PersistentKeys.js"
import { SqliteStore } from "../src/SqliteStore.js"
import { Store } from "../src/Store.js"
import { eventually, JAN_2025, tempDataDir } from "./storeTestUtils.js"

// EdDSA keys generate fast; RS256 (the default) is exercised by the restart test.
const withKeys = <A, E>(
  dataDir: string,
  effect: Effect.Effect<A, E, PersistentKeys | KeyStore | Store>,
  options: PersistentKeysOptions = { alg: "EdDSA" }
) => Effect.provide(effect, PersistentKeys.layer(options).pipe(Layer.provideMerge(SqliteStore.layer({ dataDir }))))

const states = Effect.map(
  Effect.flatMap(KeyStore, (store) => store.keys),
  (keys) => Object.fromEntries(keys.map((key) => [key.kid, key.state]))
)

const storedStates = Effect.map(
  Effect.flatMap(Store, (store) => store.keys.list()),
  (keys) => Object.fromEntries(keys.map((key) => [key.kid, key.state]))
)

describe("PersistentKeys", () => {
  it.scoped("generates an RS256 key on first start; a token signed before a restart verifies after it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      const request = { authUserName: "jane", domain: "chat.example.com", chatSiteName: "site-a" }
      const before = yield* withKeys(
        dataDir,
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
        dataDir,
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
      const dataDir = yield* tempDataDir
      const { first, next } = yield* withKeys(
        dataDir,
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
        dataDir,
        Effect.gen(function*() {
          expect(yield* states).toEqual({ [first]: "active", [next]: "next" })
          const promoted = yield* Effect.flatMap(PersistentKeys, (keys) => keys.promoteNext())
          expect(promoted.kid).toBe(next)
          expect(yield* storedStates).toEqual({ [first]: "retired", [next]: "active" })
          const noNext = yield* Effect.flip(Effect.flatMap(PersistentKeys, (keys) => keys.promoteNext()))
          expect(noNext._tag).toBe("NoNextKey")
        })
      )
      const reloaded = yield* withKeys(
        dataDir,
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

  it.scoped("a running instance picks up rotation and activation done by another process on the same store", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      // The "server": keys loaded once, kept open while the "CLI" below changes the store.
      const server = yield* Layer.build(
        PersistentKeys.layer({ alg: "EdDSA" }).pipe(Layer.provideMerge(SqliteStore.layer({ dataDir })))
      )
      const serverKeys = (effect: Effect.Effect<any, any, PersistentKeys | KeyStore>) => Effect.provide(effect, server)
      const original = yield* serverKeys(Effect.flatMap(KeyStore, (store) => store.activeKey))

      const rotated = yield* withKeys(
        dataDir,
        Effect.gen(function*() {
          const keys = yield* PersistentKeys
          const next = yield* keys.rotate()
          yield* keys.activate(next.kid)
          return next
        })
      )

      yield* serverKeys(Effect.flatMap(PersistentKeys, (keys) => keys.reload))
      const after = yield* serverKeys(states)
      expect(after).toEqual({ [rotated.kid]: "active", [original.kid]: "retired" })
      const active = yield* serverKeys(Effect.flatMap(KeyStore, (store) => store.activeKey))
      expect(active.kid).toBe(rotated.kid)
    }))

  it.scoped("prune removes retired keys only after TTL + tolerance + JWKS cache time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      const options: PersistentKeysOptions = {
        alg: "EdDSA",
        tokenTtl: "120 seconds",
        clockTolerance: "30 seconds",
        jwksCacheTime: "600 seconds"
      }
      const old = yield* withKeys(
        dataDir,
        Effect.gen(function*() {
          const keys = yield* PersistentKeys
          expect(Duration.toMillis(keys.retention)).toBe(750_000)
          const old = (yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid
          const next = yield* keys.rotate()
          yield* keys.activate(next.kid)
          const retiredAt = yield* TestClock.currentTimeMillis
          expect(yield* keys.prune(retiredAt + 750_000)).toEqual([])
          expect(Object.keys(yield* storedStates)).toContain(old)
          expect(yield* keys.prune(retiredAt + 750_001)).toEqual([old])
          expect(Object.keys(yield* storedStates)).not.toContain(old)
          expect(Object.keys(yield* states)).not.toContain(old)
          return old
        }),
        options
      )
      const after = yield* withKeys(dataDir, storedStates, options)
      expect(Object.keys(after)).not.toContain(old)
      expect(Object.values(after)).toEqual(["active"])
    }))

  it.scoped("imports an operator-supplied PEM as next, or straight active", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      const supplied = yield* Effect.flatMap(generateKey({ alg: "ES256" }), exportKeyMaterial)
      const other = yield* Effect.flatMap(generateKey({ alg: "ES256" }), exportKeyMaterial)
      yield* withKeys(
        dataDir,
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
      const active = yield* withKeys(dataDir, Effect.flatMap(KeyStore, (store) => store.activeKey))
      expect(active.kid).toBe("trustservice")
      const material = yield* exportKeyMaterial(active)
      expect(material.privateKeyPem).toBe(supplied.privateKeyPem)
    }))

  it.scoped("the automatic schedule publishes next ahead of time, then activates it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(JAN_2025)
      const dataDir = yield* tempDataDir
      yield* withKeys(
        dataDir,
        Effect.gen(function*() {
          const first = (yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid
          const count = (state: string) => Effect.map(states, (s) => Object.values(s).filter((v) => v === state).length)
          yield* TestClock.adjust("49 minutes")
          expect(yield* count("next")).toBe(0)
          yield* TestClock.adjust("1 minute")
          expect(yield* eventually(Effect.map(count("next"), (n) => n === 1))).toBe(true)
          expect((yield* Effect.flatMap(KeyStore, (store) => store.activeKey)).kid).toBe(first)
          yield* TestClock.adjust("10 minutes")
          expect(yield* eventually(Effect.map(states, (s) => s[first] === "retired"))).toBe(true)
          expect(yield* eventually(Effect.map(storedStates, (s) => s[first] === "retired"))).toBe(true)
          expect(yield* count("active")).toBe(1)
        }),
        { alg: "EdDSA", rotationInterval: "1 hour", publishLead: "10 minutes" }
      )
    }))
})

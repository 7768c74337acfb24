import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema, TestClock } from "effect"
import { X509Certificate } from "node:crypto"
import {
  DuplicateKey,
  exportKeyMaterial,
  generateKey,
  importKey,
  importPem,
  KeyImportError,
  KeyMaterial,
  KeyStore,
  NoActiveKey,
  type SigningAlgorithm,
  type SigningKey,
  toPublicJwk,
  UnknownKey
} from "../src/KeyStore.js"

const ALGORITHMS: ReadonlyArray<SigningAlgorithm> = ["RS256", "ES256", "EdDSA"]
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"]

// generated once (RSA generation is slow) with the real clock
const keys = await Effect.runPromise(
  Effect.all({
    RS256: generateKey({ alg: "RS256" }),
    ES256: generateKey({ alg: "ES256" }),
    EdDSA: generateKey({ alg: "EdDSA" })
  })
)
const otherRsa = await Effect.runPromise(generateKey({ alg: "RS256" }))

const T0 = 1_736_000_000_000

const fail = <E>(exit: Exit.Exit<unknown, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure, got a success")
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (failure === undefined) throw new Error(`expected a typed failure, got ${exit.cause._tag}`)
  return failure
}

describe("generateKey", () => {
  it.each(ALGORITHMS)("%s: a real self-signed certificate whose SHA-1 thumbprint is x5t", (alg) => {
    const key = keys[alg]
    const certificate = new X509Certificate(key.certificatePem)
    expect(key.alg).toBe(alg)
    expect(certificate.subject).toBe("CN=chatauth")
    expect(certificate.issuer).toBe(certificate.subject)
    expect(certificate.verify(certificate.publicKey)).toBe(true)
    // x5t computed independently from the certificate's DER
    const fingerprint = Buffer.from(certificate.fingerprint.replace(/:/g, ""), "hex").toString("base64url")
    expect(key.x5t).toBe(fingerprint)
    expect(key.x5c).toEqual([certificate.raw.toString("base64")])
    expect(certificate.publicKey.asymmetricKeyType).toBe({ RS256: "rsa", ES256: "ec", EdDSA: "ed25519" }[alg])
  })

  it("defaults: RSA-2048, state next, kid = RFC 7638 thumbprint (stable, unique)", () => {
    const key = keys.RS256
    expect(key.state).toBe("next")
    expect((key.privateKey.algorithm as RsaHashedKeyAlgorithm).modulusLength).toBe(2048)
    expect(key.kid).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key.kid).not.toBe(otherRsa.kid)
  })

  it.effect("takes kid, subject, validity and state; time from Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const key = yield* generateKey({
        alg: "ES256",
        kid: "trustservice",
        subject: "CN=Fusion Apps",
        validityDays: 10,
        state: "active"
      })
      const certificate = new X509Certificate(key.certificatePem)
      expect(key.kid).toBe("trustservice")
      expect(certificate.subject).toBe("CN=Fusion Apps")
      expect(new Date(certificate.validFrom).getTime()).toBe(T0)
      expect(new Date(certificate.validTo).getTime()).toBe(T0 + 10 * 24 * 3600 * 1000)
      expect(key).toMatchObject({ state: "active", createdAt: T0, activatedAt: T0, retiredAt: null })
    }))
})

describe("toPublicJwk", () => {
  it.each(ALGORITHMS)("%s: public members only, with x5c and x5t", (alg) => {
    const key = keys[alg]
    const jwk = toPublicJwk(key) as unknown as Record<string, unknown>
    for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member)
    expect(jwk).toMatchObject({ kid: key.kid, use: "sig", alg, x5c: key.x5c, x5t: key.x5t })
    const expected = {
      RS256: ["kty", "kid", "use", "alg", "n", "e", "x5c", "x5t"],
      ES256: ["kty", "kid", "use", "alg", "crv", "x", "y", "x5c", "x5t"],
      EdDSA: ["kty", "kid", "use", "alg", "crv", "x", "x5c", "x5t"]
    }[alg]
    expect(Object.keys(jwk)).toEqual(expected)
  })
})

describe("import and export", () => {
  it.effect.each(ALGORITHMS)("%s: exportKeyMaterial -> importKey round trip", (alg) =>
    Effect.gen(function*() {
      const original = keys[alg]
      const material = yield* exportKeyMaterial(original)
      expect(material.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
      // the persisted form goes through the schema (e.g. JSON in a database)
      const json = JSON.stringify(Schema.encodeSync(KeyMaterial)(material))
      const decoded = Schema.decodeUnknownSync(KeyMaterial)(JSON.parse(json))
      const restored = yield* importKey(decoded)
      expect(restored.kid).toBe(original.kid)
      expect(restored.x5t).toBe(original.x5t)
      expect(restored.publicJwk).toEqual(original.publicJwk)
      const again = yield* exportKeyMaterial(restored)
      expect(again).toEqual(material)
    }))

  it.effect("importPem: loads a key and certificate, infers the algorithm, defaults to next", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const material = yield* exportKeyMaterial(keys.ES256)
      const key = yield* importPem({ privateKeyPem: material.privateKeyPem, certificatePem: material.certificatePem })
      expect(key).toMatchObject({ alg: "ES256", kid: keys.ES256.kid, state: "next", createdAt: T0 })
      const named = yield* importPem({ ...material, kid: "trustservice", state: "active" })
      expect(named).toMatchObject({ kid: "trustservice", state: "active", activatedAt: T0 })
    }))

  it.effect("importPem: a private key that does not match the certificate is rejected", () =>
    Effect.gen(function*() {
      const mine = yield* exportKeyMaterial(keys.RS256)
      const other = yield* exportKeyMaterial(otherRsa)
      const error = fail(
        yield* Effect.exit(importPem({ privateKeyPem: other.privateKeyPem, certificatePem: mine.certificatePem }))
      )
      expect(error).toBeInstanceOf(KeyImportError)
      expect(error.message).toMatch(/does not match/)
    }))

  it.effect("importKey: wrong algorithm, garbage PEM and a key of another type are rejected", () =>
    Effect.gen(function*() {
      const rsa = yield* exportKeyMaterial(keys.RS256)
      const ec = yield* exportKeyMaterial(keys.ES256)
      const wrongAlg = fail(yield* Effect.exit(importKey({ ...rsa, alg: "ES256" })))
      expect(wrongAlg.message).toMatch(/RS256 key, not ES256/)
      const garbageCert = fail(yield* Effect.exit(importKey({ ...rsa, certificatePem: "not a certificate" })))
      expect(garbageCert).toBeInstanceOf(KeyImportError)
      const garbageKey = fail(
        yield* Effect.exit(importKey({ ...rsa, privateKeyPem: "-----BEGIN PRIVATE KEY-----\n!!\n" }))
      )
      expect(garbageKey.message).toMatch(/PKCS#8/)
      const crossed = fail(yield* Effect.exit(importKey({ ...rsa, privateKeyPem: ec.privateKeyPem })))
      expect(crossed).toBeInstanceOf(KeyImportError)
    }))
})

const withState = (key: SigningKey, state: SigningKey["state"]): SigningKey => ({ ...key, state })

describe("KeyStore", () => {
  it.effect("no active key: activeKey fails with NoActiveKey, jwks still publishes", () =>
    Effect.gen(function*() {
      const store = yield* KeyStore.make([keys.RS256])
      const error = fail(yield* Effect.exit(store.activeKey))
      expect(error).toBeInstanceOf(NoActiveKey)
      expect((yield* store.jwks).keys.map((jwk) => jwk.kid)).toEqual([keys.RS256.kid])
    }))

  it.effect("rotation: next is published but not signing, activate retires the old key, prune removes it", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = yield* KeyStore.make([withState(keys.RS256, "active")])
      expect((yield* store.activeKey).kid).toBe(keys.RS256.kid)

      const added = yield* store.add(keys.ES256)
      expect(added.state).toBe("next")
      expect((yield* store.activeKey).kid).toBe(keys.RS256.kid)
      expect((yield* store.jwks).keys.map((jwk) => jwk.kid)).toEqual([keys.RS256.kid, keys.ES256.kid])

      yield* TestClock.adjust("1 hour")
      const activated = yield* store.activate(keys.ES256.kid)
      expect(activated).toMatchObject({ state: "active", activatedAt: T0 + 3_600_000, retiredAt: null })
      expect((yield* store.activeKey).kid).toBe(keys.ES256.kid)
      const old = yield* store.get(keys.RS256.kid)
      expect(old).toMatchObject({ state: "retired", retiredAt: T0 + 3_600_000 })
      expect((yield* store.keys).filter((key) => key.state === "active")).toHaveLength(1)
      expect((yield* store.jwks).keys.map((jwk) => jwk.kid)).toEqual([keys.ES256.kid, keys.RS256.kid])

      // not retired long enough yet
      expect(yield* store.prune(T0 + 3_600_000)).toEqual([])
      const pruned = yield* store.prune(T0 + 3_600_001)
      expect(pruned.map((key) => key.kid)).toEqual([keys.RS256.kid])
      expect((yield* store.jwks).keys.map((jwk) => jwk.kid)).toEqual([keys.ES256.kid])
      expect(fail(yield* Effect.exit(store.get(keys.RS256.kid)))).toBeInstanceOf(UnknownKey)
    }))

  it.effect("at most one active key: adding an active key retires the current one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = yield* KeyStore.make([withState(keys.RS256, "active"), withState(keys.ES256, "active")])
      expect((yield* store.activeKey).kid).toBe(keys.ES256.kid)
      yield* store.add(withState(keys.EdDSA, "active"))
      const states = Object.fromEntries((yield* store.keys).map((key) => [key.alg, key.state]))
      expect(states).toEqual({ RS256: "retired", ES256: "retired", EdDSA: "active" })
    }))

  it.effect("retire and remove; unknown kids and duplicates are typed errors", () =>
    Effect.gen(function*() {
      const store = yield* KeyStore.make([withState(keys.RS256, "active"), keys.ES256])
      const retired = yield* store.retire(keys.RS256.kid)
      expect(retired.state).toBe("retired")
      expect(fail(yield* Effect.exit(store.activeKey))).toBeInstanceOf(NoActiveKey)
      yield* store.remove(keys.ES256.kid)
      expect((yield* store.jwks).keys.map((jwk) => jwk.kid)).toEqual([keys.RS256.kid])
      expect(fail(yield* Effect.exit(store.activate("nope")))).toEqual(new UnknownKey({ kid: "nope" }))
      expect(fail(yield* Effect.exit(store.remove("nope")))).toBeInstanceOf(UnknownKey)
      expect(fail(yield* Effect.exit(store.add(keys.RS256)))).toEqual(new DuplicateKey({ kid: keys.RS256.kid }))
    }))

  it.effect("jwks never leaks private members, whatever the states", () =>
    Effect.gen(function*() {
      const store = yield* KeyStore.make([
        withState(keys.RS256, "retired"),
        withState(keys.ES256, "active"),
        keys.EdDSA
      ])
      const jwks = yield* store.jwks
      expect(jwks.keys).toHaveLength(3)
      const json = JSON.parse(JSON.stringify(jwks)) as { keys: Array<Record<string, unknown>> }
      for (const jwk of json.keys) {
        for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member)
      }
    }))

  it.effect("layerGenerated: one fresh active key", () =>
    Effect.gen(function*() {
      const store = yield* KeyStore
      const active = yield* store.activeKey
      expect(active.alg).toBe("EdDSA")
      expect(active.state).toBe("active")
      expect(yield* store.keys).toHaveLength(1)
    }).pipe(Effect.provide(KeyStore.layerGenerated({ alg: "EdDSA" }))))
})

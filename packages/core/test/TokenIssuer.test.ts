import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, FastCheck as fc, Layer, TestClock } from "effect"
import { jwtVerify } from "jose"
import { generateKey, KeyStore, NoActiveKey, type SigningAlgorithm, type SigningKey } from "../src/KeyStore.js"
import { audienceFor, TokenIssuer } from "../src/TokenIssuer.js"

const keys = await Effect.runPromise(
  Effect.all({
    RS256: generateKey({ alg: "RS256", kid: "trustservice", state: "active" }),
    ES256: generateKey({ alg: "ES256", state: "active" }),
    EdDSA: generateKey({ alg: "EdDSA", state: "active" })
  })
)

const T0 = 1_736_000_000_000
const IAT = T0 / 1000
const request = { authUserName: "jeff.test@example.com", domain: "chat.example.com", chatSiteName: "site1" }

const decodeSegment = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))

const parts = (jwt: string) => {
  const [header, payload, signature] = jwt.split(".")
  return { header: decodeSegment(header), payload: decodeSegment(payload), signature }
}

const issuerWith = (key: SigningKey, options?: Parameters<typeof TokenIssuer.layer>[0]) =>
  TokenIssuer.layer(options).pipe(Layer.provideMerge(KeyStore.layer([key])))

describe("audienceFor", () => {
  it("is the Channel Server's consumer URL for the site", () => {
    expect(audienceFor("chat.example.com", "site1")).toBe("https://chat.example.com/engagement/api/consumer/site1")
  })
})

describe("TokenIssuer.issue", () => {
  it.effect.each(["RS256", "ES256", "EdDSA"] as ReadonlyArray<SigningAlgorithm>)(
    "%s: Oracle's exact header and claims, verifiable by jose",
    (alg) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0 + 999)
        const key = keys[alg]
        const issuer = yield* TokenIssuer
        const token = yield* issuer.issue(request)
        const { header, payload } = parts(token.jwt)

        expect(Object.keys(header)).toEqual(["alg", "typ", "x5t", "kid"])
        expect(header).toEqual({ alg, typ: "JWT", x5t: key.x5t, kid: key.kid })
        expect(Object.keys(payload)).toEqual(["exp", "sub", "aud", "iss", "prn", "iat"])
        expect(payload).toEqual({
          exp: IAT + 120,
          sub: "jeff.test@example.com",
          aud: "https://chat.example.com/engagement/api/consumer/site1",
          iss: "Fusion Apps",
          prn: "jeff.test@example.com",
          iat: IAT
        })
        expect(token.claims).toEqual(payload)
        expect(token.kid).toBe(key.kid)

        const verified = yield* Effect.promise(() =>
          jwtVerify(token.jwt, key.publicKey, { algorithms: [alg], currentDate: new Date(T0) })
        )
        expect(verified.payload).toEqual(payload)
      }).pipe(Effect.provide(issuerWith(keys[alg])))
  )

  it.effect("iat and exp follow the Clock; ttl and issuer are options", () =>
    Effect.gen(function*() {
      const issuer = yield* TokenIssuer
      yield* TestClock.setTime(T0)
      const first = yield* issuer.issue(request)
      yield* TestClock.adjust("61 seconds")
      const second = yield* issuer.issue(request)
      expect(first.claims).toMatchObject({ iat: IAT, exp: IAT + 300, iss: "Oracle Test" })
      expect(second.claims).toMatchObject({ iat: IAT + 61, exp: IAT + 361 })
    }).pipe(Effect.provide(issuerWith(keys.ES256, { issuer: "Oracle Test", ttlSeconds: 300 }))))

  it.effect("a rotation switches kid and x5t in the next token", () =>
    Effect.gen(function*() {
      const issuer = yield* TokenIssuer
      const store = yield* KeyStore
      const before = parts((yield* issuer.issue(request)).jwt).header
      const next = yield* generateKey({ alg: "EdDSA" })
      yield* store.add(next)
      // published but not signing yet
      expect(parts((yield* issuer.issue(request)).jwt).header.kid).toBe(keys.ES256.kid)
      yield* store.activate(next.kid)
      const after = yield* issuer.issue(request)
      expect(before).toMatchObject({ alg: "ES256", kid: keys.ES256.kid, x5t: keys.ES256.x5t })
      expect(parts(after.jwt).header).toEqual({ alg: "EdDSA", typ: "JWT", x5t: next.x5t, kid: next.kid })
      expect(after.kid).toBe(next.kid)
    }).pipe(Effect.provide(issuerWith(keys.ES256))))

  it.effect("fails with NoActiveKey when no key signs", () =>
    Effect.gen(function*() {
      const issuer = yield* TokenIssuer
      const exit = yield* Effect.exit(issuer.issue(request))
      expect(exit).toEqual(Exit.fail(new NoActiveKey()))
    }).pipe(Effect.provide(issuerWith({ ...keys.ES256, state: "next" }))))

  it.effect("any authUserName survives the round trip as sub and prn (UTF-8)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const issuer = yield* TokenIssuer
      const samples = fc.sample(fc.fullUnicodeString({ minLength: 1, maxLength: 64 }), 60)
      for (const authUserName of [...samples, "ünïcødé 名前 🎉", "\"quoted\" \\ back"]) {
        const token = yield* issuer.issue({ ...request, authUserName })
        const verified = yield* Effect.promise(() =>
          jwtVerify(token.jwt, keys.EdDSA.publicKey, { currentDate: new Date(T0) })
        )
        expect(verified.payload.sub).toBe(authUserName)
        expect(verified.payload.prn).toBe(authUserName)
      }
    }).pipe(Effect.provide(issuerWith(keys.EdDSA))))
})

describe("TokenIssuer.layerConfig", () => {
  const withEnv = (env: Record<string, string>) =>
    TokenIssuer.layerConfig.pipe(
      Layer.provideMerge(KeyStore.layer([keys.ES256])),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    )

  it.effect("reads CHATAUTH_TOKEN_ISSUER and CHATAUTH_TOKEN_TTL_SECONDS", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* (yield* TokenIssuer).issue(request)
      expect(token.claims).toMatchObject({ iss: "Acme", exp: IAT + 45 })
    }).pipe(Effect.provide(withEnv({ CHATAUTH_TOKEN_ISSUER: "Acme", CHATAUTH_TOKEN_TTL_SECONDS: "45" }))))

  it.effect("defaults to Oracle's issuer and a 120 s lifetime", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* (yield* TokenIssuer).issue(request)
      expect(token.claims).toMatchObject({ iss: "Fusion Apps", exp: IAT + 120 })
    }).pipe(Effect.provide(withEnv({}))))

  it.effect("rejects a non-positive TTL", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(withEnv({ CHATAUTH_TOKEN_TTL_SECONDS: "0" })).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toMatch(/CHATAUTH_TOKEN_TTL_SECONDS/)
    }))
})

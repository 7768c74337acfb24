import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigProvider, Effect, Exit, Layer, TestClock } from "effect"
import { exportSPKI, SignJWT } from "jose"
import { mkdtempSync, writeFileSync } from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { generateKey, KeyStore, type SigningAlgorithm, type SigningKey, toPublicJwk } from "../src/KeyStore.js"
import { type IssueRequest, TokenIssuer } from "../src/TokenIssuer.js"
import {
  JwksSourceError,
  type RejectionReason,
  TokenRejected,
  TokenVerifier,
  type TokenVerifierOptions
} from "../src/TokenVerifier.js"

const keys = await Effect.runPromise(
  Effect.all({
    RS256: generateKey({ alg: "RS256", kid: "trustservice", state: "active" }),
    ES256: generateKey({ alg: "ES256", state: "active" }),
    EdDSA: generateKey({ alg: "EdDSA", state: "active" }),
    // same kid as RS256, different key: what an attacker holding their own key would produce
    rogue: generateKey({ alg: "RS256", kid: "trustservice", state: "active" }),
    unpublished: generateKey({ alg: "RS256", state: "active" })
  })
)

const T0 = 1_736_000_000_000
const NOW = T0 / 1000
const request: IssueRequest = { authUserName: "jeff", domain: "chat.example.com", chatSiteName: "site1" }
const AUDIENCE = "https://chat.example.com/engagement/api/consumer/site1"

const jwksOf = (...signingKeys: ReadonlyArray<SigningKey>) => ({ keys: signingKeys.map(toPublicJwk) })
const published = jwksOf(keys.RS256, keys.ES256, keys.EdDSA)

/** Issues with the project's own issuer, at TestClock's time. */
const issue = (key: SigningKey, options?: { issuer?: string }) =>
  Effect.flatMap(TokenIssuer.make(options), (issuer) => issuer.issue(request)).pipe(
    Effect.provide(KeyStore.layer([key])),
    Effect.map((token) => token.jwt)
  )

const verifyWith =
  (options: Omit<TokenVerifierOptions, "jwks"> & { jwks?: TokenVerifierOptions["jwks"] }) =>
  (token: string, audience?: string) =>
    Effect.flatMap(
      Effect.orDie(TokenVerifier.make({ jwks: published, ...options })),
      (verifier) => verifier.verify(token, audience === undefined ? undefined : { audience })
    )

const verify = verifyWith({ algorithms: ["RS256", "ES256", "EdDSA"] })

const reasonOf = <A>(effect: Effect.Effect<A, TokenRejected>) =>
  Effect.map(Effect.flip(effect), (error) => {
    expect(error).toBeInstanceOf(TokenRejected)
    expect(error.message.length).toBeGreaterThan(0)
    return error.reason
  })

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8"))

const claims = (overrides: Record<string, unknown> = {}) => ({
  exp: NOW + 120,
  sub: "jeff",
  aud: AUDIENCE,
  iss: "Fusion Apps",
  prn: "jeff",
  iat: NOW,
  ...overrides
})

/** A token signed by `key` with any header and claims (jose's SignJWT), to build what our issuer never would. */
const forge = (key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown> = claims()) =>
  Effect.promise(() =>
    new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, typ: "JWT", x5t: key.x5t, kid: key.kid, ...header })
      .sign(key.privateKey)
  )

/** Signs any header with an RSA key, bypassing jose's own checks (it refuses unknown `crit` entries). */
const signRaw = (key: SigningKey, header: Record<string, unknown>, payload: Record<string, unknown> = claims()) =>
  Effect.promise(async () => {
    const input = `${segment(header)}.${segment(payload)}`
    const signature = await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, key.privateKey, Buffer.from(input))
    return `${input}.${Buffer.from(signature).toString("base64url")}`
  })

describe("round trip", () => {
  it.effect.each(["RS256", "ES256", "EdDSA"] as ReadonlyArray<SigningAlgorithm>)(
    "%s: issue -> verify",
    (alg) =>
      Effect.gen(function*() {
        yield* TestClock.setTime(T0)
        const token = yield* issue(keys[alg])
        const verified = yield* verifyWith({ algorithms: [alg] })(token, AUDIENCE)
        expect(verified.header).toEqual({ alg, typ: "JWT", x5t: keys[alg].x5t, kid: keys[alg].kid })
        expect(verified.claims).toEqual(claims())
        expect(Object.keys(verified.claims)).toEqual(["exp", "sub", "aud", "iss", "prn", "iat"])
      })
  )

  it.effect("the default pins RS256 and Oracle's issuer", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.RS256)
      expect((yield* verifyWith({})(token)).claims.sub).toBe("jeff")
      expect(yield* reasonOf(verifyWith({})(yield* issue(keys.ES256)))).toBe("algorithm")
    }))
})

describe("time", () => {
  it.effect("expired past exp + tolerance; accepted within the tolerance", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.RS256)
      // exp = NOW + 120, tolerance 30: valid while now < exp + 30
      yield* TestClock.adjust("149 seconds")
      expect((yield* verify(token)).claims.iat).toBe(NOW)
      yield* TestClock.adjust("1 second")
      expect(yield* reasonOf(verify(token))).toBe("expired")
    }))

  it.effect("the tolerance is an option", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.RS256)
      yield* TestClock.adjust("125 seconds")
      expect(yield* reasonOf(verifyWith({ clockToleranceSeconds: 0 })(token))).toBe("expired")
      expect((yield* verifyWith({ clockToleranceSeconds: 10 })(token)).claims.sub).toBe("jeff")
    }))

  it.effect("iat in the future beyond the tolerance is not_yet_valid; within it passes", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const early = yield* forge(keys.RS256, {}, claims({ iat: NOW + 31, exp: NOW + 151 }))
      expect(yield* reasonOf(verify(early))).toBe("not_yet_valid")
      const skewed = yield* forge(keys.RS256, {}, claims({ iat: NOW + 30, exp: NOW + 150 }))
      expect((yield* verify(skewed)).claims.iat).toBe(NOW + 30)
      // a token issued by a clock ahead of ours, checked when our clock catches up
      yield* TestClock.setTime(T0 + 60_000)
      const ahead = yield* issue(keys.RS256)
      yield* TestClock.setTime(T0)
      expect(yield* reasonOf(verify(ahead))).toBe("not_yet_valid")
    }))

  it.effect("nbf in the future is not_yet_valid", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* forge(keys.RS256, {}, claims({ nbf: NOW + 100 }))
      expect(yield* reasonOf(verify(token))).toBe("not_yet_valid")
    }))
})

describe("signature and keys", () => {
  it.effect("a tampered payload is bad_signature", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const [header, payload, signature] = (yield* issue(keys.RS256)).split(".")
      const tampered = segment({ ...decode(payload), sub: "admin", prn: "admin" })
      expect(yield* reasonOf(verify(`${header}.${tampered}.${signature}`))).toBe("bad_signature")
    }))

  it.effect("a token signed by another key under a published kid is bad_signature", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.rogue)
      expect(decode(token.split(".")[0]).kid).toBe(keys.RS256.kid)
      expect(yield* reasonOf(verify(token))).toBe("bad_signature")
    }))

  it.effect("an unpublished kid is unknown_key", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      expect(yield* reasonOf(verify(yield* issue(keys.unpublished)))).toBe("unknown_key")
    }))

  it.effect("an ES256 token is refused when only RS256 is pinned", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.ES256)
      expect(yield* reasonOf(verifyWith({ algorithms: ["RS256"] })(token))).toBe("algorithm")
    }))

  it.effect("alg none is refused", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const header = segment({ alg: "none", typ: "JWT", kid: keys.RS256.kid })
      for (const token of [`${header}.${segment(claims())}.`, `${header}.${segment(claims())}`]) {
        expect(["algorithm", "malformed"]).toContain(yield* reasonOf(verify(token)))
      }
      expect(yield* reasonOf(verify(`${header}.${segment(claims())}.`))).toBe("algorithm")
    }))

  it.effect("HS256 keyed with the RSA public key (PEM or JWK bytes) is refused", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const pem = yield* Effect.promise(() => exportSPKI(keys.RS256.publicKey))
      const secrets = [pem, JSON.stringify(toPublicJwk(keys.RS256)), JSON.stringify(published)]
      for (const secret of secrets) {
        const token = yield* Effect.promise(() =>
          new SignJWT(claims())
            .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: keys.RS256.kid })
            .sign(new TextEncoder().encode(secret))
        )
        expect(yield* reasonOf(verify(token))).toBe("algorithm")
        // even a caller that smuggles HS256 into the pinned list past the types
        const smuggled = verifyWith({ algorithms: ["RS256", "HS256"] as unknown as Array<SigningAlgorithm> })
        expect(yield* reasonOf(smuggled(token))).toBe("algorithm")
      }
    }))

  it.effect("a rotation: next is published, the retired key still verifies until pruned", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const store = yield* KeyStore.make([keys.RS256])
      const issuer = yield* TokenIssuer.make().pipe(Effect.provideService(KeyStore, store))
      const verifyNow = (token: string) =>
        Effect.flatMap(store.jwks, (jwks) => verifyWith({ jwks, algorithms: ["RS256", "EdDSA"] })(token))

      const next = yield* generateKey({ alg: "EdDSA" })
      yield* store.add(next)
      const old = yield* issuer.issue(request)
      expect(old.kid).toBe(keys.RS256.kid)
      expect((yield* verifyNow(old.jwt)).header.kid).toBe(keys.RS256.kid)

      yield* TestClock.adjust("10 seconds")
      yield* store.activate(next.kid)
      const fresh = yield* issuer.issue(request)
      expect(fresh.kid).toBe(next.kid)
      expect((yield* verifyNow(fresh.jwt)).header.kid).toBe(next.kid)
      expect((yield* verifyNow(old.jwt)).header.kid).toBe(keys.RS256.kid)

      yield* store.prune(T0 + 10_001)
      expect(yield* reasonOf(verifyNow(old.jwt))).toBe("unknown_key")
      expect((yield* verifyNow(fresh.jwt)).claims.sub).toBe("jeff")
    }))
})

describe("claims", () => {
  it.effect("audience: the per-call audience, else the configured one", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.RS256)
      expect(yield* reasonOf(verify(token, "https://chat.example.com/engagement/api/consumer/other"))).toBe(
        "audience"
      )
      const configured = verifyWith({ audience: "https://elsewhere.example.com/engagement/api/consumer/site1" })
      expect(yield* reasonOf(configured(token))).toBe("audience")
      expect((yield* configured(token, AUDIENCE)).claims.aud).toBe(AUDIENCE)
      expect((yield* verifyWith({ audience: ["x", AUDIENCE] })(token)).claims.aud).toBe(AUDIENCE)
    }))

  it.effect("issuer: another iss is refused; the accepted one is configurable", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* issue(keys.RS256, { issuer: "Someone Else" })
      expect(yield* reasonOf(verify(token))).toBe("issuer")
      expect((yield* verifyWith({ issuer: "Someone Else" })(token)).claims.iss).toBe("Someone Else")
    }))

  it.effect("a missing claim, a wrong claim type or a missing typ is malformed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const { prn: _prn, ...withoutPrn } = claims()
      const { exp: _exp, ...withoutExp } = claims()
      const cases = [
        yield* forge(keys.RS256, {}, withoutPrn),
        yield* forge(keys.RS256, {}, withoutExp),
        yield* forge(keys.RS256, {}, claims({ sub: 42 })),
        yield* forge(keys.RS256, {}, claims({ aud: [AUDIENCE] })),
        yield* forge(keys.RS256, { typ: "at+jwt" })
      ]
      for (const token of cases) expect(yield* reasonOf(verify(token))).toBe("malformed")
    }))
})

describe("malformed tokens", () => {
  it.effect("garbage, two segments, bad base64, non-JSON header", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const [header, payload, signature] = (yield* issue(keys.RS256)).split(".")
      const tokens = [
        "",
        "garbage",
        `${header}.${payload}`,
        `${header}.${payload}.${signature}.extra`,
        `${header}.${payload}.@@@not-base64@@@`,
        `${header}.%%%.${signature}`,
        `!!!.${payload}.${signature}`,
        `${Buffer.from("not json").toString("base64url")}.${payload}.${signature}`,
        `${segment(["alg", "RS256"])}.${payload}.${signature}`
      ]
      for (const token of tokens) expect([token, yield* reasonOf(verify(token))]).toEqual([token, "malformed"])
    }))

  it.effect("jku, jwk and x5u headers are refused even when correctly signed by a published key", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const headers = [
        { jku: "https://attacker.example.com/jwks.json" },
        { jwk: toPublicJwk(keys.RS256) },
        { x5u: "https://attacker.example.com/cert.pem" }
      ]
      for (const header of headers) {
        expect(yield* reasonOf(verify(yield* forge(keys.RS256, header)))).toBe("malformed")
      }
      // x5c is not a key source: ignored, the JWKS decides
      const withX5c = yield* forge(keys.RS256, { x5c: keys.RS256.x5c })
      expect((yield* verify(withX5c)).claims.sub).toBe("jeff")
      const rogueX5c = yield* forge(keys.rogue, { x5c: keys.rogue.x5c })
      expect(yield* reasonOf(verify(rogueX5c))).toBe("bad_signature")
    }))

  it.effect("an unknown critical header is malformed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const header = { alg: "RS256", typ: "JWT", kid: keys.RS256.kid, crit: ["exp2"], exp2: 1 }
      expect(yield* reasonOf(verify(yield* signRaw(keys.RS256, header)))).toBe("malformed")
      // the raw signer itself produces tokens that verify
      const plain = { alg: "RS256", typ: "JWT", kid: keys.RS256.kid }
      expect((yield* verify(yield* signRaw(keys.RS256, plain))).claims.sub).toBe("jeff")
    }))
})

const tempFile = (name: string, content: string) => {
  const path = join(mkdtempSync(join(tmpdir(), "chatauth-jwks-")), name)
  writeFileSync(path, content)
  return path
}

describe("JWKS file", () => {
  it.effect("read once at layer build", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const file = tempFile("jwks.json", JSON.stringify(jwksOf(keys.RS256)))
      const verifier = yield* TokenVerifier.make({ jwks: { file } })
      // the file changing afterwards does not matter
      writeFileSync(file, JSON.stringify(jwksOf(keys.ES256)))
      expect((yield* verifier.verify(yield* issue(keys.RS256))).claims.sub).toBe("jeff")
    }))

  it.effect("a missing file or a file that is not a JWKS fails the layer with JwksSourceError", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(TokenVerifier.make({ jwks: { file: "/nonexistent/chatauth/jwks.json" } }))
      expect(missing).toBeInstanceOf(JwksSourceError)
      const notJwks = yield* Effect.flip(TokenVerifier.make({ jwks: { file: tempFile("x.json", "{\"k\":1}") } }))
      expect(notJwks.message).toMatch(/not a JSON Web Key Set/)
      const notJson = yield* Effect.flip(TokenVerifier.make({ jwks: { file: tempFile("y.json", "nope") } }))
      expect(notJson).toBeInstanceOf(JwksSourceError)
    }))
})

interface JwksServer {
  readonly url: string
  readonly fetches: () => number
  readonly publish: (jwks: unknown, status?: number) => void
}

const serveJwks = (initial: unknown) =>
  Effect.acquireRelease(
    Effect.async<JwksServer & { readonly server: http.Server }>((resume) => {
      let body = initial
      let status = 200
      let count = 0
      const server = http.createServer((_request, response) => {
        count++
        response.writeHead(status, { "content-type": "application/json" })
        response.end(JSON.stringify(body))
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({
          server,
          url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
          fetches: () => count,
          publish: (jwks, newStatus = 200) => {
            body = jwks
            status = newStatus
          }
        }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )

describe("remote JWKS", () => {
  it.scoped("fetched once and cached; an unknown kid triggers one refetch", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const remote = yield* serveJwks(jwksOf(keys.RS256))
      const verifier = yield* TokenVerifier.make({ jwks: { url: remote.url, cooldownMs: 0 } })
      expect(remote.fetches()).toBe(0)

      const token = yield* issue(keys.RS256)
      yield* verifier.verify(token)
      yield* verifier.verify(token)
      yield* verifier.verify(token)
      expect(remote.fetches()).toBe(1)

      // a new key appears at the source: the first token naming it causes exactly one refetch
      const next = yield* generateKey({ alg: "RS256", state: "active" })
      remote.publish(jwksOf(keys.RS256, next))
      const nextToken = yield* issue(next)
      expect((yield* verifier.verify(nextToken)).header.kid).toBe(next.kid)
      expect(remote.fetches()).toBe(2)
      yield* verifier.verify(nextToken)
      yield* verifier.verify(token)
      expect(remote.fetches()).toBe(2)

      // a kid the source does not have either: one refetch, then unknown_key
      expect(yield* reasonOf(verifier.verify(yield* issue(keys.unpublished)))).toBe("unknown_key")
      expect(remote.fetches()).toBe(3)
    }))

  it.scoped("the cool-down limits refetches on unknown kids", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const remote = yield* serveJwks(jwksOf(keys.RS256))
      const verifier = yield* TokenVerifier.make({ jwks: { url: new URL(remote.url), cooldownMs: 60_000 } })
      yield* verifier.verify(yield* issue(keys.RS256))
      expect(remote.fetches()).toBe(1)

      remote.publish(jwksOf(keys.RS256, keys.unpublished))
      const token = yield* issue(keys.unpublished)
      for (let i = 0; i < 5; i++) expect(yield* reasonOf(verifier.verify(token))).toBe("unknown_key")
      expect(remote.fetches()).toBe(1)
    }))

  it.scoped("cacheMaxAgeMs 0 refetches every time", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const remote = yield* serveJwks(jwksOf(keys.RS256))
      const verifier = yield* TokenVerifier.make({ jwks: { url: remote.url, cacheMaxAgeMs: 0 } })
      const token = yield* issue(keys.RS256)
      yield* verifier.verify(token)
      yield* verifier.verify(token)
      expect(remote.fetches()).toBe(2)
    }))

  it.scoped("an unreachable or failing JWKS endpoint is a defect, not a rejected token", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const remote = yield* serveJwks({ error: "down" })
      remote.publish({ error: "down" }, 500)
      const verifier = yield* TokenVerifier.make({ jwks: { url: remote.url } })
      const exit = yield* Effect.exit(verifier.verify(yield* issue(keys.RS256)))
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    }))

  it.effect("an invalid URL fails the layer", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(TokenVerifier.make({ jwks: { url: "not a url" } }))
      expect(error).toBeInstanceOf(JwksSourceError)
    }))
})

describe("TokenVerifier.layerConfig", () => {
  const withEnv = (env: Record<string, string>) =>
    TokenVerifier.layerConfig.pipe(
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
    )
  const jwksFile = tempFile("jwks.json", JSON.stringify(published))

  it.effect("CHATAUTH_JWKS_FILE with algorithms, audience, issuer and tolerance", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const verifier = yield* TokenVerifier
      expect((yield* verifier.verify(yield* issue(keys.EdDSA, { issuer: "Acme" }))).claims.iss).toBe("Acme")
      expect(yield* reasonOf(verifier.verify(yield* issue(keys.RS256, { issuer: "Acme" })))).toBe("algorithm")
      expect(yield* reasonOf(verifier.verify(yield* issue(keys.ES256)))).toBe("issuer")
      const token = yield* issue(keys.ES256, { issuer: "Acme" })
      yield* TestClock.adjust("125 seconds")
      expect(yield* reasonOf(verifier.verify(token))).toBe("expired")
    }).pipe(Effect.provide(withEnv({
      CHATAUTH_JWKS_FILE: jwksFile,
      CHATAUTH_TOKEN_ALGORITHMS: "ES256, EdDSA",
      CHATAUTH_TOKEN_AUDIENCE: `https://x.example.com,${AUDIENCE}`,
      CHATAUTH_TOKEN_ISSUER: "Acme",
      CHATAUTH_CLOCK_TOLERANCE_SECONDS: "0"
    }))))

  it.scoped("CHATAUTH_JWKS_URL with cache settings", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const remote = yield* serveJwks(published)
      const verifier = yield* TokenVerifier.pipe(
        Effect.provide(withEnv({ CHATAUTH_JWKS_URL: remote.url, CHATAUTH_JWKS_CACHE_MAX_AGE_MS: "0" }))
      )
      const token = yield* issue(keys.RS256)
      yield* verifier.verify(token)
      yield* verifier.verify(token)
      expect(remote.fetches()).toBe(2)
    }))

  it.effect.each(
    [
      ["neither URL nor file", {}],
      ["both URL and file", { CHATAUTH_JWKS_URL: "https://x.example.com/jwks", CHATAUTH_JWKS_FILE: "/tmp/x" }],
      ["a symmetric algorithm", { CHATAUTH_JWKS_FILE: "/tmp/x", CHATAUTH_TOKEN_ALGORITHMS: "RS256,HS256" }],
      ["a negative tolerance", { CHATAUTH_JWKS_FILE: "/tmp/x", CHATAUTH_CLOCK_TOLERANCE_SECONDS: "-1" }]
    ] as const
  )("rejects %s", ([_, env]) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(withEnv(env)).pipe(Effect.scoped))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toMatch(/CHATAUTH_/)
    }))
})

describe("result", () => {
  it.effect("claims are exactly the chat token's (extra claims dropped); only the configured keys count", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0)
      const token = yield* forge(keys.RS256, {}, claims({ extra: "ignored" }))
      const verified = yield* verify(token)
      expect(verified.claims).toEqual(claims())
      const reason: RejectionReason = yield* reasonOf(verifyWith({ jwks: jwksOf(keys.ES256) })(token))
      expect(reason).toBe("unknown_key")
    }))
})

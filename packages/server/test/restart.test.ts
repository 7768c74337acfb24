import { TokenVerifier } from "@chatauth/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { decodeJwt, post, request, startServer, TWO_SITES, writeRoutingConfig } from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

const verifyAgainst = (jwks: TokenVerifier.JsonWebKeySet, jwt: string) =>
  Effect.flatMap(TokenVerifier.TokenVerifier, (verifier) => verifier.verify(jwt)).pipe(
    Effect.provide(TokenVerifier.TokenVerifier.layer({ jwks }))
  )

const placeOf = (item: Record<string, unknown>) => `${item.chatSiteName} ${item.domain} ${item.poolId}`

const USERS = Array.from({ length: 8 }, (_, i) => `restart-user-${i}@example.com`)

describe("restart on the same data directory", () => {
  it.scopedLive("keeps callers, keys and assignments; a token issued before still verifies", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const routingConfigPath = writeRoutingConfig(dataDir, TWO_SITES)

      const before = yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer({ dataDir, routingConfigPath })
        const places = new Map<string, string>()
        for (const user of USERS) {
          const answer = yield* post(server.url, { authUserName: user })
          expect(answer.status).toBe(201)
          places.set(user, placeOf(JSON.parse(answer.body)))
        }
        const jwt = JSON.parse((yield* post(server.url, { authUserName: USERS[0], resumeType: "RESUME" })).body).jwt
        const jwks = JSON.parse((yield* request(`${server.url}/.well-known/jwks.json`)).body)
        return { places, jwt: jwt as string, jwks: jwks as TokenVerifier.JsonWebKeySet }
      }))
      // Assignments over several sites and pools, so that "the same place" below means something.
      expect(new Set(before.places.values()).size).toBeGreaterThan(2)

      yield* Effect.scoped(Effect.gen(function*() {
        // Only the bootstrap caller's name is given again: with a different password, `ensure` leaves the
        // stored caller alone, so authenticating with the old password proves the caller was persisted.
        const server = yield* startServer({ dataDir, routingConfigPath })
        const jwks = JSON.parse(
          (yield* request(`${server.url}/.well-known/jwks.json`)).body
        ) as TokenVerifier.JsonWebKeySet
        const kid = decodeJwt(before.jwt).header.kid
        expect(jwks.keys.map((key) => key.kid)).toContain(kid)
        expect(jwks.keys.map((key) => key.kid)).toEqual(before.jwks.keys.map((key) => key.kid))

        const verified = yield* verifyAgainst(jwks, before.jwt)
        expect(verified.claims.sub).toBe(USERS[0])

        for (const user of USERS) {
          const answer = yield* post(server.url, { authUserName: user, resumeType: "RESUME" })
          expect(answer.status).toBe(201)
          const item = JSON.parse(answer.body)
          expect(placeOf(item), user).toBe(before.places.get(user))
          // New tokens are signed by the same persisted key.
          expect(decodeJwt(item.jwt).header.kid).toBe(kid)
        }
      }))
    }))

  it.scopedLive("the bootstrap caller is created once: a restart with another password keeps the first", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* Effect.scoped(startServer({ dataDir }))
      yield* Effect.scoped(Effect.gen(function*() {
        const server = yield* startServer({
          dataDir,
          bootstrapCaller: { username: "integration-user", password: Redacted.make("a-different-password") }
        })
        expect((yield* post(server.url, { authUserName: "jane" })).status).toBe(201)
      }))
    }))
})

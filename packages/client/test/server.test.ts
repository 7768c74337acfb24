/**
 * The client against the real server, started in-process on a free port with a fresh data directory.
 */
import { ChatAuthenticateApi, type KeyStore, TokenIssuer, TokenVerifier } from "@chatauth/core"
import { ChatAuthServer } from "@chatauth/server"
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Logger, LogLevel, Redacted } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  attributesOf,
  ChatAuthClient,
  ChatAuthClientError,
  type ChatAuthClientOptions,
  createChatAuthClient
} from "../src/index.js"

const USERNAME = "integration.user"
const PASSWORD = "correct horse battery staple: 7"

const exampleRequest: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../core/test/fixtures/example-request.json", import.meta.url), "utf8")
)

const startServer = Effect.gen(function*() {
  const dataDir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "chatauth-client-test-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  return yield* ChatAuthServer.start({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    bootstrapCaller: { username: USERNAME, password: Redacted.make(PASSWORD) },
    print: () => undefined
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
})

const clientFor = (url: string, options: Partial<ChatAuthClientOptions> = {}) =>
  ChatAuthClient.make({
    baseUrl: url,
    username: USERNAME,
    password: Redacted.make(PASSWORD),
    retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 5_000 },
    ...options
  }).pipe(Effect.provide(FetchHttpClient.layer))

describe("ChatAuthClient against the real server", () => {
  it.scopedLive("authenticates on every base path; the unverified claims are the token's real claims", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      for (const basePath of ChatAuthenticateApi.BASE_PATHS) {
        const client = yield* clientFor(server.url, { basePath })
        const result = yield* client.authenticate(exampleRequest as any)
        const { item } = result
        // the documented example is echoed: integers as strings, null kept, clientType filled in
        expect(item.authUserName).toBe("john.doe.4@us2.oraclecloud.com")
        expect(item.categoryId).toBe("456000")
        expect(item.productId).toBeNull()
        expect(item.clientType).toBe("CONSUMER")
        expect(item.links?.find((l) => l.rel === "self")?.href).toContain(`${basePath}/chatAuthenticate/`)

        const claims = result.unverifiedTokenClaims
        expect(claims.sub).toBe(item.authUserName)
        expect(claims.prn).toBe(item.authUserName)
        expect(claims.aud).toBe(TokenIssuer.audienceFor(item.domain, item.chatSiteName))
        expect(claims.iss).toBe("Fusion Apps")
        expect(claims.exp - claims.iat).toBe(120)
        expect(result.tokenExpiresAt.getTime()).toBe(claims.exp * 1000)
        expect(result.engagementUrl).toBe(
          `https://${item.domain}/engagement/api/consumer/${item.chatSiteName}/v1/requestEngagement?pool=${
            encodeURIComponent(item.poolId)
          }`
        )

        // what was read without verification is what a verifier accepts
        const verifier = yield* TokenVerifier.make({
          jwks: { url: `${server.url}/.well-known/jwks.json` },
          algorithms: [result.unverifiedTokenHeader.alg as KeyStore.SigningAlgorithm]
        })
        const verified = yield* verifier.verify(item.jwt, { audience: claims.aud })
        expect(verified.claims).toEqual(claims)
        expect(verified.header.kid).toBe(result.unverifiedTokenHeader.kid)
      }
    }))

  it.scopedLive("parses the echoed mediaList and honours onlyData", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const client = yield* clientFor(server.url, { onlyData: true })
      const result = yield* client.authenticate({
        authUserName: "jane@example.com",
        mediaList: "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE"
      })
      expect(result.item.links).toBeUndefined()
      expect(result.mediaList?.channels.map((c) => [c.channel, c.errors.map((e) => e.code)])).toEqual([
        ["CHAT", ["NO_KEYBOARD"]],
        ["VIDEO", ["NO_CAMERA", "NO_MICROPHONE"]]
      ])
    }))

  it.scopedLive("types the server's 400 in both Oracle forms, naming the attribute in the JSON one", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const json = yield* clientFor(server.url)
      const jsonError = yield* Effect.flip(json.authenticate({ authUserName: "jane", chatPriority: "urgent" }))
      if (jsonError._tag !== "BadRequest") throw jsonError
      expect(attributesOf(jsonError)).toEqual(["chatPriority"])

      const text = yield* clientFor(server.url, { frameworkVersion: 2 })
      const textError = yield* Effect.flip(text.authenticate({ authUserName: "jane", chatPriority: "urgent" }))
      if (textError._tag !== "BadRequest") throw textError
      expect(textError.details.map((d) => d.detail).join("\n")).toContain("chatPriority")
    }))

  it.scopedLive("types a wrong password as Unauthorized, without retrying and without the password", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const wrong = "not-the-password-42"
      const client = yield* clientFor(server.url, { password: Redacted.make(wrong) })
      const error = yield* Effect.flip(client.authenticate({ authUserName: "jane" }))
      expect(error._tag).toBe("Unauthorized")
      for (const text of [String(error), JSON.stringify(error)]) {
        expect(text).not.toContain(wrong)
        expect(text).not.toContain(PASSWORD)
      }
    }))

  it.scopedLive("works through the Promise API", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const client = createChatAuthClient({
        baseUrl: server.url,
        username: USERNAME,
        password: PASSWORD,
        basePath: "/serviceApi/resources/11.13.0.0"
      })
      const result = yield* Effect.promise(() => client.authenticate({ authUserName: "jane", queueId: 1 }))
      expect(result.item.queueId).toBe("1")
      const rejected = yield* Effect.promise(() =>
        client.authenticate({ authUserName: "jane", chatPriority: "urgent" }).then(Either.right, Either.left)
      )
      if (Either.isRight(rejected)) throw new Error("expected a rejection")
      expect(rejected.left instanceof ChatAuthClientError).toBe(true)
      expect((rejected.left as { readonly _tag: string })._tag).toBe("BadRequest")
    }))
})

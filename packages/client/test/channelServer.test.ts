/**
 * The Channel Server client against the real server's emulator (in-process, free port, fresh data directory), with
 * faults and time travel through the admin endpoints: every fault reaches the client as its typed error, and the
 * transient ones are retried.
 */
import { KeyStore, TokenIssuer } from "@chatauth/core"
import { CallerDirectory, ChatAuthServer, SqliteStore } from "@chatauth/server"
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Option, Redacted } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  ChannelServerClient,
  type ChannelServerClientOptions,
  ChannelServerError,
  channelServerOptionsOf,
  ChatAuthClient,
  type ChatAuthClientOptions,
  type ChatAuthResult,
  createChannelServerClient,
  createChatAuthClient
} from "../src/index.js"

const USERNAME = "integration.user"
const PASSWORD = "correct horse battery staple: 7"
const ADMIN = `Basic ${Buffer.from("ops:ops-passw0rd").toString("base64")}`
const SCRYPT = { N: 1024, r: 8, p: 1 }

const freePort = Effect.async<number>((resume) => {
  const probe = createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/** A server with the emulator and faults on; site-a's domain is the server itself, site-b's is elsewhere. */
const startServer = Effect.gen(function*() {
  const dataDir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "chatauth-channel-test-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const port = yield* freePort
  const config = join(dataDir, "routing.json")
  writeFileSync(
    config,
    JSON.stringify({
      channelServers: [
        { chatSiteName: "site-a", domain: `127.0.0.1:${port}`, pools: ["101:1"] },
        { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["201:1"] }
      ],
      rules: [{ match: { queueId: "2" }, sites: ["site-b"] }, { match: { queueId: "1" }, sites: ["site-a"] }],
      channelServerEmulator: { agent: { joinAfterSeconds: 0, replyAfterSeconds: 0, greeting: "Hi there." } }
    })
  )
  yield* Effect.scoped(
    Effect.flatMap(
      CallerDirectory.CallerDirectory,
      (callers) => callers.add({ username: "ops", password: "ops-passw0rd", privileges: ["CHATAUTH_ADMIN"] })
    ).pipe(
      Effect.orDie,
      Effect.provide(
        CallerDirectory.CallerDirectory.layer({ scrypt: SCRYPT }).pipe(
          Layer.provide(SqliteStore.layer({ dataDir })),
          Layer.orDie
        )
      )
    )
  )
  return yield* ChatAuthServer.start({
    host: "127.0.0.1",
    port,
    dataDir,
    routingConfigPath: config,
    channelServer: true,
    faults: true,
    bootstrapCaller: { username: USERNAME, password: Redacted.make(PASSWORD) },
    callerAuth: { scrypt: SCRYPT },
    print: () => undefined
  }).pipe(Effect.orDie, Logger.withMinimumLogLevel(LogLevel.Warning))
})

const RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 5_000 }

const authenticate = (
  url: string,
  authUserName: string,
  options: Partial<ChatAuthClientOptions> = {},
  queueId: 1 | 2 = 1
) =>
  Effect.flatMap(
    ChatAuthClient.make({
      baseUrl: url,
      username: USERNAME,
      password: Redacted.make(PASSWORD),
      retry: RETRY,
      ...options
    }),
    (client) => client.authenticate({ authUserName, queueId })
  ).pipe(Effect.provide(FetchHttpClient.layer))

const channel = (result: Pick<ChatAuthResult, "item">, options: Partial<ChannelServerClientOptions> = {}) =>
  ChannelServerClient.fromChatAuthResult(result, { scheme: "http", retry: RETRY, ...options }).pipe(
    Effect.provide(FetchHttpClient.layer)
  )

const admin = (url: string, path: string, body: unknown) =>
  Effect.promise(() =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { authorization: ADMIN, "content-type": "application/json" },
      body: JSON.stringify(body)
    }).then(async (response) => {
      expect(response.status).toBeLessThan(300)
      return response.json() as Promise<{ faults: ReadonlyArray<unknown>; clockOffsetSeconds: number }>
    })
  )

const fault = (url: string, entry: Record<string, unknown>) => admin(url, "/chatauth/faults", entry)
const queued = (url: string) =>
  Effect.promise(() =>
    fetch(`${url}/chatauth/faults`, { headers: { authorization: ADMIN } }).then((r) =>
      r.json() as Promise<{ faults: ReadonlyArray<unknown> }>
    )
  )

describe("ChannelServerClient against the emulator", () => {
  it.scopedLive("the journey: authenticate, requestEngagement, postMessage, the agent's reply, concludeEngagement", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const result = yield* authenticate(server.url, "jane@example.com")
      expect(result.item.domain).toBe(`127.0.0.1:${server.port}`)
      // built from the answer alone: http://{domain}/engagement/api/consumer/{site}/v1
      const chat = yield* channel(result)
      expect(chat.baseUrl).toBe(`${server.url}/engagement/api/consumer/site-a/v1`)

      const stats = yield* chat.getQueueStats({ queueId: 1, chatProactiveAvailableType: "AGENTS" })
      expect(stats.totalAvailableAgents).toBe(1)
      const engagement = yield* chat.requestEngagement({ clientTransactionId: 7 })
      expect(engagement).toMatchObject({ resultType: "SUCCESS", clientTransactionId: 7 })
      expect(Option.getOrThrow(yield* chat.sessionId)).toBe(engagement.sessionId)

      yield* chat.activity("RESPONDING")
      const posted = yield* chat.postMessage("Where is my order?")
      expect(posted.messageId).toEqual(expect.any(Number))
      const messages = yield* chat.getMessages()
      expect(messages.map((m) => m.messageName)).toEqual([
        "RNEngagementWaitInformationChangedMessage",
        "RNEngagementParticipantAddedMessage",
        "RNEngagementActivityChangedMessage",
        "RNEngagementMessagePostedMessage",
        "RNEngagementActivityChangedMessage"
      ])
      expect(messages[1].greeting).toBe("Hi there.")
      expect(messages.map((m) => m.mode).filter(Boolean)).toEqual(["RESPONDING", "LISTENING"])
      expect(messages[3].body).toContain("Where is my order?")
      expect(messages.map((m) => m.sequenceNumber)).toEqual([1, 2, 3, 4, 5])

      yield* chat.concludeEngagement()
      const after = yield* Effect.flip(chat.getMessages())
      expect(after._tag).toBe("NotEngaged")
      // the session is gone on the server too
      const resumed = yield* channel(result, { sessionId: engagement.sessionId })
      expect((yield* Effect.flip(resumed.getMessages()))._tag).toBe("EngagementNotFound")
    }))

  it.scopedLive("the same journey through the Promise API", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const auth = createChatAuthClient({ baseUrl: server.url, username: USERNAME, password: PASSWORD })
      const result = yield* Effect.promise(() => auth.authenticate({ authUserName: "jane@example.com", queueId: 1 }))
      const chat = createChannelServerClient({ ...channelServerOptionsOf(result), scheme: "http" })
      const engagement = yield* Effect.promise(() => chat.requestEngagement())
      expect(chat.sessionId()).toBe(engagement.sessionId)
      yield* Effect.promise(() => chat.postMessage("hello"))
      const messages = yield* Effect.promise(() => chat.getMessages())
      expect(messages.some((m) => m.body?.includes("hello"))).toBe(true)
      yield* Effect.promise(() => chat.concludeEngagement())
      const rejected = yield* Effect.promise(() => chat.getMessages().then(() => undefined, (error: unknown) => error))
      expect(rejected instanceof ChannelServerError).toBe(true)
      expect(() => createChannelServerClient({ ...channelServerOptionsOf(result), jwt: "not a jwt" })).toThrow(
        /jwt must be a compact JWT/
      )
    }))

  it.scopedLive("token rejections: expired (time travel), another site's, tampered, unknown key", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const result = yield* authenticate(server.url, "jane@example.com")
      const open = yield* channel(result)
      yield* open.requestEngagement()

      // 121 s + the 30 s tolerance later, as the emulator sees it
      expect((yield* admin(server.url, "/chatauth/clock", { advanceSeconds: 200 })).clockOffsetSeconds).toBe(200)
      const late = yield* channel(result)
      const expired = yield* Effect.flip(late.requestEngagement())
      expect(expired).toMatchObject({ _tag: "TokenRejected", status: 403, reason: "expired" })
      // the engagement opened before expiry goes on with the same token
      yield* open.postMessage("still here")
      expect((yield* open.getMessages()).length).toBeGreaterThan(0)
      yield* admin(server.url, "/chatauth/clock", { offsetSeconds: 0 })

      // routed to site-b: its token is not for site-a
      const elsewhere = yield* authenticate(server.url, "jane@example.com", {}, 2)
      expect(elsewhere.item.chatSiteName).toBe("site-b")
      const wrongSite = yield* ChannelServerClient.make({
        domain: result.item.domain,
        chatSiteName: "site-a",
        poolId: "101:1",
        jwt: elsewhere.item.jwt,
        scheme: "http"
      }).pipe(Effect.provide(FetchHttpClient.layer))
      expect(yield* Effect.flip(wrongSite.requestEngagement())).toMatchObject({
        _tag: "TokenRejected",
        reason: "audience"
      })

      const [h, p, s] = result.item.jwt.split(".")
      const tampered = yield* channel({ item: { ...result.item, jwt: `${h}.${p}.${s.slice(0, -4)}AAAA` } })
      expect(yield* Effect.flip(tampered.requestEngagement())).toMatchObject({ reason: "bad_signature" })

      const foreign = yield* Effect.flatMap(
        TokenIssuer.TokenIssuer,
        (issuer) =>
          issuer.issue({ authUserName: "jane@example.com", domain: result.item.domain, chatSiteName: "site-a" })
      ).pipe(
        Effect.provide(TokenIssuer.TokenIssuer.layer().pipe(Layer.provide(KeyStore.KeyStore.layerGenerated())))
      )
      const unknown = yield* channel({ item: { ...result.item, jwt: foreign.jwt } })
      const error = yield* Effect.flip(unknown.requestEngagement())
      expect(error).toMatchObject({ _tag: "TokenRejected", reason: "unknown_key" })
      expect(String(error)).not.toContain(foreign.jwt)
    }))

  it.scopedLive("chatAuthenticate faults: 503 and 429 and a dropped connection are retried; 500 and a delay are not", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      yield* fault(server.url, { target: "chatAuthenticate", status: 503, retryAfterSeconds: 1 })
      yield* fault(server.url, { target: "chatAuthenticate", status: 429, retryAfterSeconds: 0 })
      yield* fault(server.url, { target: "chatAuthenticate", drop: true })
      // three faults, then the answer: within four attempts
      const result = yield* authenticate(server.url, "jane@example.com", { retry: { ...RETRY, maxAttempts: 4 } })
      expect(result.item.chatSiteName).toBe("site-a")
      expect((yield* queued(server.url)).faults).toEqual([])

      yield* fault(server.url, { target: "chatAuthenticate", status: 503, count: 2 })
      const single = yield* Effect.flip(authenticate(server.url, "jane@example.com", { retry: false }))
      expect(single).toMatchObject({ _tag: "ServerError", status: 503 })
      yield* Effect.flip(authenticate(server.url, "jane@example.com", { retry: false }))

      yield* fault(server.url, { target: "chatAuthenticate", status: 500 })
      expect(yield* Effect.flip(authenticate(server.url, "jane@example.com"))).toMatchObject({
        _tag: "ServerError",
        status: 500
      })
      yield* fault(server.url, { target: "chatAuthenticate", delayMs: 3_000 })
      expect((yield* Effect.flip(authenticate(server.url, "jane@example.com", { timeout: 300 })))._tag).toBe(
        "RequestTimeout"
      )
      expect((yield* queued(server.url)).faults).toEqual([])
    }))

  it.scopedLive("emulator faults reach the client as TokenRejected, Timeout, Dequeued, ServerError; 503 and drops retried", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const result = yield* authenticate(server.url, "jane@example.com")
      const chat = yield* channel(result)
      yield* chat.requestEngagement()
      const cases = [
        [403, { _tag: "TokenRejected", status: 403, reason: "injected" }],
        [408, { _tag: "Timeout", status: 408 }],
        [409, { _tag: "Dequeued" }],
        [500, { _tag: "ServerError", status: 500 }],
        [400, { _tag: "RequestRejected", status: 400 }],
        [404, { _tag: "EngagementNotFound" }]
      ] as const
      for (const [status, expected] of cases) {
        yield* fault(server.url, { target: "postMessage", status })
        expect(yield* Effect.flip(chat.postMessage("hi"))).toMatchObject(expected)
        expect((yield* queued(server.url)).faults).toEqual([])
      }
      const sessionId = Option.getOrThrow(yield* chat.sessionId)
      // two 503s and a dropped connection, then the answer: the fourth attempt gets it
      yield* fault(server.url, { target: "getMessages", status: 503, retryAfterSeconds: 0, count: 2 })
      yield* fault(server.url, { target: "getMessages", drop: true })
      const patient = yield* channel(result, { sessionId, retry: { ...RETRY, maxAttempts: 4 } })
      const messages = yield* patient.getMessages()
      expect(messages.map((m) => m.messageName)).toContain("RNEngagementParticipantAddedMessage")
      expect((yield* queued(server.url)).faults).toEqual([])
      // two attempts, two 503s: the second answer is the error
      yield* fault(server.url, { target: "getMessages", status: 503, count: 2 })
      const brief = yield* channel(result, { sessionId, retry: { ...RETRY, maxAttempts: 2 } })
      expect(yield* Effect.flip(brief.getMessages())).toMatchObject({ _tag: "ServerError", status: 503 })
      expect((yield* queued(server.url)).faults).toEqual([])
      yield* fault(server.url, { target: "activity", delayMs: 3_000 })
      const slow = yield* channel(result, { timeout: 300, retry: false, sessionId })
      expect(yield* Effect.flip(slow.activity("LISTENING"))).toMatchObject({ _tag: "Timeout", timeoutMillis: 300 })
    }))
})

/**
 * The Channel Server emulator and the fault admin over real HTTP: a server started with `channelServer` and
 * `faults`, tokens from its own chatAuthenticate, raw requests on real sockets.
 */
import { KeyStore, TokenIssuer } from "@chatauth/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { decodeRoutingConfig } from "../src/config/RoutingConfig.js"
import {
  addCallers,
  basicAuth,
  PASSWORD,
  post,
  request,
  startServer,
  USER,
  writeRoutingConfig
} from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

const ADMIN = basicAuth("ops", "ops-passw0rd")

const CONFIG = {
  channelServers: [
    { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1"] },
    { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["201:1"] }
  ],
  rules: [{ match: { queueId: "2" }, sites: ["site-b"] }, { match: { queueId: "1" }, sites: ["site-a"] }],
  channelServerEmulator: {
    agent: {
      name: "Robin",
      joinAfterSeconds: 30,
      greeting: "Hi, Robin here.",
      replyAfterSeconds: 0,
      replies: [{ pattern: "refund", reply: "Refunds take {message} days." }, {
        pattern: "^bye$",
        reply: "Bye!",
        conclude: true
      }],
      defaultReply: "Echo: {message}"
    },
    maxSessions: 3,
    sessionIdleSeconds: 600
  }
}

const start = (options: { readonly faults?: boolean; readonly channelServer?: boolean } = {}) =>
  Effect.gen(function*() {
    const dataDir = yield* tempDataDir
    yield* addCallers(dataDir, [{ username: "ops", password: "ops-passw0rd", privileges: ["CHATAUTH_ADMIN"] }])
    return yield* startServer({
      dataDir,
      routingConfigPath: writeRoutingConfig(dataDir, CONFIG),
      channelServer: options.channelServer ?? true,
      faults: options.faults ?? true
    })
  })

const tokenFor = (url: string, authUserName: string, queueId: "1" | "2" = "1") =>
  Effect.map(post(url, { authUserName, queueId }), (answer) => {
    expect(answer.status).toBe(201)
    return JSON.parse(answer.body) as { jwt: string; chatSiteName: string; poolId: string; domain: string }
  })

const call = (
  url: string,
  site: string,
  operation: string,
  options: {
    readonly token?: string
    readonly session?: string
    readonly sessionHeader?: string
    readonly body?: unknown
    readonly query?: string
    readonly method?: string
    readonly headers?: Record<string, string>
  } = {}
) =>
  Effect.map(
    request(`${url}/engagement/api/consumer/${site}/v1/${operation}${options.query ?? ""}`, {
      method: options.method ?? "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(options.session === undefined ? {} : { [options.sessionHeader ?? "SessionId"]: options.session }),
        ...options.headers
      },
      body: options.body === undefined ? "" : JSON.stringify(options.body)
    }),
    (answer) => ({ ...answer, json: answer.body === "" ? undefined : JSON.parse(answer.body) as any })
  )

const admin = (url: string, path: string, method: string, body?: unknown, authorization = ADMIN) =>
  Effect.map(
    request(`${url}${path}`, {
      method,
      headers: { authorization, "content-type": "application/json" },
      body: body === undefined ? "" : JSON.stringify(body)
    }),
    (answer) => ({ ...answer, json: answer.body === "" ? undefined : JSON.parse(answer.body) as any })
  )

const engage = (url: string, user: string) =>
  Effect.gen(function*() {
    const item = yield* tokenFor(url, user)
    const answer = yield* call(url, "site-a", "requestEngagement", { token: item.jwt, query: "?pool=101%3A1" })
    expect(answer.status).toBe(200)
    return { token: item.jwt, session: answer.json.sessionId as string, engagementId: answer.json.engagementId }
  })

describe("Channel Server emulator", () => {
  it.scopedLive("requestEngagement: verifies the token for this site and the pool; echoes the client's fields", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      const item = yield* tokenFor(url, "jane@example.com")
      expect(item.chatSiteName).toBe("site-a")
      const answer = yield* call(url, "site-a", "requestEngagement", {
        token: item.jwt,
        query: "?pool=101%3A1",
        body: { clientRequestTime: "2026-12-01T10:00:00+00:00", clientTransactionId: 42 }
      })
      expect(answer.status).toBe(200)
      expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8")
      expect(answer.json).toMatchObject({
        resultType: "SUCCESS",
        clientRequestTime: "2026-12-01T10:00:00+00:00",
        clientTransactionId: 42
      })
      expect(answer.json.engagementIdString).toBe(String(answer.json.engagementId))
      expect(answer.json.clientIdString).toBe(String(answer.json.clientId))
      expect(answer.json.sessionId).toMatch(/^[0-9a-f-]{36}$/)

      // the token names site-a: site-b refuses it
      const otherSite = yield* call(url, "site-b", "requestEngagement", { token: item.jwt, query: "?pool=201%3A1" })
      expect(otherSite.status).toBe(403)
      expect(otherSite.json).toMatchObject({ reason: "audience" })
      expect(otherSite.json.detail).toMatch(/^the validation on the JWT failed/)

      const noPool = yield* call(url, "site-a", "requestEngagement", { token: item.jwt })
      expect(noPool.status).toBe(400)
      const otherPool = yield* call(url, "site-a", "requestEngagement", { token: item.jwt, query: "?pool=201%3A1" })
      expect(otherPool.status).toBe(400)
      const badId = yield* call(url, "site-a", "requestEngagement", {
        token: item.jwt,
        query: "?pool=101%3A1",
        body: { clientTransactionId: "x" }
      })
      expect(badId.status).toBe(400)
    }))

  it.scopedLive("refuses missing, malformed, tampered and foreign tokens, each with its reason", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      const item = yield* tokenFor(url, "jane@example.com")
      const q = { query: "?pool=101%3A1" }

      const missing = yield* call(url, "site-a", "requestEngagement", q)
      expect(missing.status).toBe(401)
      expect(missing.headers["www-authenticate"]).toMatch(/^Bearer /)
      expect(missing.json.reason).toBe("missing")

      const basic = yield* call(url, "site-a", "requestEngagement", { ...q, headers: { authorization: "Basic eDp5" } })
      expect(basic.status).toBe(403)
      expect(basic.json.reason).toBe("malformed")

      const [h, p, s] = item.jwt.split(".")
      const claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8"))
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: "mallory" })).toString("base64url")
      const tampered = yield* call(url, "site-a", "requestEngagement", { ...q, token: `${h}.${forged}.${s}` })
      expect(tampered.status).toBe(403)
      expect(tampered.json.reason).toBe("bad_signature")

      // signed by a key the server never published
      const foreign = yield* Effect.flatMap(
        TokenIssuer.TokenIssuer,
        (issuer) => issuer.issue({ authUserName: "jane@example.com", domain: item.domain, chatSiteName: "site-a" })
      ).pipe(
        Effect.provide(TokenIssuer.TokenIssuer.layer().pipe(Layer.provide(KeyStore.KeyStore.layerGenerated())))
      )
      const unknownKey = yield* call(url, "site-a", "requestEngagement", { ...q, token: foreign.jwt })
      expect(unknownKey.status).toBe(403)
      expect(unknownKey.json.reason).toBe("unknown_key")
    }))

  it.scopedLive("the chat: agent joins when due, answers by pattern, concludes on its cue; sessions per sub", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      const { engagementId, session, token } = yield* engage(url, "jane@example.com")
      const first = yield* call(url, "site-a", "getMessages", { token, session, sessionHeader: "sessionid" })
      expect(first.status).toBe(200)
      expect(first.json.systemMessages).toEqual([
        expect.objectContaining({
          messageName: "RNEngagementWaitInformationChangedMessage",
          sequenceNumber: 1,
          engagementId,
          position: 1,
          expectedWaitTimeSeconds: 30
        })
      ])
      const posted = yield* call(url, "site-a", "postMessage", { token, session, body: { body: "refund 5" } })
      expect(posted.status).toBe(200)
      expect(posted.json.messageIdString).toBe(String(posted.json.messageId))
      // the agent has not joined yet (30 s): nothing new
      const waiting = yield* call(url, "site-a", "getMessages", { token, session, sessionHeader: "SESSIONID" })
      expect(waiting.json.systemMessages).toEqual([])

      // 31 s later on the emulator's clock
      expect((yield* admin(url, "/chatauth/clock", "POST", { advanceSeconds: 31 })).json.clockOffsetSeconds).toBe(31)
      const joined = yield* call(url, "site-a", "getMessages", { token, session })
      const names = joined.json.systemMessages.map((m: any) => m.messageName)
      expect(names).toEqual([
        "RNEngagementParticipantAddedMessage",
        "RNEngagementMessagePostedMessage",
        "RNEngagementActivityChangedMessage"
      ])
      expect(joined.json.systemMessages[0]).toMatchObject({ name: "Robin", greeting: "Hi, Robin here." })
      expect(joined.json.systemMessages[1]).toMatchObject({ body: "Refunds take refund 5 days.", senderType: "AGENT" })
      expect(joined.json.systemMessages.map((m: any) => m.sequenceNumber)).toEqual([2, 3, 4])

      // the token is long expired on the emulator's clock; the session it opened keeps working
      const activity = yield* call(url, "site-a", "activity", { token, session, body: { mode: "RESPONDING" } })
      expect(activity.status).toBe(200)
      const badMode = yield* call(url, "site-a", "activity", { token, session, body: { mode: "TYPING" } })
      expect(badMode.status).toBe(400)

      yield* admin(url, "/chatauth/clock", "DELETE")
      // another user's (valid) token cannot use this session; the same user's new token can
      const other = yield* tokenFor(url, "mallory@example.com")
      const stolen = yield* call(url, "site-a", "getMessages", { token: other.jwt, session })
      expect(stolen.status).toBe(403)
      expect(stolen.json.reason).toBe("subject")
      const renewed = yield* tokenFor(url, "jane@example.com")
      const again = yield* call(url, "site-a", "postMessage", { token: renewed.jwt, session, body: { body: "hello" } })
      expect(again.status).toBe(200)
      const echoed = yield* call(url, "site-a", "getMessages", { token, session })
      expect(echoed.json.systemMessages.map((m: any) => m.body).filter(Boolean)).toEqual(["Echo: hello"])

      yield* call(url, "site-a", "postMessage", { token, session, body: { body: "bye" } })
      const concluded = yield* call(url, "site-a", "getMessages", { token, session })
      expect(concluded.json.systemMessages.at(-1)).toMatchObject({
        messageName: "RNEngagementConcludedMessage",
        reason: "AGENT_CONCLUDED"
      })
      const afterwards = yield* call(url, "site-a", "postMessage", { token, session, body: { body: "still there?" } })
      expect(afterwards.status).toBe(404)
      const conclude = yield* call(url, "site-a", "concludeEngagement", { token, session, query: "?pool=101%3A1" })
      expect(conclude.status).toBe(200)
      const gone = yield* call(url, "site-a", "getMessages", { token, session })
      expect(gone.status).toBe(404)
    }))

  it.scopedLive("refuses what a follow-up lacks; is bounded in sessions and idle time", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      const { session, token } = yield* engage(url, "a@example.com")
      expect((yield* call(url, "site-a", "getMessages", { token })).status).toBe(400)
      expect((yield* call(url, "site-a", "getMessages", { token, session: "nope" })).status).toBe(404)
      expect((yield* call(url, "site-b", "getMessages", { token, session })).status).toBe(404)
      expect((yield* call(url, "site-a", "postMessage", { token, session, body: { body: "" } })).status).toBe(400)
      expect((yield* call(url, "site-a", "postMessage", { token, session, body: { text: "hi" } })).status).toBe(400)
      expect((yield* call(url, "site-a", "postMessage", { token, session, body: ["x"] })).status).toBe(400)
      const notJson = yield* request(`${url}/engagement/api/consumer/site-a/v1/postMessage`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, SessionId: session },
        body: "{not json"
      })
      expect(notJson.status).toBe(400)
      expect((yield* call(url, "site-a", "getMessages", { token, session, method: "GET" })).status).toBe(405)
      expect((yield* call(url, "site-a", "nothing", { token, session })).status).toBe(404)
      expect((yield* call(url, "site-z", "getMessages", { token, session })).status).toBe(404)
      const stats = yield* call(url, "site-a", "getQueueStats", {
        token,
        body: { queueId: 1, chatProactiveAvailableType: "AGENTS" }
      })
      expect(stats.status).toBe(200)
      expect(stats.json).toMatchObject({ totalAvailableAgents: 1, engagementsInQueue: 1 })

      yield* engage(url, "b@example.com")
      yield* engage(url, "c@example.com")
      const full = yield* call(url, "site-a", "requestEngagement", {
        token: (yield* tokenFor(url, "d@example.com")).jwt,
        query: "?pool=101%3A1"
      })
      expect(full.status).toBe(503)
      // every session idles out after 600 s on the emulator's clock: room again, and the old session is gone
      yield* admin(url, "/chatauth/clock", "POST", { offsetSeconds: 601 })
      expect((yield* call(url, "site-a", "getMessages", { token, session })).status).toBe(404)
      yield* admin(url, "/chatauth/clock", "DELETE")
      const fresh = yield* engage(url, "d@example.com")
      expect(fresh.session).not.toBe(session)
    }))

  it.scopedLive("without --channel-server the paths are not served; without --faults neither is the admin", () =>
    Effect.gen(function*() {
      const { url } = yield* start({ channelServer: false, faults: false })
      const item = yield* tokenFor(url, "jane@example.com")
      expect((yield* call(url, "site-a", "requestEngagement", { token: item.jwt, query: "?pool=101%3A1" })).status)
        .toBe(404)
      expect((yield* admin(url, "/chatauth/faults", "GET")).status).toBe(404)
    }))
})

describe("fault injection", () => {
  it.scopedLive("is for admin callers only, and checks what it is given", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      expect((yield* admin(url, "/chatauth/faults", "GET", undefined, "")).status).toBe(401)
      const chatCaller = yield* admin(url, "/chatauth/faults", "GET", undefined, basicAuth(USER, PASSWORD))
      expect(chatCaller.status).toBe(403)
      for (
        const bad of [
          { target: "nothing", status: 503 },
          { target: "chatAuthenticate", status: 418 },
          { target: "postMessage", status: 503, delayMs: 5 },
          { target: "chatAuthenticate", delayMs: -1 },
          { target: "chatAuthenticate", drop: true, count: 0 },
          { target: "chatAuthenticate", drop: true, surprise: 1 }
        ]
      ) {
        expect((yield* admin(url, "/chatauth/faults", "POST", bad)).status).toBe(400)
      }
      const halfBad = yield* admin(url, "/chatauth/faults", "POST", {
        faults: [{ target: "getMessages", status: 500 }, { target: "getMessages", status: 200 }]
      })
      expect(halfBad.status).toBe(400)
      expect(halfBad.json.detail).toMatch(/^fault 2: /)
      expect((yield* admin(url, "/chatauth/faults", "GET")).json.faults).toEqual([])
      const queued = yield* admin(url, "/chatauth/faults", "POST", {
        faults: [{ target: "chatAuthenticate", status: 503, retryAfterSeconds: 2, count: 2 }, {
          target: "getMessages",
          delayMs: 10
        }]
      })
      expect(queued.status).toBe(201)
      expect(queued.json.faults).toEqual([
        { target: "chatAuthenticate", kind: "status", status: 503, retryAfterSeconds: 2, remaining: 2 },
        { target: "getMessages", kind: "delay", delayMs: 10, remaining: 1 }
      ])
      const cleared = yield* admin(url, "/chatauth/faults", "DELETE")
      expect(cleared.json.faults).toEqual([])
    }))

  it.scopedLive("chatAuthenticate: a status with Retry-After, a delay, a dropped connection, each once", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      yield* admin(url, "/chatauth/faults", "POST", {
        faults: [
          { target: "chatAuthenticate", status: 503, retryAfterSeconds: 7 },
          { target: "chatAuthenticate", status: 429 },
          { target: "chatAuthenticate", drop: true },
          { target: "chatAuthenticate", delayMs: 50 }
        ]
      })
      const unavailable = yield* post(url, { authUserName: "jane" })
      expect(unavailable.status).toBe(503)
      expect(unavailable.headers["retry-after"]).toBe("7")
      expect(JSON.parse(unavailable.body)).toMatchObject({ status: "503", title: "Service Unavailable" })
      const limited = yield* post(url, { authUserName: "jane" })
      expect(limited.status).toBe(429)
      expect(limited.headers["retry-after"]).toBe("1")
      const dropped = yield* Effect.exit(post(url, { authUserName: "jane" }))
      expect(dropped._tag).toBe("Failure")
      // delayed, then answered for real
      expect((yield* post(url, { authUserName: "jane" })).status).toBe(201)
      expect((yield* admin(url, "/chatauth/faults", "GET")).json.faults).toEqual([])
      expect((yield* post(url, { authUserName: "jane" })).status).toBe(201)
    }))

  it.scopedLive("emulator operations: each status once, then the real answer", () =>
    Effect.gen(function*() {
      const { url } = yield* start()
      const { session, token } = yield* engage(url, "jane@example.com")
      for (const status of [403, 408, 409, 500]) {
        yield* admin(url, "/chatauth/faults", "POST", { target: "getMessages", status })
        const faulted = yield* call(url, "site-a", "getMessages", { token, session })
        expect(faulted.status).toBe(status)
        expect((yield* call(url, "site-a", "getMessages", { token, session })).status).toBe(200)
      }
    }))
})

describe("routing config: the channelServerEmulator section", () => {
  it.effect("is optional, defaults filled in, and checked", () =>
    Effect.gen(function*() {
      const base = { channelServers: CONFIG.channelServers }
      const without = yield* decodeRoutingConfig(JSON.stringify(base))
      expect(without.channelServerEmulator).toBeUndefined()
      const defaults = yield* decodeRoutingConfig(JSON.stringify({ ...base, channelServerEmulator: {} }))
      expect(defaults.channelServerEmulator).toMatchObject({ maxSessions: 1000, agent: { joinAfterSeconds: 2 } })
      const bad = yield* Effect.flip(decodeRoutingConfig(JSON.stringify({
        ...base,
        channelServerEmulator: { agent: { replies: [{ pattern: "(", reply: "x" }], joinAfterSeconds: -1 } }
      })))
      expect(bad.message).toContain("channelServerEmulator.agent.replies[0].pattern")
      expect(bad.message).toContain("joinAfterSeconds")
    }))
})

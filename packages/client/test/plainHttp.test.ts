/**
 * Plain HTTP and TLS: a loopback Channel Server domain (the local emulator) is spoken to over http unless told
 * otherwise, and an https call to a server that speaks plain HTTP — a real `node:http` server on 127.0.0.1 — fails at
 * once with a `NetworkError` that says so (`plainHttp`), for both clients, without retrying what cannot succeed.
 */
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { createServer } from "node:http"
import {
  ChannelServerClient,
  type ChannelServerClientOptions,
  ChatAuthClient,
  createChannelServerClient,
  NetworkError
} from "../src/index.js"
import { isLoopbackDomain } from "../src/internal/channelServer.js"

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJl"
const RETRY = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20, budgetMs: 5_000 }

/**
 * A plain-HTTP server on 127.0.0.1 that answers every request 404 with a JSON detail, and counts the connections
 * made to it (a TLS handshake never becomes a request, but is a connection).
 */
const plainServer = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly connections: () => number; readonly close: () => void }>((resume) => {
    let connections = 0
    const server = createServer((request, response) => {
      request.resume()
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ detail: "plain 404" }))
    })
    server.on("connection", () => connections++)
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        port: (server.address() as { port: number }).port,
        connections: () => connections,
        close: () => server.close()
      })))
  }),
  (server) => Effect.sync(() => server.close())
)

const channel = (options: Omit<ChannelServerClientOptions, "chatSiteName" | "jwt">) =>
  ChannelServerClient.make({ chatSiteName: "site-a", jwt: JWT, retry: RETRY, ...options }).pipe(
    Effect.provide(FetchHttpClient.layer)
  )

describe("loopback domains", () => {
  it("are localhost, 127.0.0.0/8 and ::1 in any form the URL parser takes; nothing else is", () => {
    for (
      const domain of [
        "127.0.0.1:8080",
        "127.1.2.3",
        "127.1",
        "localhost",
        "LOCALHOST.:9",
        "chat.localhost:8443",
        "[::1]:8080",
        "[0:0:0:0:0:0:0:1]",
        "[::ffff:127.0.0.1]:80"
      ]
    ) expect(isLoopbackDomain(domain), domain).toBe(true)
    for (
      const domain of [
        "bzndv-chatinteg-vip.dv.lan",
        "chat-b.example.com:8443",
        "localhost.example.com",
        "127.0.0.1.example.com",
        "128.0.0.1",
        "10.0.0.1:8080",
        "[::2]",
        "[::ffff:10.0.0.1]",
        "not a host"
      ]
    ) expect(isLoopbackDomain(domain), domain).toBe(false)
  })

  it.effect("choose http by default, https elsewhere; an explicit scheme wins", () =>
    Effect.gen(function*() {
      expect((yield* channel({ domain: "127.0.0.1:8080" })).baseUrl).toBe(
        "http://127.0.0.1:8080/engagement/api/consumer/site-a/v1"
      )
      expect((yield* channel({ domain: "[::1]:8080" })).baseUrl).toMatch(/^http:\/\/\[::1\]:8080\//)
      expect((yield* channel({ domain: "localhost:8080", scheme: "https" })).baseUrl).toMatch(/^https:\/\/localhost/)
      expect((yield* channel({ domain: "chat.example.com" })).baseUrl).toMatch(/^https:\/\/chat\.example\.com\//)
      expect((yield* channel({ domain: "chat.example.com", scheme: "http" })).baseUrl).toMatch(/^http:\/\/chat\./)
    }))
})

describe("an https call answered in plain HTTP", () => {
  it.scopedLive("the Channel Server on loopback is reached over http without being told", () =>
    Effect.gen(function*() {
      const server = yield* plainServer
      const chat = yield* channel({ domain: `127.0.0.1:${server.port}` })
      // The server's own 404 came back: the call went over plain HTTP and was read.
      const error = yield* Effect.flip(chat.requestEngagement())
      expect(error).toMatchObject({ _tag: "EngagementNotFound", detail: "plain 404" })
    }))

  it.scopedLive("is a NetworkError with plainHttp, tried once, from the Channel Server client", () =>
    Effect.gen(function*() {
      const server = yield* plainServer
      const forced = yield* channel({ domain: `127.0.0.1:${server.port}`, scheme: "https" })
      const error = yield* Effect.flip(forced.requestEngagement())
      expect(error).toBeInstanceOf(NetworkError)
      expect(error).toMatchObject({ _tag: "NetworkError", plainHttp: true })
      expect(error.message).toBe(
        "Network failure: the request could not be sent: the server answered in plain HTTP, not TLS (its URL is " +
          "http, not https)"
      )
      // A retry policy of three attempts, and one connection: speaking TLS again would not help.
      expect(server.connections()).toBe(1)

      // The same through channelServerUrl, for a domain that is not loopback.
      const redirected = yield* channel({
        domain: "chat.example.test",
        channelServerUrl: `https://127.0.0.1:${server.port}`
      })
      expect(yield* Effect.flip(redirected.requestEngagement())).toMatchObject({ plainHttp: true })
      expect(server.connections()).toBe(2)
    }))

  it.scopedLive("is the same error from the Promise client and the chatAuthenticate client", () =>
    Effect.gen(function*() {
      const server = yield* plainServer
      const promised = createChannelServerClient({
        domain: `127.0.0.1:${server.port}`,
        chatSiteName: "site-a",
        jwt: JWT,
        scheme: "https",
        retry: RETRY
      })
      const rejected = yield* Effect.promise(() => promised.requestEngagement().then(() => undefined, (e) => e))
      expect(rejected).toBeInstanceOf(NetworkError)
      expect(rejected).toMatchObject({ plainHttp: true })

      const auth = yield* ChatAuthClient.make({
        baseUrl: `https://127.0.0.1:${server.port}`,
        username: "portal",
        password: Redacted.make("change-me-please"),
        retry: RETRY
      }).pipe(Effect.provide(FetchHttpClient.layer))
      const error = yield* Effect.flip(auth.authenticate({ authUserName: "jane@example.com" }))
      expect(error).toMatchObject({ _tag: "NetworkError", plainHttp: true })
      expect(server.connections()).toBe(2)

      // A refused connection is still a plain NetworkError, and transient.
      server.close()
      const gone = yield* Effect.flip(
        ChatAuthClient.make({
          baseUrl: `https://127.0.0.1:${server.port}`,
          username: "portal",
          password: Redacted.make("change-me-please"),
          retry: false
        }).pipe(
          Effect.flatMap((client) => client.authenticate({ authUserName: "jane@example.com" })),
          Effect.provide(FetchHttpClient.layer)
        )
      )
      expect(gone).toMatchObject({ _tag: "NetworkError" })
      expect((gone as NetworkError).plainHttp).toBeUndefined()
    }))
})

import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { post, startServer, TWO_SITES, writeRoutingConfig } from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

class TestServer extends Context.Tag("test/RoutingServer")<TestServer, { readonly url: string }>() {}

const TestServerLive = Layer.scoped(
  TestServer,
  Effect.gen(function*() {
    const dataDir = yield* tempDataDir
    return yield* startServer({ dataDir, routingConfigPath: writeRoutingConfig(dataDir, TWO_SITES) })
  })
)

const issue = (url: string, body: Record<string, unknown>) =>
  Effect.map(post(url, body), (answer) => {
    expect(answer.status).toBe(201)
    return JSON.parse(answer.body) as { chatSiteName: string; domain: string; poolId: string }
  })

const DOMAINS: Record<string, string> = { "site-a": "chat-a.example.com", "site-b": "chat-b.example.com" }

describe("routing over HTTP", () => {
  layer(TestServerLive, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("spreads new chats over sites by weight and over each site's pools; RESUME sticks", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const bySite = new Map<string, number>()
        const byPool = new Map<string, number>()
        const first = new Map<string, string>()
        for (let i = 0; i < 40; i++) {
          const user = `spread-${i}@example.com`
          const item = yield* issue(url, { authUserName: user })
          expect(item.domain).toBe(DOMAINS[item.chatSiteName])
          bySite.set(item.chatSiteName, (bySite.get(item.chatSiteName) ?? 0) + 1)
          byPool.set(item.poolId, (byPool.get(item.poolId) ?? 0) + 1)
          first.set(user, `${item.chatSiteName}/${item.poolId}`)
        }
        // Weights 1 and 3: a quarter and three quarters.
        expect(Object.fromEntries(bySite)).toEqual({ "site-a": 10, "site-b": 30 })
        // Every pool of each site is used, evenly.
        expect(Object.fromEntries(byPool)).toEqual({ "101:1": 5, "101:2": 5, "201:1": 10, "201:2": 10, "201:3": 10 })

        // RESUME sends every user back to the same site and pool, whatever the rotation says now.
        for (const [user, place] of first) {
          const item = yield* issue(url, { authUserName: user, resumeType: "RESUME" })
          expect(`${item.chatSiteName}/${item.poolId}`, user).toBe(place)
        }
      }))

    it.effect("DO_NOT_RESUME routes anew", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const user = "fresh-start@example.com"
        const places: Array<string> = []
        for (let i = 0; i < 8; i++) {
          const item = yield* issue(url, { authUserName: user, resumeType: "DO_NOT_RESUME" })
          places.push(`${item.chatSiteName}/${item.poolId}`)
        }
        // Routed by the rotation each time: the same user lands in several places.
        expect(new Set(places).size).toBeGreaterThan(1)
        // And a RESUME after them goes to the last one.
        const resumed = yield* issue(url, { authUserName: user, resumeType: "RESUME" })
        expect(`${resumed.chatSiteName}/${resumed.poolId}`).toBe(places[places.length - 1])
      }))

    it.effect("a RESUME for a user never seen before is routed like a new chat", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const item = yield* issue(url, { authUserName: "never-seen@example.com", resumeType: "RESUME" })
        expect(Object.keys(DOMAINS)).toContain(item.chatSiteName)
      }))
  })
})

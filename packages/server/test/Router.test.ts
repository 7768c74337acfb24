import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, TestClock } from "effect"
import type { RoutingConfig } from "../src/config/RoutingConfig.js"
import { decodeRoutingConfig, defaultRoutingConfig } from "../src/config/RoutingConfig.js"
import type { RouteRequest, StoredAssignment } from "../src/routing/Router.js"
import { AssignmentStore, makeRouter, Router } from "../src/routing/Router.js"

const config = (json: unknown): RoutingConfig => Effect.runSync(decodeRoutingConfig(JSON.stringify(json)))

const twoSites = config({
  channelServers: [
    { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1", "101:2"], weight: 1 },
    { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["102:1", "102:2"], weight: 3 }
  ]
})

const equalSites = config({
  channelServers: [
    { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1"] },
    { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["102:1"] }
  ]
})

const routeMany = (requests: ReadonlyArray<RouteRequest>) =>
  Effect.flatMap(Router, (router) => Effect.forEach(requests, router.route))

const count = (values: ReadonlyArray<string>) => {
  const counts: Record<string, number> = {}
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1
  return counts
}

const users = (n: number, extra: Partial<RouteRequest> = {}): Array<RouteRequest> =>
  Array.from({ length: n }, (_, i) => ({ authUserName: `user-${i}`, ...extra }))

const withRouter = (routing: RoutingConfig, options?: { resumeWindowSeconds?: number }) =>
  Effect.provide(Router.layer(routing, options).pipe(Layer.provide(AssignmentStore.layerMemory())))

const minutes = (n: number) => `${n} minutes` as const

describe("Router", () => {
  it.effect("spreads new chats over sites by weight, exactly over a cycle, and over each site's pools evenly", () =>
    Effect.gen(function*() {
      const assignments = yield* routeMany(users(1000))
      expect(count(assignments.map((a) => a.chatSiteName))).toEqual({ "site-a": 250, "site-b": 750 })
      expect(count(assignments.map((a) => a.poolId))).toEqual({
        "101:1": 125,
        "101:2": 125,
        "102:1": 375,
        "102:2": 375
      })
      for (const a of assignments) {
        expect(a.domain).toBe(a.chatSiteName === "site-a" ? "chat-a.example.com" : "chat-b.example.com")
        expect(a.resumed).toBe(false)
      }
      // Smooth: every window of one cycle (4 picks) already holds the exact proportion, not 1 then 3 in a burst.
      for (let i = 0; i + 4 <= assignments.length; i++) {
        expect(assignments.slice(i, i + 4).filter((a) => a.chatSiteName === "site-a")).toHaveLength(1)
      }
    }).pipe(withRouter(twoSites)))

  it.effect("honours pool weights within a site", () =>
    Effect.gen(function*() {
      const assignments = yield* routeMany(users(900))
      expect(count(assignments.map((a) => a.poolId))).toEqual({ "1:1": 300, "1:2": 600 })
    }).pipe(withRouter(config({
      channelServers: [{ chatSiteName: "s", domain: "s.example", pools: ["1:1", { id: "1:2", weight: 2 }] }]
    }))))

  it.effect("routes everything to the default site without a config", () =>
    Effect.gen(function*() {
      const [a] = yield* routeMany(users(1))
      expect(a).toEqual({
        chatSiteName: "sdi_07_13_17_1643_46-Svcdit-Fusion",
        domain: "bzndv-chatinteg-vip.dv.lan",
        poolId: "452:2",
        resumed: false
      })
    }).pipe(withRouter(defaultRoutingConfig)))

  it.effect("RESUME within the window returns the same site and pool, resumed", () =>
    Effect.gen(function*() {
      const router = yield* Router
      const first = yield* router.route({ authUserName: "jane" })
      // Others move the round-robin on, so a fresh route would not land on jane's pool by chance.
      yield* routeMany(users(5))
      yield* TestClock.adjust(minutes(29))
      const resumed = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
      expect(resumed).toEqual({ ...first, resumed: true })
    }).pipe(withRouter(twoSites)))

  it.effect("RESUME after the window routes anew", () =>
    Effect.gen(function*() {
      const router = yield* Router
      const first = yield* router.route({ authUserName: "jane" })
      expect(first.chatSiteName).toBe("site-a")
      yield* TestClock.adjust(minutes(30))
      const again = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
      expect(again).toEqual({ chatSiteName: "site-b", domain: "chat-b.example.com", poolId: "102:1", resumed: false })
    }).pipe(withRouter(equalSites)))

  it.effect("a resume slides the window: each resumed chat counts as the latest assignment", () =>
    Effect.gen(function*() {
      const router = yield* Router
      const first = yield* router.route({ authUserName: "jane" })
      yield* TestClock.adjust(minutes(20))
      expect((yield* router.route({ authUserName: "jane", resumeType: "RESUME" })).resumed).toBe(true)
      yield* TestClock.adjust(minutes(20))
      const third = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
      expect(third).toEqual({ ...first, resumed: true })
    }).pipe(withRouter(equalSites)))

  it.effect("the resume window is configurable", () =>
    Effect.gen(function*() {
      const router = yield* Router
      yield* router.route({ authUserName: "jane" })
      yield* TestClock.adjust("59 seconds")
      expect((yield* router.route({ authUserName: "jane", resumeType: "RESUME" })).resumed).toBe(true)
      yield* TestClock.adjust("61 seconds")
      expect((yield* router.route({ authUserName: "jane", resumeType: "RESUME" })).resumed).toBe(false)
    }).pipe(withRouter(equalSites, { resumeWindowSeconds: 60 })))

  it.effect("a window of 0 never resumes", () =>
    Effect.gen(function*() {
      const router = yield* Router
      const first = yield* router.route({ authUserName: "jane" })
      const again = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
      expect(again.resumed).toBe(false)
      expect(again.chatSiteName).not.toBe(first.chatSiteName)
    }).pipe(withRouter(equalSites, { resumeWindowSeconds: 0 })))

  it.effect("DO_NOT_RESUME routes anew, and a later RESUME goes to that latest assignment", () =>
    Effect.gen(function*() {
      const router = yield* Router
      const first = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
      expect(first).toMatchObject({ chatSiteName: "site-a", resumed: false })
      const anew = yield* router.route({ authUserName: "jane", resumeType: "DO_NOT_RESUME" })
      expect(anew).toMatchObject({ chatSiteName: "site-b", resumed: false })
      const resumed = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
      expect(resumed).toEqual({ ...anew, resumed: true })
    }).pipe(withRouter(equalSites)))

  it.effect("RESUME for a user never seen routes anew", () =>
    Effect.gen(function*() {
      const router = yield* Router
      expect((yield* router.route({ authUserName: "new", resumeType: "RESUME" })).resumed).toBe(false)
    }).pipe(withRouter(equalSites)))

  it.effect("assignments outlive the router (restart) through the store", () =>
    Effect.gen(function*() {
      const before = yield* makeRouter(twoSites)
      const first = yield* before.route({ authUserName: "jane" })
      const after = yield* makeRouter(twoSites)
      yield* TestClock.adjust(minutes(10))
      expect(yield* after.route({ authUserName: "jane", resumeType: "RESUME" })).toEqual({ ...first, resumed: true })
    }).pipe(Effect.provide(AssignmentStore.layerMemory())))

  it.effect("RESUME to a site removed from the config routes anew", () =>
    Effect.gen(function*() {
      const before = yield* makeRouter(equalSites)
      expect((yield* before.route({ authUserName: "jane" })).chatSiteName).toBe("site-a")
      const after = yield* makeRouter(config({
        channelServers: [{ chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["102:1"] }]
      }))
      expect(yield* after.route({ authUserName: "jane", resumeType: "RESUME" })).toEqual({
        chatSiteName: "site-b",
        domain: "chat-b.example.com",
        poolId: "102:1",
        resumed: false
      })
    }).pipe(Effect.provide(AssignmentStore.layerMemory())))

  it.effect("RESUME to a pool removed from its site routes anew; a moved domain follows the config", () =>
    Effect.gen(function*() {
      const before = yield* makeRouter(config({
        channelServers: [{ chatSiteName: "s", domain: "old.example", pools: ["1:1", "1:2"] }]
      }))
      expect((yield* before.route({ authUserName: "jane" })).poolId).toBe("1:1")
      expect((yield* before.route({ authUserName: "joe" })).poolId).toBe("1:2")
      const after = yield* makeRouter(config({
        channelServers: [{ chatSiteName: "s", domain: "new.example:8443", pools: ["1:2", "1:3"] }]
      }))
      expect(yield* after.route({ authUserName: "jane", resumeType: "RESUME" })).toEqual({
        chatSiteName: "s",
        domain: "new.example:8443",
        poolId: "1:2",
        resumed: false
      })
      expect(yield* after.route({ authUserName: "joe", resumeType: "RESUME" })).toEqual({
        chatSiteName: "s",
        domain: "new.example:8443",
        poolId: "1:2",
        resumed: true
      })
    }).pipe(Effect.provide(AssignmentStore.layerMemory())))

  describe("rules", () => {
    const ruled = config({
      channelServers: [
        { chatSiteName: "site-a", domain: "a.example", pools: ["1:1"] },
        { chatSiteName: "site-b", domain: "b.example", pools: ["2:1"] },
        { chatSiteName: "site-c", domain: "c.example", pools: ["3:1"], weight: 2 }
      ],
      rules: [
        { match: { queueId: [7, "8"] }, sites: ["site-c"] },
        { match: { stripeCode: "HRHD" }, sites: ["site-a", "site-b"] },
        { match: { interfaceId: "5", applicationClassification: "Sales" }, sites: ["site-b"] }
      ]
    })
    const sites = (requests: ReadonlyArray<RouteRequest>) =>
      Effect.map(routeMany(requests), (as) => count(as.map((a) => a.chatSiteName)))

    it.effect("pin by queueId (given as number or string in the config)", () =>
      Effect.gen(function*() {
        expect(yield* sites(users(10, { queueId: "7" }))).toEqual({ "site-c": 10 })
        expect(yield* sites(users(10, { queueId: "8" }))).toEqual({ "site-c": 10 })
      }).pipe(withRouter(ruled)))

    it.effect("pin by stripeCode, spreading over the rule's sites", () =>
      Effect.gen(function*() {
        expect(yield* sites(users(10, { stripeCode: "HRHD" }))).toEqual({ "site-a": 5, "site-b": 5 })
      }).pipe(withRouter(ruled)))

    it.effect("the first matching rule wins", () =>
      Effect.gen(function*() {
        expect(yield* sites(users(10, { queueId: "7", stripeCode: "HRHD" }))).toEqual({ "site-c": 10 })
      }).pipe(withRouter(ruled)))

    it.effect("a rule with several criteria needs all of them", () =>
      Effect.gen(function*() {
        expect(yield* sites(users(4, { interfaceId: "5", applicationClassification: "Sales" }))).toEqual({
          "site-b": 4
        })
        expect(yield* sites(users(4, { interfaceId: "5" }))).toEqual({ "site-a": 1, "site-b": 1, "site-c": 2 })
      }).pipe(withRouter(ruled)))

    it.effect("unmatched requests (other values, null, case differences) use every site by weight", () =>
      Effect.gen(function*() {
        expect(yield* sites(users(8, { queueId: "9", stripeCode: "hrhd", interfaceId: null }))).toEqual({
          "site-a": 2,
          "site-b": 2,
          "site-c": 4
        })
      }).pipe(withRouter(ruled)))
  })

  it.effect("costs one store read only for RESUME and one write per request", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const memory = yield* Effect.provide(AssignmentStore, AssignmentStore.layerMemory())
      const counting = AssignmentStore.make({
        findCallback: (user, done) => {
          calls.push(`find ${user}`)
          memory.findCallback(user, done)
        },
        recordNow: (a: StoredAssignment) => {
          calls.push(`record ${a.authUserName}`)
          memory.recordNow(a)
        }
      })
      const router = yield* Effect.provideService(makeRouter(equalSites), AssignmentStore, counting)
      yield* router.route({ authUserName: "a" })
      yield* router.route({ authUserName: "b", resumeType: "DO_NOT_RESUME" })
      yield* router.route({ authUserName: "a", resumeType: "RESUME" })
      yield* router.route({ authUserName: "c", resumeType: "RESUME" })
      expect(calls).toEqual(["record a", "record b", "find a", "record a", "find c", "record c"])
    }))

  it.effect("records the assignment with the Clock's time", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1000 seconds")
      const router = yield* makeRouter(equalSites)
      yield* router.route({ authUserName: "jane" })
      const stored = yield* Effect.flatMap(AssignmentStore, (s) => s.find("jane"))
      expect(stored).toEqual(Option.some({
        authUserName: "jane",
        chatSiteName: "site-a",
        domain: "chat-a.example.com",
        poolId: "101:1",
        assignedAt: 1_000_000
      }))
    }).pipe(Effect.provide(AssignmentStore.layerMemory())))

  it.effect("layerMemory keeps the most recently assigned users within its bound", () =>
    Effect.gen(function*() {
      const store = yield* AssignmentStore
      const record = (authUserName: string) =>
        store.record({ authUserName, chatSiteName: "s", domain: "d", poolId: "p", assignedAt: 0 })
      yield* record("a")
      yield* record("b")
      yield* record("a")
      yield* record("c")
      expect(Option.isSome(yield* store.find("a"))).toBe(true)
      expect(Option.isNone(yield* store.find("b"))).toBe(true)
      expect(Option.isSome(yield* store.find("c"))).toBe(true)
    }).pipe(Effect.provide(AssignmentStore.layerMemory({ maxEntries: 2 }))))

  describe("layerConfig", () => {
    const fromEnv = (env: Record<string, string>) =>
      Router.layerConfig.pipe(
        Layer.provide(Layer.mergeAll(AssignmentStore.layerMemory(), NodeContext.layer)),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )

    it.scoped("reads CHATAUTH_CONFIG and CHATAUTH_RESUME_WINDOW_SECONDS", () =>
      Effect.gen(function*() {
        const fs = yield* FileSystem.FileSystem
        const dir = yield* fs.makeTempDirectoryScoped()
        const file = `${dir}/routing.json`
        yield* fs.writeFileString(
          file,
          JSON.stringify({
            channelServers: [{ chatSiteName: "only", domain: "only.example", pools: ["9:9"] }],
            resumeWindowSeconds: 3600
          })
        )
        const router = yield* Effect.provide(
          Router,
          fromEnv({ CHATAUTH_CONFIG: file, CHATAUTH_RESUME_WINDOW_SECONDS: "10" })
        )
        expect(yield* router.route({ authUserName: "jane" })).toMatchObject({ chatSiteName: "only", poolId: "9:9" })
        yield* TestClock.adjust("9 seconds")
        expect((yield* router.route({ authUserName: "jane", resumeType: "RESUME" })).resumed).toBe(true)
        // The environment (10 s) overrides the file's 3600 s.
        yield* TestClock.adjust("11 seconds")
        expect((yield* router.route({ authUserName: "jane", resumeType: "RESUME" })).resumed).toBe(false)
      }).pipe(Effect.provide(NodeContext.layer)))

    it.effect("uses the default site when CHATAUTH_CONFIG is unset", () =>
      Effect.gen(function*() {
        const router = yield* Router
        expect((yield* router.route({ authUserName: "jane" })).chatSiteName).toBe("sdi_07_13_17_1643_46-Svcdit-Fusion")
      }).pipe(Effect.provide(fromEnv({}))))

    it.effect("a bad config fails the layer (the server does not start)", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Effect.provide(Router, fromEnv({ CHATAUTH_CONFIG: "/nonexistent/routing.json" }))
        )
        expect(error._tag).toBe("RoutingConfigError")
        expect(error.message).toContain("/nonexistent/routing.json")
      }))

    it.effect("a negative CHATAUTH_RESUME_WINDOW_SECONDS fails the layer", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Effect.provide(Router, fromEnv({ CHATAUTH_RESUME_WINDOW_SECONDS: "-5" })))
        expect(error._tag).toBe("ConfigError")
      }))
  })
})

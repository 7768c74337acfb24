import { FileSystem } from "@effect/platform"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import {
  decodeRoutingConfig,
  defaultRoutingConfig,
  loadRoutingConfig,
  RoutingConfig,
  RoutingConfigError
} from "../src/config/RoutingConfig.js"

const issueShape = {
  channelServers: [
    { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1", "101:2"], weight: 1 },
    { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["102:1"], weight: 3 }
  ]
}

const decodeError = (json: string, file = "/etc/chatauth/routing.json") => Effect.flip(decodeRoutingConfig(json, file))

const writeTemp = (content: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped()
    const file = `${dir}/routing.json`
    yield* fs.writeFileString(file, content)
    return file
  })

describe("RoutingConfig", () => {
  it.effect("accepts the issue's shape and normalizes pools to { id, weight }", () =>
    Effect.gen(function*() {
      const config = yield* decodeRoutingConfig(JSON.stringify(issueShape))
      expect(config.channelServers).toEqual([
        {
          chatSiteName: "site-a",
          domain: "chat-a.example.com",
          pools: [{ id: "101:1", weight: 1 }, { id: "101:2", weight: 1 }],
          weight: 1
        },
        { chatSiteName: "site-b", domain: "chat-b.example.com", pools: [{ id: "102:1", weight: 1 }], weight: 3 }
      ])
      expect(config.rules).toEqual([])
      expect(config.resumeWindowSeconds).toBeUndefined()
    }))

  it.effect("accepts the richer shape: pool weights, rules, hosts with ports and IPs, resume window", () =>
    Effect.gen(function*() {
      const config = yield* decodeRoutingConfig(JSON.stringify({
        channelServers: [
          { chatSiteName: "site-a", domain: "chat-a.example.com:8443", pools: ["101:1", { id: "101:2", weight: 2 }] },
          { chatSiteName: "site-b", domain: "10.1.2.3", pools: [{ id: "102:1" }], weight: 2 },
          { chatSiteName: "site-c", domain: "[2001:db8::1]:443", pools: ["103:1"] }
        ],
        rules: [
          { match: { queueId: [7, "8"] }, sites: ["site-c"] },
          { match: { stripeCode: "HRHD", interfaceId: 3 }, sites: ["site-a", "site-b"] },
          { match: { applicationClassification: "Sales" }, sites: ["site-b"] }
        ],
        resumeWindowSeconds: 600
      }))
      expect(config.channelServers.map((s) => [s.chatSiteName, s.weight, s.pools])).toEqual([
        ["site-a", 1, [{ id: "101:1", weight: 1 }, { id: "101:2", weight: 2 }]],
        ["site-b", 2, [{ id: "102:1", weight: 1 }]],
        ["site-c", 1, [{ id: "103:1", weight: 1 }]]
      ])
      expect(config.rules).toEqual([
        { match: { queueId: ["7", "8"] }, sites: ["site-c"] },
        { match: { stripeCode: ["HRHD"], interfaceId: ["3"] }, sites: ["site-a", "site-b"] },
        { match: { applicationClassification: ["Sales"] }, sites: ["site-b"] }
      ])
      expect(config.resumeWindowSeconds).toBe(600)
    }))

  const site = { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1"] }
  const failures: ReadonlyArray<readonly [string, unknown, string, string]> = [
    ["no site", { channelServers: [] }, "$.channelServers", "at least one site"],
    ["no channelServers key", {}, "$.channelServers", "is missing"],
    ["duplicate site name", { channelServers: [site, site] }, "$.channelServers[1].chatSiteName", "duplicate"],
    ["empty pools", { channelServers: [{ ...site, pools: [] }] }, "$.channelServers[0].pools", "at least one pool"],
    [
      "duplicate pool",
      { channelServers: [{ ...site, pools: ["1:1", "1:1"] }] },
      "$.channelServers[0].pools[1]",
      "duplicate"
    ],
    ["zero site weight", { channelServers: [{ ...site, weight: 0 }] }, "$.channelServers[0].weight", "weight must be"],
    [
      "fractional weight",
      { channelServers: [{ ...site, weight: 1.5 }] },
      "$.channelServers[0].weight",
      "weight must be"
    ],
    ["string weight", { channelServers: [{ ...site, weight: "2" }] }, "$.channelServers[0].weight", "number"],
    [
      "negative pool weight",
      { channelServers: [{ ...site, pools: [{ id: "1:1", weight: -2 }] }] },
      "$.channelServers[0].pools[0].weight",
      "weight must be"
    ],
    [
      "pool with a space",
      { channelServers: [{ ...site, pools: ["101 1"] }] },
      "$.channelServers[0].pools[0]",
      "pool id"
    ],
    ["empty pool id", { channelServers: [{ ...site, pools: [""] }] }, "$.channelServers[0].pools[0]", "pool id"],
    [
      "object pool without id",
      { channelServers: [{ ...site, pools: [{ weight: 1 }] }] },
      "$.channelServers[0].pools[0].id",
      "missing"
    ],
    ["numeric pool", { channelServers: [{ ...site, pools: [452] }] }, "$.channelServers[0].pools[0]", "a pool is"],
    [
      "domain with scheme",
      { channelServers: [{ ...site, domain: "https://a.example" }] },
      "$.channelServers[0].domain",
      "domain"
    ],
    [
      "domain with path",
      { channelServers: [{ ...site, domain: "a.example/x" }] },
      "$.channelServers[0].domain",
      "domain"
    ],
    [
      "port out of range",
      { channelServers: [{ ...site, domain: "a.example:70000" }] },
      "$.channelServers[0].domain",
      "domain"
    ],
    ["empty domain", { channelServers: [{ ...site, domain: "" }] }, "$.channelServers[0].domain", "domain"],
    [
      "site name with a slash",
      { channelServers: [{ ...site, chatSiteName: "a/b" }] },
      "$.channelServers[0].chatSiteName",
      "chatSiteName"
    ],
    ["misspelt key", { channelServers: [{ ...site, wieght: 2 }] }, "$.channelServers[0].wieght", "unknown key"],
    [
      "rule naming an unknown site",
      { channelServers: [site], rules: [{ match: { queueId: "1" }, sites: ["site-z"] }] },
      "$.rules[0].sites[0]",
      "unknown site \"site-z\""
    ],
    [
      "rule without criteria",
      { channelServers: [site], rules: [{ match: {}, sites: ["site-a"] }] },
      "$.rules[0].match",
      "at least one"
    ],
    [
      "rule without sites",
      { channelServers: [site], rules: [{ match: { queueId: 1 }, sites: [] }] },
      "$.rules[0].sites",
      "at least one site"
    ],
    [
      "negative resume window",
      { channelServers: [site], resumeWindowSeconds: -1 },
      "$.resumeWindowSeconds",
      "resumeWindowSeconds"
    ],
    ["not an object", [site], "$", "Expected"]
  ]

  for (const [name, input, path, fragment] of failures) {
    it.effect(`refuses ${name}, naming the file and ${path}`, () =>
      Effect.gen(function*() {
        const error = yield* decodeError(JSON.stringify(input))
        expect(error).toBeInstanceOf(RoutingConfigError)
        expect(error.file).toBe("/etc/chatauth/routing.json")
        expect(error.message).toContain("/etc/chatauth/routing.json")
        const issue = error.issues.find((i) => i.path === path)
        expect(issue, `issues: ${error.message}`).toBeDefined()
        expect(issue!.message).toContain(fragment)
        expect(error.message).toContain(`${path}: ${issue!.message}`)
      }))
  }

  it.effect("reports every problem at once", () =>
    Effect.gen(function*() {
      const error = yield* decodeError(JSON.stringify({
        channelServers: [{ chatSiteName: "a", domain: "x y", pools: ["p q"], weight: 0 }]
      }))
      expect(error.issues.map((i) => i.path).sort()).toEqual([
        "$.channelServers[0].domain",
        "$.channelServers[0].pools[0]",
        "$.channelServers[0].weight"
      ])
    }))

  it.effect("refuses text that is not JSON", () =>
    Effect.gen(function*() {
      const error = yield* decodeError("{\"channelServers\": [")
      expect(error.issues).toHaveLength(1)
      expect(error.issues[0].path).toBe("$")
      expect(error.issues[0].message).toMatch(/^not valid JSON: /)
    }))

  it.effect("without a path, loads one default site mirroring Oracle's reference example", () =>
    Effect.gen(function*() {
      const config = yield* loadRoutingConfig()
      expect(config).toBe(defaultRoutingConfig)
      expect(config.channelServers).toHaveLength(1)
      expect(config.channelServers[0].chatSiteName).toBe("sdi_07_13_17_1643_46-Svcdit-Fusion")
      expect(config.channelServers[0].domain).toBe("bzndv-chatinteg-vip.dv.lan")
      expect(config.channelServers[0].pools.map((p) => p.id)).toEqual(["452:2"])
      // The default must itself satisfy the schema it stands in for.
      expect(Schema.is(RoutingConfig)(config)).toBe(true)
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("loads and validates a file", () =>
    Effect.gen(function*() {
      const file = yield* writeTemp(JSON.stringify(issueShape, null, 2))
      const config = yield* loadRoutingConfig(file)
      expect(config.channelServers.map((s) => s.chatSiteName)).toEqual(["site-a", "site-b"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a bad file fails with its name and the JSON path", () =>
    Effect.gen(function*() {
      const file = yield* writeTemp(
        JSON.stringify({ channelServers: [{ ...issueShape.channelServers[0], weight: -1 }] })
      )
      const error = yield* Effect.flip(loadRoutingConfig(file))
      expect(error.message).toBe(
        `Invalid routing config ${file}:\n  - $.channelServers[0].weight: weight must be an integer from 1 to 1000000, got -1`
      )
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("a missing file fails with a clear message", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const error = yield* Effect.flip(loadRoutingConfig(`${dir}/nope.json`))
      expect(error.message).toBe(`Invalid routing config ${dir}/nope.json:\n  - $: file not found`)
    }).pipe(Effect.provide(NodeContext.layer)))
})

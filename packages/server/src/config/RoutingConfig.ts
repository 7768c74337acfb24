/**
 * The routing configuration: which Channel Server sites and pools new chats go to, and the rules that pin some
 * requests to a subset of sites.
 *
 * The file is JSON. The minimal shape is
 * `{"channelServers":[{"chatSiteName":"site-a","domain":"chat-a.example.com","pools":["101:1","101:2"],"weight":1}]}`;
 * pools may carry their own weight (`{ "id": "101:1", "weight": 2 }`), and optional `rules` and `resumeWindowSeconds`
 * refine it. A file that does not validate is refused with a message naming the file and the JSON path of every
 * problem, so a bad config stops the server at start instead of at the first request.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Either, ParseResult, Schema } from "effect"
import { EmulatorConfig } from "./EmulatorConfig.js"
import { formatIssues, nestsDeeperThan } from "./internal/configIssues.js"

const MAX_WEIGHT = 1_000_000

// Site names end up in the token's `aud` URL path and in metric labels: keep them to URL-unreserved characters.
const SITE_NAME = /^[A-Za-z0-9._~-]{1,200}$/
// Pool ids travel in the Channel Server's `?pool=` query; Oracle's look like `452:2`.
const POOL_ID = /^[^\s\p{Cc}]{1,200}$/u
const HOST_LABEL = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const IPV6_BRACKETED = /^\[[0-9A-Fa-f:.]{2,45}\]$/

const isPlausibleHost = (host: string): boolean => {
  if (IPV6_BRACKETED.test(host)) return host.includes(":", 1)
  if (IPV4.test(host)) return true
  if (host.length === 0 || host.length > 253) return false
  const labels = host.split(".")
  // A trailing dot (fully qualified form) is legal in DNS.
  if (labels.length > 1 && labels[labels.length - 1] === "") labels.pop()
  return labels.every((label) => HOST_LABEL.test(label))
}

const isPlausibleDomain = (domain: string): boolean => {
  const bracketEnd = domain.startsWith("[") ? domain.indexOf("]") : -1
  const colon = domain.indexOf(":", bracketEnd === -1 ? 0 : bracketEnd)
  if (colon === -1) return isPlausibleHost(domain)
  const port = domain.slice(colon + 1)
  if (!/^\d{1,5}$/.test(port)) return false
  const n = Number(port)
  return n >= 1 && n <= 65535 && isPlausibleHost(domain.slice(0, colon))
}

/**
 * A relative weight: a positive integer (integers keep smooth weighted round-robin exact over a cycle).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Weight = Schema.Number.pipe(
  Schema.filter((n) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_WEIGHT, {
    message: (issue) => `weight must be an integer from 1 to ${MAX_WEIGHT}, got ${JSON.stringify(issue.actual)}`
  }),
  Schema.annotations({ identifier: "Weight" })
)

/**
 * A Channel Server site name, e.g. `sdi_07_13_17_1643_46-Svcdit-Fusion`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChatSiteName = Schema.String.pipe(
  Schema.filter((s) => SITE_NAME.test(s), {
    message: (issue) =>
      `chatSiteName must be 1-200 characters of A-Z a-z 0-9 . _ ~ -, got ${JSON.stringify(issue.actual)}`
  }),
  Schema.annotations({ identifier: "ChatSiteName" })
)

/**
 * A Channel Server pool id, e.g. `452:2`: non-empty, without whitespace or control characters.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PoolId = Schema.String.pipe(
  Schema.filter((s) => POOL_ID.test(s), {
    message: (issue) =>
      `a pool id must be 1-200 characters without whitespace or control characters, got ${JSON.stringify(issue.actual)}`
  }),
  Schema.annotations({ identifier: "PoolId" })
)

/**
 * A Channel Server host name or IP address, with an optional port, e.g. `chat-a.example.com:8443`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Domain = Schema.String.pipe(
  Schema.filter((s) => isPlausibleDomain(s), {
    message: (issue) =>
      `domain must be a host name or IP address with an optional :port (no scheme, no path), got ${
        JSON.stringify(issue.actual)
      }`
  }),
  Schema.annotations({ identifier: "Domain" })
)

/**
 * A pool of a site, with its weight within the site (default 1).
 *
 * @since 0.1.0
 * @category models
 */
export interface Pool {
  readonly id: string
  readonly weight: number
}

const PoolObject = Schema.Struct({
  id: PoolId,
  weight: Schema.optionalWith(Weight, { exact: true, default: () => 1 })
})

const PoolType = Schema.Struct({ id: Schema.String, weight: Schema.Number })

// A hand-written dispatch instead of `Schema.Union`: a union reports every member's failure, which buries the one
// message that matters ("a pool id must be …") under "Expected Struct, actual …".
/**
 * A pool entry: a pool id string (`"101:1"`, weight 1) or `{ "id": "101:1", "weight": 2 }`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PoolEntry = Schema
  .transformOrFail(
    Schema.Unknown,
    PoolType,
    {
      strict: true,
      decode: (input, options, ast) => {
        if (typeof input === "string") {
          return ParseResult.decodeUnknown(PoolId)(input, options).pipe(
            Effect.map((id): Pool => ({ id, weight: 1 }))
          )
        }
        if (typeof input === "object" && input !== null && !Array.isArray(input)) {
          return ParseResult.decodeUnknown(PoolObject)(input, options)
        }
        return ParseResult.fail(
          new ParseResult.Type(
            ast,
            input,
            `a pool is a pool id string or {"id": …, "weight": …}, got ${JSON.stringify(input)}`
          )
        )
      },
      encode: (pool) => ParseResult.succeed(pool.weight === 1 ? pool.id : { id: pool.id, weight: pool.weight })
    }
  ).pipe(Schema.annotations({ identifier: "Pool" }))

/**
 * One Channel Server site.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChannelServer = Schema.Struct({
  chatSiteName: ChatSiteName,
  domain: Domain,
  pools: Schema.Array(PoolEntry).pipe(
    Schema.filter((pools) => {
      if (pools.length === 0) return "pools must list at least one pool"
      const seen = new Set<string>()
      for (let i = 0; i < pools.length; i++) {
        if (seen.has(pools[i].id)) return { path: [i], message: `duplicate pool id ${JSON.stringify(pools[i].id)}` }
        seen.add(pools[i].id)
      }
      return undefined
    })
  ),
  weight: Schema.optionalWith(Weight, { exact: true, default: () => 1 })
}).annotations({ identifier: "ChannelServer" })

/**
 * A Channel Server site as decoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface ChannelServer extends Schema.Schema.Type<typeof ChannelServer> {}

// Ids arrive from clients as strings or integers (spec §2), so a rule may name them either way; both compare as text.
const MatchValue = Schema.Union(
  Schema.String,
  Schema.Number.pipe(
    Schema.filter((n) => Number.isSafeInteger(n), { message: () => "expected a string or an integer" })
  )
)

const MatchValues = Schema.transform(
  Schema.Union(MatchValue, Schema.Array(MatchValue).pipe(Schema.minItems(1))),
  Schema.Array(Schema.String),
  {
    strict: true,
    decode: (v) => (Array.isArray(v) ? v : [v]).map(String),
    encode: (v) => v.length === 1 ? v[0] : v
  }
)

/**
 * The request attributes a rule can match. A rule matches when every attribute it names equals (as text, exactly)
 * one of its listed values.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RuleMatch = Schema.Struct({
  queueId: Schema.optionalWith(MatchValues, { exact: true }),
  interfaceId: Schema.optionalWith(MatchValues, { exact: true }),
  stripeCode: Schema.optionalWith(MatchValues, { exact: true }),
  applicationClassification: Schema.optionalWith(MatchValues, { exact: true })
}).pipe(
  Schema.filter((m) =>
    Object.keys(m).length > 0 ||
    "match must name at least one of queueId, interfaceId, stripeCode, applicationClassification"
  ),
  Schema.annotations({ identifier: "RuleMatch" })
)

/**
 * A rule: requests matching `match` go only to the listed sites (by `chatSiteName`). The first matching rule wins.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RoutingRule = Schema.Struct({
  match: RuleMatch,
  sites: Schema.Array(Schema.String).pipe(Schema.minItems(1, { message: () => "sites must name at least one site" }))
}).annotations({ identifier: "RoutingRule" })

/**
 * A routing rule as decoded.
 *
 * @since 0.1.0
 * @category models
 */
export interface RoutingRule extends Schema.Schema.Type<typeof RoutingRule> {}

/**
 * The routing config file's schema. Unknown keys are refused by {@link decodeRoutingConfig} (a misspelt `wieght`
 * would otherwise be silently ignored).
 *
 * @since 0.1.0
 * @category schemas
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { RoutingConfig } from "@chatauth/server/RoutingConfig"
 *
 * const config = Schema.decodeUnknownSync(RoutingConfig)({
 *   channelServers: [{ chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1", "101:2"], weight: 1 }]
 * })
 * ```
 */
export const RoutingConfig = Schema.Struct({
  channelServers: Schema.Array(ChannelServer),
  rules: Schema.optionalWith(Schema.Array(RoutingRule), { exact: true, default: () => [] }),
  resumeWindowSeconds: Schema.optionalWith(
    Schema.Number.pipe(
      Schema.filter((n) => Number.isSafeInteger(n) && n >= 0 && n <= 31 * 24 * 3600, {
        message: (issue) =>
          `resumeWindowSeconds must be an integer from 0 (never resume) to 2678400 (31 days), got ${
            JSON.stringify(issue.actual)
          }`
      })
    ),
    { exact: true }
  ),
  // Read by the Channel Server emulator only (`--channel-server`); see EmulatorConfig.
  channelServerEmulator: Schema.optionalWith(EmulatorConfig, { exact: true })
}).annotations({ identifier: "RoutingConfig object" }).pipe(
  Schema.filter((config) => {
    const issues: Array<Schema.FilterIssue> = []
    if (config.channelServers.length === 0) {
      issues.push({ path: ["channelServers"], message: "channelServers must list at least one site" })
    }
    const names = new Set<string>()
    config.channelServers.forEach((site, i) => {
      if (names.has(site.chatSiteName)) {
        issues.push({
          path: ["channelServers", i, "chatSiteName"],
          message: `duplicate chatSiteName ${JSON.stringify(site.chatSiteName)}`
        })
      }
      names.add(site.chatSiteName)
    })
    config.rules.forEach((rule, i) =>
      rule.sites.forEach((name, j) => {
        if (!names.has(name)) {
          issues.push({
            path: ["rules", i, "sites", j],
            message: `unknown site ${JSON.stringify(name)} (channelServers has ${
              [...names].map((n) => JSON.stringify(n)).join(", ")
            })`
          })
        }
      })
    )
    return issues
  }),
  Schema.annotations({ identifier: "RoutingConfig" })
)

/**
 * A decoded routing config.
 *
 * @since 0.1.0
 * @category models
 */
export interface RoutingConfig extends Schema.Schema.Type<typeof RoutingConfig> {}

/**
 * The config used when no file is given: one site whose values mirror Oracle's reference example.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultRoutingConfig: RoutingConfig = {
  channelServers: [{
    chatSiteName: "sdi_07_13_17_1643_46-Svcdit-Fusion",
    domain: "bzndv-chatinteg-vip.dv.lan",
    pools: [{ id: "452:2", weight: 1 }],
    weight: 1
  }],
  rules: []
}

/**
 * One problem found in a routing config: the JSON path (e.g. `$.channelServers[1].weight`) and what is wrong.
 *
 * @since 0.1.0
 * @category errors
 */
export class RoutingConfigIssue extends Schema.Class<RoutingConfigIssue>("RoutingConfigIssue")({
  path: Schema.String,
  message: Schema.String
}) {}

/**
 * A routing config that cannot be read or does not validate. `message` names the file and every problem.
 *
 * @since 0.1.0
 * @category errors
 */
export class RoutingConfigError extends Schema.TaggedError<RoutingConfigError>()("RoutingConfigError", {
  file: Schema.optional(Schema.String),
  issues: Schema.Array(RoutingConfigIssue),
  message: Schema.String
}) {}

const decodeJson = Schema.decodeUnknownEither(Schema.parseJson(RoutingConfig), {
  errors: "all",
  onExcessProperty: "error"
})

// A valid config nests five levels at most; anything far deeper is not a routing config.
const MAX_NESTING = 32

const makeError = (file: string | undefined, issues: ReadonlyArray<RoutingConfigIssue>): RoutingConfigError =>
  new RoutingConfigError({
    file,
    issues,
    message: `Invalid routing config${file === undefined ? "" : ` ${file}`}:\n${
      issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n")
    }`
  })

/**
 * Decodes the text of a routing config file. `file` only labels the error message.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decodeRoutingConfig = (
  json: string,
  file?: string
): Effect.Effect<RoutingConfig, RoutingConfigError> =>
  nestsDeeperThan(json, MAX_NESTING)
    ? Effect.fail(makeError(file, [
      new RoutingConfigIssue({ path: "$", message: `nested more than ${MAX_NESTING} levels deep` })
    ]))
    : Either.match(decodeJson(json), {
      onLeft: (error) =>
        Effect.fail(makeError(
          file,
          formatIssues(ParseResult.ArrayFormatter.formatErrorSync(error)).map((i) => new RoutingConfigIssue(i))
        )),
      onRight: Effect.succeed
    })

/**
 * Reads and validates the routing config file at `path`; without a path, {@link defaultRoutingConfig}.
 *
 * @since 0.1.0
 * @category loading
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { loadRoutingConfig } from "@chatauth/server/RoutingConfig"
 *
 * const program = loadRoutingConfig("routing.json").pipe(
 *   Effect.tap((config) => Effect.log(`${config.channelServers.length} sites`)),
 *   Effect.provide(NodeContext.layer)
 * )
 * ```
 */
export const loadRoutingConfig = (
  path?: string
): Effect.Effect<RoutingConfig, RoutingConfigError, FileSystem.FileSystem> =>
  path === undefined ? Effect.succeed(defaultRoutingConfig) : Effect.flatMap(
    FileSystem.FileSystem,
    (fs) =>
      fs.readFileString(path).pipe(
        Effect.mapError((error) =>
          makeError(path, [
            new RoutingConfigIssue({
              path: "$",
              message: error._tag === "SystemError" && error.reason === "NotFound"
                ? "file not found"
                : `cannot read the file (${error.message})`
            })
          ])
        ),
        Effect.flatMap((text) => decodeRoutingConfig(text, path))
      )
  )

/**
 * The server's metrics, rendered in the Prometheus text exposition format 0.0.4 for `GET /metrics`.
 *
 * A hand-written registry rather than Effect's `Metric` module: the hot path only bumps numbers in preallocated
 * arrays or in Maps keyed by a number or a config-given string, with no label objects, tags or fibers per request.
 * The recording methods are therefore plain synchronous functions; call them from inside an `Effect.sync` (or a lean
 * handler) — they never throw and have no effect other than counting.
 *
 * Every label value comes from a closed set or from the routing config; unknown HTTP methods are counted as
 * `OTHER`, so a hostile client cannot grow the series count.
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer } from "effect"
import type { Scope } from "effect"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { familyHeader, formatValue, sample } from "./internal/prometheus.js"

/**
 * The `route` label of `chatauth_requests_total`.
 *
 * @since 0.1.0
 * @category models
 */
export type RouteName = "chatAuthenticate" | "jwks" | "health" | "metrics" | "other"

/**
 * The `reason` label of `chatauth_auth_failures_total`: bad or missing credentials, locked out, lacking the privilege.
 *
 * @since 0.1.0
 * @category models
 */
export type AuthFailureReason = "invalid" | "locked" | "forbidden"

/**
 * The `scope` label of `chatauth_lockouts_total`.
 *
 * @since 0.1.0
 * @category models
 */
export type LockoutScope = "address" | "user-address" | "user"

/**
 * The media type of {@link Metrics}' `render` output, for the response's `Content-Type`.
 *
 * @since 0.1.0
 * @category constants
 */
export const contentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * Upper bounds (seconds) of the signing latency histogram: 0.1 ms to 1 s. An RS256 signature costs about 0.4 ms
 * on the reference machine, so the finest buckets sit around it.
 *
 * @since 0.1.0
 * @category constants
 */
export const signingLatencyBuckets: ReadonlyArray<number> = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1
]

/**
 * The most distinct `chat_site` values tracked; further ones are counted under `chat_site="other"` (so at most
 * `maxChatSites + 1` series). Sites come from the config, so this only bounds memory if a caller passes something
 * else.
 *
 * @since 0.1.0
 * @category constants
 */
export const maxChatSites = 1000

const ROUTES: ReadonlyArray<RouteName> = ["chatAuthenticate", "jwks", "health", "metrics", "other"]
const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER"] as const
const REASONS: ReadonlyArray<AuthFailureReason> = ["invalid", "locked", "forbidden"]
const SCOPES: ReadonlyArray<LockoutScope> = ["address", "user-address", "user"]

const routeIndex = (route: RouteName): number => {
  switch (route) {
    case "chatAuthenticate":
      return 0
    case "jwks":
      return 1
    case "health":
      return 2
    case "metrics":
      return 3
    default:
      return 4
  }
}

const methodIndex = (method: string): number => {
  switch (method) {
    case "GET":
      return 0
    case "HEAD":
      return 1
    case "POST":
      return 2
    case "PUT":
      return 3
    case "DELETE":
      return 4
    case "PATCH":
      return 5
    case "OPTIONS":
      return 6
    default:
      return 7
  }
}

// Statuses outside 100-599 (none should occur) share the key 0, rendered as "other".
const STATUS_SPAN = 600

/**
 * The metrics service.
 *
 * @since 0.1.0
 * @category services
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Metrics } from "@chatauth/server/Metrics"
 *
 * const program = Effect.gen(function*() {
 *   const metrics = yield* Metrics
 *   metrics.requestsTotal.inc("POST", "chatAuthenticate", 201)
 *   metrics.tokensIssuedTotal.inc("site-a")
 *   metrics.signingLatencySeconds.observe(0.0004)
 *   return yield* metrics.render()
 * }).pipe(Effect.provide(Metrics.layer))
 * ```
 */
export class Metrics extends Context.Tag("@chatauth/server/Metrics")<Metrics, {
  /** `chatauth_requests_total{method,route,status}`. */
  readonly requestsTotal: { readonly inc: (method: string, route: RouteName, status: number) => void }
  /** `chatauth_tokens_issued_total{chat_site}`. */
  readonly tokensIssuedTotal: { readonly inc: (chatSite: string) => void }
  /** `chatauth_signing_latency_seconds` histogram; negative or non-finite observations are ignored. */
  readonly signingLatencySeconds: { readonly observe: (seconds: number) => void }
  /** `chatauth_auth_failures_total{reason}`. */
  readonly authFailuresTotal: { readonly inc: (reason: AuthFailureReason) => void }
  /** `chatauth_lockouts_total{scope}`. */
  readonly lockoutsTotal: { readonly inc: (scope: LockoutScope) => void }
  /**
   * All metrics in the text format 0.0.4. Event-loop lag figures cover the time since the previous render (the
   * sampler is reset after each one, as prom-client does), so concurrent scrapers split the observations.
   */
  readonly render: () => Effect.Effect<string>
}>() {
  /**
   * The metrics registry, with an event-loop delay sampler that lives as long as the layer.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layer: Layer.Layer<Metrics> = Layer.scoped(Metrics, Effect.suspend(() => makeMetrics))
}

/**
 * Builds a registry; the event-loop sampler stops when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMetrics: Effect.Effect<Metrics["Type"], never, Scope.Scope> = Effect.gen(function*() {
  const startedAt = yield* Clock.currentTimeMillis
  const loopDelay = yield* Effect.acquireRelease(
    Effect.sync(() => {
      // 10 ms sampling resolution costs next to nothing and still catches lag worth alerting on.
      const histogram = monitorEventLoopDelay({ resolution: 10 })
      histogram.enable()
      return histogram
    }),
    (histogram) => Effect.sync(() => histogram.disable())
  )

  const requests = new Map<number, number>()
  const tokens = new Map<string, number>()
  const buckets = signingLatencyBuckets
  const bucketCounts = new Float64Array(buckets.length + 1)
  let latencySum = 0
  let latencyCount = 0
  const authFailures = new Float64Array(REASONS.length)
  const lockouts = new Float64Array(SCOPES.length)

  const requestsTotal = {
    inc: (method: string, route: RouteName, status: number): void => {
      const code = Number.isInteger(status) && status >= 100 && status < STATUS_SPAN ? status : 0
      const key = ((routeIndex(route) << 3) | methodIndex(method)) * STATUS_SPAN + code
      requests.set(key, (requests.get(key) ?? 0) + 1)
    }
  }
  const tokensIssuedTotal = {
    inc: (chatSite: string): void => {
      const current = tokens.get(chatSite)
      if (current !== undefined) tokens.set(chatSite, current + 1)
      else if (tokens.size < maxChatSites) tokens.set(chatSite, 1)
      else tokens.set("other", (tokens.get("other") ?? 0) + 1)
    }
  }
  const signingLatencySeconds = {
    observe: (seconds: number): void => {
      if (!(seconds >= 0) || seconds === Infinity) return
      let i = 0
      while (i < buckets.length && seconds > buckets[i]) i++
      bucketCounts[i]++
      latencySum += seconds
      latencyCount++
    }
  }
  const authFailuresTotal = {
    inc: (reason: AuthFailureReason): void => {
      const i = REASONS.indexOf(reason)
      if (i !== -1) authFailures[i]++
    }
  }
  const lockoutsTotal = {
    inc: (scope: LockoutScope): void => {
      const i = SCOPES.indexOf(scope)
      if (i !== -1) lockouts[i]++
    }
  }

  const renderAt = (now: number): string => {
    let out = ""

    out += familyHeader(
      "chatauth_requests_total",
      "counter",
      "HTTP requests, by method, route and status (499: the client left before the answer; 408: it timed out)."
    )
    for (const key of [...requests.keys()].sort((a, b) => a - b)) {
      const code = key % STATUS_SPAN
      const head = (key - code) / STATUS_SPAN
      out += sample("chatauth_requests_total", [
        ["method", METHODS[head & 7]],
        ["route", ROUTES[head >> 3]],
        ["status", code === 0 ? "other" : String(code)]
      ], requests.get(key)!)
    }

    out += familyHeader("chatauth_tokens_issued_total", "counter", "Tokens issued, by Channel Server site.")
    for (const site of [...tokens.keys()].sort()) {
      out += sample("chatauth_tokens_issued_total", [["chat_site", site]], tokens.get(site)!)
    }

    out += familyHeader("chatauth_signing_latency_seconds", "histogram", "Time to sign a token, in seconds.")
    let cumulative = 0
    for (let i = 0; i < buckets.length; i++) {
      cumulative += bucketCounts[i]
      out += sample("chatauth_signing_latency_seconds_bucket", [["le", formatValue(buckets[i])]], cumulative)
    }
    out += sample("chatauth_signing_latency_seconds_bucket", [["le", "+Inf"]], latencyCount)
    out += sample("chatauth_signing_latency_seconds_sum", [], latencySum)
    out += sample("chatauth_signing_latency_seconds_count", [], latencyCount)

    out += familyHeader(
      "chatauth_auth_failures_total",
      "counter",
      "Refused callers, by reason: invalid credentials, locked out, or lacking the chat privilege."
    )
    for (let i = 0; i < REASONS.length; i++) {
      out += sample("chatauth_auth_failures_total", [["reason", REASONS[i]]], authFailures[i])
    }

    out += familyHeader(
      "chatauth_lockouts_total",
      "counter",
      "Lockouts started, by scope: user name or client address."
    )
    for (let i = 0; i < SCOPES.length; i++) {
      out += sample("chatauth_lockouts_total", [["scope", SCOPES[i]]], lockouts[i])
    }

    const memory = process.memoryUsage()
    const cpu = process.cpuUsage()
    out += familyHeader("chatauth_process_resident_memory_bytes", "gauge", "Resident set size in bytes.")
    out += sample("chatauth_process_resident_memory_bytes", [], memory.rss)
    out += familyHeader("chatauth_process_heap_used_bytes", "gauge", "V8 heap in use, in bytes.")
    out += sample("chatauth_process_heap_used_bytes", [], memory.heapUsed)
    out += familyHeader("chatauth_process_heap_total_bytes", "gauge", "V8 heap reserved, in bytes.")
    out += sample("chatauth_process_heap_total_bytes", [], memory.heapTotal)
    out += familyHeader("chatauth_process_cpu_seconds_total", "counter", "User and system CPU time, in seconds.")
    out += sample("chatauth_process_cpu_seconds_total", [], (cpu.user + cpu.system) / 1e6)
    out += familyHeader(
      "chatauth_process_start_time_seconds",
      "gauge",
      "When the metrics registry started (Unix time)."
    )
    out += sample("chatauth_process_start_time_seconds", [], startedAt / 1000)
    out += familyHeader("chatauth_process_uptime_seconds", "gauge", "Seconds since the metrics registry started.")
    out += sample("chatauth_process_uptime_seconds", [], Math.max(0, now - startedAt) / 1000)

    // No samples yet (right after start): report NaN rather than the sampler's sentinel extremes.
    const sampled = loopDelay.count > 0
    const lag = (ns: number) => sampled ? ns / 1e9 : NaN
    out += familyHeader(
      "chatauth_event_loop_lag_seconds",
      "gauge",
      "Event loop delay since the previous scrape, in seconds, by statistic."
    )
    out += sample("chatauth_event_loop_lag_seconds", [["stat", "mean"]], lag(loopDelay.mean))
    out += sample("chatauth_event_loop_lag_seconds", [["stat", "p50"]], lag(loopDelay.percentile(50)))
    out += sample("chatauth_event_loop_lag_seconds", [["stat", "p90"]], lag(loopDelay.percentile(90)))
    out += sample("chatauth_event_loop_lag_seconds", [["stat", "p99"]], lag(loopDelay.percentile(99)))
    out += sample("chatauth_event_loop_lag_seconds", [["stat", "max"]], lag(loopDelay.max))
    loopDelay.reset()
    return out
  }

  return Metrics.of({
    requestsTotal,
    tokensIssuedTotal,
    signingLatencySeconds,
    authFailuresTotal,
    lockoutsTotal,
    render: () => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => renderAt(now)))
  })
})

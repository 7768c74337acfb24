/**
 * The Grafana dashboard and the Prometheus alert rules under `deploy/` against the real server's `/metrics`: every
 * metric, label and label value their PromQL uses is one the server exposes, so a renamed metric or label fails here
 * and not, silently, as an empty panel or an alert that can never fire. The server runs in-process on a free port;
 * a 201 and a 401 make the labelled series appear before `/metrics` is read over a real socket.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Redacted } from "effect"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ChatAuthServer } from "../src/index.js"
import {
  checkExpression,
  dashboardExpressions,
  type Expression,
  metricNames,
  parseExposition,
  ruleExpressions
} from "./support/promql.js"

const USER = "dashboard-user"
const PASSWORD = "dashboard-Secret-1"
const DASHBOARD_PATH = new URL("../../../deploy/grafana/chatauth-dashboard.json", import.meta.url)
const RULES_PATH = new URL("../../../deploy/prometheus/chatauth-alerts.yml", import.meta.url)
const dashboardText = readFileSync(DASHBOARD_PATH, "utf8")
const rulesText = readFileSync(RULES_PATH, "utf8")

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`

/** `/metrics` of a fresh server after a 201, a 401 and a readiness probe, as the exposition text. */
const scrapeAfterTraffic = Effect.gen(function*() {
  const dataDir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "chatauth-dashboards-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const server = yield* ChatAuthServer.start({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    bootstrapCaller: { username: USER, password: Redacted.make(PASSWORD) },
    callerAuth: { scrypt: { N: 1024, r: 8, p: 1 } },
    print: () => undefined
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
  const authenticate = (password: string) =>
    Effect.promise(() =>
      fetch(`${server.url}/crmRestApi/resources/11.13.18.05/chatAuthenticate`, {
        method: "POST",
        headers: { authorization: basic(USER, password), "content-type": "application/json" },
        body: JSON.stringify({ authUserName: "jane@example.com" })
      }).then(async (response) => ({ status: response.status, body: await response.text() }))
    )
  const get = (path: string) =>
    Effect.promise(() =>
      fetch(`${server.url}${path}`).then(async (response) => ({
        status: response.status,
        contentType: response.headers.get("content-type"),
        body: await response.text()
      }))
    )
  const created = yield* authenticate(PASSWORD)
  expect(created.status, created.body).toBe(201)
  expect((yield* authenticate("wrong-password")).status).toBe(401)
  expect((yield* get("/health/ready")).status).toBe(200)
  expect((yield* get("/.well-known/jwks.json")).status).toBe(200)
  const metrics = yield* get("/metrics")
  expect(metrics.status).toBe(200)
  expect(metrics.contentType).toContain("text/plain")
  return metrics.body
})

const deployed = (dashboard = dashboardText, rules = rulesText) => {
  const fromDashboard = dashboardExpressions(dashboard)
  const fromRules = ruleExpressions(rules)
  return {
    expressions: [...fromDashboard.expressions, ...fromRules.expressions],
    problems: [...fromDashboard.problems, ...fromRules.problems]
  }
}

const problemsOf = (metricsText: string, expressions: ReadonlyArray<Expression>) => {
  const exposition = parseExposition(metricsText)
  return expressions.flatMap((expression) => checkExpression(exposition, expression))
}

describe("deploy/: the Grafana dashboard and the Prometheus alert rules", () => {
  it.scopedLive("use only metrics, labels and label values the server's /metrics exposes, and cover them all", () =>
    Effect.gen(function*() {
      const metricsText = yield* scrapeAfterTraffic
      const { expressions, problems } = deployed()
      expect(problems).toEqual([])
      // Every target of every panel is checked, the collapsed row's nested panels included.
      expect(expressions.filter((e) => e.source.startsWith("panel")).length).toBe(
        dashboardText.match(/"expr":/g)!.length
      )
      expect(expressions.some((e) => e.source.startsWith("panel \"Process\" > panel \"Event loop lag\""))).toBe(true)
      expect(expressions.filter((e) => e.source.startsWith("alert")).length).toBe(
        rulesText.match(/^\s+- alert: /gm)!.length
      )
      expect(problemsOf(metricsText, expressions)).toEqual([])

      // Whatever the server exposes has a panel, so a metric added to the server is not left off the dashboard.
      const exposed = [...parseExposition(metricsText).types.keys()]
      const onDashboard = new Set(
        dashboardExpressions(dashboardText).expressions.flatMap((e) =>
          metricNames(e.expr).map((name) => exposed.includes(name) ? name : name.replace(/_(bucket|sum|count)$/, ""))
        )
      )
      expect(exposed.filter((family) => !onDashboard.has(family))).toEqual([])
      expect(exposed.length).toBeGreaterThanOrEqual(12)
    }))

  it.scopedLive("fail when a metric, a label or a label value is renamed in /metrics", () =>
    Effect.gen(function*() {
      const metricsText = yield* scrapeAfterTraffic
      const { expressions } = deployed()
      const renamed = (from: string | RegExp, to: string) => problemsOf(metricsText.replaceAll(from, to), expressions)

      const tokens = renamed("chatauth_tokens_issued_total", "chatauth_tokens_total")
      expect(tokens).toEqual(expect.arrayContaining([
        expect.stringMatching(/^panel "Tokens issued by site" target A: metric chatauth_tokens_issued_total is not/),
        expect.stringMatching(/^alert ChatAuthNoTokensIssued .*: metric chatauth_tokens_issued_total is not/)
      ]))
      expect(tokens.length).toBe(
        expressions.filter((e) => metricNames(e.expr).includes("chatauth_tokens_issued_total")).length
      )

      // A histogram's series are found through its family's # TYPE line: renaming the family loses all three.
      const histogram = renamed("chatauth_signing_latency_seconds", "chatauth_sign_seconds")
      expect(histogram).toEqual(expect.arrayContaining([
        expect.stringContaining("alert ChatAuthSigningLatencyHigh"),
        expect.stringContaining("metric chatauth_signing_latency_seconds_bucket is not in /metrics"),
        expect.stringContaining("metric chatauth_signing_latency_seconds_sum is not in /metrics"),
        expect.stringContaining("metric chatauth_signing_latency_seconds_count is not in /metrics")
      ]))

      // A metric in the collapsed row's nested panels, and in an alert.
      expect(renamed("chatauth_event_loop_lag_seconds", "chatauth_loop_lag_seconds")).toEqual([
        expect.stringMatching(/^panel "Process" > panel "Event loop lag" target A: metric chatauth_event_loop_lag/),
        expect.stringMatching(/^alert ChatAuthEventLoopLag .*: metric chatauth_event_loop_lag_seconds is not/)
      ])

      // A label used in `by (...)`, and one used in a matcher.
      expect(renamed(/chat_site=/g, "site=")).toEqual(expect.arrayContaining([
        expect.stringMatching(
          /^panel "Tokens issued by site" target A: label "chat_site" \(by \(chat_site\)\) is not on/
        )
      ]))
      expect(renamed(/\breason=/g, "cause=")).toEqual(expect.arrayContaining([
        expect.stringContaining("alert ChatAuthAuthFailureSpike (group chatauth-callers): label \"reason\" (matcher")
      ]))

      // A label value a matcher names.
      expect(renamed("route=\"chatAuthenticate\"", "route=\"authenticate\"")).toEqual(expect.arrayContaining([
        expect.stringContaining(
          "alert ChatAuthHighErrorRatio (group chatauth-availability): chatauth_requests_total "
            + "has no route=\"chatAuthenticate\""
        )
      ]))
    }))

  it.scopedLive("fail when the dashboard or the rules ask for what /metrics lacks, or are not PromQL", () =>
    Effect.gen(function*() {
      const metricsText = yield* scrapeAfterTraffic
      const check = (dashboard: string, rules: string) => {
        const { expressions, problems } = deployed(dashboard, rules)
        return [...problems, ...problemsOf(metricsText, expressions)]
      }
      expect(check(dashboardText, rulesText)).toEqual([])

      const dashboard = JSON.parse(dashboardText)
      const processRow = dashboard.panels.find((panel: { title: string }) => panel.title === "Process")
      processRow.panels[0].targets[0].expr = "sum by (site) (rate(chatauth_tokens_issued_total[$__rate_interval]))"
      processRow.panels[1].targets[0].expr = "ratee(chatauth_process_cpu_seconds_total[5m])"
      processRow.panels[2].targets[0].expr = "chatauth_signing_latency_seconds"
      dashboard.templating.list[1].query.query = "label_values(chatauth_process_start_time_seconds, node)"
      expect(check(JSON.stringify(dashboard), rulesText)).toEqual([
        "panel \"Process\" > panel \"CPU\" target A: label \"site\" (by (site)) is not on "
        + "chatauth_tokens_issued_total (it has chat_site)",
        "panel \"Process\" > panel \"Memory\" target A: not PromQL at 5: \"(chatauth_process_cpu_seconds_\"",
        "panel \"Process\" > panel \"Event loop lag\" target A: chatauth_signing_latency_seconds is a histogram: "
        + "query chatauth_signing_latency_seconds_bucket, chatauth_signing_latency_seconds_sum or "
        + "chatauth_signing_latency_seconds_count",
        "variable job: label \"node\" (by (node)) is not on chatauth_process_start_time_seconds (it has none)"
      ])

      const rules = rulesText
        .replace("chatauth_lockouts_total{job=\"chatauth\"}", "chatauth_lockout_total{job=\"chatauth\"}")
        .replace("stat=\"p99\"", "stat=\"p95\"")
        .replace(
          "severity: critical\n        annotations:\n          summary: \"No chatauth",
          "severity: urgent\n"
            + "        annotations:\n          summary: \"No chatauth"
        )
      expect(check(dashboardText, rules)).toEqual([
        "alert ChatAuthNoTargets (group chatauth-availability): labels.severity must be critical/warning/info",
        "alert ChatAuthEventLoopLag (group chatauth-issuance): chatauth_event_loop_lag_seconds has no stat=\"p95\" "
        + "(seen: max, mean, p50, p90, p99)",
        "alert ChatAuthLockouts (group chatauth-callers): metric chatauth_lockout_total is not in /metrics"
      ])
    }))
})

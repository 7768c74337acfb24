import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck, TestClock } from "effect"
import { contentType, maxChatSites, Metrics, signingLatencyBuckets } from "../src/metrics/Metrics.js"

interface Sample {
  readonly name: string
  readonly labels: Readonly<Record<string, string>>
  readonly value: number
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const FLOAT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/

const parseValue = (text: string): number => {
  if (text === "+Inf") return Infinity
  if (text === "-Inf") return -Infinity
  if (text === "NaN") return NaN
  if (!FLOAT.test(text)) throw new Error(`bad value ${JSON.stringify(text)}`)
  return Number(text)
}

/**
 * A strict reader of the text format 0.0.4: every line is a HELP, a TYPE or a sample; HELP and TYPE come once per
 * family, before its samples; samples belong to a declared family (histograms through `_bucket`, `_sum`, `_count`);
 * label values use only the three escapes; the text ends with a line feed.
 */
const parseExposition = (text: string) => {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a line feed")
  const types = new Map<string, string>()
  const helps = new Set<string>()
  const samples: Array<Sample> = []
  const familyOf = (name: string) => {
    if (types.has(name)) return name
    const base = name.replace(/_(bucket|sum|count)$/, "")
    if (base !== name && types.get(base) === "histogram") return base
    throw new Error(`sample ${name} has no # TYPE before it`)
  }
  for (const line of text.slice(0, -1).split("\n")) {
    if (line.startsWith("# HELP ")) {
      const name = line.slice(7).split(" ")[0]
      if (!METRIC_NAME.test(name) || helps.has(name)) throw new Error(`bad or repeated HELP: ${line}`)
      helps.add(name)
      continue
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type, ...rest] = line.slice(7).split(" ")
      if (rest.length > 0 || !METRIC_NAME.test(name) || types.has(name)) throw new Error(`bad TYPE: ${line}`)
      if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(type)) throw new Error(`type ${type}`)
      types.set(name, type)
      continue
    }
    const nameEnd = line.search(/[{ ]/)
    const name = line.slice(0, nameEnd)
    if (!METRIC_NAME.test(name)) throw new Error(`bad sample name: ${line}`)
    familyOf(name)
    const labels: Record<string, string> = {}
    let i = nameEnd
    if (line[i] === "{") {
      i++
      while (line[i] !== "}") {
        const eq = line.indexOf("=", i)
        const labelName = line.slice(i, eq)
        if (!LABEL_NAME.test(labelName) || line[eq + 1] !== "\"") throw new Error(`bad label in: ${line}`)
        i = eq + 2
        let value = ""
        while (line[i] !== "\"") {
          if (i >= line.length) throw new Error(`unterminated label value: ${line}`)
          if (line[i] === "\\") {
            const next = line[i + 1]
            if (next === "\\") value += "\\"
            else if (next === "\"") value += "\""
            else if (next === "n") value += "\n"
            else throw new Error(`bad escape in: ${line}`)
            i += 2
          } else {
            value += line[i++]
          }
        }
        if (labelName in labels) throw new Error(`repeated label in: ${line}`)
        labels[labelName] = value
        i++
        if (line[i] === ",") i++
        else if (line[i] !== "}") throw new Error(`bad label separator in: ${line}`)
      }
      i++
    }
    if (line[i] !== " ") throw new Error(`missing space before value: ${line}`)
    samples.push({ name, labels, value: parseValue(line.slice(i + 1)) })
  }
  return { types, samples }
}

const value = (samples: ReadonlyArray<Sample>, name: string, labels: Record<string, string> = {}) => {
  const found = samples.filter((s) =>
    s.name === name && Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  )
  if (found.length !== 1) throw new Error(`${found.length} samples for ${name} ${JSON.stringify(labels)}`)
  return found[0].value
}

const render = Effect.flatMap(Metrics, (m) => m.render())

describe("Metrics", () => {
  it.effect("renders counters that parse back with the counted values", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      for (let i = 0; i < 3; i++) metrics.requestsTotal.inc("POST", "chatAuthenticate", 201)
      metrics.requestsTotal.inc("POST", "chatAuthenticate", 401)
      metrics.requestsTotal.inc("GET", "jwks", 200)
      metrics.requestsTotal.inc("BREW", "other", 405)
      metrics.requestsTotal.inc("get", "other", 405)
      metrics.requestsTotal.inc("GET", "health", 999)
      metrics.tokensIssuedTotal.inc("site-a")
      metrics.tokensIssuedTotal.inc("site-a")
      metrics.tokensIssuedTotal.inc("site-b")
      metrics.authFailuresTotal.inc("invalid")
      metrics.authFailuresTotal.inc("invalid")
      metrics.authFailuresTotal.inc("forbidden")
      metrics.lockoutsTotal.inc("address")

      const { samples, types } = parseExposition(yield* metrics.render())
      expect(types.get("chatauth_requests_total")).toBe("counter")
      expect(samples.filter((s) => s.name === "chatauth_requests_total")).toHaveLength(5)
      expect(value(samples, "chatauth_requests_total", { method: "POST", route: "chatAuthenticate", status: "201" }))
        .toBe(3)
      expect(value(samples, "chatauth_requests_total", { method: "POST", route: "chatAuthenticate", status: "401" }))
        .toBe(1)
      expect(value(samples, "chatauth_requests_total", { method: "GET", route: "jwks", status: "200" })).toBe(1)
      // Client-chosen methods collapse into one series.
      expect(value(samples, "chatauth_requests_total", { method: "OTHER", route: "other", status: "405" })).toBe(2)
      expect(value(samples, "chatauth_requests_total", { method: "GET", route: "health", status: "other" })).toBe(1)
      expect(value(samples, "chatauth_tokens_issued_total", { chat_site: "site-a" })).toBe(2)
      expect(value(samples, "chatauth_tokens_issued_total", { chat_site: "site-b" })).toBe(1)
      expect(value(samples, "chatauth_auth_failures_total", { reason: "invalid" })).toBe(2)
      expect(value(samples, "chatauth_auth_failures_total", { reason: "locked" })).toBe(0)
      expect(value(samples, "chatauth_auth_failures_total", { reason: "forbidden" })).toBe(1)
      expect(value(samples, "chatauth_lockouts_total", { scope: "user" })).toBe(0)
      expect(value(samples, "chatauth_lockouts_total", { scope: "address" })).toBe(1)
      for (const name of types.keys()) expect(name).toMatch(/^chatauth_/)
    }).pipe(Effect.provide(Metrics.layer)))

  it.effect("renders the signing latency histogram with cumulative buckets, +Inf, _sum and _count", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const observations = [0.00005, 0.0001, 0.0004, 0.0004, 0.003, 0.2, 1, 7, -1, NaN, Infinity]
      for (const seconds of observations) metrics.signingLatencySeconds.observe(seconds)
      const valid = observations.filter((s) => s >= 0 && Number.isFinite(s))

      const { samples, types } = parseExposition(yield* metrics.render())
      expect(types.get("chatauth_signing_latency_seconds")).toBe("histogram")
      const buckets = samples.filter((s) => s.name === "chatauth_signing_latency_seconds_bucket")
      expect(buckets.map((b) => b.labels.le)).toEqual([...signingLatencyBuckets.map(String), "+Inf"])
      expect(buckets[0].labels.le).toBe("0.0001")
      expect(buckets.at(-2)!.labels.le).toBe("1")
      for (const bucket of buckets) {
        const le = bucket.labels.le === "+Inf" ? Infinity : Number(bucket.labels.le)
        expect(bucket.value, `le=${bucket.labels.le}`).toBe(valid.filter((s) => s <= le).length)
      }
      for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value)
      expect(value(samples, "chatauth_signing_latency_seconds_count")).toBe(valid.length)
      expect(buckets.at(-1)!.value).toBe(valid.length)
      expect(value(samples, "chatauth_signing_latency_seconds_sum")).toBeCloseTo(
        valid.reduce((a, b) => a + b, 0),
        12
      )
    }).pipe(Effect.provide(Metrics.layer)))

  it.effect("escapes \", \\ and line feeds in label values", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      metrics.tokensIssuedTotal.inc("a\"b\\c\nd")
      const text = yield* metrics.render()
      expect(text).toContain("chatauth_tokens_issued_total{chat_site=\"a\\\"b\\\\c\\nd\"} 1\n")
      const { samples } = parseExposition(text)
      expect(value(samples, "chatauth_tokens_issued_total", { chat_site: "a\"b\\c\nd" })).toBe(1)
    }).pipe(Effect.provide(Metrics.layer)))

  it.effect("any label value round-trips through render and parse", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const names = FastCheck.sample(FastCheck.string({ unit: "binary", maxLength: 20 }), 200)
      const expected = new Map<string, number>()
      for (const name of names) {
        metrics.tokensIssuedTotal.inc(name)
        expected.set(name, (expected.get(name) ?? 0) + 1)
      }
      const { samples } = parseExposition(yield* metrics.render())
      const rendered = new Map(
        samples.filter((s) => s.name === "chatauth_tokens_issued_total").map((s) => [s.labels.chat_site, s.value])
      )
      expect(rendered).toEqual(expected)
    }).pipe(Effect.provide(Metrics.layer)))

  it.effect("bounds the number of chat_site series", () =>
    Effect.gen(function*() {
      const metrics = yield* Metrics
      for (let i = 0; i < maxChatSites + 5; i++) metrics.tokensIssuedTotal.inc(`site-${i}`)
      metrics.tokensIssuedTotal.inc("site-0")
      const { samples } = parseExposition(yield* metrics.render())
      const series = samples.filter((s) => s.name === "chatauth_tokens_issued_total")
      expect(series).toHaveLength(maxChatSites + 1)
      expect(value(samples, "chatauth_tokens_issued_total", { chat_site: "site-0" })).toBe(2)
      expect(value(samples, "chatauth_tokens_issued_total", { chat_site: "other" })).toBe(5)
    }).pipe(Effect.provide(Metrics.layer)))

  it.effect("renders process metrics, uptime from the Clock", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("5000 seconds")
      const metrics = yield* Effect.provide(Metrics, Metrics.layer)
      yield* TestClock.adjust("90 seconds")
      const { samples, types } = parseExposition(yield* metrics.render())
      expect(value(samples, "chatauth_process_resident_memory_bytes")).toBeGreaterThan(0)
      expect(value(samples, "chatauth_process_heap_used_bytes")).toBeGreaterThan(0)
      expect(value(samples, "chatauth_process_heap_used_bytes")).toBeLessThanOrEqual(
        value(samples, "chatauth_process_heap_total_bytes")
      )
      expect(value(samples, "chatauth_process_cpu_seconds_total")).toBeGreaterThan(0)
      expect(value(samples, "chatauth_process_start_time_seconds")).toBe(5000)
      expect(value(samples, "chatauth_process_uptime_seconds")).toBe(90)
      expect(types.get("chatauth_event_loop_lag_seconds")).toBe("gauge")
      expect(samples.filter((s) => s.name === "chatauth_event_loop_lag_seconds").map((s) => s.labels.stat)).toEqual([
        "mean",
        "p50",
        "p90",
        "p99",
        "max"
      ])
    }))

  it.effect("starts with every closed-set series at zero and an empty histogram", () =>
    Effect.gen(function*() {
      const { samples } = parseExposition(yield* render)
      expect(samples.filter((s) => s.name === "chatauth_requests_total")).toEqual([])
      expect(samples.filter((s) => s.name === "chatauth_auth_failures_total").map((s) => s.value)).toEqual([0, 0, 0])
      expect(samples.filter((s) => s.name === "chatauth_lockouts_total").map((s) => s.value)).toEqual([0, 0, 0])
      expect(value(samples, "chatauth_signing_latency_seconds_bucket", { le: "+Inf" })).toBe(0)
      expect(value(samples, "chatauth_signing_latency_seconds_count")).toBe(0)
    }).pipe(Effect.provide(Metrics.layer)))

  it("declares the text format 0.0.4", () => {
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8")
  })
})

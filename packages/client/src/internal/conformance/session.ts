/**
 * A run's preliminaries and its end, shared by `Conformance.run` and `ShadowDiff.compare`: the options checked and
 * resolved, the endpoint's kind, and the run turned into the report that may be shown.
 */
import { DEFAULT_ISSUER, DEFAULT_TTL_SECONDS } from "@chatauth/core/TokenIssuer"
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from "@chatauth/core/TokenVerifier"
import type { HttpClient } from "@effect/platform"
import { Duration, Effect, Option, Redacted } from "effect"
import type { CaseResult, ConformanceOptions, ConformanceReport, Verdict } from "../../Conformance.js"
import { cases } from "./cases.js"
import type { Settings } from "./model.js"
import { record, scrub, secretsOf } from "./redact.js"
import { type Identified, identify, type Run } from "./runner.js"
import type { Endpoint } from "./wire.js"

const DEFAULT_TIMEOUT = Duration.seconds(10)

const urlProblem = (what: string, value: string, plain: boolean): string | undefined => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `${what} must be an absolute http(s) URL, got ${JSON.stringify(value)}`
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${what} must be an http or https URL`
  if (url.username !== "" || url.password !== "") return `${what} must not hold credentials`
  if (plain && (url.search !== "" || url.hash !== "")) return `${what} must not have a query or fragment`
  return undefined
}

export const validate = (options: ConformanceOptions): string | undefined => {
  const problem = urlProblem("the base URL", options.baseUrl, true) ??
    (options.jwksUrl === undefined ? undefined : urlProblem("the JWKS URL", options.jwksUrl, false))
  if (problem !== undefined) return problem
  if (options.username === "" || options.username.includes(":")) {
    return "the user name must be non-empty and hold no ':'"
  }
  const unknown = (options.skip ?? []).filter((id) => !cases.some((definition) => definition.id === id))
  if (unknown.length > 0) {
    return `no case is named ${unknown.join(", ")} (the cases: ${cases.map((definition) => definition.id).join(", ")})`
  }
  for (
    const [name, value] of [
      ["the token TTL", options.tokenTtlSeconds],
      ["the clock tolerance", options.clockToleranceSeconds]
    ] as const
  ) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) return `${name} must be a whole number ≥ 0`
  }
  return undefined
}

/** The options a run works with. Options that cannot be used die, as the client's own do: a programming error. */
export const prepare = (options: ConformanceOptions): Effect.Effect<{
  readonly endpoint: Endpoint
  readonly settings: Settings
  readonly secrets: ReadonlyArray<string>
}> =>
  Effect.suspend(() => {
    const problem = validate(options)
    if (problem !== undefined) return Effect.dieMessage(`Conformance: ${problem}`)
    const timeout = Option.getOrElse(
      Option.flatMap(Option.fromNullable(options.timeout), Duration.decodeUnknown),
      () => DEFAULT_TIMEOUT
    )
    return Effect.succeed({
      endpoint: {
        baseUrl: options.baseUrl.replace(/\/+$/, ""),
        username: options.username,
        password: options.password,
        timeout
      },
      settings: {
        issuer: options.issuer ?? DEFAULT_ISSUER,
        tokenTtlSeconds: options.tokenTtlSeconds ?? DEFAULT_TTL_SECONDS,
        clockToleranceSeconds: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
        audienceDomain: options.audienceDomain,
        lockout: options.lockout ?? false
      },
      secrets: secretsOf(options.username, Redacted.value(options.password))
    })
  })

/** What the endpoint is: as given, or as found. */
export const kindOf = (
  endpoint: Endpoint,
  kind: ConformanceOptions["kind"]
): Effect.Effect<Identified, never, HttpClient.HttpClient> =>
  kind === undefined || kind === "auto" ? identify(endpoint) : Effect.succeed({ kind, reason: "as given (--kind)" })

/** What a reader of the results must know first: a lock on the caller, an endpoint that answered nothing. */
const notesOf = (run: Run): Array<string> => {
  const notes: Array<string> = []
  const locked = run.exchanges.find((exchange) =>
    exchange.request.credentials._tag === "Caller" &&
    Option.exists(exchange.response, (response) => response.status === 429)
  )
  if (locked !== undefined) {
    const retryAfter = Option.getOrUndefined(locked.response)?.headers["retry-after"]
    notes.push(
      `the endpoint answered 429 Too Many Requests to the caller's own credentials${
        retryAfter === undefined ? "" : ` (Retry-After: ${retryAfter} s)`
      }: this address or the caller is locked out, and the results say little until the lock ends`
    )
  }
  if (run.exchanges.length > 0 && run.exchanges.every((exchange) => Option.isNone(exchange.response))) {
    notes.push(`the endpoint answered no request (${run.exchanges[0].error ?? "no answer"})`)
  }
  return notes
}

/** A run as a report may show it: verdicts, messages and exchanges with every token cut and secret blanked. */
export const toReport = (
  baseUrl: string,
  identified: Identified,
  run: Run,
  secrets: ReadonlyArray<string>
): ConformanceReport => {
  const results = run.cases.map(({ definition, labels, outcome }): CaseResult => ({
    id: definition.id,
    title: definition.title,
    rule: definition.rule,
    verdict: outcome._tag === "Pass" ? "pass" : outcome._tag === "Fail" ? "fail" : "skip",
    messages: outcome._tag === "Fail" ? outcome.messages.map((message) => scrub(message, secrets)) : [],
    ...(outcome._tag === "Skip" ? { reason: outcome.reason } : {}),
    exchanges: labels
  }))
  const count = (verdict: Verdict) => results.filter((result) => result.verdict === verdict).length
  return {
    baseUrl,
    kind: identified.kind,
    kindReason: identified.reason,
    results,
    notes: notesOf(run).map((note) => scrub(note, secrets)),
    exchanges: run.exchanges.map((exchange) => record(exchange, secrets)),
    passed: count("pass"),
    failed: count("fail"),
    skipped: count("skip"),
    ok: count("fail") === 0
  }
}

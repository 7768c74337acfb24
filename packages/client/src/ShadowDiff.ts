/**
 * The shadow diff: the conformance kit's requests sent to two endpoints — a team's Oracle pod and chatauth, say —
 * and their answers compared request by request, field by field, so that a team sees where the two disagree.
 *
 * What must differ between two faithful endpoints is not compared: the token's signature, times and key ids, the
 * origin in `links` and `Location`, the `Date` header and the headers no client reads, the value of `Retry-After`.
 * The same requests go to both, in the same order; a case that one of them cannot be asked (a pod is never asked
 * for a lockout) is asked of neither. Each endpoint's own conformance report comes with the comparison.
 *
 * @example
 * import { ShadowDiff } from "@chatauth/client"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const comparison = await Effect.runPromise(
 *   ShadowDiff.compare(
 *     { baseUrl: "https://pod.example.com", username: "integration", password: Redacted.make("…") },
 *     { baseUrl: "http://127.0.0.1:8080", username: "portal", password: Redacted.make("…") }
 *   ).pipe(Effect.provide(FetchHttpClient.layer))
 * )
 * for (const exchange of comparison.exchanges) {
 *   for (const d of exchange.differences) console.log(exchange.label, d.field, d.a, d.b)
 * }
 *
 * @since 0.2.0
 */
import type { HttpClient } from "@effect/platform"
import { Effect } from "effect"
import type { ConformanceOptions, ConformanceReport } from "./Conformance.js"
import { cases } from "./internal/conformance/cases.js"
import { differences, type FieldDifference } from "./internal/conformance/diff.js"
import { scrubValue } from "./internal/conformance/redact.js"
import { runCases, skipReasons } from "./internal/conformance/runner.js"
import * as Session from "./internal/conformance/session.js"

export type {
  /** @since 0.2.0 */
  FieldDifference
} from "./internal/conformance/diff.js"

/**
 * One request, and where the two answers to it differ.
 *
 * @since 0.2.0
 * @category models
 */
export interface ExchangeComparison {
  /** The request's label, as the conformance report names it. */
  readonly label: string
  /** The cases that judged its answers. */
  readonly cases: ReadonlyArray<string>
  /** Empty when the answers agree. */
  readonly differences: ReadonlyArray<FieldDifference>
}

/**
 * @since 0.2.0
 * @category models
 */
export interface ComparisonReport {
  /** The first endpoint's own conformance report. */
  readonly a: ConformanceReport
  /** The second's. */
  readonly b: ConformanceReport
  /** The cases asked of neither, and why (the reason names the endpoint that could not be asked). */
  readonly notCompared: ReadonlyArray<{ readonly id: string; readonly reason: string }>
  /** Every request, in the order sent. */
  readonly exchanges: ReadonlyArray<ExchangeComparison>
  /** How many requests were answered differently. */
  readonly differing: number
  /** No request was answered differently. */
  readonly same: boolean
}

/**
 * Sends the kit's requests to both endpoints (the first one's cases first, then the second's) and compares the
 * answers. Never fails; options that cannot be used are a defect (see `Conformance.validate`).
 *
 * @since 0.2.0
 * @category running
 */
export const compare = (
  a: ConformanceOptions,
  b: ConformanceOptions
): Effect.Effect<ComparisonReport, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const left = yield* Session.prepare(a)
    const right = yield* Session.prepare(b)
    const leftKind = yield* Session.kindOf(left.endpoint, a.kind)
    const rightKind = yield* Session.kindOf(right.endpoint, b.kind)
    const leftSkips = skipReasons(leftKind.kind, left.settings, a.skip ?? [])
    const rightSkips = skipReasons(rightKind.kind, right.settings, b.skip ?? [])
    const skipped = new Map(cases.flatMap(({ id }) => {
      const reasons = [
        ...(leftSkips.has(id) ? [`A: ${leftSkips.get(id)}`] : []),
        ...(rightSkips.has(id) ? [`B: ${rightSkips.get(id)}`] : [])
      ]
      return reasons.length === 0 ? [] : [[id, reasons.join("; ")] as const]
    }))
    const leftRun = yield* runCases({ ...left, kind: leftKind.kind, jwksUrl: a.jwksUrl, skipped })
    const rightRun = yield* runCases({ ...right, kind: rightKind.kind, jwksUrl: b.jwksUrl, skipped })
    const labels = [
      ...leftRun.exchanges.map((exchange) => exchange.request.label),
      ...rightRun.exchanges.map((exchange) => exchange.request.label).filter((label) =>
        !leftRun.exchanges.some((exchange) => exchange.request.label === label)
      )
    ]
    const byLabel = (run: typeof leftRun, label: string) =>
      run.exchanges.find((exchange) => exchange.request.label === label)
    const exchanges = labels.map((label): ExchangeComparison => ({
      label,
      cases: [
        ...new Set(
          [...leftRun.cases, ...rightRun.cases].filter((done) => done.labels.includes(label)).map((done) =>
            done.definition.id
          )
        )
      ],
      differences: differences(byLabel(leftRun, label), byLabel(rightRun, label)).map((difference) => ({
        field: difference.field,
        ...("a" in difference ? { a: scrubValue(difference.a, left.secrets) } : {}),
        ...("b" in difference ? { b: scrubValue(difference.b, right.secrets) } : {})
      }))
    }))
    const differing = exchanges.filter((exchange) => exchange.differences.length > 0).length
    return {
      a: Session.toReport(left.endpoint.baseUrl, leftKind, leftRun, left.secrets),
      b: Session.toReport(right.endpoint.baseUrl, rightKind, rightRun, right.secrets),
      notCompared: [...skipped].map(([id, reason]) => ({ id, reason })),
      exchanges,
      differing,
      same: differing === 0
    }
  })

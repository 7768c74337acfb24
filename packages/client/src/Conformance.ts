/**
 * The conformance kit: a documented set of cases run against any chatAuthenticate endpoint — this project's server
 * or a real Oracle Fusion pod — each judged PASS, FAIL (naming every deviation) or SKIP (with the reason), so that
 * a team can show in CI that the endpoint it tests against answers as the contract says. `chatauth conformance` is
 * this module on the command line; docs/conformance.md lists the cases.
 *
 * Decisions:
 * - The requests are raw HTTP, read as they came (status, headers, text), not through the typed client, which
 *   would hide what the cases judge. Only the base URL given (and `jwksUrl`) is ever asked.
 * - An endpoint is chatauth when its `/openapi.json` is chatauth's; anything else is treated as a pod, and is not
 *   asked what a pod cannot be asked safely (a wrong password of its integration user, a lockout). `kind` overrides
 *   the detection.
 * - The token's header and claims are checked by the contract's rules; its signature with the keys the endpoint
 *   publishes (`/.well-known/jwks.json`) or those at `jwksUrl`; an endpoint that publishes none has that case
 *   skipped, with the reason.
 * - The report holds every exchange, for a person to read why a case failed, but never the password nor a token:
 *   tokens are cut to their first characters, the credentials are not recorded.
 *
 * @example
 * import { Conformance } from "@chatauth/client"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 *
 * const report = await Effect.runPromise(
 *   Conformance.run({ baseUrl: "http://127.0.0.1:8080", username: "portal", password: Redacted.make("…") }).pipe(
 *     Effect.provide(FetchHttpClient.layer)
 *   )
 * )
 * for (const result of report.results) console.log(result.verdict, result.id, ...result.messages)
 * process.exitCode = report.ok ? 0 : 1
 *
 * @since 0.2.0
 */
import type { HttpClient } from "@effect/platform"
import type { Duration, Redacted } from "effect"
import { Effect } from "effect"
import { cases } from "./internal/conformance/cases.js"
import type { EndpointKind } from "./internal/conformance/model.js"
import type { RecordedExchange } from "./internal/conformance/redact.js"
import { runCases, skipReasons } from "./internal/conformance/runner.js"
import * as Session from "./internal/conformance/session.js"

export type {
  /** @since 0.2.0 */
  EndpointKind
} from "./internal/conformance/model.js"

export type {
  /** @since 0.2.0 */
  RecordedExchange,
  /** @since 0.2.0 */
  RecordedRequest,
  /** @since 0.2.0 */
  RecordedResponse
} from "./internal/conformance/redact.js"

/**
 * A case of the catalogue, as docs/conformance.md lists it.
 *
 * @since 0.2.0
 * @category models
 */
export interface CaseInfo {
  /** `create.status`, `echo.integers`, … */
  readonly id: string
  readonly title: string
  /** What the case sends. */
  readonly sends: string
  /** What it expects of the answers. */
  readonly expects: string
  /** The rule it holds the endpoint to: the section of docs/contract.md and its source. */
  readonly rule: string
  /** When it is skipped; absent when it always runs. */
  readonly skipped?: string | undefined
}

/**
 * Every case, in the order they run.
 *
 * @since 0.2.0
 * @category catalogue
 */
export const catalogue: ReadonlyArray<CaseInfo> = cases.map((definition) => ({
  id: definition.id,
  title: definition.title,
  sends: definition.sends,
  expects: definition.expects,
  rule: definition.rule,
  ...(definition.skipped === undefined ? {} : { skipped: definition.skipped })
}))

/**
 * @since 0.2.0
 * @category models
 */
export type Verdict = "pass" | "fail" | "skip"

/**
 * What a case found.
 *
 * @since 0.2.0
 * @category models
 */
export interface CaseResult {
  readonly id: string
  readonly title: string
  readonly rule: string
  readonly verdict: Verdict
  /** For a failure, every deviation, one sentence each; empty otherwise. */
  readonly messages: ReadonlyArray<string>
  /** For a skip, why. */
  readonly reason?: string | undefined
  /** The labels of the exchanges the case judged (see {@link ConformanceReport.exchanges}). */
  readonly exchanges: ReadonlyArray<string>
}

/**
 * A run of the catalogue against one endpoint.
 *
 * @since 0.2.0
 * @category models
 */
export interface ConformanceReport {
  readonly baseUrl: string
  readonly kind: EndpointKind
  /** How the kind was decided. */
  readonly kindReason: string
  readonly results: ReadonlyArray<CaseResult>
  /** What a reader must know before the results: the caller locked out, an endpoint that answered nothing. */
  readonly notes: ReadonlyArray<string>
  /** Every request sent and its answer, in order; no password, no token. */
  readonly exchanges: ReadonlyArray<RecordedExchange>
  readonly passed: number
  readonly failed: number
  readonly skipped: number
  /** No case failed (skipped cases do not count against it). */
  readonly ok: boolean
}

/**
 * @since 0.2.0
 * @category models
 */
export interface ConformanceOptions {
  /** Scheme, host and optional path prefix of the endpoint, e.g. `https://pod.fa.us2.oraclecloud.com`. */
  readonly baseUrl: string
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** What the endpoint is; default `auto` (chatauth when its `/openapi.json` is chatauth's, else a pod). */
  readonly kind?: EndpointKind | "auto" | undefined
  /** The JWKS the token verifies with; default the endpoint's `/.well-known/jwks.json`, when it publishes one. */
  readonly jwksUrl?: string | undefined
  /** The Channel Server domain the endpoint must answer (`domain`, and the host of the token's `aud`). */
  readonly audienceDomain?: string | undefined
  /** The token's `iss`; default `Fusion Apps`. */
  readonly issuer?: string | undefined
  /** `exp - iat`; default 120. */
  readonly tokenTtlSeconds?: number | undefined
  /** How far `iat` may be from this machine's clock, and the verifier's tolerance; default 30. */
  readonly clockToleranceSeconds?: number | undefined
  /** Run `auth.lockout` against chatauth (never against a pod); default false. */
  readonly lockout?: boolean | undefined
  /** Case ids not to run. */
  readonly skip?: ReadonlyArray<string> | undefined
  /** The longest one request may take; default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * What is wrong with a set of options, if anything: the base URL, the JWKS URL, the user name, the case ids to
 * skip, the numbers.
 *
 * @since 0.2.0
 * @category options
 */
export const validate: (options: ConformanceOptions) => string | undefined = Session.validate

/**
 * Runs every case against the endpoint, in the catalogue's order, one request at a time. Never fails: an endpoint
 * that cannot be reached fails its cases, each saying so. Options that cannot be used are a defect (see
 * {@link validate}).
 *
 * @since 0.2.0
 * @category running
 */
export const run = (options: ConformanceOptions): Effect.Effect<ConformanceReport, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const { endpoint, secrets, settings } = yield* Session.prepare(options)
    const identified = yield* Session.kindOf(endpoint, options.kind)
    const done = yield* runCases({
      endpoint,
      kind: identified.kind,
      settings,
      jwksUrl: options.jwksUrl,
      skipped: skipReasons(identified.kind, settings, options.skip ?? [])
    })
    return Session.toReport(endpoint.baseUrl, identified, done, secrets)
  })

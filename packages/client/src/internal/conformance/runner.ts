/**
 * Runs the catalogue against one endpoint: decides what the endpoint is (chatauth or anything else, which is
 * treated as a pod), which cases it may be asked, finds its keys, and runs the cases in order, sending each request
 * once and keeping every exchange in the order it was sent.
 */
import type { HttpClient } from "@effect/platform"
import { Effect, Option, Random } from "effect"
import { cases } from "./cases.js"
import type { CaseContext, CaseDefinition, EndpointKind, Keys, Outcome, Settings } from "./model.js"
import { type Credentials, type Endpoint, type Exchange, probe, send, type WireRequest } from "./wire.js"

/** What an endpoint was found to be, and how that was decided. */
export interface Identified {
  readonly kind: EndpointKind
  readonly reason: string
}

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

const answered = (exchange: Exchange): string =>
  Option.match(exchange.response, {
    onNone: () => `no answer: ${exchange.error ?? "unknown failure"}`,
    onSome: (response) => `HTTP ${response.status}`
  })

/**
 * chatauth publishes its OpenAPI document beside the resource, titled after itself; an endpoint without it is
 * treated as a pod, the kind that is asked nothing unsafe.
 */
export const identify = (endpoint: Endpoint): Effect.Effect<Identified, never, HttpClient.HttpClient> =>
  Effect.map(probe(endpoint, "/openapi.json"), (exchange) => {
    const url = `${endpoint.baseUrl}/openapi.json`
    const document = Option.flatMap(
      exchange.response,
      (response) => response.status === 200 ? response.json : Option.none()
    )
    const info = Option.getOrUndefined(document)
    const title = isObject(info) && isObject(info.info) ? info.info.title : undefined
    return typeof title === "string" && title.startsWith("chatauth")
      ? { kind: "chatauth", reason: `${url} is chatauth's OpenAPI document` }
      : { kind: "pod", reason: `${url} is not chatauth's (${answered(exchange)}): treated as a pod` }
  })

const jwksOf = (exchange: Exchange): Option.Option<{ readonly keys: ReadonlyArray<any> }> =>
  Option.flatMap(exchange.response, (response) => {
    const body = Option.getOrUndefined(response.json)
    return response.status === 200 && isObject(body) && Array.isArray(body.keys) && body.keys.every(isObject)
      ? Option.some({ keys: body.keys })
      : Option.none()
  })

/** The keys: those at `jwksUrl` when given (they must be there), else whatever the endpoint publishes. */
export const findKeys = (
  endpoint: Endpoint,
  jwksUrl: string | undefined
): Effect.Effect<Keys, never, HttpClient.HttpClient> => {
  if (jwksUrl !== undefined) {
    const request: WireRequest = {
      label: `GET ${jwksUrl}`,
      method: "GET",
      path: jwksUrl,
      headers: { accept: "application/json" },
      credentials: { _tag: "None" }
    }
    return Effect.map(send({ ...endpoint, baseUrl: "" }, request), (exchange) =>
      Option.match(jwksOf(exchange), {
        onNone: () => ({ _tag: "Unusable", reason: `no JSON Web Key Set at ${jwksUrl} (${answered(exchange)})` }),
        onSome: (jwks) => ({ _tag: "Found", url: jwksUrl, jwks })
      }))
  }
  const url = `${endpoint.baseUrl}/.well-known/jwks.json`
  return Effect.map(probe(endpoint, "/.well-known/jwks.json"), (exchange) =>
    Option.match(jwksOf(exchange), {
      onNone: () => ({
        _tag: "Missing",
        reason: `the endpoint publishes no keys at ${url} (${answered(exchange)}) and no --jwks-url was given: ` +
          "the signature is not checked (token.header and token.claims check the token's form)"
      }),
      onSome: (jwks) => ({ _tag: "Found", url, jwks })
    }))
}

/** Why each case will not be run against an endpoint of this kind, by id. */
export const skipReasons = (
  kind: EndpointKind,
  settings: Settings,
  skip: ReadonlyArray<string>
): ReadonlyMap<string, string> =>
  new Map(cases.flatMap((definition) => {
    if (skip.includes(definition.id)) return [[definition.id, "skipped on request (--skip)"] as const]
    const reason = definition.skipReason?.(kind, settings)
    return reason === undefined ? [] : [[definition.id, reason] as const]
  }))

/** A case's outcome and the requests it used, by label. */
export interface CaseRun {
  readonly definition: CaseDefinition
  readonly outcome: Outcome
  readonly labels: ReadonlyArray<string>
}

/** Every case's run, and every exchange in the order it was sent. */
export interface Run {
  readonly cases: ReadonlyArray<CaseRun>
  readonly exchanges: ReadonlyArray<Exchange>
}

const throwaway = Effect.map(
  Effect.all([Random.nextIntBetween(0, 2 ** 30), Random.nextIntBetween(0, 2 ** 30)]),
  ([a, b]) => `${a.toString(36)}${b.toString(36)}`
)

// The cases' effects need nothing: the HTTP client is the runner's, handed to them with each request.
const HttpContext = Effect.context<HttpClient.HttpClient>()

/** Runs the catalogue in order; `skipped` says which cases not to run, and why. */
export const runCases = (options: {
  readonly endpoint: Endpoint
  readonly kind: EndpointKind
  readonly settings: Settings
  readonly jwksUrl: string | undefined
  readonly skipped: ReadonlyMap<string, string>
}): Effect.Effect<Run, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const sent = new Map<string, Exchange>()
    const order: Array<Exchange> = []
    const exchange = (request: WireRequest) =>
      Effect.suspend(() => {
        const known = sent.get(request.label)
        if (known !== undefined) return Effect.succeed(known)
        return Effect.tap(send(options.endpoint, request), (done) =>
          Effect.sync(() => {
            sent.set(request.label, done)
            order.push(done)
          }))
      })
    const keys = yield* Effect.cached(findKeys(options.endpoint, options.jwksUrl))
    const other = (username: string, describe: string): Effect.Effect<Credentials> =>
      Effect.map(throwaway, (password) => ({ _tag: "Other", username, password: `not-${password}`, describe }))
    const unknownCaller = yield* Effect.flatMap(
      throwaway,
      (name) => other(`conformance-nobody-${name}`, "an unknown caller")
    )
    const wrongPassword = yield* other(options.endpoint.username, "a wrong password")
    const lockoutCaller = yield* Effect.flatMap(
      throwaway,
      (name) => other(`conformance-lockout-${name}`, "a throwaway caller")
    )
    const context = yield* HttpContext
    const runs: Array<CaseRun> = []
    for (const definition of cases) {
      const reason = options.skipped.get(definition.id)
      if (reason !== undefined) {
        runs.push({ definition, outcome: { _tag: "Skip", reason }, labels: [] })
        continue
      }
      const labels: Array<string> = []
      const caseContext: CaseContext = {
        kind: options.kind,
        settings: options.settings,
        exchange: (request) => {
          if (!labels.includes(request.label)) labels.push(request.label)
          return Effect.provide(exchange(request), context)
        },
        keys: Effect.provide(keys, context),
        unknownCaller,
        wrongPassword,
        lockoutCaller
      }
      const outcome = yield* definition.run(caseContext)
      runs.push({ definition, outcome, labels })
    }
    return { cases: runs, exchanges: order }
  })

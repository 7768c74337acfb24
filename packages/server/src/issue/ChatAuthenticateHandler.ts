/**
 * The chatAuthenticate resource as the server answers it, case by case (spec §1–§3): framework version, path and
 * method, store health, credentials, privilege, media type, size, JSON, validation, routing, signing, audit — and every
 * refusal rendered in the caller's REST framework version.
 *
 * The route is written once, as plain steps resumed by callbacks: the contract's own steps come from
 * `@chatauth/core` as functions returning `Either` (`RequestBody.parse`, `ChatAuthenticate.decodeRequest`,
 * `ChatAuthenticate.itemJson`, `OracleError.render`), the services' steps in their callback form (the credential
 * cache, `Router.routeCallback`, `TokenIssuer.issueCallback`, `AuditLog.issuedCallback`). An Effect runs only where a
 * step is one by nature and off the common path: a password the credential cache does not know yet (scrypt and the
 * lockout counters), the audit row of a refusal, marking the store unhealthy. `handle` is the same route as an Effect,
 * for what composes Effects around it (fault injection).
 *
 * Why not a fiber per request: each Effect step costs runtime work on every request, about as much as the route's own
 * work (see `bench/`), and the pure checks need none.
 *
 * @example
 * import { ChatAuthenticateHandler } from "@chatauth/server"
 * import { Effect, Option } from "effect"
 *
 * const answer = Effect.flatMap(ChatAuthenticateHandler.ChatAuthenticateHandler, (handler) =>
 *   handler.handle({
 *     method: "GET",
 *     path: "/crmRestApi/resources/latest/chatAuthenticate",
 *     query: "",
 *     headers: { "rest-framework-version": "4" },
 *     clientAddress: "127.0.0.1",
 *     readBody: () => Effect.succeed(Option.none())
 *   }, { basePath: "/crmRestApi/resources/latest", item: undefined })) // 405, Allow: POST, ADF JSON body
 *
 * @since 0.1.0
 */
import {
  ChatAuthenticate,
  ChatAuthenticateApi,
  Errors,
  Links,
  MediaTypes,
  OracleError,
  RequestBody,
  TokenIssuer
} from "@chatauth/core"
import { Cause, Context, Effect, Either, Exit, Layer, Option, Runtime } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import { type Caller, CallerAuth, hasChatPrivilege } from "../auth/CallerAuth.js"
import { Metrics } from "../metrics/Metrics.js"
import { type Assignment, Router } from "../routing/Router.js"
import { isStoreFailure } from "../store/Store.js"
import { StoreHealth } from "../store/StoreHealth.js"
import type { RouteSpans } from "../tracing/Tracing.js"
import { header, type ResourcePath, type WireRequest, type WireResponse } from "./Wire.js"

export {
  /** @since 0.1.0 */
  matchResourcePath,
  /** @since 0.1.0 */
  originOf,
  /** @since 0.1.0 */
  parseBasicAuthorization,
  /** @since 0.1.0 */
  type ResourcePath,
  /** @since 0.1.0 */
  splitUrl,
  /** @since 0.1.0 */
  type WireRequest,
  /** @since 0.1.0 */
  type WireResponse
} from "./Wire.js"
import { originOf, parseBasicAuthorization } from "./Wire.js"

/**
 * @since 0.1.0
 * @category options
 */
export interface HandlerOptions {
  /** The origin links are built on; without it, the request's Host over http. */
  readonly publicUrl?: string | undefined
  readonly realm?: string | undefined
  /**
   * The origin to use when the request's Host cannot be trusted as one. A function: with port 0 the server's own
   * origin is known only once it listens.
   */
  readonly fallbackOrigin: () => string
  /** Spans for each request and its steps (with traces exported); none without. */
  readonly spans?: RouteSpans | undefined
}

// One request's spans: its own, and one per step. Without traces a shared one that does nothing (no allocation).
interface RequestTrace {
  /** Starts a step's span; the function returned ends it, with the attributes it learned. */
  readonly step: (name: string) => (attributes?: Readonly<Record<string, string>>) => void
  /** An Effect step run under the request's span (its `@effect/sql` statements become its children). */
  readonly under: <A>(effect: Effect.Effect<A>) => Effect.Effect<A>
  readonly answered: (exit: Exit.Exit<WireResponse>, attributes?: Readonly<Record<string, string>>) => void
}

const NOTHING = () => {}
const UNTRACED: RequestTrace = { step: () => NOTHING, under: (effect) => effect, answered: NOTHING }

const traceOf = (spans: RouteSpans, request: WireRequest): RequestTrace => {
  const span = spans.request(request.headers, { "http.request.method": request.method, "url.path": request.path })
  return {
    step: (name) => {
      const child = spans.child(span, name)
      return (attributes) => {
        if (attributes !== undefined) { for (const key in attributes) child.attribute(key, attributes[key]) }
        child.end()
      }
    },
    under: (effect) => spans.under(span, effect),
    answered: (exit, attributes) => {
      if (Exit.isSuccess(exit)) span.attribute("http.response.status_code", exit.value.status)
      if (attributes !== undefined) { for (const key in attributes) span.attribute(key, attributes[key]) }
      span.end(Exit.isFailure(exit) || exit.value.status >= 500)
    }
  }
}

/**
 * How the route hands back its answer: once, with a defect only for a bug (the front answers 500 and logs it).
 *
 * @since 0.3.0
 * @category models
 */
export type Answered = (exit: Exit.Exit<WireResponse>) => void

const ONLY_DATA = /(?:^|&)onlyData=true(?:&|$)/

// What a 503 asks a client to wait while the store is down: about the time a failover or a restart takes.
const STORE_RETRY_AFTER_SECONDS = 5

/**
 * The handler service.
 *
 * @since 0.1.0
 * @category services
 */
export class ChatAuthenticateHandler extends Context.Tag("@chatauth/server/ChatAuthenticateHandler")<
  ChatAuthenticateHandler,
  {
    /** Answers any request on the resource's paths. */
    readonly run: (request: WireRequest, resource: ResourcePath, done: Answered) => void
    /** `run` as an Effect. Never fails. */
    readonly handle: (request: WireRequest, resource: ResourcePath) => Effect.Effect<WireResponse>
    /**
     * `run`, which now takes every request: always `true`.
     *
     * @deprecated since 0.3.0: use `run`.
     */
    readonly handleDirect: (request: WireRequest, resource: ResourcePath, done: Answered) => boolean
  }
>() {}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: HandlerOptions) =>
  Effect.gen(function*() {
    const callers = yield* CallerAuth
    const router = yield* Router
    const issuer = yield* TokenIssuer.TokenIssuer
    const audit = yield* AuditLog
    const metrics = yield* Metrics
    const health = yield* StoreHealth
    const clock = yield* Effect.clock
    const runCallback = Runtime.runCallback(yield* Effect.runtime<never>())
    const renderOptions = { realm: options.realm ?? "chatauth", allow: "POST" }

    const refuse = (
      error: Errors.ChatAuthError | Errors.ServiceUnavailable,
      version: number,
      close = false
    ): WireResponse => {
      const rendered = OracleError.render(error, version, renderOptions)
      return {
        status: rendered.status,
        headers: { ...rendered.headers, "cache-control": "no-store" },
        body: rendered.body,
        close
      }
    }

    const unavailable = (version: number) =>
      refuse(Errors.ServiceUnavailable.retryAfter(STORE_RETRY_AFTER_SECONDS), version)

    // A defect of any step: a store failure is a 503 (and marks the store unhealthy), anything else a bug.
    const failed = (defect: unknown, version: number, done: Answered) => {
      if (!isStoreFailure(defect)) return done(Exit.die(defect))
      runCallback(health.failed(defect), { onExit: () => done(Exit.succeed(unavailable(version))) })
    }

    const settled = <A>(version: number, done: Answered, next: (value: A) => void) => (exit: Exit.Exit<A>) =>
      Exit.isSuccess(exit) ? next(exit.value) : failed(Cause.squash(exit.cause), version, done)

    // An Effect step of the route, off the common path.
    const runStep = <A>(
      trace: RequestTrace,
      effect: Effect.Effect<A>,
      version: number,
      done: Answered,
      next: (value: A) => void
    ) => runCallback(trace.under(effect), { onExit: settled(version, done, next) })

    const refused = (
      trace: RequestTrace,
      request: WireRequest,
      reason: string,
      caller: string | null,
      answer: WireResponse,
      version: number,
      done: Answered
    ) =>
      runStep(
        trace,
        audit.refused({ reason, caller, clientAddress: request.clientAddress }),
        version,
        done,
        () => done(Exit.succeed(answer))
      )

    // The answers given before anything is authenticated, or the framework version to answer in.
    const screen = (request: WireRequest, resource: ResourcePath): WireResponse | number => {
      const parsedVersion = OracleError.parseFrameworkVersion(header(request, OracleError.FRAMEWORK_VERSION_HEADER))
      if (Either.isLeft(parsedVersion)) return refuse(parsedVersion.left, OracleError.FALLBACK_FRAMEWORK_VERSION)
      const version = parsedVersion.right
      if (!ChatAuthenticateApi.isBasePath(resource.basePath)) return refuse(Errors.NotFound.path(request.path), version)
      if (request.method !== "POST" || resource.item !== undefined) {
        return refuse(Errors.MethodNotAllowed.method(request.method), version)
      }
      // Nothing can be answered while the store is down: every answer of this route waits on its audit row.
      if (!health.isHealthy()) return unavailable(version)
      return version
    }

    // Refusals before the body is read (it is read only once the caller is known and allowed: a stranger's body is
    // never parsed).
    const refuseBeforeBody = (request: WireRequest, version: number): WireResponse | undefined => {
      const typeChecked = RequestBody.checkType(header(request, "content-type"))
      if (Either.isLeft(typeChecked)) return refuse(typeChecked.left, version, true)
      if (Number(header(request, "content-length") ?? 0) > RequestBody.MAX_BODY_BYTES) {
        return refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true)
      }
      return undefined
    }

    const readBody = (
      trace: RequestTrace,
      request: WireRequest,
      version: number,
      done: Answered,
      next: (body: Option.Option<Uint8Array>) => void
    ) =>
      request.readBodyCallback === undefined
        ? runStep(trace, request.readBody(RequestBody.MAX_BODY_BYTES), version, done, next)
        : request.readBodyCallback(RequestBody.MAX_BODY_BYTES, next)

    const decodeBody = (
      request: WireRequest,
      version: number,
      body: Option.Option<Uint8Array>
    ): Either.Either<ChatAuthenticate.ChatAuthenticateRequest, WireResponse> => {
      if (Option.isNone(body)) {
        return Either.left(refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true))
      }
      const json = RequestBody.parse({ contentType: header(request, "content-type"), body: body.value })
      if (Either.isLeft(json)) return Either.left(refuse(json.left, version))
      const input = ChatAuthenticate.decodeRequest(json.right)
      return Either.isLeft(input)
        ? Either.left(refuse(Errors.BadRequest.problems(input.left.problems), version))
        : Either.right(input.right)
    }

    const answerIssued = (
      request: WireRequest,
      basePath: string,
      version: number,
      input: ChatAuthenticate.ChatAuthenticateRequest,
      assignment: Assignment,
      token: TokenIssuer.IssuedToken
    ): WireResponse => {
      const href = Links.itemHref(originOf(request, options), basePath, input.authUserName)
      return {
        status: 201,
        headers: {
          "content-type": MediaTypes.ADF_RESOURCE_ITEM,
          location: href,
          "rest-framework-version": String(version),
          "cache-control": "no-store"
        },
        body: ChatAuthenticate.itemJson(
          input,
          {
            chatSiteName: assignment.chatSiteName,
            domain: assignment.domain,
            poolId: assignment.poolId,
            jwt: token.jwt
          },
          ONLY_DATA.test(request.query) ? undefined : Links.itemLinks(href)
        )
      }
    }

    // Route, sign, and answer once the token's audit row is committed.
    const issue = (
      trace: RequestTrace,
      request: WireRequest,
      basePath: string,
      version: number,
      caller: Caller,
      input: ChatAuthenticate.ChatAuthenticateRequest,
      done: Answered
    ) => {
      const routed = trace.step("chatAuthenticate.route")
      router.routeCallback(
        input,
        settled(version, done, (assignment) => {
          routed({ "chatauth.chat_site_name": assignment.chatSiteName, "chatauth.pool_id": assignment.poolId })
          const signed = trace.step("chatAuthenticate.sign")
          const started = clock.unsafeCurrentTimeNanos()
          issuer.issueCallback(
            { authUserName: input.authUserName, domain: assignment.domain, chatSiteName: assignment.chatSiteName },
            (error, token) => {
              if (error !== null) return done(Exit.die(error))
              signed({ "chatauth.kid": token!.kid })
              metrics.signingLatencySeconds.observe(Number(clock.unsafeCurrentTimeNanos() - started) / 1e9)
              metrics.tokensIssuedTotal.inc(assignment.chatSiteName)
              const answer = answerIssued(request, basePath, version, input, assignment, token!)
              const journaled = trace.step("chatAuthenticate.journal")
              audit.issuedCallback(
                {
                  caller: caller.username,
                  clientAddress: request.clientAddress,
                  authUserName: input.authUserName,
                  chatSiteName: assignment.chatSiteName,
                  poolId: assignment.poolId,
                  kid: token!.kid
                },
                settled(version, done, () => {
                  journaled()
                  done(Exit.succeed(answer))
                })
              )
            }
          )
        })
      )
    }

    const authorized = (
      trace: RequestTrace,
      request: WireRequest,
      basePath: string,
      version: number,
      caller: Caller,
      done: Answered
    ) => {
      if (!hasChatPrivilege(caller)) {
        metrics.authFailuresTotal.inc("forbidden")
        const error = Errors.Forbidden.missingPrivilege(ChatAuthenticateApi.CHAT_PRIVILEGE)
        return refused(trace, request, "forbidden", caller.username, refuse(error, version, true), version, done)
      }
      const refusal = refuseBeforeBody(request, version)
      if (refusal !== undefined) return done(Exit.succeed(refusal))
      readBody(trace, request, version, done, (body) => {
        const input = decodeBody(request, version, body)
        if (Either.isLeft(input)) return done(Exit.succeed(input.left))
        issue(trace, request, basePath, version, caller, input.right, done)
      })
    }

    const spans = options.spans
    const run: ChatAuthenticateHandler["Type"]["run"] = (request, resource, answered) => {
      const screened = screen(request, resource)
      if (typeof screened !== "number") return answered(Exit.succeed(screened))
      const version = screened
      const trace = spans === undefined ? UNTRACED : traceOf(spans, request)
      const credentials = parseBasicAuthorization(header(request, "authorization"))
      const done: Answered = trace === UNTRACED ? answered : (exit) => {
        trace.answered(exit, credentials === undefined ? undefined : { "chatauth.caller": credentials.username })
        answered(exit)
      }
      if (credentials === undefined) {
        metrics.authFailuresTotal.inc("invalid")
        const answer = refuse(Errors.Unauthorized.required(), version, true)
        return refused(trace, request, "missing-credentials", null, answer, version, done)
      }
      const attempt = { ...credentials, clientAddress: request.clientAddress }
      const known = callers.authenticateCached(attempt)
      if (known !== undefined) return authorized(trace, request, resource.basePath, version, known, done)
      const checked = trace.step("chatAuthenticate.authenticate")
      runStep(trace, Effect.either(callers.authenticate(attempt)), version, done, (result) => {
        checked({ "chatauth.outcome": Either.isRight(result) ? "authenticated" : result.left.reason })
        if (Either.isRight(result)) return authorized(trace, request, resource.basePath, version, result.right, done)
        const reason = result.left.reason
        metrics.authFailuresTotal.inc(reason)
        const error = reason === "locked"
          ? Errors.TooManyRequests.retryAfter(result.left.retryAfterSeconds ?? 1)
          : Errors.Unauthorized.required()
        refused(trace, request, reason, credentials.username, refuse(error, version, true), version, done)
      })
    }

    return ChatAuthenticateHandler.of({
      run,
      handle: (request, resource) => Effect.async<WireResponse>((resume) => run(request, resource, resume)),
      handleDirect: (request, resource, done) => {
        run(request, resource, done)
        return true
      }
    })
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HandlerOptions) => Layer.effect(ChatAuthenticateHandler, make(options))

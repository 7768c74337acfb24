/**
 * The chatAuthenticate resource as the server answers it, case by case (spec §1–§3): authentication, privilege,
 * media type, size, JSON, validation, routing, signing, audit — and every refusal rendered in the caller's
 * REST framework version.
 *
 * It works on a minimal request/response shape rather than on `HttpServerRequest`, so that the hot route can be
 * served straight from `node:http` (see `NodeFrontend.ts`) without the per-request cost of the generic `HttpApi`
 * machinery, while answering exactly what the contract in `@chatauth/core` declares.
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
import { Cause, Context, Effect, Either, Exit, Layer, Option, Redacted, Runtime } from "effect"
import { AuditLog } from "../audit/AuditLog.js"
import { type Caller, CallerAuth, hasChatPrivilege } from "../auth/CallerAuth.js"
import { Metrics } from "../metrics/Metrics.js"
import { type Assignment, Router } from "../routing/Router.js"
import { isStoreFailure } from "../store/Store.js"
import { StoreHealth } from "../store/StoreHealth.js"

/**
 * A request as the handler needs it.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireRequest {
  readonly method: string
  /** The path, without the query. */
  readonly path: string
  /** The query string, without `?` (empty when none). */
  readonly query: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly clientAddress: string
  /** Reads the body's bytes, at most `maxBytes`; `None` when it is larger. */
  readonly readBody: (maxBytes: number) => Effect.Effect<Option.Option<Uint8Array>>
  /** `readBody` with a callback, for the direct path (see `handleDirect`); without it that path is not taken. */
  readonly readBodyCallback?:
    | ((maxBytes: number, done: (body: Option.Option<Uint8Array>) => void) => void)
    | undefined
}

/**
 * An answer ready to write.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Close the connection after answering (the body was not read, or was too large). */
  readonly close?: boolean
}

/**
 * A path under one of the resource's base paths.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourcePath {
  readonly basePath: string
  /** The segment after `chatAuthenticate/` (`describe`, or an item key), if any. */
  readonly item: string | undefined
}

// Any application and version segment: what is not a documented base path is answered 404 by the handler, in the
// caller's framework version, rather than by `HttpApi`'s path decoding (a 400 listing schema internals).
/**
 * A request target split into its path and its query (without `?`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const splitUrl = (url: string): { readonly path: string; readonly query: string } => {
  const question = url.indexOf("?")
  return question === -1 ? { path: url, query: "" } : { path: url.slice(0, question), query: url.slice(question + 1) }
}

const RESOURCE_PATH = /^(\/[^/]+\/resources\/[^/]+)\/chatAuthenticate(?:\/([^/]*))?\/?$/

/**
 * Matches the resource's paths, on any application and version segment (an unknown base path is then answered 404 by
 * the handler).
 *
 * @since 0.1.0
 * @category parsing
 */
export const matchResourcePath = (path: string): ResourcePath | undefined => {
  const match = RESOURCE_PATH.exec(path)
  return match === null ? undefined : { basePath: match[1], item: match[2] === "" ? undefined : match[2] }
}

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
}

const header = (request: Pick<WireRequest, "headers">, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : value?.[0]
}

// A Host header becomes part of links and Location: accept only a plain host name or address with a port.
const PLAIN_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * The origin links, `Location` and the describe document are built on: the configured public URL, else the request's
 * Host when it is a plain host name (over http), else the fallback.
 *
 * @since 0.1.0
 * @category parsing
 */
export const originOf = (
  request: Pick<WireRequest, "headers">,
  options: { readonly publicUrl?: string | undefined; readonly fallbackOrigin: () => string }
): string => {
  if (options.publicUrl !== undefined) return options.publicUrl
  const host = header(request, "host")
  return host !== undefined && PLAIN_HOST.test(host) ? `http://${host}` : options.fallbackOrigin()
}

/**
 * Reads HTTP Basic credentials. `undefined` when absent or malformed.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseBasicAuthorization = (
  value: string | undefined
): { readonly username: string; readonly password: Redacted.Redacted<string> } | undefined => {
  if (value === undefined) return undefined
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]{1,8192})\s*$/i.exec(value)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1], "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon <= 0) return undefined
  return { username: decoded.slice(0, colon), password: Redacted.make(decoded.slice(colon + 1)) }
}

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
    /** Answers any request on the resource's paths. Never fails. */
    readonly handle: (request: WireRequest, resource: ResourcePath) => Effect.Effect<WireResponse>
    /**
     * The same answers as `handle`, without a fiber, for the common case: credentials the cache knows, a caller
     * with the privilege, a route decided synchronously; signing and the audit commit resume it by callback.
     * `false` when it does not take the request (nothing read, nothing recorded): then run `handle`.
     */
    readonly handleDirect: (
      request: WireRequest,
      resource: ResourcePath,
      done: (exit: Exit.Exit<WireResponse>) => void
    ) => boolean
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

    // The hot route is written as one flat chain of steps, refusals returned as answers rather than failures: each
    // Effect step costs runtime work on every request (see bench/), and the pure checks need none.
    const refused = (
      request: WireRequest,
      reason: string,
      caller: string | null,
      answer: WireResponse
    ): Effect.Effect<WireResponse> =>
      Effect.as(audit.refused({ reason, caller, clientAddress: request.clientAddress }), answer)

    // The steps of the route as plain functions, shared by the fiber (`handle`) and the direct path (`handleDirect`):
    // both answer every case from the same code.
    const answerIssued = (
      request: WireRequest,
      basePath: string,
      version: number,
      caller: Caller,
      input: ChatAuthenticate.ChatAuthenticateRequest,
      assignment: Assignment,
      token: TokenIssuer.IssuedToken,
      started: bigint
    ) => {
      metrics.signingLatencySeconds.observe(Number(clock.unsafeCurrentTimeNanos() - started) / 1e9)
      metrics.tokensIssuedTotal.inc(assignment.chatSiteName)
      const href = Links.itemHref(originOf(request, options), basePath, input.authUserName)
      const body = ChatAuthenticate.itemJson(
        input,
        { chatSiteName: assignment.chatSiteName, domain: assignment.domain, poolId: assignment.poolId, jwt: token.jwt },
        ONLY_DATA.test(request.query) ? undefined : Links.itemLinks(href)
      )
      const answer: WireResponse = {
        status: 201,
        headers: {
          "content-type": MediaTypes.ADF_RESOURCE_ITEM,
          location: href,
          "rest-framework-version": String(version),
          "cache-control": "no-store"
        },
        body
      }
      const event = {
        caller: caller.username,
        clientAddress: request.clientAddress,
        authUserName: input.authUserName,
        chatSiteName: assignment.chatSiteName,
        poolId: assignment.poolId,
        kid: token.kid
      }
      return { answer, event }
    }

    const toIssue = (input: ChatAuthenticate.ChatAuthenticateRequest, assignment: Assignment) => ({
      authUserName: input.authUserName,
      domain: assignment.domain,
      chatSiteName: assignment.chatSiteName
    })

    const issue = (
      request: WireRequest,
      basePath: string,
      version: number,
      caller: Caller,
      input: ChatAuthenticate.ChatAuthenticateRequest
    ): Effect.Effect<WireResponse> =>
      Effect.flatMap(router.route(input), (assignment) => {
        const started = clock.unsafeCurrentTimeNanos()
        return Effect.flatMap(
          Effect.orDie(issuer.issue(toIssue(input, assignment))),
          (token) => {
            const { answer, event } = answerIssued(
              request,
              basePath,
              version,
              caller,
              input,
              assignment,
              token,
              started
            )
            return Effect.as(audit.issued(event), answer)
          }
        )
      })

    // Refusals before the body is read (it is read only once the caller is known and allowed: a stranger's body is
    // never parsed), and the body's own checks.
    const refuseBeforeBody = (request: WireRequest, version: number): WireResponse | undefined => {
      const typeChecked = RequestBody.checkType(header(request, "content-type"))
      if (Either.isLeft(typeChecked)) return refuse(typeChecked.left, version, true)
      if (Number(header(request, "content-length") ?? 0) > RequestBody.MAX_BODY_BYTES) {
        return refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true)
      }
      return undefined
    }
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

    const readAndIssue = (request: WireRequest, basePath: string, version: number, caller: Caller) => {
      const refusal = refuseBeforeBody(request, version)
      if (refusal !== undefined) return Effect.succeed(refusal)
      return Effect.flatMap(request.readBody(RequestBody.MAX_BODY_BYTES), (body): Effect.Effect<WireResponse> => {
        const input = decodeBody(request, version, body)
        return Either.isLeft(input)
          ? Effect.succeed(input.left)
          : issue(request, basePath, version, caller, input.right)
      })
    }

    const authorized = (request: WireRequest, basePath: string, version: number, caller: Caller) => {
      if (!hasChatPrivilege(caller)) {
        metrics.authFailuresTotal.inc("forbidden")
        const error = Errors.Forbidden.missingPrivilege(ChatAuthenticateApi.CHAT_PRIVILEGE)
        return refused(request, "forbidden", caller.username, refuse(error, version, true))
      }
      return readAndIssue(request, basePath, version, caller)
    }

    const create = (request: WireRequest, basePath: string, version: number): Effect.Effect<WireResponse> => {
      const credentials = parseBasicAuthorization(header(request, "authorization"))
      if (credentials === undefined) {
        metrics.authFailuresTotal.inc("invalid")
        return refused(request, "missing-credentials", null, refuse(Errors.Unauthorized.required(), version, true))
      }
      const attempt = { ...credentials, clientAddress: request.clientAddress }
      const known = callers.authenticateCached(attempt)
      if (known !== undefined) return authorized(request, basePath, version, known)
      return Effect.matchEffect(
        callers.authenticate(attempt),
        {
          onFailure: (refusal) => {
            metrics.authFailuresTotal.inc(refusal.reason)
            const error = refusal.reason === "locked"
              ? Errors.TooManyRequests.retryAfter(refusal.retryAfterSeconds ?? 1)
              : Errors.Unauthorized.required()
            return refused(request, refusal.reason, credentials.username, refuse(error, version, true))
          },
          onSuccess: (caller) => authorized(request, basePath, version, caller)
        }
      )
    }

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

    const handle = (request: WireRequest, resource: ResourcePath): Effect.Effect<WireResponse> => {
      const screened = screen(request, resource)
      if (typeof screened !== "number") return Effect.succeed(screened)
      const version = screened
      return create(request, resource.basePath, version).pipe(
        Effect.catchAllDefect((defect) =>
          isStoreFailure(defect)
            ? Effect.as(health.failed(defect), unavailable(version))
            : Effect.die(defect)
        )
      )
    }

    const runtime = yield* Effect.runtime<never>()
    const runCallback = Runtime.runCallback(runtime)
    // A defect of the direct path, answered as `handle` answers it: a store failure is a 503 (and marks the store
    // unhealthy), anything else a defect of the request.
    const settleDefect = (defect: unknown, version: number, done: (exit: Exit.Exit<WireResponse>) => void) => {
      if (!isStoreFailure(defect)) return done(Exit.die(defect))
      runCallback(health.failed(defect), { onExit: () => done(Exit.succeed(unavailable(version))) })
    }

    const handleDirect: ChatAuthenticateHandler["Type"]["handleDirect"] = (request, resource, done) => {
      const readBody = request.readBodyCallback
      if (readBody === undefined) return false
      const screened = screen(request, resource)
      if (typeof screened !== "number") {
        done(Exit.succeed(screened))
        return true
      }
      const version = screened
      const basePath = resource.basePath
      // Only what the cache answers and needs no audit of a refusal: anything else takes the fiber.
      const credentials = parseBasicAuthorization(header(request, "authorization"))
      if (credentials === undefined) return false
      const caller = callers.authenticateCached({ ...credentials, clientAddress: request.clientAddress })
      if (caller === undefined || !hasChatPrivilege(caller)) return false
      const refusal = refuseBeforeBody(request, version)
      if (refusal !== undefined) {
        done(Exit.succeed(refusal))
        return true
      }
      readBody(RequestBody.MAX_BODY_BYTES, (body) => {
        const input = decodeBody(request, version, body)
        if (Either.isLeft(input)) return done(Exit.succeed(input.left))
        const issueTo = (decided: Assignment) => {
          const started = clock.unsafeCurrentTimeNanos()
          issuer.issueCallback(toIssue(input.right, decided), (error, token) => {
            if (error !== null) return done(Exit.die(error))
            const { answer, event } = answerIssued(
              request,
              basePath,
              version,
              caller,
              input.right,
              decided,
              token!,
              started
            )
            audit.issuedCallback(event, (exit) => {
              if (Exit.isSuccess(exit)) return done(Exit.succeed(answer))
              const squashed = Cause.squash(exit.cause)
              settleDefect(squashed, version, done)
            })
          })
        }
        let routed: boolean
        try {
          // At once when the route is known now; when the store's read answers (PostgreSQL) otherwise.
          routed = router.routeCallback(input.right, (exit) =>
            Exit.isSuccess(exit) ? issueTo(exit.value) : settleDefect(Cause.squash(exit.cause), version, done))
        } catch (defect) {
          return settleDefect(defect, version, done)
        }
        if (routed) {
          return
        }
        // The store must be asked in a fiber: the rest of the route as `handle` runs it.
        const rest = issue(request, basePath, version, caller, input.right).pipe(
          Effect.catchAllDefect((defect) =>
            isStoreFailure(defect) ? Effect.as(health.failed(defect), unavailable(version)) : Effect.die(defect)
          )
        )
        runCallback(rest, { onExit: done })
      })
      return true
    }

    return { handle, handleDirect }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HandlerOptions) => Layer.effect(ChatAuthenticateHandler, make(options))

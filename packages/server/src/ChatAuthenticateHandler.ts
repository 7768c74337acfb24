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
import { Context, Effect, Either, Layer, Option, Redacted } from "effect"
import { AuditLog } from "./AuditLog.js"
import { type Caller, CallerAuth, hasChatPrivilege } from "./CallerAuth.js"
import { Metrics } from "./Metrics.js"
import { Router } from "./Router.js"
import { isStoreFailure } from "./Store.js"
import { StoreHealth } from "./StoreHealth.js"

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
          Effect.orDie(issuer.issue({
            authUserName: input.authUserName,
            domain: assignment.domain,
            chatSiteName: assignment.chatSiteName
          })),
          (token) => {
            metrics.signingLatencySeconds.observe(Number(clock.unsafeCurrentTimeNanos() - started) / 1e9)
            metrics.tokensIssuedTotal.inc(assignment.chatSiteName)
            const href = Links.itemHref(originOf(request, options), basePath, input.authUserName)
            const item = ChatAuthenticate.makeItem(
              input,
              {
                chatSiteName: assignment.chatSiteName,
                domain: assignment.domain,
                poolId: assignment.poolId,
                jwt: token.jwt
              },
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
              body: JSON.stringify(ChatAuthenticate.encodeItem(item))
            }
            return Effect.as(
              audit.issued({
                caller: caller.username,
                clientAddress: request.clientAddress,
                authUserName: input.authUserName,
                chatSiteName: assignment.chatSiteName,
                poolId: assignment.poolId,
                kid: token.kid
              }),
              answer
            )
          }
        )
      })

    // The body is read only once the caller is known and allowed: a stranger's body is never parsed.
    const readAndIssue = (request: WireRequest, basePath: string, version: number, caller: Caller) => {
      const contentType = header(request, "content-type")
      const typeChecked = RequestBody.checkType(contentType)
      if (Either.isLeft(typeChecked)) return Effect.succeed(refuse(typeChecked.left, version, true))
      if (Number(header(request, "content-length") ?? 0) > RequestBody.MAX_BODY_BYTES) {
        return Effect.succeed(refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true))
      }
      return Effect.flatMap(request.readBody(RequestBody.MAX_BODY_BYTES), (body): Effect.Effect<WireResponse> => {
        if (Option.isNone(body)) {
          return Effect.succeed(refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true))
        }
        const json = RequestBody.parse({ contentType, body: body.value })
        if (Either.isLeft(json)) return Effect.succeed(refuse(json.left, version))
        const input = ChatAuthenticate.decodeRequest(json.right)
        if (Either.isLeft(input)) {
          return Effect.succeed(refuse(Errors.BadRequest.problems(input.left.problems), version))
        }
        return issue(request, basePath, version, caller, input.right)
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

    const handle = (request: WireRequest, resource: ResourcePath): Effect.Effect<WireResponse> => {
      const parsedVersion = OracleError.parseFrameworkVersion(header(request, OracleError.FRAMEWORK_VERSION_HEADER))
      if (Either.isLeft(parsedVersion)) {
        return Effect.succeed(refuse(parsedVersion.left, OracleError.FALLBACK_FRAMEWORK_VERSION))
      }
      const version = parsedVersion.right
      if (!ChatAuthenticateApi.isBasePath(resource.basePath)) {
        return Effect.succeed(refuse(Errors.NotFound.path(request.path), version))
      }
      if (request.method !== "POST" || resource.item !== undefined) {
        return Effect.succeed(refuse(Errors.MethodNotAllowed.method(request.method), version))
      }
      // Nothing can be answered while the store is down: every answer of this route waits on its audit row.
      if (!health.isHealthy()) return Effect.succeed(unavailable(version))
      return create(request, resource.basePath, version).pipe(
        Effect.catchAllDefect((defect) =>
          isStoreFailure(defect)
            ? Effect.as(health.failed(defect), unavailable(version))
            : Effect.die(defect)
        )
      )
    }

    return { handle }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HandlerOptions) => Layer.effect(ChatAuthenticateHandler, make(options))

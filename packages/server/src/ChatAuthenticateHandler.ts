/**
 * The chatAuthenticate resource as the server answers it, case by case (spec §1–§3): authentication, privilege,
 * media type, size, JSON, validation, routing, signing, audit — and every refusal rendered in the caller's
 * REST framework version.
 *
 * It works on a minimal request/response shape rather than on `HttpServerRequest`, so that the hot route can be
 * served straight from `node:http` (see `NodeFrontend.ts`) without the per-request cost of the generic `HttpApi`
 * machinery, while answering exactly what the contract in `@chatauth/core` declares.
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
import { Clock, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import { AuditLog } from "./AuditLog.js"
import { CallerAuth, hasChatPrivilege } from "./CallerAuth.js"
import { Metrics } from "./Metrics.js"
import { Router } from "./Router.js"

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
  /** Reads the body as UTF-8, at most `maxBytes`; `None` when it is larger. */
  readonly readBody: (maxBytes: number) => Effect.Effect<Option.Option<string>>
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
  /** The origin to use when the request's Host cannot be trusted as one. */
  readonly fallbackOrigin: string
}

const header = (request: WireRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : value?.[0]
}

// A Host header becomes part of links and Location: accept only a plain host name or address with a port.
const PLAIN_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

const originOf = (request: WireRequest, options: HandlerOptions): string => {
  if (options.publicUrl !== undefined) return options.publicUrl
  const host = header(request, "host")
  return host !== undefined && PLAIN_HOST.test(host) ? `http://${host}` : options.fallbackOrigin
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
    const renderOptions = { realm: options.realm ?? "chatauth", allow: "POST" }

    const refuse = (error: Errors.ChatAuthError, version: number, close = false): WireResponse => {
      const rendered = OracleError.render(error, version, renderOptions)
      return {
        status: rendered.status,
        headers: { ...rendered.headers, "cache-control": "no-store" },
        body: rendered.body,
        close
      }
    }

    const authenticate = (request: WireRequest, version: number) =>
      Effect.gen(function*() {
        const credentials = parseBasicAuthorization(header(request, "authorization"))
        if (credentials === undefined) {
          metrics.authFailuresTotal.inc("invalid")
          yield* audit.refused({ reason: "missing-credentials", caller: null, clientAddress: request.clientAddress })
          return yield* Effect.fail(refuse(Errors.Unauthorized.required(), version, true))
        }
        const caller = yield* callers.authenticate({ ...credentials, clientAddress: request.clientAddress }).pipe(
          Effect.catchTag("AuthRefused", (refused) => {
            metrics.authFailuresTotal.inc(refused.reason)
            const error = refused.reason === "locked"
              ? Errors.TooManyRequests.retryAfter(refused.retryAfterSeconds ?? 1)
              : Errors.Unauthorized.required()
            return audit.refused({
              reason: refused.reason,
              caller: credentials.username,
              clientAddress: request.clientAddress
            }).pipe(Effect.zipRight(Effect.fail(refuse(error, version, true))))
          })
        )
        if (!hasChatPrivilege(caller)) {
          metrics.authFailuresTotal.inc("forbidden")
          yield* audit.refused({ reason: "forbidden", caller: caller.username, clientAddress: request.clientAddress })
          return yield* Effect.fail(
            refuse(Errors.Forbidden.missingPrivilege(ChatAuthenticateApi.CHAT_PRIVILEGE), version, true)
          )
        }
        return caller
      })

    const create = (request: WireRequest, basePath: string, version: number) =>
      Effect.gen(function*() {
        const caller = yield* authenticate(request, version)
        const contentType = header(request, "content-type")
        yield* Either.mapLeft(RequestBody.checkType(contentType), (error) => refuse(error, version, true))
        const declaredLength = Number(header(request, "content-length") ?? 0)
        if (declaredLength > RequestBody.MAX_BODY_BYTES) {
          return yield* Effect.fail(refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true))
        }
        const text = yield* request.readBody(RequestBody.MAX_BODY_BYTES)
        if (Option.isNone(text)) {
          return yield* Effect.fail(refuse(Errors.PayloadTooLarge.limit(RequestBody.MAX_BODY_BYTES), version, true))
        }
        const json = yield* Either.mapLeft(
          RequestBody.parse({ contentType, body: text.value }),
          (error) => refuse(error, version)
        )
        const input = yield* Either.mapLeft(
          ChatAuthenticate.decodeRequest(json),
          (invalid) => refuse(Errors.BadRequest.problems(invalid.problems), version)
        )
        const assignment = yield* router.route(input)
        const started = yield* Clock.currentTimeNanos
        const token = yield* issuer.issue({
          authUserName: input.authUserName,
          domain: assignment.domain,
          chatSiteName: assignment.chatSiteName
        }).pipe(Effect.orDie)
        metrics.signingLatencySeconds.observe(Number((yield* Clock.currentTimeNanos) - started) / 1e9)
        metrics.tokensIssuedTotal.inc(assignment.chatSiteName)
        yield* audit.issued({
          caller: caller.username,
          clientAddress: request.clientAddress,
          authUserName: input.authUserName,
          chatSiteName: assignment.chatSiteName,
          poolId: assignment.poolId,
          kid: token.kid
        })
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
        return {
          status: 201,
          headers: {
            "content-type": MediaTypes.ADF_RESOURCE_ITEM,
            location: href,
            "rest-framework-version": String(version),
            "cache-control": "no-store"
          },
          body: JSON.stringify(ChatAuthenticate.encodeItem(item))
        } satisfies WireResponse
      })

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
      return Effect.merge(create(request, resource.basePath, version))
    }

    return { handle }
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: HandlerOptions) => Layer.effect(ChatAuthenticateHandler, make(options))

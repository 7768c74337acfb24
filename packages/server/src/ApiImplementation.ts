/**
 * The server's implementation of the `HttpApi` contract of `@chatauth/core`: describe, the "Not Supported" GETs,
 * the JWKS, health and metrics, plus the OpenAPI document (`/openapi.json`) and a docs page (`/docs`) generated from
 * the contract.
 *
 * The create endpoint and the resource's refusals are answered by {@link ChatAuthenticateHandler}, here as well as on
 * the hot route, through `handleRaw`: the body must be read by the server itself (the documented cURL command sends
 * JSON as form data) and refusals follow the caller's REST framework version, which `HttpApi` cannot express.
 *
 * @example
 * import { ApiImplementation } from "@chatauth/server"
 * import { HttpApiBuilder } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * // the contract's routes as an HttpApp (ChatAuthServer.start does this, behind its node:http front)
 * const app = HttpApiBuilder.httpApp.pipe(
 *   Effect.provide(ApiImplementation.layer({ fallbackOrigin: () => "http://127.0.0.1:8080" }))
 * )
 *
 * @since 0.1.0
 */
import { ChatAuthenticateApi, Describe, Errors, KeyStore, OracleError } from "@chatauth/core"
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { Context, Duration, Effect, Layer, Option, Redacted, Ref } from "effect"
import { createHash } from "node:crypto"
import { CallerAuth } from "./CallerAuth.js"
import {
  ChatAuthenticateHandler,
  matchResourcePath,
  originOf,
  splitUrl,
  type WireRequest,
  type WireResponse
} from "./ChatAuthenticateHandler.js"
import { VERSION } from "./internal/version.js"
import { Metrics } from "./Metrics.js"
import { PersistentKeys } from "./PersistentKeys.js"
import { Readiness } from "./Readiness.js"

const { Api, CallerAuthentication } = ChatAuthenticateApi

const toWireRequest = (request: HttpServerRequest.HttpServerRequest): WireRequest => {
  return {
    method: request.method,
    ...splitUrl(request.url),
    headers: request.headers,
    clientAddress: Option.getOrElse(request.remoteAddress, () => "unknown"),
    readBody: (maxBytes) =>
      request.text.pipe(
        Effect.map((text) => Buffer.byteLength(text) > maxBytes ? Option.none() : Option.some(text)),
        Effect.orElseSucceed(() => Option.some(""))
      )
  }
}

const toServerResponse = (answer: WireResponse): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(answer.body, {
    status: answer.status,
    headers: answer.headers,
    contentType: answer.headers["content-type"]
  })

const resourceAnswer = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.gen(function*() {
    const handler = yield* ChatAuthenticateHandler
    const wire = toWireRequest(request)
    const resource = matchResourcePath(wire.path)
    if (resource === undefined) return HttpServerResponse.empty({ status: 404 })
    return toServerResponse(yield* handler.handle(wire, resource))
  })

/**
 * Where the server's links point.
 *
 * @since 0.1.0
 * @category options
 */
export interface OriginOptions {
  readonly publicUrl?: string | undefined
  /** The origin used when the request's Host cannot be trusted as one (see `ChatAuthenticateHandler.originOf`). */
  readonly fallbackOrigin: () => string
}

const ChatAuthenticateGroupLive = (origin: OriginOptions) =>
  HttpApiBuilder.group(Api, "chatAuthenticate", (handlers) =>
    handlers
      .handleRaw("create", ({ request }) => resourceAnswer(request))
      .handleRaw("list", ({ request }) => resourceAnswer(request))
      .handleRaw("get", ({ request }) => resourceAnswer(request))
      .handleRaw("describe", ({ request }) =>
        Effect.sync(() => {
          const wire = toWireRequest(request)
          const resource = matchResourcePath(wire.path)
          const basePath = resource?.basePath ?? ""
          if (!ChatAuthenticateApi.isBasePath(basePath)) {
            const rendered = OracleError.render(Errors.NotFound.path(request.url), 4)
            return HttpServerResponse.text(rendered.body, {
              status: 404,
              contentType: rendered.headers["content-type"]
            })
          }
          return HttpServerResponse.unsafeJson(Describe.describe(`${originOf(wire, origin)}${basePath}`), {
            contentType: "application/vnd.oracle.adf.description+json"
          })
        })))

const KeysGroupLive = HttpApiBuilder.group(
  Api,
  "keys",
  (handlers) =>
    handlers.handleRaw("jwks", ({ request }) =>
      Effect.gen(function*() {
        const keys = yield* KeyStore.KeyStore
        // A new key is published this long before it signs, so a verifier caching the JWKS no longer than this
        // always knows the signing key.
        const maxAge = Math.floor(Duration.toSeconds((yield* PersistentKeys).publishLead))
        const body = JSON.stringify(yield* keys.jwks)
        const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`
        const headers = { etag, "cache-control": `public, max-age=${maxAge}` }
        if (request.headers["if-none-match"] === etag) return HttpServerResponse.empty({ status: 304, headers })
        return HttpServerResponse.text(body, { headers, contentType: "application/json" })
      }))
)

const OperationsGroupLive = HttpApiBuilder.group(Api, "operations", (handlers) =>
  handlers
    .handle("live", () => Effect.succeed({ status: "ok" as const }))
    .handle("ready", () =>
      Effect.gen(function*() {
        const state = yield* Ref.get(yield* Readiness)
        if (state === "ready") return { status: "ok" as const }
        return yield* Effect.fail({ status: state === "starting" ? "starting" as const : "stopping" as const })
      }))
    .handleRaw("metrics", () =>
      Effect.gen(function*() {
        const metrics = yield* Metrics
        return HttpServerResponse.text(yield* metrics.render(), {
          contentType: "text/plain; version=0.0.4; charset=utf-8"
        })
      })))

// The contract's security middleware, for the create endpoint as `HttpApi` would serve it. The server answers that
// endpoint through the handler above, which authenticates itself (with the same CallerAuth, so the same cache).
const CallerAuthenticationLive = Layer.effect(
  CallerAuthentication,
  Effect.gen(function*() {
    const callers = yield* CallerAuth
    return {
      basic: (credential) =>
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          const clientAddress = Option.getOrElse(request.remoteAddress, () => "unknown")
          return yield* callers.authenticate({
            username: credential.username,
            password: Redacted.make(Redacted.value(credential.password)),
            clientAddress
          }).pipe(
            Effect.mapError((refused) =>
              refused.reason === "locked"
                ? Errors.TooManyRequests.retryAfter(refused.retryAfterSeconds ?? 1)
                : Errors.Unauthorized.required()
            )
          )
        })
    }
  })
)

// The docs page embeds Swagger UI, about 2 MB of JavaScript: `HttpApiSwagger` is imported, and the page built, on the
// first request for it rather than at start, which keeps that module out of the server's memory and start-up. The
// page is `HttpApiSwagger`'s own: its router layer is run once against a router that only keeps the handler.
const DocsLive = (path: `/${string}`) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function*() {
      const { api } = yield* HttpApi.Api
      const page = yield* Effect.cached(
        Effect.gen(function*() {
          const Swagger = yield* Effect.promise(() => import("@effect/platform/HttpApiSwagger"))
          let handler: Effect.Effect<HttpServerResponse.HttpServerResponse> | undefined
          const capture = {
            add: (_method: string, _path: string, h: Effect.Effect<HttpServerResponse.HttpServerResponse>) =>
              Effect.sync(() => {
                handler = h
              })
          } as unknown as HttpLayerRouter.HttpRouter
          yield* Effect.scoped(
            Layer.build(Swagger.layerHttpLayerRouter({ api, path })).pipe(
              Effect.provide(Context.make(HttpLayerRouter.HttpRouter, capture))
            )
          )
          return handler === undefined ? HttpServerResponse.empty({ status: 404 }) : yield* handler
        })
      )
      yield* router.get(path, page)
    })
  )

// The OpenAPI document and the docs page carry this package's version (the contract's own default is 0.0.1).
const PublishedApi = Api.annotate(OpenApi.Version, VERSION)

/**
 * The routes of the contract, the OpenAPI document and the docs page, on `HttpApiBuilder`'s router.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: OriginOptions) => {
  const ApiLive = HttpApiBuilder.api(PublishedApi).pipe(
    Layer.provide([ChatAuthenticateGroupLive(options), KeysGroupLive, OperationsGroupLive]),
    Layer.provide(CallerAuthenticationLive)
  )
  return Layer.mergeAll(
    HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" }),
    DocsLive("/docs")
  )
    .pipe(
      Layer.provideMerge(ApiLive),
      Layer.provideMerge(HttpApiBuilder.Router.Live),
      Layer.provideMerge(HttpApiBuilder.Middleware.layer)
    )
}

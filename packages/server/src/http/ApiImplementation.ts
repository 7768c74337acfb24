/**
 * The server's implementation of the `HttpApi` contract of `@chatauth/core`: describe, the "Not Supported" GETs,
 * the JWKS, health and metrics, plus the OpenAPI document (`/openapi.json`) and a docs page (`/docs`) generated from
 * the contract.
 *
 * The resource's other requests (create, the "Not Supported" GETs, unknown base paths) never reach this application:
 * the `node:http` front (`NodeFrontend`) sends them to {@link ChatAuthenticateHandler}, since the body must be read by
 * the server itself (the documented cURL command sends JSON as form data) and refusals follow the caller's REST
 * framework version, which `HttpApi` cannot express. Their endpoints are declared by the contract for the derived
 * client; here they only say that they are unreachable.
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
import { ChatAuthenticateApi, Describe, KeyStore } from "@chatauth/core"
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { Context, Duration, Effect, Layer, Ref } from "effect"
import { createHash } from "node:crypto"
import { matchResourcePath, originOf, splitUrl } from "../issue/ChatAuthenticateHandler.js"
import { PersistentKeys } from "../keys/PersistentKeys.js"
import { Metrics } from "../metrics/Metrics.js"
import { StoreHealth } from "../store/StoreHealth.js"
import * as DocsPage from "./internal/docsPage.js"
import { VERSION } from "./internal/version.js"
import { Readiness } from "./Readiness.js"

const { Api, CallerAuthentication } = ChatAuthenticateApi

// The front answers these itself; an `HttpApi` request for them would mean the front was bypassed.
const answeredByTheFront = Effect.die(new Error("the node:http front answers the chatAuthenticate resource"))

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
      .handleRaw("create", () => answeredByTheFront)
      .handleRaw("list", () => answeredByTheFront)
      .handleRaw("get", () => answeredByTheFront)
      // Only documented base paths come here (the front sends the others to the handler, which answers 404).
      .handleRaw("describe", ({ request }) =>
        Effect.sync(() => {
          const basePath = matchResourcePath(splitUrl(request.url).path)?.basePath ?? ""
          return HttpServerResponse.unsafeJson(Describe.describe(`${originOf(request, origin)}${basePath}`), {
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
        if (state === "ready" && !(yield* StoreHealth).isHealthy()) {
          return yield* Effect.fail({ status: "unavailable" as const })
        }
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

// The contract's security middleware guards the create endpoint, which the front answers (and authenticates) itself.
const CallerAuthenticationLive = Layer.succeed(CallerAuthentication, { basic: () => answeredByTheFront })

// The docs page embeds Swagger UI, about 2 MB of JavaScript: `HttpApiSwagger` is imported, and the page built, on the
// first request for it rather than at start, which keeps that module out of the server's memory and start-up. The
// page is `HttpApiSwagger`'s own: its router layer is run once against a router that only keeps the handler; it is
// then served compressed and cached (`internal/docsPage.ts`).
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
          const response = handler === undefined ? undefined : yield* handler
          const html = response?.body._tag === "Uint8Array" ? new TextDecoder().decode(response.body.body) : ""
          return yield* DocsPage.make(html)
        })
      )
      yield* router.get(
        path,
        Effect.gen(function*() {
          const request = yield* HttpServerRequest.HttpServerRequest
          const answer = (yield* page).answer({
            acceptEncoding: request.headers["accept-encoding"],
            ifNoneMatch: request.headers["if-none-match"]
          })
          return HttpServerResponse.uint8Array(answer.body, {
            status: answer.status,
            headers: answer.headers,
            ...(answer.headers["content-type"] === undefined ? {} : { contentType: answer.headers["content-type"] })
          })
        })
      )
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

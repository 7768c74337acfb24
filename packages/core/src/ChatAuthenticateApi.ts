/**
 * The `HttpApi` contract of the service: Oracle's chatAuthenticate resource on its base paths, the public keys
 * Channel Servers verify tokens with, and the operational endpoints. The server implements it, the client derives
 * from it, and the OpenAPI document is generated from it.
 *
 * Oracle quirks `HttpApi` cannot express are kept as plain functions in core and used by the server:
 * - errors in plain text for REST framework versions 1–3 ({@link OracleError.render}; the contract declares the
 *   ADF JSON form of versions 4 and later);
 * - the documented cURL command sends its JSON body as `application/x-www-form-urlencoded` (spec §3): the contract
 *   declares the JSON payload; the server reads the body itself ({@link RequestBody.read});
 * - `405` with `Allow: POST` on the documented "Not Supported" GETs, and `Retry-After` on a 429.
 *
 * @example
 * import { ChatAuthenticateApi } from "@chatauth/core"
 * import { HttpApiClient } from "@effect/platform"
 *
 * const client = HttpApiClient.make(ChatAuthenticateApi.Api, { baseUrl: "https://pod.example.com" })
 *
 * @since 0.1.0
 */
// Module by module rather than from the package index: the index loads all of @effect/platform, Swagger UI's
// bundled 2 MB included, into every process that imports the contract (a server's memory, a client's start-up).
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Context, Schema } from "effect"
import { ChatAuthenticateItem, ChatAuthenticateRequestBody } from "./ChatAuthenticate.js"
import {
  asAdfJson,
  BadRequest,
  Forbidden,
  MethodNotAllowed,
  NotFound,
  PayloadTooLarge,
  TooManyRequests,
  Unauthorized,
  UnsupportedMediaType
} from "./Errors.js"
import { ADF_DESCRIPTION, ADF_RESOURCE_ITEM } from "./MediaTypes.js"
import { BASE_PATHS, type BasePath, DEFAULT_BASE_PATH, EXAMPLE_REQUEST } from "./Resource.js"

/**
 * The REST applications the resource is published under.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RestApplication = Schema.Literal("crmRestApi", "serviceApi")

/**
 * The resource versions: `latest` is the alias Oracle's own clients use.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResourceVersion = Schema.Literal("11.13.18.05", "11.13.0.0", "latest")

/**
 * The documented base paths and their predicates (re-exported from {@link Resource}).
 *
 * @since 0.1.0
 * @category constants
 */
export { BASE_PATHS, type BasePath, DEFAULT_BASE_PATH, isBasePath } from "./Resource.js"

/**
 * The path parameters of a base path.
 *
 * @since 0.1.0
 * @category constructors
 */
export const basePathParams = (
  basePath: BasePath
): { readonly application: typeof RestApplication.Type; readonly version: typeof ResourceVersion.Type } => {
  const [, application, , version] = basePath.split("/")
  return { application, version } as any
}

const ResourcePath = Schema.Struct({ application: RestApplication, version: ResourceVersion })

/**
 * The request headers of the Oracle REST framework.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FrameworkHeaders = Schema.Struct({
  "rest-framework-version": Schema.optional(Schema.String).annotations({
    description: "The REST framework version, 1 to 9. Errors are plain text for 1–3, ADF JSON from 4."
  }),
  "metadata-context": Schema.optional(Schema.String).annotations({
    description: "Runtime customization sandbox, e.g. sandbox=\"TrackEmployeeFeature\"; accepted, changes nothing."
  })
})

/**
 * The query parameters of the create call.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreateUrlParams = Schema.Struct({
  onlyData: Schema.optional(Schema.Literal("true", "false")).annotations({
    description: "true leaves the links out of the answer."
  })
})

/**
 * The caller an authenticated request runs as.
 *
 * @since 0.1.0
 * @category models
 */
export interface Caller {
  readonly username: string
  readonly privileges: ReadonlyArray<string>
}

/**
 * The privilege Oracle requires to create a chat authentication (re-exported from {@link Resource}).
 *
 * @since 0.1.0
 * @category constants
 */
export { CHAT_PRIVILEGE } from "./Resource.js"

/**
 * The authenticated caller of the current request.
 *
 * @since 0.1.0
 * @category context
 */
export class CurrentCaller extends Context.Tag("@chatauth/core/CurrentCaller")<CurrentCaller, Caller>() {}

const BadRequestJson = asAdfJson(BadRequest, (details) => new BadRequest({ details }))
const UnauthorizedJson = asAdfJson(Unauthorized, (details) => new Unauthorized({ details }))
const ForbiddenJson = asAdfJson(Forbidden, (details) => new Forbidden({ details }))
const NotFoundJson = asAdfJson(NotFound, (details) => new NotFound({ details }))
const MethodNotAllowedJson = asAdfJson(MethodNotAllowed, (details) => new MethodNotAllowed({ details }))
const PayloadTooLargeJson = asAdfJson(PayloadTooLarge, (details) => new PayloadTooLarge({ details }))
const UnsupportedMediaTypeJson = asAdfJson(UnsupportedMediaType, (details) => new UnsupportedMediaType({ details }))
const TooManyRequestsJson = asAdfJson(TooManyRequests, (details) => new TooManyRequests({ details }))

/**
 * HTTP Basic authentication of callers, declared in the contract; the server implements it.
 *
 * @since 0.1.0
 * @category security
 */
export class CallerAuthentication extends HttpApiMiddleware.Tag<CallerAuthentication>()(
  "@chatauth/core/CallerAuthentication",
  {
    failure: Schema.Union(UnauthorizedJson, TooManyRequestsJson),
    provides: CurrentCaller,
    security: {
      basic: HttpApiSecurity.basic.pipe(
        HttpApiSecurity.annotate(OpenApi.Description, "A caller of the service, with SVC_REQUEST_FOR_CHAT_PRIV.")
      )
    }
  }
) {}

/**
 * The created item, as the framework labels it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const CreatedItem = ChatAuthenticateItem.pipe(
  HttpApiSchema.withEncoding({ kind: "Json", contentType: ADF_RESOURCE_ITEM })
)

/**
 * The ADF `describe` document: free-form JSON.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Description = Schema.Record({ key: Schema.String, value: Schema.Unknown }).pipe(
  HttpApiSchema.withEncoding({ kind: "Json", contentType: ADF_DESCRIPTION })
)

const resourcePath = "/:application/resources/:version/chatAuthenticate"

/**
 * The chatAuthenticate resource.
 *
 * @since 0.1.0
 * @category groups
 */
export class ChatAuthenticateGroup extends HttpApiGroup.make("chatAuthenticate")
  .add(
    HttpApiEndpoint.post("create", resourcePath)
      .setPath(ResourcePath)
      .setHeaders(FrameworkHeaders)
      .setUrlParams(CreateUrlParams)
      .setPayload(ChatAuthenticateRequestBody)
      .addSuccess(CreatedItem, { status: 201 })
      .addError(BadRequestJson, { status: 400 })
      .addError(ForbiddenJson, { status: 403 })
      .addError(PayloadTooLargeJson, { status: 413 })
      .addError(UnsupportedMediaTypeJson, { status: 415 })
      .annotate(OpenApi.Summary, "Create a chat authentication")
      .annotate(
        OpenApi.Description,
        "Validates a chat consumer's identity and context, routes the chat to a Channel Server site and pool, and " +
          "answers the request echoed with chatSiteName, domain, poolId, links and a short-lived JWT."
      )
      .middleware(CallerAuthentication)
  )
  .add(
    HttpApiEndpoint.get("describe", `${resourcePath}/describe`)
      .setPath(ResourcePath)
      .addSuccess(Description)
      .annotate(OpenApi.Summary, "Describe the resource (ADF metadata)")
  )
  .add(
    HttpApiEndpoint.get("list", resourcePath)
      .setPath(ResourcePath)
      .setHeaders(FrameworkHeaders)
      .addError(MethodNotAllowedJson, { status: 405 })
      .annotate(OpenApi.Summary, "Not supported: answers 405 with Allow: POST")
  )
  .add(
    HttpApiEndpoint.get("get", `${resourcePath}/:authUserName`)
      .setPath(Schema.Struct({ ...ResourcePath.fields, authUserName: Schema.String }))
      .setHeaders(FrameworkHeaders)
      .addError(MethodNotAllowedJson, { status: 405 })
      .annotate(OpenApi.Summary, "Not supported: answers 405 with Allow: POST")
  )
  .addError(NotFoundJson, { status: 404 })
  .annotate(OpenApi.Title, "chatAuthenticate")
{}

/**
 * A public key of the JWKS: never private parts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PublicJwkSchema = Schema.Struct({
  kty: Schema.String,
  kid: Schema.String,
  use: Schema.optional(Schema.String),
  alg: Schema.optional(Schema.String),
  n: Schema.optional(Schema.String),
  e: Schema.optional(Schema.String),
  crv: Schema.optional(Schema.String),
  x: Schema.optional(Schema.String),
  y: Schema.optional(Schema.String),
  x5c: Schema.optional(Schema.Array(Schema.String)),
  x5t: Schema.optional(Schema.String)
})

/**
 * The JSON Web Key Set Channel Servers verify tokens with.
 *
 * @since 0.1.0
 * @category schemas
 */
export const JwksSchema = Schema.Struct({ keys: Schema.Array(PublicJwkSchema) }).annotations({ identifier: "Jwks" })

/**
 * The public signing keys.
 *
 * @since 0.1.0
 * @category groups
 */
export class KeysGroup extends HttpApiGroup.make("keys")
  .add(
    HttpApiEndpoint.get("jwks", "/.well-known/jwks.json")
      .addSuccess(JwksSchema)
      .annotate(OpenApi.Summary, "The public keys that verify issued tokens (next, active and retired)")
  )
{}

/**
 * The health of the service.
 *
 * @since 0.1.0
 * @category schemas
 */
export const HealthStatus = Schema.Struct({
  status: Schema.Literal("ok", "starting", "stopping", "unavailable"),
  checks: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

/**
 * Liveness, readiness and metrics.
 *
 * @since 0.1.0
 * @category groups
 */
export class OperationsGroup extends HttpApiGroup.make("operations")
  .add(HttpApiEndpoint.get("live", "/health/live").addSuccess(HealthStatus))
  .add(
    HttpApiEndpoint.get("ready", "/health/ready")
      .addSuccess(HealthStatus)
      .addError(HealthStatus, { status: 503 })
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics").addSuccess(
      HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4; charset=utf-8" })
    )
  )
{}

const RESOURCE_PREFIX = "/{application}/resources/{version}"

/**
 * The OpenAPI document as people read it (the docs page, code generators): the resource's paths are relative to its
 * base paths, offered as the path's `servers` — the path parameters `application` and `version` would also allow
 * pairs Oracle does not publish (`crmRestApi` with `11.13.0.0`) — and the create call's request body has Oracle's
 * example as its example, so that "Try it out" sends a valid request.
 *
 * @since 0.2.0
 * @category openapi
 */
export const toPublishedOpenApi = (spec: Record<string, any>): Record<string, any> => {
  const paths: Record<string, any> = {}
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, any>>)) {
    if (!path.startsWith(RESOURCE_PREFIX)) {
      paths[path] = item
      continue
    }
    const operations = Object.fromEntries(
      Object.entries(item).map(([method, operation]) => {
        const parameters = (operation.parameters as Array<{ readonly name: string; readonly in: string }>).filter(
          (parameter) =>
            !(parameter.in === "path" && (parameter.name === "application" || parameter.name === "version"))
        )
        const json = operation.requestBody?.content?.["application/json"]
        const requestBody = json === undefined
          ? operation.requestBody
          : {
            ...operation.requestBody,
            content: { ...operation.requestBody.content, "application/json": { ...json, example: EXAMPLE_REQUEST } }
          }
        return [method, { ...operation, parameters, ...(requestBody === undefined ? {} : { requestBody }) }]
      })
    )
    paths[path.slice(RESOURCE_PREFIX.length)] = {
      servers: BASE_PATHS.map((url) => ({
        url,
        description: url === DEFAULT_BASE_PATH ? "the base path of Oracle's reference" : "also published"
      })),
      ...operations
    }
  }
  return { ...spec, paths }
}

/**
 * The whole contract.
 *
 * @since 0.1.0
 * @category api
 */
export class Api extends HttpApi.make("chatauth")
  .add(ChatAuthenticateGroup)
  .add(KeysGroup)
  .add(OperationsGroup)
  .annotate(OpenApi.Title, "chatauth — Oracle Fusion chatAuthenticate")
  .annotate(
    OpenApi.Description,
    "An open implementation of Oracle Fusion Service's REST endpoint \"Create a chat authentication\"."
  )
  .annotate(OpenApi.Transform, toPublishedOpenApi)
{}

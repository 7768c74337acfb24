/**
 * The chatAuthenticate client as an Effect service, derived from core's `HttpApi` with `HttpApiClient`. It talks
 * to this project's server or to a real Oracle Fusion pod: HTTP Basic credentials held as `Redacted`,
 * `REST-Framework-Version` (4 by default, so errors come back as JSON), optional `Metadata-Context` and `onlyData`,
 * answers in `application/json` or Oracle's vendor media types, errors in either Oracle form, retries of transient
 * failures within a time budget, and a timeout per attempt.
 *
 * @example
 * import { ChatAuthClient } from "@chatauth/client"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const ClientLive = ChatAuthClient.layer({
 *   baseUrl: "https://pod.example.com",
 *   username: "chat.integration",
 *   password: Redacted.make("s3cret"),
 *   basePath: "/serviceApi/resources/11.13.0.0"
 * }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* ChatAuthClient
 *   const result = yield* client.authenticate({ authUserName: "jane@example.com", mediaList: "CHAT" })
 *   console.log(result.engagementUrl, result.tokenExpiresAt)
 * }).pipe(
 *   Effect.catchTag("Unauthorized", () => Effect.logError("check CHATAUTH_USERNAME / CHATAUTH_PASSWORD"))
 * )
 *
 * Effect.runPromise(Effect.provide(program, ClientLive))
 *
 * @since 0.1.0
 */
import { ChatAuthenticateApi } from "@chatauth/core"
import { HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import {
  Clock,
  Config,
  type ConfigError,
  Context,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  ParseResult,
  Redacted
} from "effect"
import { type ChatAuthClientError, InvalidResponse, RequestTimeout } from "./ChatAuthClientError.js"
import type { ChatAuthRequest } from "./ChatAuthRequest.js"
import { normalize } from "./ChatAuthRequest.js"
import { type ChatAuthResult, fromItem } from "./ChatAuthResult.js"
import { DEFAULT_FRAMEWORK_VERSION, DEFAULT_RETRY, DEFAULT_TIMEOUT, resolve } from "./internal/options.js"
import { CREATED, interceptErrors, networkError } from "./internal/response.js"
import { schedule } from "./internal/retry.js"

/**
 * Retries of transient failures (network, 502/503/504, 429): exponential backoff with jitter, within a budget.
 * Defaults: 4 attempts, 250 ms base delay, 4 000 ms longest delay, 30 000 ms budget.
 *
 * @since 0.1.0
 * @category models
 */
export interface RetryOptions {
  /** Attempts in all, the first included (1 = no retry). */
  readonly maxAttempts?: number | undefined
  /** The first delay; each next one doubles, then is jittered to half–all of itself. */
  readonly baseDelayMs?: number | undefined
  /** No delay is longer, except to honour a 429's `Retry-After`. */
  readonly maxDelayMs?: number | undefined
  /** No retry starts once this much time has passed since the first attempt; a 429 whose `Retry-After` ends later
   * is not retried. */
  readonly budgetMs?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatAuthClientOptions {
  /** Scheme, host and optional path prefix of the server, e.g. `https://pod.fa.us2.oraclecloud.com`. */
  readonly baseUrl: string | URL
  /** The integration user (HTTP Basic). */
  readonly username: string
  /** Its password: never logged, never in an error. */
  readonly password: Redacted.Redacted<string>
  /** One of the documented base paths; default `/crmRestApi/resources/11.13.18.05`. */
  readonly basePath?: ChatAuthenticateApi.BasePath | undefined
  /** `REST-Framework-Version`, 1–9; default 4 (errors in ADF JSON; 1–3 answer plain text, also understood). */
  readonly frameworkVersion?: number | undefined
  /** `Metadata-Context`, e.g. `sandbox="TrackEmployeeFeature"`. */
  readonly metadataContext?: string | undefined
  /** `onlyData=true` leaves the links out of the answer; default: not sent (links included). */
  readonly onlyData?: boolean | undefined
  /** The longest one attempt may take, answer body included; default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry policy, or `false` for a single attempt. */
  readonly retry?: RetryOptions | false | undefined
}

/**
 * Per-call options.
 *
 * @since 0.1.0
 * @category models
 */
export interface AuthenticateOptions {
  /** Overrides the client's `onlyData`. */
  readonly onlyData?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace ChatAuthClient {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /**
     * Creates a chat authentication. Fails with a {@link ChatAuthClientError}: core's tagged errors for the statuses
     * the contract defines, `ServerError`, `UnexpectedStatus`, `RequestTimeout`, `NetworkError`,
     * `InvalidResponse`, or `RequestInvalid` when the request cannot be sent at all.
     */
    readonly authenticate: (
      request: ChatAuthRequest,
      options?: AuthenticateOptions
    ) => Effect.Effect<ChatAuthResult, ChatAuthClientError>
    /** Where the calls go: base URL and base path, without credentials. */
    readonly endpointUrl: string
  }
}

/**
 * Builds the service.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeChatAuthClient = (
  options: ChatAuthClientOptions
): Effect.Effect<ChatAuthClient.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const resolved = yield* Either.match(resolve(options), {
      onLeft: (problem) => Effect.dieMessage(`ChatAuthClient: ${problem}`),
      onRight: Effect.succeed
    })
    const httpClient = (yield* HttpClient.HttpClient).pipe(
      HttpClient.mapRequest((request) =>
        HttpClientRequest.setHeader(request, "authorization", Redacted.value(resolved.authorization))
      ),
      HttpClient.transformResponse(interceptErrors)
    )
    const create = yield* HttpApiClient.endpoint(ChatAuthenticateApi.Api, {
      group: "chatAuthenticate",
      endpoint: "create",
      httpClient,
      baseUrl: resolved.baseUrl
    })
    const path = ChatAuthenticateApi.basePathParams(resolved.basePath)
    const headers = {
      "rest-framework-version": String(resolved.frameworkVersion),
      "metadata-context": resolved.metadataContext
    }
    const timeoutMillis = Duration.toMillis(resolved.timeout)

    const attempt = (
      payload: Parameters<typeof create>[0]["payload"],
      onlyData: boolean | undefined
    ): Effect.Effect<ChatAuthResult, ChatAuthClientError> =>
      create({
        path,
        headers,
        urlParams: { onlyData: onlyData === undefined ? undefined : onlyData ? "true" : "false" },
        payload
      }).pipe(
        Effect.catchTags({
          // The contract's default 400 body; unreachable, since every answer but a 201 is intercepted first.
          HttpApiDecodeError: (error) => Effect.die(error),
          RequestError: (error) => Effect.fail(networkError(error)),
          // A 201 whose body could not be read to the end: the connection failed, not the server's answer.
          ResponseError: (error) => Effect.fail(networkError(error)),
          // Only the 201 body is decoded by the contract (every other answer is intercepted first), and the payload
          // was already encoded once by `normalize`: a ParseError here is the answer's.
          ParseError: (error) =>
            Effect.fail(
              new InvalidResponse({
                status: CREATED,
                reason: `the body is not a chatAuthenticate item: ${ParseResult.TreeFormatter.formatErrorSync(error)}`
              })
            )
        }),
        Effect.flatMap((item) => fromItem(item)),
        Effect.timeoutFail({ duration: resolved.timeout, onTimeout: () => new RequestTimeout({ timeoutMillis }) })
      )

    const authenticate = (
      request: ChatAuthRequest,
      callOptions?: AuthenticateOptions
    ): Effect.Effect<ChatAuthResult, ChatAuthClientError> =>
      Effect.flatMap(normalize(request), (payload) => {
        const once = attempt(payload, callOptions?.onlyData ?? resolved.onlyData)
        const policy = resolved.retry
        if (policy === undefined || policy.maxAttempts <= 1) return once
        return Effect.flatMap(Clock.currentTimeMillis, (startedAt) => Effect.retry(once, schedule(policy, startedAt)))
      })

    return { authenticate, endpointUrl: resolved.baseUrl + resolved.basePath + "/chatAuthenticate" }
  })

/**
 * The client service.
 *
 * @since 0.1.0
 * @category services
 */
export class ChatAuthClient extends Context.Tag("@chatauth/client/ChatAuthClient")<
  ChatAuthClient,
  ChatAuthClient.Service
>() {
  /**
   * Builds the service (same as {@link makeChatAuthClient}), for callers who manage its lifetime themselves.
   *
   * @since 0.1.0
   */
  static make: (options: ChatAuthClientOptions) => Effect.Effect<
    ChatAuthClient.Service,
    never,
    HttpClient.HttpClient
  > = makeChatAuthClient

  /**
   * A layer from options; needs an `HttpClient` (`FetchHttpClient.layer`, or `NodeHttpClient.layerUndici`).
   * Invalid options are a defect (a programming error), reported without the password.
   *
   * @since 0.1.0
   */
  static layer(options: ChatAuthClientOptions): Layer.Layer<ChatAuthClient, never, HttpClient.HttpClient> {
    return Layer.effect(ChatAuthClient, makeChatAuthClient(options))
  }

  /**
   * A layer from {@link ChatAuthClientConfig} (`CHATAUTH_BASE_URL`, `CHATAUTH_USERNAME`, `CHATAUTH_PASSWORD`, …).
   *
   * @since 0.1.0
   */
  static layerConfig: Layer.Layer<ChatAuthClient, ConfigError.ConfigError, HttpClient.HttpClient> = Layer.effect(
    ChatAuthClient,
    Effect.flatMap(Effect.suspend(() => ChatAuthClientConfig), makeChatAuthClient)
  )
}

const optionalConfig = <A>(config: Config.Config<A>): Config.Config<A | undefined> =>
  Config.map(Config.option(config), Option.getOrUndefined)

const positiveInteger = (name: string) =>
  Config.integer(name).pipe(Config.validate({ message: "must be a whole number ≥ 1", validation: (n) => n >= 1 }))

const nonNegativeInteger = (name: string) =>
  Config.integer(name).pipe(Config.validate({ message: "must be a whole number ≥ 0", validation: (n) => n >= 0 }))

/**
 * The client's configuration, from the environment (or any `ConfigProvider`):
 *
 * | variable | meaning | default |
 * |---|---|---|
 * | `CHATAUTH_BASE_URL` | server URL (http/https) | required |
 * | `CHATAUTH_USERNAME` | integration user | required |
 * | `CHATAUTH_PASSWORD` | its password (redacted) | required |
 * | `CHATAUTH_BASE_PATH` | one of the documented base paths | `/crmRestApi/resources/11.13.18.05` |
 * | `CHATAUTH_FRAMEWORK_VERSION` | `REST-Framework-Version`, 1–9 | 4 |
 * | `CHATAUTH_METADATA_CONTEXT` | `Metadata-Context` | not sent |
 * | `CHATAUTH_ONLY_DATA` | `onlyData` (true/false) | not sent |
 * | `CHATAUTH_TIMEOUT_MS` | timeout of one attempt | 10000 |
 * | `CHATAUTH_RETRY_MAX_ATTEMPTS` | attempts in all (1 = no retry) | 4 |
 * | `CHATAUTH_RETRY_BASE_DELAY_MS` / `CHATAUTH_RETRY_MAX_DELAY_MS` | backoff | 250 / 4000 |
 * | `CHATAUTH_RETRY_BUDGET_MS` | total retry budget | 30000 |
 *
 * @since 0.1.0
 * @category config
 */
export const ChatAuthClientConfig: Config.Config<ChatAuthClientOptions> = Config.all({
  baseUrl: Config.string("CHATAUTH_BASE_URL").pipe(
    Config.validate({
      message: "must be an absolute http(s) URL without credentials, query or fragment",
      validation: (value) => Either.isRight(resolve({ baseUrl: value, username: "u", password: Redacted.make("") }))
    })
  ),
  username: Config.nonEmptyString("CHATAUTH_USERNAME"),
  password: Config.redacted("CHATAUTH_PASSWORD"),
  basePath: Config.literal(...ChatAuthenticateApi.BASE_PATHS)("CHATAUTH_BASE_PATH").pipe(
    Config.withDefault(ChatAuthenticateApi.DEFAULT_BASE_PATH)
  ),
  frameworkVersion: Config.integer("CHATAUTH_FRAMEWORK_VERSION").pipe(
    Config.validate({ message: "must be a whole number from 1 to 9", validation: (n) => n >= 1 && n <= 9 }),
    Config.withDefault(DEFAULT_FRAMEWORK_VERSION)
  ),
  metadataContext: optionalConfig(Config.string("CHATAUTH_METADATA_CONTEXT")),
  onlyData: optionalConfig(Config.boolean("CHATAUTH_ONLY_DATA")),
  timeout: positiveInteger("CHATAUTH_TIMEOUT_MS").pipe(
    Config.map(Duration.millis),
    Config.withDefault(DEFAULT_TIMEOUT)
  ),
  retry: Config.all({
    maxAttempts: positiveInteger("CHATAUTH_RETRY_MAX_ATTEMPTS").pipe(Config.withDefault(DEFAULT_RETRY.maxAttempts)),
    baseDelayMs: nonNegativeInteger("CHATAUTH_RETRY_BASE_DELAY_MS").pipe(
      Config.withDefault(DEFAULT_RETRY.baseDelayMs)
    ),
    maxDelayMs: nonNegativeInteger("CHATAUTH_RETRY_MAX_DELAY_MS").pipe(Config.withDefault(DEFAULT_RETRY.maxDelayMs)),
    budgetMs: nonNegativeInteger("CHATAUTH_RETRY_BUDGET_MS").pipe(Config.withDefault(DEFAULT_RETRY.budgetMs))
  })
})

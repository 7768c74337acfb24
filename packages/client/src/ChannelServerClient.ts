/**
 * A client of Oracle's Channel Server consumer API, built from a chatAuthenticate answer: it presents the token
 * (`Authorization: Bearer <jwt>`) to `requestEngagement`, keeps the session it opens, and sends it (`SessionId`)
 * with `postMessage`, `getMessages`, `activity` and `concludeEngagement`. It speaks Oracle's wire, so it works against
 * the chatauth server's emulator (`chatauth serve --channel-server`, over http) and against a real Channel Server
 * (https). The scheme defaults to http for a loopback domain (the emulator on this machine), https otherwise; an
 * https call answered in plain HTTP fails at once with a `NetworkError` whose `plainHttp` is `true`. Retries and the
 * timeout per attempt follow the chatAuthenticate client's policy.
 *
 * One client is one chat: it holds at most one session at a time.
 *
 * @example
 * import { ChannelServerClient, ChatAuthClient } from "@chatauth/client"
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const chat = Effect.gen(function*() {
 *   const auth = yield* ChatAuthClient
 *   const result = yield* auth.authenticate({ authUserName: "jane@example.com" })
 *   const channel = yield* ChannelServerClient.fromChatAuthResult(result, { scheme: "http" })
 *   yield* channel.requestEngagement()
 *   yield* channel.postMessage("Hello")
 *   const messages = yield* channel.getMessages()
 *   yield* channel.concludeEngagement()
 *   return messages
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 *
 * @since 0.1.0
 */
import { ChannelServer } from "@chatauth/core"
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Clock, Context, Duration, Effect, Either, Layer, Option, ParseResult, Redacted, Schema } from "effect"
import { type ChannelServerError, NotEngaged, Timeout } from "./ChannelServerError.js"
import type { RetryOptions } from "./ChatAuthClient.js"
import { InvalidResponse } from "./ChatAuthClientError.js"
import type { ChatAuthResult } from "./ChatAuthResult.js"
import { classifier, errorOf, resolveOptions } from "./internal/channelServer.js"
import { networkError } from "./internal/response.js"
import { scheduleFor } from "./internal/retry.js"
import { excerpt } from "./internal/text.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ChannelServerClientOptions {
  /** The chatAuthenticate answer's `domain` (host and optional port). */
  readonly domain: string
  /** The answer's `chatSiteName`. */
  readonly chatSiteName: string
  /** The answer's `poolId`: sent as `?pool=` on every call when present. */
  readonly poolId?: string | null | undefined
  /** The answer's `jwt`: never logged, never in an error. */
  readonly jwt: string | Redacted.Redacted<string>
  /**
   * `https` (Oracle's) or `http` (the local emulator). Default: `http` when `domain` is loopback (`localhost`,
   * 127.0.0.0/8, `::1`: the emulator on this machine), else `https`.
   */
  readonly scheme?: "https" | "http" | undefined
  /**
   * Where the calls go instead of `{scheme}://{domain}`, e.g. `http://127.0.0.1:8080` (a tunnel, a proxy, the
   * emulator under another name). The token's audience still names `domain`.
   */
  readonly channelServerUrl?: string | URL | undefined
  /** Continue an engagement opened earlier instead of calling `requestEngagement`. */
  readonly sessionId?: string | undefined
  /** The longest one attempt may take; default 10 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retry policy (as the chatAuthenticate client's), or `false` for a single attempt. */
  readonly retry?: RetryOptions | false | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace ChannelServerClient {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Opens an engagement; the client keeps its session for the follow-ups. */
    readonly requestEngagement: (
      request?: ChannelServer.RequestEngagementRequest
    ) => Effect.Effect<ChannelServer.RequestEngagementResponse, ChannelServerError>
    readonly postMessage: (body: string) => Effect.Effect<ChannelServer.PostMessageResponse, ChannelServerError>
    /** The system messages queued since the last call, oldest first. */
    readonly getMessages: () => Effect.Effect<ReadonlyArray<ChannelServer.SystemMessage>, ChannelServerError>
    readonly activity: (mode: ChannelServer.ActivityMode) => Effect.Effect<void, ChannelServerError>
    /** Ends the engagement; the client forgets its session. */
    readonly concludeEngagement: () => Effect.Effect<void, ChannelServerError>
    readonly getQueueStats: (
      request?: typeof ChannelServer.QueueStatsRequest.Type
    ) => Effect.Effect<ChannelServer.QueueStatsResponse, ChannelServerError>
    /** The current session, if any. */
    readonly sessionId: Effect.Effect<Option.Option<string>>
    /** The origin and path prefix the calls go to (no token). */
    readonly baseUrl: string
  }
}

/**
 * Builds the client.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeChannelServerClient = (
  options: ChannelServerClientOptions
): Effect.Effect<ChannelServerClient.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const resolved = yield* Either.match(resolveOptions(options), {
      onLeft: (problem) => Effect.dieMessage(`ChannelServerClient: ${problem}`),
      onRight: Effect.succeed
    })
    const http = yield* HttpClient.HttpClient
    let session: string | undefined = options.sessionId
    const timeoutMillis = Duration.toMillis(resolved.timeout)
    const query = resolved.poolId === undefined ? "" : `?pool=${encodeURIComponent(resolved.poolId)}`

    const read = <A, I>(
      response: HttpClientResponse.HttpClientResponse,
      schema: Schema.Schema<A, I>
    ): Effect.Effect<A, ChannelServerError> =>
      Effect.flatMap(
        Effect.mapError(response.text, networkError),
        (text): Effect.Effect<A, ChannelServerError> => {
          if (response.status < 200 || response.status >= 300) {
            return Effect.fail(errorOf(response.status, text, response.headers["retry-after"]))
          }
          let parsed: unknown = {}
          if (text.trim() !== "") {
            try {
              parsed = JSON.parse(text)
            } catch {
              return Effect.fail(
                new InvalidResponse({ status: response.status, reason: "the body is not JSON", body: excerpt(text) })
              )
            }
          }
          return Effect.mapError(
            Schema.decodeUnknown(schema)(parsed),
            (error) =>
              new InvalidResponse({
                status: response.status,
                reason: ParseResult.TreeFormatter.formatErrorSync(error),
                body: excerpt(text)
              })
          )
        }
      )

    const call = <A, I>(
      operation: ChannelServer.Operation,
      body: unknown,
      schema: Schema.Schema<A, I>,
      sessionId: string | undefined
    ): Effect.Effect<A, ChannelServerError> => {
      const request = HttpClientRequest.post(`${resolved.baseUrl}/${operation}${query}`).pipe(
        HttpClientRequest.setHeaders({
          authorization: Redacted.value(resolved.authorization),
          accept: "application/json",
          ...(sessionId === undefined ? {} : { [ChannelServer.SESSION_HEADER]: sessionId })
        }),
        HttpClientRequest.bodyText(JSON.stringify(body ?? {}), "application/json; charset=utf-8")
      )
      const once = http.execute(request).pipe(
        Effect.mapError(networkError),
        Effect.flatMap((response) => read(response, schema)),
        Effect.scoped,
        Effect.timeoutFail({ duration: resolved.timeout, onTimeout: () => new Timeout({ timeoutMillis }) })
      )
      const policy = resolved.retry
      if (policy === undefined || policy.maxAttempts <= 1) return once
      return Effect.flatMap(
        Clock.currentTimeMillis,
        (startedAt) => Effect.retry(once, scheduleFor(policy, startedAt, classifier))
      )
    }

    const inSession = <A>(
      operation: ChannelServer.Operation,
      use: (sessionId: string) => Effect.Effect<A, ChannelServerError>
    ): Effect.Effect<A, ChannelServerError> =>
      Effect.suspend(() => session === undefined ? Effect.fail(new NotEngaged({ operation })) : use(session))

    const Empty = Schema.Struct({})

    return {
      baseUrl: resolved.baseUrl,
      sessionId: Effect.sync(() => Option.fromNullable(session)),
      requestEngagement: (request = {}) =>
        Effect.tap(
          call("requestEngagement", request, ChannelServer.RequestEngagementResponse, undefined),
          (answer) =>
            Effect.sync(() => {
              session = answer.sessionId
            })
        ),
      postMessage: (body) =>
        inSession("postMessage", (id) => call("postMessage", { body }, ChannelServer.PostMessageResponse, id)),
      getMessages: () =>
        inSession(
          "getMessages",
          (id) =>
            Effect.map(
              call("getMessages", {}, ChannelServer.GetMessagesResponse, id),
              (answer) => answer.systemMessages
            )
        ),
      activity: (mode) => inSession("activity", (id) => Effect.asVoid(call("activity", { mode }, Empty, id))),
      concludeEngagement: () =>
        inSession("concludeEngagement", (id) =>
          Effect.tap(
            Effect.asVoid(call("concludeEngagement", {}, Empty, id)),
            () =>
              Effect.sync(() => {
                session = undefined
              })
          )),
      getQueueStats: (request = {}) =>
        call(
          "getQueueStats",
          request,
          ChannelServer.QueueStatsResponse,
          Option.getOrUndefined(Option.fromNullable(session))
        )
    }
  })

/**
 * The client service: one chat.
 *
 * @since 0.1.0
 * @category services
 */
export class ChannelServerClient extends Context.Tag("@chatauth/client/ChannelServerClient")<
  ChannelServerClient,
  ChannelServerClient.Service
>() {
  /**
   * @since 0.1.0
   */
  static readonly make = makeChannelServerClient

  /**
   * A client for the chat a chatAuthenticate answer opens: its `domain`, `chatSiteName`, `poolId` and `jwt`.
   *
   * @since 0.1.0
   */
  static readonly fromChatAuthResult = (
    result: Pick<ChatAuthResult, "item">,
    options: Omit<ChannelServerClientOptions, "domain" | "chatSiteName" | "poolId" | "jwt"> = {}
  ): Effect.Effect<ChannelServerClient.Service, never, HttpClient.HttpClient> =>
    makeChannelServerClient({
      ...options,
      domain: result.item.domain,
      chatSiteName: result.item.chatSiteName,
      poolId: result.item.poolId,
      jwt: Redacted.make(result.item.jwt)
    })

  /**
   * A layer from options; needs an `HttpClient`.
   *
   * @since 0.1.0
   */
  static readonly layer = (
    options: ChannelServerClientOptions
  ): Layer.Layer<ChannelServerClient, never, HttpClient.HttpClient> =>
    Layer.effect(ChannelServerClient, makeChannelServerClient(options))
}

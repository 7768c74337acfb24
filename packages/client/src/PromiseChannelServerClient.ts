/**
 * The Channel Server client for code that does not use Effect: the same calls, retries and errors, behind Promises,
 * sent with the global `fetch`. A failure rejects with the typed error itself (`err instanceof ChannelServerError`,
 * `err._tag`).
 *
 * @example
 * import { channelServerOptionsOf, createChannelServerClient, createChatAuthClient } from "@chatauth/client"
 *
 * const auth = createChatAuthClient({ baseUrl: "http://127.0.0.1:8080", username: "portal", password })
 * const result = await auth.authenticate({ authUserName: "jane@example.com" })
 * const chat = createChannelServerClient({ ...channelServerOptionsOf(result), scheme: "http" })
 * await chat.requestEngagement()
 * await chat.postMessage("Hello")
 * console.log(await chat.getMessages())
 * await chat.concludeEngagement()
 *
 * @since 0.1.0
 */
import type { ChannelServer } from "@chatauth/core"
import { FetchHttpClient } from "@effect/platform"
import { Cause, Effect, Either, Exit, Option } from "effect"
import {
  type ChannelServerClient,
  type ChannelServerClientOptions,
  makeChannelServerClient
} from "./ChannelServerClient.js"
import type { ChatAuthResult } from "./ChatAuthResult.js"
import { resolveOptions } from "./internal/channelServer.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PromiseChannelServerClientOptions extends ChannelServerClientOptions {
  /** Another `fetch`; default the global one. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PromiseChannelServerClient {
  readonly requestEngagement: (
    request?: ChannelServer.RequestEngagementRequest
  ) => Promise<ChannelServer.RequestEngagementResponse>
  readonly postMessage: (body: string) => Promise<ChannelServer.PostMessageResponse>
  readonly getMessages: () => Promise<ReadonlyArray<ChannelServer.SystemMessage>>
  readonly activity: (mode: ChannelServer.ActivityMode) => Promise<void>
  readonly concludeEngagement: () => Promise<void>
  readonly getQueueStats: (
    request?: typeof ChannelServer.QueueStatsRequest.Type
  ) => Promise<ChannelServer.QueueStatsResponse>
  /** The current session, if any. */
  readonly sessionId: () => string | undefined
  readonly baseUrl: string
}

/**
 * The options a chatAuthenticate result gives: `domain`, `chatSiteName`, `poolId`, `jwt`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const channelServerOptionsOf = (
  result: Pick<ChatAuthResult, "item">
): Pick<ChannelServerClientOptions, "domain" | "chatSiteName" | "poolId" | "jwt"> => ({
  domain: result.item.domain,
  chatSiteName: result.item.chatSiteName,
  poolId: result.item.poolId,
  jwt: result.item.jwt
})

const settle = <A>(effect: Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) throw failure.value
    throw Cause.squash(exit.cause)
  })

/**
 * Creates a Promise client. Throws a `TypeError` at once for invalid options (never with the token).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createChannelServerClient = (options: PromiseChannelServerClientOptions): PromiseChannelServerClient => {
  const { fetch, ...rest } = options
  const checked = resolveOptions(rest)
  if (Either.isLeft(checked)) throw new TypeError(`createChannelServerClient: ${checked.left}`)
  const service: ChannelServerClient.Service = Effect.runSync(
    makeChannelServerClient(rest).pipe(
      Effect.provide(FetchHttpClient.layer),
      fetch === undefined ? (self) => self : Effect.provideService(FetchHttpClient.Fetch, fetch)
    )
  )
  return {
    baseUrl: service.baseUrl,
    sessionId: () => Option.getOrUndefined(Effect.runSync(service.sessionId)),
    requestEngagement: (request) => settle(service.requestEngagement(request)),
    postMessage: (body) => settle(service.postMessage(body)),
    getMessages: () => settle(service.getMessages()),
    activity: (mode) => settle(service.activity(mode)),
    concludeEngagement: () => settle(service.concludeEngagement()),
    getQueueStats: (request) => settle(service.getQueueStats(request))
  }
}

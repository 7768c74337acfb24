/**
 * A Channel Server emulator: the consumer half of Oracle's chat journey, served on the chatAuthenticate server's own
 * listener (`chatauth serve --channel-server`), so that a client can take a chatAuthenticate answer and chat, offline.
 *
 * `POST /engagement/api/consumer/{chatSiteName}/v1/{operation}` for every site of the routing config:
 * - `requestEngagement?pool={poolId}` checks the Bearer token with core's `TokenVerifier` against the server's own
 *   keys (RS256 only, known `kid`, signature, `iss`, `aud` =
 *   `https://{domain}/engagement/api/consumer/{chatSiteName}` with this site's configured domain, `exp`/`iat` with
 *   the clock tolerance) and opens a session bound to the token's `sub`;
 * - `postMessage`, `getMessages`, `activity`, `concludeEngagement` name the session in the `SessionId` header;
 * - `getQueueStats` needs a valid token only.
 *
 * Decisions where Oracle is silent (also in the README):
 * - a follow-up presenting the token that opened the session is accepted after the token expires (Oracle's sample
 *   polls with one token for the whole chat); any other token must verify in full and carry the session's `sub`;
 * - no Authorization header is a 401 with `WWW-Authenticate: Bearer`; a header that is not `Bearer <token>` and any
 *   rejected token are a 403 whose body names the reason;
 * - the consumer's own messages are not echoed by `getMessages`; each message is delivered once, with a
 *   `sequenceNumber`;
 * - an unknown, expired or concluded session is a 404; a full session store is a 503.
 *
 * @example
 * import { ChannelServerEmulator } from "@chatauth/server"
 *
 * ChannelServerEmulator.matchPath("/engagement/api/consumer/site-a/v1/getMessages")
 * // { chatSiteName: "site-a", operation: "getMessages" }
 *
 * @since 0.1.0
 */
import { ChannelServer, KeyStore, TokenIssuer, TokenVerifier } from "@chatauth/core"
import { type Clock, Context, Duration, Effect, Either, Layer } from "effect"
import { defaultEmulatorConfig } from "../config/EmulatorConfig.js"
import type { ChannelServer as Site, RoutingConfig } from "../config/RoutingConfig.js"
import type { WireRequest, WireResponse } from "../issue/ChatAuthenticateHandler.js"
import type { FaultInjectionService } from "./FaultInjection.js"
import { advance, consumerPosted, makeSessionStore, sameToken, type Session } from "./internal/sessions.js"
import { header, json, queryParam, readJsonObject, refusal } from "./internal/wire.js"

/**
 * The longest message a consumer may post, in characters.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_MESSAGE_LENGTH = 10_000

/**
 * @since 0.1.0
 * @category models
 */
export interface EmulatorOptions {
  /** The sites (and the optional `channelServerEmulator` section). */
  readonly config: RoutingConfig
  /** Accepted `iss` (default "Fusion Apps"). */
  readonly issuer?: string | undefined
  /** Clock tolerance of the token checks, seconds (default 30). */
  readonly clockToleranceSeconds?: number | undefined
  /** Fault injection and time travel, when the server runs with `--faults`. */
  readonly faults?: FaultInjectionService | undefined
}

/**
 * The path's site and operation, when it is a consumer API path.
 *
 * @since 0.1.0
 * @category parsing
 */
export const matchPath = ChannelServer.matchOperationPath

const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/

const isOperation = (name: string): name is ChannelServer.Operation =>
  (ChannelServer.OPERATIONS as ReadonlyArray<string>).includes(name)

/**
 * @since 0.1.0
 * @category models
 */
export interface ChannelServerEmulatorService {
  /** Answers any request on a consumer API path. Never fails. `drop` closes the connection (a fault). */
  readonly handle: (request: WireRequest, drop: () => void) => Effect.Effect<WireResponse>
  /** Sessions held now. */
  readonly sessionCount: () => number
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: EmulatorOptions
): Effect.Effect<ChannelServerEmulatorService, never, KeyStore.KeyStore> =>
  Effect.gen(function*() {
    const keys = yield* KeyStore.KeyStore
    const settings = options.config.channelServerEmulator ?? defaultEmulatorConfig
    const script = settings.agent
    const faults = options.faults
    const clock: Clock.Clock = faults?.clock ?? (yield* Effect.clock)
    const sites = new Map<string, Site>(options.config.channelServers.map((site) => [site.chatSiteName, site]))
    const sessions = makeSessionStore({
      maxSessions: settings.maxSessions,
      idleMillis: settings.sessionIdleSeconds * 1000
    })

    // One verifier per published key set: rebuilt when the keys change (rotation, a reload from the store).
    let cached: { readonly jwks: unknown; readonly verifier: TokenVerifier.TokenVerifier.Service } | undefined
    const verifier = Effect.flatMap(keys.jwks, (jwks) =>
      cached !== undefined && cached.jwks === jwks
        ? Effect.succeed(cached.verifier)
        : Effect.map(
          Effect.orDie(TokenVerifier.make({
            jwks,
            algorithms: ["RS256"],
            ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
            ...(options.clockToleranceSeconds === undefined
              ? {}
              : { clockToleranceSeconds: options.clockToleranceSeconds })
          })),
          (built) => {
            cached = { jwks, verifier: built }
            return built
          }
        ))

    const verify = (token: string, site: Site) =>
      Effect.flatMap(verifier, (v) =>
        v.verify(token, { audience: TokenIssuer.audienceFor(site.domain, site.chatSiteName) }).pipe(
          Effect.withClock(clock),
          Effect.either
        ))

    const rejected = (error: TokenVerifier.TokenRejected) =>
      refusal(403, `the validation on the JWT failed: ${error.message}`, { reason: error.reason })

    const bearerOf = (request: WireRequest): Either.Either<string, WireResponse> => {
      const value = header(request, "authorization")
      if (value === undefined || value.trim() === "") {
        return Either.left(refusal(401, "a Bearer token is required", {
          reason: "missing",
          close: true,
          headers: { "www-authenticate": "Bearer realm=\"channel-server\"" }
        }))
      }
      const match = BEARER.exec(value.trim())
      if (match === null) {
        return Either.left(
          refusal(403, "the validation on the JWT failed: the Authorization header is not \"Bearer <jwt>\"", {
            reason: "malformed",
            close: true
          })
        )
      }
      return Either.right(match[1])
    }

    const requestEngagement = (
      request: WireRequest,
      site: Site,
      token: string,
      body: Record<string, unknown>
    ): Effect.Effect<WireResponse> =>
      Effect.map(verify(token, site), (verified) => {
        if (Either.isLeft(verified)) {
          return rejected(verified.left)
        }
        const poolId = queryParam(request.query, "pool")
        if (poolId === undefined || poolId === "") {
          return refusal(400, "the pool query parameter is required")
        }
        if (
          !site.pools.some((pool) =>
            pool.id === poolId
          )
        ) {
          return refusal(400, `${JSON.stringify(poolId)} is not a pool of the site ${site.chatSiteName}`)
        }
        const { clientRequestTime, clientTransactionId } = body
        if (clientRequestTime !== undefined && typeof clientRequestTime !== "string") {
          return refusal(400, "clientRequestTime must be a string")
        }
        if (clientTransactionId !== undefined && !Number.isSafeInteger(clientTransactionId)) {
          return refusal(400, "clientTransactionId must be an integer")
        }
        const now = clock.unsafeCurrentTimeMillis()
        const session = sessions.create({
          chatSiteName: site.chatSiteName,
          poolId,
          sub: verified.right.claims.sub,
          token,
          joinAt: now + script.joinAfterSeconds * 1000,
          now
        })
        if (session === undefined) {
          return refusal(503, "the emulator holds its maximum of sessions", { headers: { "retry-after": "5" } })
        }
        session.queue.push({
          messageName: ChannelServer.MessageName.waitInformationChanged,
          sequenceNumber: ++session.sequence,
          createdTime: new Date(now).toISOString(),
          engagementId: session.engagementId,
          senderType: "SYSTEM",
          position: sessions.waiting(site.chatSiteName, now),
          positionString: String(sessions.waiting(site.chatSiteName, now)),
          expectedWaitTimeSeconds: script.joinAfterSeconds,
          averageWaitTimeSecondsString: String(script.joinAfterSeconds)
        })
        const answer: ChannelServer.RequestEngagementResponse = {
          engagementId: session.engagementId,
          engagementIdString: String(session.engagementId),
          sessionId: session.sessionId,
          clientId: session.clientId,
          clientIdString: String(session.clientId),
          clientRequestTime: (clientRequestTime as string | undefined) ?? null,
          clientTransactionId: (clientTransactionId as number | undefined) ?? null,
          resultType: "SUCCESS",
          cancelledSurveyAuth: null,
          cancelledSurveyId: null,
          cancelledSurveyIdString: null
        }
        return json(200, answer)
      })

    const queueStats = (site: Site, token: string): Effect.Effect<WireResponse> =>
      Effect.map(verify(token, site), (verified) => {
        if (Either.isLeft(verified)) return rejected(verified.left)
        const answer: ChannelServer.QueueStatsResponse = {
          totalAvailableAgents: 1,
          engagementsInQueue: sessions.waiting(site.chatSiteName, clock.unsafeCurrentTimeMillis()),
          expectedWaitTimeSeconds: script.joinAfterSeconds
        }
        return json(200, answer)
      })

    // The session named by the SessionId header, checked against the token presented.
    const sessionOf = (
      request: WireRequest,
      site: Site,
      token: string
    ): Effect.Effect<Either.Either<Session, WireResponse>> => {
      const sessionId = header(request, "sessionid")
      if (sessionId === undefined || sessionId.trim() === "") {
        return Effect.succeed(Either.left(refusal(400, "the SessionId header is required")))
      }
      const session = sessions.touch(sessionId.trim(), clock.unsafeCurrentTimeMillis())
      if (session === undefined || session.chatSiteName !== site.chatSiteName) {
        return Effect.succeed(Either.left(refusal(404, "no such session (unknown, concluded or expired)")))
      }
      const pool = queryParam(request.query, "pool")
      if (pool !== undefined && pool !== session.poolId) {
        return Effect.succeed(Either.left(refusal(400, `the session is in the pool ${JSON.stringify(session.poolId)}`)))
      }
      if (sameToken(session, token)) return Effect.succeed(Either.right(session))
      return Effect.map(verify(token, site), (verified) => {
        if (Either.isLeft(verified)) return Either.left(rejected(verified.left))
        if (verified.right.claims.sub !== session.sub) {
          return Either.left(refusal(403, "the token's subject does not own this session", { reason: "subject" }))
        }
        return Either.right(session)
      })
    }

    const followUp = (
      operation: ChannelServer.Operation,
      session: Session,
      body: Record<string, unknown>
    ): WireResponse => {
      const now = clock.unsafeCurrentTimeMillis()
      advance(session, script, now)
      switch (operation) {
        case "getMessages": {
          const answer: ChannelServer.GetMessagesResponse = { systemMessages: session.queue.splice(0) }
          return json(200, answer)
        }
        case "postMessage": {
          if (session.concluded) return refusal(404, "the engagement has concluded")
          const text = body.body
          if (typeof text !== "string" || text.trim() === "") return refusal(400, "body must be a non-empty string")
          if (text.length > MAX_MESSAGE_LENGTH) {
            return refusal(400, `body must be at most ${MAX_MESSAGE_LENGTH} characters`)
          }
          consumerPosted(session, script, text, now)
          session.messageCount += 1
          const messageId = session.engagementId * 1000 + session.messageCount
          const answer: ChannelServer.PostMessageResponse = {
            messageId,
            messageIdString: String(messageId),
            createdTime: new Date(now).toISOString()
          }
          return json(200, answer)
        }
        case "activity": {
          if (body.mode !== "RESPONDING" && body.mode !== "LISTENING") {
            return refusal(400, "mode must be RESPONDING or LISTENING")
          }
          return json(200, {})
        }
        default: {
          sessions.remove(session.sessionId)
          return json(200, {
            engagementId: session.engagementId,
            engagementIdString: String(session.engagementId),
            resultType: "SUCCESS"
          })
        }
      }
    }

    const serve = (request: WireRequest, site: Site, operation: ChannelServer.Operation) => {
      const bearer = bearerOf(request)
      if (Either.isLeft(bearer)) return Effect.succeed(bearer.left)
      const token = bearer.right
      return Effect.flatMap(readJsonObject(request), (body): Effect.Effect<WireResponse> => {
        if (Either.isLeft(body)) return Effect.succeed(body.left)
        if (operation === "requestEngagement") return requestEngagement(request, site, token, body.right)
        if (operation === "getQueueStats") return queueStats(site, token)
        return Effect.map(
          sessionOf(request, site, token),
          Either.match({ onLeft: (answer) => answer, onRight: (session) => followUp(operation, session, body.right) })
        )
      })
    }

    const handle = (request: WireRequest, drop: () => void): Effect.Effect<WireResponse> => {
      const target = matchPath(request.path)
      const site = target === undefined ? undefined : sites.get(target.chatSiteName)
      if (target === undefined || site === undefined) {
        return Effect.succeed(refusal(404, "no such Channel Server site"))
      }
      if (!isOperation(target.operation)) {
        return Effect.succeed(refusal(404, `no such operation ${JSON.stringify(target.operation)}`))
      }
      if (request.method !== "POST") {
        return Effect.succeed(refusal(405, "only POST is allowed", { headers: { allow: "POST" } }))
      }
      const operation = target.operation
      const fault = faults?.take(operation)
      if (fault === undefined) return serve(request, site, operation)
      switch (fault.kind) {
        case "status":
          return Effect.succeed(refusal(fault.status, "injected fault", {
            close: true,
            ...(fault.status === 403 ? { reason: "injected" } : {}),
            ...(fault.retryAfterSeconds === undefined
              ? {}
              : { headers: { "retry-after": String(fault.retryAfterSeconds) } })
          }))
        case "delay":
          return Effect.zipRight(Effect.sleep(Duration.millis(fault.delayMs)), serve(request, site, operation))
        case "drop":
          return Effect.zipRight(Effect.sync(drop), Effect.never)
      }
    }

    return { handle, sessionCount: sessions.size }
  })

/**
 * The emulator service (present only when the server runs with `--channel-server`).
 *
 * @since 0.1.0
 * @category services
 */
export class ChannelServerEmulator extends Context.Tag("@chatauth/server/ChannelServerEmulator")<
  ChannelServerEmulator,
  ChannelServerEmulatorService
>() {
  /**
   * @since 0.1.0
   */
  static readonly layer = (options: EmulatorOptions): Layer.Layer<ChannelServerEmulator, never, KeyStore.KeyStore> =>
    Layer.effect(ChannelServerEmulator, make(options))
}

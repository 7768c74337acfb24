/**
 * What a successful chatAuthenticate gives a caller: the decoded item, and what it needs next to open the chat —
 * the token's (unverified) claims and expiry, the parsed `mediaList`, and the Channel Server's engagement URL.
 *
 * @example
 * import { createChatAuthClient } from "@chatauth/client"
 *
 * const result = await createChatAuthClient({ baseUrl, username, password }).authenticate({ authUserName: "jane" })
 * await fetch(result.engagementUrl, { method: "POST", headers: { authorization: `Bearer ${result.item.jwt}` } })
 *
 * @since 0.1.0
 */
import type { ChatAuthenticate } from "@chatauth/core"
import { MediaList, TokenIssuer } from "@chatauth/core"
import { Either } from "effect"
import { InvalidResponse } from "./ChatAuthClientError.js"
import * as UnverifiedToken from "./UnverifiedToken.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ChatAuthResult {
  /** The answer as decoded: the request echoed, with `chatSiteName`, `domain`, `poolId`, `jwt` and maybe `links`. */
  readonly item: ChatAuthenticate.ChatAuthenticateItem
  /** The token's header, read WITHOUT verifying the signature. */
  readonly unverifiedTokenHeader: UnverifiedToken.UnverifiedTokenHeader
  /** The token's claims, read WITHOUT verifying the signature: for display and timing, not for trust. */
  readonly unverifiedTokenClaims: UnverifiedToken.UnverifiedTokenClaims
  /** When the token stops being accepted (its `exp`, unverified). */
  readonly tokenExpiresAt: Date
  /** The echoed `mediaList`, parsed leniently (unknown error codes kept); `undefined` when absent or null. */
  readonly mediaList: MediaList.MediaList | undefined
  /** `https://<domain>/engagement/api/consumer/<chatSiteName>/v1/requestEngagement?pool=<poolId>` */
  readonly engagementUrl: string
}

/**
 * The Channel Server URL the token is presented to (`Authorization: Bearer <jwt>`), pool URL-encoded
 * (`452:2` → `452%3A2`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const engagementUrl = (
  item: { readonly domain: string; readonly chatSiteName: string; readonly poolId: string }
): string =>
  `${TokenIssuer.audienceFor(item.domain, item.chatSiteName)}/v1/requestEngagement?pool=${
    encodeURIComponent(item.poolId)
  }`

/**
 * Builds the result from a decoded item. Fails when the item cannot be used: a `jwt` that is not a chat token, or
 * an echoed `mediaList` that does not parse.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromItem = (
  item: ChatAuthenticate.ChatAuthenticateItem,
  status = 201
): Either.Either<ChatAuthResult, InvalidResponse> =>
  Either.gen(function*() {
    const token = yield* Either.mapLeft(
      UnverifiedToken.decode(item.jwt),
      (reason) => new InvalidResponse({ status, reason: `the jwt cannot be read: ${reason}` })
    )
    const mediaList = item.mediaList === undefined || item.mediaList === null
      ? undefined
      : yield* Either.mapLeft(
        MediaList.decode(item.mediaList),
        (error) => new InvalidResponse({ status, reason: `the echoed mediaList does not parse: ${error.message}` })
      )
    return {
      item,
      unverifiedTokenHeader: token.header,
      unverifiedTokenClaims: token.claims,
      tokenExpiresAt: UnverifiedToken.expiresAt(token.claims),
      mediaList,
      engagementUrl: engagementUrl(item)
    }
  })

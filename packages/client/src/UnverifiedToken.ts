/**
 * Reads the header and claims of the chat token WITHOUT verifying its signature.
 *
 * The client is not the token's audience: the Channel Server verifies it. The caller only needs to know what it
 * carries (who, for which chat site, until when) to pass it on in time, so nothing read here may be trusted for an
 * authorization decision. Verify with `TokenVerifier` from `@chatauth/core` for that.
 *
 * @example
 * import { UnverifiedToken } from "@chatauth/client"
 * import { Either } from "effect"
 *
 * const decoded = UnverifiedToken.decode(jwt)
 * if (Either.isRight(decoded)) {
 *   decoded.right.claims.sub // the authUserName, as the issuer claims it: not verified
 * }
 *
 * @since 0.1.0
 */
import { TokenIssuer } from "@chatauth/core"
import { Either, Encoding, ParseResult, Schema } from "effect"

/**
 * The protected header of the token, as Oracle's issuer writes it (`alg`, `typ`, `x5t`, `kid`); other members are
 * kept out of the type but do not fail the decoding.
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnverifiedTokenHeader = Schema.Struct({
  alg: Schema.String,
  typ: Schema.optional(Schema.String),
  kid: Schema.optional(Schema.String),
  x5t: Schema.optional(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export interface UnverifiedTokenHeader extends Schema.Schema.Type<typeof UnverifiedTokenHeader> {}

/**
 * The claims of the chat token (`exp`, `sub`, `aud`, `iss`, `prn`, `iat`), not verified.
 *
 * @since 0.1.0
 * @category models
 */
export type UnverifiedTokenClaims = TokenIssuer.ChatTokenClaims

/**
 * A token read without verification.
 *
 * @since 0.1.0
 * @category models
 */
export interface UnverifiedToken {
  readonly header: UnverifiedTokenHeader
  readonly claims: UnverifiedTokenClaims
}

const decodeHeader = Schema.decodeUnknownEither(Schema.parseJson(UnverifiedTokenHeader))
const decodeClaims = Schema.decodeUnknownEither(Schema.parseJson(TokenIssuer.ChatTokenClaims))

const part = (segment: string, name: string): Either.Either<string, string> =>
  Either.mapLeft(Encoding.decodeBase64UrlString(segment), () => `its ${name} is not base64url`)

const explain = (name: string) => (error: ParseResult.ParseError): string =>
  `its ${name} is not what a chat token holds: ${ParseResult.TreeFormatter.formatErrorSync(error)}`

/**
 * Decodes a compact JWS's header and claims, checking their shape but NOT the signature. The error is a sentence
 * saying what is wrong.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (jwt: string): Either.Either<UnverifiedToken, string> => {
  const segments = jwt.split(".")
  if (segments.length !== 3) return Either.left("it is not a compact JWT (three dot-separated parts)")
  return Either.gen(function*() {
    const header = yield* Either.flatMap(
      part(segments[0], "header"),
      (json) => Either.mapLeft(decodeHeader(json), explain("header"))
    )
    const claims = yield* Either.flatMap(
      part(segments[1], "payload"),
      (json) => Either.mapLeft(decodeClaims(json), explain("payload"))
    )
    return { header, claims }
  })
}

/**
 * When the token expires (`exp`, seconds since the epoch), as a `Date`.
 *
 * @since 0.1.0
 * @category getters
 */
export const expiresAt = (claims: UnverifiedTokenClaims): Date => new Date(claims.exp * 1000)

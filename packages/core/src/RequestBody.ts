/**
 * Reading a chatAuthenticate request body off the wire: the media type, the size limit and the JSON parse, with
 * Oracle's quirk that `HttpApi` cannot express — the reference's own cURL command sends its JSON as
 * `application/x-www-form-urlencoded`, and it must work as written (spec §3).
 *
 * @example
 * import { RequestBody } from "@chatauth/core"
 *
 * RequestBody.parse({ contentType: "application/x-www-form-urlencoded", body: "{\"authUserName\":\"a\"}" })
 * // Either.right({ authUserName: "a" })
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from "./Errors.js"
import { essence, JSON_REQUEST_TYPES } from "./MediaTypes.js"

/**
 * The largest body the service reads (spec §2).
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_BODY_BYTES = 64 * 1024

/**
 * The media type curl sends for `-d` without `-H "Content-Type: …"`.
 *
 * @since 0.1.0
 * @category constants
 */
export const CURL_DEFAULT_TYPE = "application/x-www-form-urlencoded"

/**
 * Whether a request media type may carry the body: JSON, Oracle's item type, curl's default (if the body turns out to
 * be a JSON object) or none at all (likewise).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isAcceptableType = (contentType: string | undefined): boolean => {
  const type = essence(contentType)
  return type === "" || type === CURL_DEFAULT_TYPE || JSON_REQUEST_TYPES.includes(type)
}

/**
 * Checks the media type before the body is read, so a wrong type is refused without reading it.
 *
 * @since 0.1.0
 * @category validation
 */
export const checkType = (contentType: string | undefined): Either.Either<void, UnsupportedMediaType> =>
  isAcceptableType(contentType)
    ? Either.void
    : Either.left(UnsupportedMediaType.mediaType(essence(contentType)))

// `fatal`: a byte sequence that is not UTF-8 is an error, never silently U+FFFD (which would reach the token's `sub`).
const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * Decodes the body's bytes as UTF-8 (a leading byte order mark is dropped); bytes that are not UTF-8 are a 400.
 *
 * @since 0.2.0
 * @category parsing
 */
export const decodeText = (bytes: Uint8Array): Either.Either<string, BadRequest> => {
  try {
    return Either.right(utf8.decode(bytes))
  } catch {
    return Either.left(BadRequest.body("The request body is not valid UTF-8.", "CHATAUTH-BODY-ENCODING"))
  }
}

/**
 * Parses a body already read (at most {@link MAX_BODY_BYTES}): bytes as read off the wire (decoded with
 * {@link decodeText}), or text. A body sent under curl's default type or no type is accepted only when it parses as a
 * JSON object; otherwise 415, as for any other media type.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (request: {
  readonly contentType: string | undefined
  readonly body: string | Uint8Array
}): Either.Either<unknown, BadRequest | UnsupportedMediaType | PayloadTooLarge> => {
  const type = essence(request.contentType)
  if (!isAcceptableType(request.contentType)) return Either.left(UnsupportedMediaType.mediaType(type))
  const size = typeof request.body === "string" ? Buffer.byteLength(request.body, "utf8") : request.body.byteLength
  if (size > MAX_BODY_BYTES) {
    return Either.left(PayloadTooLarge.limit(MAX_BODY_BYTES))
  }
  let text: string
  if (typeof request.body === "string") {
    text = request.body
  } else {
    const decoded = decodeText(request.body)
    if (Either.isLeft(decoded)) return decoded
    text = decoded.right
  }
  const declaredJson = JSON_REQUEST_TYPES.includes(type)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return Either.left(
      declaredJson
        ? BadRequest.body("The request body is not valid JSON.", "CHATAUTH-JSON-INVALID")
        : UnsupportedMediaType.mediaType(type === "" ? "(none)" : type)
    )
  }
  if (!declaredJson && (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))) {
    return Either.left(UnsupportedMediaType.mediaType(type === "" ? "(none)" : type))
  }
  return Either.right(parsed)
}

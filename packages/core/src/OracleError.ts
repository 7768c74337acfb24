/**
 * Oracle's error bodies, rendered for the caller's `REST-Framework-Version` and parsed back.
 *
 * Versions 1 to 3 answer a plain-text message; versions 4 and later answer `application/vnd.oracle.adf.error+json`
 * `{ title, status (a string), o:errorDetails: [{ detail, o:errorCode, o:errorPath }] }` (spec §3). `HttpApi` can only
 * describe one encoding per error, so the contract declares the JSON form and this module keeps the quirk: the server
 * renders every error through {@link render}, and the client parses either form through {@link parse}.
 *
 * @example
 * import { Errors, OracleError } from "@chatauth/core"
 *
 * const rendered = OracleError.render(Errors.BadRequest.attribute("resumeType", "must be RESUME or DO_NOT_RESUME"), 4)
 * rendered.status // 400
 * rendered.headers["content-type"] // "application/vnd.oracle.adf.error+json"
 * OracleError.parse({ status: 400, contentType: rendered.headers["content-type"], body: rendered.body })
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import {
  AdfErrorBody,
  BadRequest,
  type ChatAuthError,
  detailsFromAdfBody,
  errorClassByStatus,
  type ErrorDetail,
  type ServiceUnavailable,
  toAdfBody,
  TooManyRequests
} from "./Errors.js"
import { ADF_ERROR_JSON, isJson } from "./MediaTypes.js"
import { STATUS_TITLES } from "./Resource.js"

/**
 * The header that selects the REST framework version.
 *
 * @since 0.1.0
 * @category constants
 */
export const FRAMEWORK_VERSION_HEADER = "rest-framework-version"

/**
 * The version assumed when a caller sends none (spec §3).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_FRAMEWORK_VERSION = 1

/**
 * The highest version the framework defines.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_FRAMEWORK_VERSION = 9

/**
 * Reads `REST-Framework-Version`: absent means 1; anything but a whole number from 1 to 9 is a 400.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseFrameworkVersion = (header: string | undefined | null): Either.Either<number, BadRequest> => {
  if (header === undefined || header === null) return Either.right(DEFAULT_FRAMEWORK_VERSION)
  const trimmed = header.trim()
  if (/^[1-9]$/.test(trimmed)) return Either.right(Number(trimmed))
  return Either.left(
    BadRequest.body(
      `The header REST-Framework-Version must be a whole number from 1 to ${MAX_FRAMEWORK_VERSION}.`,
      "CHATAUTH-FRAMEWORK-VERSION"
    )
  )
}

/**
 * The version to render an error in when the caller's header itself is invalid: the JSON form, so that a caller who
 * asked for a version it cannot have still gets a machine-readable answer.
 *
 * @since 0.1.0
 * @category constants
 */
export const FALLBACK_FRAMEWORK_VERSION = 4

/**
 * An error ready to write to the wire.
 *
 * @since 0.1.0
 * @category models
 */
export interface RenderedError {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RenderOptions {
  /** The realm of `WWW-Authenticate: Basic realm="…"` on a 401. */
  readonly realm?: string
  /** The methods listed by `Allow` on a 405. */
  readonly allow?: string
}

const plainText = (error: ChatAuthError | ServiceUnavailable): string => error.details.map((d) => d.detail).join("\n")

// A realm is written inside a quoted string: keep it to characters that cannot end the quotes or the header.
const quoteRealm = (realm: string): string => realm.replace(/[^\x20-\x7e]|["\\]/g, "")

/**
 * Renders an error for a framework version: plain text for 1–3, ADF JSON for 4–9. A version outside 1–9 is answered
 * in the JSON form. Adds `WWW-Authenticate` to a 401, `Allow` to a 405 and `Retry-After` to a 429 and a 503.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (
  error: ChatAuthError | ServiceUnavailable,
  frameworkVersion: number,
  options: RenderOptions = {}
): RenderedError => {
  const headers: Record<string, string> = {}
  let body: string
  if (frameworkVersion >= 1 && frameworkVersion <= 3) {
    headers["content-type"] = "text/plain; charset=utf-8"
    body = plainText(error)
  } else {
    headers["content-type"] = ADF_ERROR_JSON
    body = JSON.stringify(toAdfBody(error))
  }
  switch (error._tag) {
    case "Unauthorized":
      headers["www-authenticate"] = `Basic realm="${quoteRealm(options.realm ?? "chatauth")}", charset="UTF-8"`
      break
    case "MethodNotAllowed":
      headers["allow"] = options.allow ?? "POST"
      break
    case "TooManyRequests":
    case "ServiceUnavailable":
      headers["retry-after"] = String(error.retryAfterSeconds ?? 1)
      break
  }
  return { status: error.status, headers, body }
}

/**
 * An error as a client reads it, from either form.
 *
 * @since 0.1.0
 * @category models
 */
export interface ParsedError {
  readonly status: number
  readonly title: string
  readonly details: ReadonlyArray<ErrorDetail>
  /** The form the body came in. */
  readonly form: "json" | "text"
}

const decodeAdf = Schema.decodeUnknownEither(Schema.parseJson(AdfErrorBody))

/**
 * Parses an error answer, whatever its form: ADF JSON when the body is one (whatever the declared type, since proxies
 * relabel bodies), plain text otherwise. Never throws.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (response: {
  readonly status: number
  readonly contentType?: string | undefined
  readonly body: string
}): ParsedError => {
  const trimmed = response.body.trim()
  if (isJson(response.contentType) || trimmed.startsWith("{")) {
    const adf = decodeAdf(trimmed)
    if (Either.isRight(adf)) {
      return { status: response.status, title: adf.right.title, details: detailsFromAdfBody(adf.right), form: "json" }
    }
  }
  const title = STATUS_TITLES[response.status] ?? `HTTP ${response.status}`
  const lines = trimmed === "" ? [title] : trimmed.split(/\r?\n/).filter((line) => line.trim() !== "")
  return { status: response.status, title, details: lines.map((line) => ({ detail: line, code: "" })), form: "text" }
}

/**
 * The tagged error for a parsed answer, when its status is one the endpoint defines.
 *
 * @since 0.1.0
 * @category parsing
 */
export const toError = (parsed: ParsedError, retryAfterSeconds?: number): ChatAuthError | undefined => {
  if (parsed.status === 429) {
    return new TooManyRequests(
      retryAfterSeconds === undefined ? { details: parsed.details } : { details: parsed.details, retryAfterSeconds }
    )
  }
  const ErrorClass = errorClassByStatus.get(parsed.status)
  return ErrorClass === undefined ? undefined : new ErrorClass({ details: parsed.details })
}

/**
 * Reads a `Retry-After` header: delay seconds or an HTTP date (relative to `now`, in epoch ms).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter = (header: string | undefined | null, now: number): number | undefined => {
  if (header === undefined || header === null) return undefined
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed)
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

/**
 * Every way a call to chatAuthenticate can fail, as tagged errors a caller can `Effect.catchTag` one by one.
 *
 * The statuses the contract defines come back as core's own errors (`BadRequest`, `Unauthorized`, `Forbidden`,
 * `NotFound`, `MethodNotAllowed`, `PayloadTooLarge`, `UnsupportedMediaType`, `TooManyRequests`), so client and server
 * share one vocabulary; what only a client can meet (a 5xx, another status, a timeout, a network failure, an answer
 * that is not the documented item, a request that cannot be sent) has its own error here.
 *
 * None of them ever holds the caller's password: errors carry the server's words and our own, never the request.
 *
 * @example
 * import { attributesOf, ChatAuthClient } from "@chatauth/client"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function*() {
 *   const client = yield* ChatAuthClient
 *   return yield* client.authenticate({ authUserName: "jane@example.com" })
 * }).pipe(
 *   Effect.catchTag("BadRequest", (e) => Effect.fail(`refused: ${attributesOf(e).join(", ")}`)),
 *   Effect.catchTag("TooManyRequests", (e) => Effect.fail(`locked out for ${e.retryAfterSeconds} s`))
 * )
 *
 * @since 0.1.0
 */
import { ChatAuthenticate, Errors } from "@chatauth/core"
import { Predicate, Schema } from "effect"
import { BODY_EXCERPT_LIMIT, firstLine } from "./internal/text.js"

/**
 * The answer was a server error (5xx). `body` is the text the server sent, cut to {@link MAX_BODY_EXCERPT}
 * characters (a proxy's HTML page is kept as text).
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  status: Schema.Number,
  body: Schema.String
}) {
  override get message(): string {
    return `The server answered ${this.status}${this.body === "" ? "" : `: ${firstLine(this.body)}`}`
  }
}

/**
 * The answer had a status this endpoint never answers with (for example 409 or 422 from a gateway).
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedStatus extends Schema.TaggedError<UnexpectedStatus>()("UnexpectedStatus", {
  status: Schema.Number,
  body: Schema.String
}) {
  override get message(): string {
    return `Unexpected status ${this.status}${this.body === "" ? "" : `: ${firstLine(this.body)}`}`
  }
}

/**
 * One attempt took longer than the client's `timeout`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestTimeout extends Schema.TaggedError<RequestTimeout>()("RequestTimeout", {
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `No complete answer within ${this.timeoutMillis} ms`
  }
}

/**
 * The request could not be sent or the answer could not be read: refused connection, unknown host, reset socket.
 * `reason` is the transport's own description (it never holds the request's headers). `plainHttp` is `true` when
 * the server answered the TLS handshake in plain HTTP — an `https` URL for an http server (OpenSSL's "wrong version
 * number"): the URL needs `http`, and asking again will not help.
 *
 * @since 0.1.0
 * @category errors
 */
export class NetworkError extends Schema.TaggedError<NetworkError>()("NetworkError", {
  reason: Schema.String,
  plainHttp: Schema.optional(Schema.Boolean)
}) {
  override get message(): string {
    return `Network failure: ${this.reason}`
  }
}

/**
 * The server said yes, but its answer is not a chatAuthenticate item the client can use (not JSON, a mandatory
 * attribute missing, a `jwt` that is not a JWT, a status other than 201).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidResponse extends Schema.TaggedError<InvalidResponse>()("InvalidResponse", {
  status: Schema.Number,
  reason: Schema.String,
  body: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `Invalid answer (status ${this.status}): ${this.reason}`
  }
}

/**
 * The request was not sent because it cannot be: an attribute the resource does not have, a value that is not a
 * string, an integer or null, a missing `authUserName`. (The values themselves are judged by the server.)
 *
 * @since 0.1.0
 * @category errors
 */
export const RequestInvalid = ChatAuthenticate.RequestInvalid

/**
 * @since 0.1.0
 * @category errors
 */
export type RequestInvalid = ChatAuthenticate.RequestInvalid

/**
 * 400, with the attribute(s) at fault in `details[].path` (Oracle's `o:errorPath`).
 *
 * @since 0.1.0
 * @category errors
 */
export const BadRequest = Errors.BadRequest

/**
 * @since 0.1.0
 * @category errors
 */
export type BadRequest = Errors.BadRequest

/**
 * 401: missing or wrong credentials.
 *
 * @since 0.1.0
 * @category errors
 */
export const Unauthorized = Errors.Unauthorized

/**
 * @since 0.1.0
 * @category errors
 */
export type Unauthorized = Errors.Unauthorized

/**
 * 403: the caller lacks `SVC_REQUEST_FOR_CHAT_PRIV`.
 *
 * @since 0.1.0
 * @category errors
 */
export const Forbidden = Errors.Forbidden

/**
 * @since 0.1.0
 * @category errors
 */
export type Forbidden = Errors.Forbidden

/**
 * 404: no such resource (a wrong base URL or base path).
 *
 * @since 0.1.0
 * @category errors
 */
export const NotFound = Errors.NotFound

/**
 * @since 0.1.0
 * @category errors
 */
export type NotFound = Errors.NotFound

/**
 * 405: the method is not allowed.
 *
 * @since 0.1.0
 * @category errors
 */
export const MethodNotAllowed = Errors.MethodNotAllowed

/**
 * @since 0.1.0
 * @category errors
 */
export type MethodNotAllowed = Errors.MethodNotAllowed

/**
 * 413: the body is too large.
 *
 * @since 0.1.0
 * @category errors
 */
export const PayloadTooLarge = Errors.PayloadTooLarge

/**
 * @since 0.1.0
 * @category errors
 */
export type PayloadTooLarge = Errors.PayloadTooLarge

/**
 * 415: the server refused the body's media type.
 *
 * @since 0.1.0
 * @category errors
 */
export const UnsupportedMediaType = Errors.UnsupportedMediaType

/**
 * @since 0.1.0
 * @category errors
 */
export type UnsupportedMediaType = Errors.UnsupportedMediaType

/**
 * 429, with `retryAfterSeconds` as the server's `Retry-After` said (when it said).
 *
 * @since 0.1.0
 * @category errors
 */
export const TooManyRequests = Errors.TooManyRequests

/**
 * @since 0.1.0
 * @category errors
 */
export type TooManyRequests = Errors.TooManyRequests

/**
 * Every error of a call.
 *
 * @since 0.1.0
 * @category models
 */
export type ChatAuthClientError =
  | Errors.ChatAuthError
  | ServerError
  | UnexpectedStatus
  | RequestTimeout
  | NetworkError
  | InvalidResponse
  | RequestInvalid

const classes: ReadonlyArray<abstract new(...args: ReadonlyArray<any>) => unknown> = [
  Errors.BadRequest,
  Errors.Unauthorized,
  Errors.Forbidden,
  Errors.NotFound,
  Errors.MethodNotAllowed,
  Errors.PayloadTooLarge,
  Errors.UnsupportedMediaType,
  Errors.TooManyRequests,
  ServerError,
  UnexpectedStatus,
  RequestTimeout,
  NetworkError,
  InvalidResponse,
  ChatAuthenticate.RequestInvalid
]

/**
 * Whether a value is one of the client's errors.
 *
 * @since 0.1.0
 * @category guards
 */
export const isChatAuthClientError = (u: unknown): u is ChatAuthClientError => classes.some((C) => u instanceof C)

/**
 * The union as a value, so that Promise callers can write `err instanceof ChatAuthClientError` (the errors are
 * instances of several classes, core's and the client's, so membership is checked against all of them).
 *
 * @since 0.1.0
 * @category guards
 */
export const ChatAuthClientError: { readonly [Symbol.hasInstance]: (u: unknown) => u is ChatAuthClientError } = {
  [Symbol.hasInstance]: isChatAuthClientError
}

/**
 * Failures worth another attempt: the network, a 502/503/504 (a gateway or an overloaded pod) and a 429. A 500
 * is not among them (a bug does not heal by asking again), nor a timeout (the server may still be working on the
 * first attempt), nor any other 4xx, nor an http server spoken to in TLS.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransientError = (error: ChatAuthClientError): boolean => {
  switch (error._tag) {
    case "NetworkError":
      return error.plainHttp !== true
    case "TooManyRequests":
      return true
    case "ServerError":
      return error.status === 502 || error.status === 503 || error.status === 504
    default:
      return false
  }
}

/**
 * The attributes a 400 names (`o:errorPath`); empty when the server named none (plain-text errors never do).
 *
 * @since 0.1.0
 * @category getters
 */
export const attributesOf = (error: Errors.BadRequest): ReadonlyArray<string> =>
  error.details.flatMap((d) => (Predicate.isString(d.path) && d.path !== "" ? [d.path] : []))

/**
 * The most an error keeps of a body.
 *
 * @since 0.1.0
 * @category constants
 */
export const MAX_BODY_EXCERPT: number = BODY_EXCERPT_LIMIT

/**
 * Every way a call to a Channel Server can fail, as tagged errors. Oracle documents the statuses (400 validation,
 * 403 "the validation on the JWT failed", 404, 408 timeout, 409 dequeued by routing rules, 500); each has its
 * error here, plus what only a client meets (a network failure, an answer it cannot read, a call that needs an
 * engagement before there is one). `ServerError`, `NetworkError` and `InvalidResponse` are the chatAuthenticate
 * client's own classes. No error holds the token.
 *
 * @example
 * import { Effect } from "effect"
 * import { ChannelServerClient } from "@chatauth/client"
 *
 * const open = Effect.flatMap(ChannelServerClient, (chat) => chat.requestEngagement()).pipe(
 *   Effect.catchTag("TokenRejected", (e) => Effect.logError(`token refused: ${e.reason}`)),
 *   Effect.catchTag("Dequeued", () => Effect.logError("routing rules dequeued the chat"))
 * )
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { InvalidResponse, NetworkError, ServerError } from "./ChatAuthClientError.js"
import { firstLine } from "./internal/text.js"

/**
 * 401 or 403: the token was refused (missing, malformed, expired, another site's, tampered, an unknown key, or not
 * the session owner's). `reason` is the server's when it gave one (the emulator does: `expired`, `audience`,
 * `bad_signature`, `unknown_key`, `subject`, …), else `unspecified`.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenRejected extends Schema.TaggedError<TokenRejected>()("TokenRejected", {
  status: Schema.Number,
  reason: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `The Channel Server refused the token (${this.status}, ${this.reason})${
      this.detail === "" ? "" : `: ${firstLine(this.detail)}`
    }`
  }
}

/**
 * 409: the engagement was dequeued by routing rules.
 *
 * @since 0.1.0
 * @category errors
 */
export class Dequeued extends Schema.TaggedError<Dequeued>()("Dequeued", { detail: Schema.String }) {
  override get message(): string {
    return `The engagement was dequeued${this.detail === "" ? "" : `: ${firstLine(this.detail)}`}`
  }
}

/**
 * 408 from the server, or no complete answer within the client's `timeout` (`status` is then absent).
 *
 * @since 0.1.0
 * @category errors
 */
export class Timeout extends Schema.TaggedError<Timeout>()("Timeout", {
  status: Schema.optional(Schema.Literal(408)),
  timeoutMillis: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return this.status === 408
      ? "The Channel Server timed out (408)"
      : `No complete answer from the Channel Server within ${this.timeoutMillis} ms`
  }
}

/**
 * 404: no such site, operation or session (unknown, concluded or expired).
 *
 * @since 0.1.0
 * @category errors
 */
export class EngagementNotFound extends Schema.TaggedError<EngagementNotFound>()("EngagementNotFound", {
  detail: Schema.String
}) {
  override get message(): string {
    return `Not found${this.detail === "" ? "" : `: ${firstLine(this.detail)}`}`
  }
}

/**
 * Any other 4xx (400 "validation failed", 405, 413, 429…), with the server's words and, on a 429, its
 * `Retry-After`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RequestRejected extends Schema.TaggedError<RequestRejected>()("RequestRejected", {
  status: Schema.Number,
  detail: Schema.String,
  retryAfterSeconds: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    return `The Channel Server refused the request (${this.status})${
      this.detail === "" ? "" : `: ${firstLine(this.detail)}`
    }`
  }
}

/**
 * A follow-up (`postMessage`, `getMessages`, `activity`, `concludeEngagement`) before `requestEngagement` gave
 * the client a session: nothing was sent.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotEngaged extends Schema.TaggedError<NotEngaged>()("NotEngaged", { operation: Schema.String }) {
  override get message(): string {
    return `${this.operation} needs an engagement: call requestEngagement first`
  }
}

/**
 * Every error of a Channel Server call.
 *
 * @since 0.1.0
 * @category models
 */
export type ChannelServerError =
  | TokenRejected
  | Dequeued
  | Timeout
  | EngagementNotFound
  | RequestRejected
  | NotEngaged
  | ServerError
  | NetworkError
  | InvalidResponse

const classes = [
  TokenRejected,
  Dequeued,
  Timeout,
  EngagementNotFound,
  RequestRejected,
  NotEngaged,
  ServerError,
  NetworkError,
  InvalidResponse
]

/**
 * Whether a value is one of the Channel Server client's errors (`err instanceof ChannelServerError` works too).
 *
 * @since 0.1.0
 * @category guards
 */
export const isChannelServerError = (u: unknown): u is ChannelServerError => classes.some((C) => u instanceof C)

/**
 * The union as a value, for `instanceof` in Promise code.
 *
 * @since 0.1.0
 * @category guards
 */
export const ChannelServerError: { readonly [Symbol.hasInstance]: (u: unknown) => u is ChannelServerError } = {
  [Symbol.hasInstance]: isChannelServerError
}

/**
 * Worth another attempt, as for chatAuthenticate: the network, a 502/503/504, a 429. A 500, a timeout, a refused
 * token, a dequeued engagement, an http server spoken to in TLS are not.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTransientChannelServerError = (error: ChannelServerError): boolean => {
  switch (error._tag) {
    case "NetworkError":
      return error.plainHttp !== true
    case "RequestRejected":
      return error.status === 429
    case "ServerError":
      return error.status === 502 || error.status === 503 || error.status === 504
    default:
      return false
  }
}

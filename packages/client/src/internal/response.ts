import { OracleError } from "@chatauth/core"
import type { HttpClientError, HttpClientResponse } from "@effect/platform"
import { Clock, Effect } from "effect"
import {
  type ChatAuthClientError,
  InvalidResponse,
  NetworkError,
  ServerError,
  UnexpectedStatus
} from "../ChatAuthClientError.js"
import { excerpt } from "./text.js"

/** The status Oracle answers a created chat authentication with; the only one whose body is the item. */
export const CREATED = 201

// OpenSSL's words when the bytes after a ClientHello are not a TLS record: typically "HTTP/1.1 400" from a server
// that speaks plain HTTP. Node sets the code; other runtimes pass OpenSSL's (or BoringSSL's) message on.
const PLAIN_HTTP_CODES: ReadonlySet<unknown> = new Set([
  "ERR_SSL_WRONG_VERSION_NUMBER",
  "ERR_SSL_PACKET_LENGTH_TOO_LONG"
])
const PLAIN_HTTP_MESSAGE = /wrong version number|packet length too long|WRONG_VERSION_NUMBER/i

/** Whether the transport failed because the server answered the TLS handshake in plain HTTP. */
const isPlainHttpPeer = (error: HttpClientError.HttpClientError): boolean => {
  let cause: unknown = error.cause
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    if (PLAIN_HTTP_CODES.has((cause as { readonly code?: unknown }).code) || PLAIN_HTTP_MESSAGE.test(cause.message)) {
      return true
    }
    cause = cause.cause
  }
  return false
}

/** The `NetworkError` of a transport failure, told apart when it is an http server spoken to in TLS. */
export const networkError = (error: HttpClientError.HttpClientError): NetworkError =>
  isPlainHttpPeer(error)
    ? new NetworkError({
      reason: "the request could not be sent: the server answered in plain HTTP, not TLS (its URL is http, not https)",
      plainHttp: true
    })
    : new NetworkError({ reason: describeTransport(error) })

/** A transport failure in our words: the reason and the causes' messages, never the request (it holds the headers). */
export const describeTransport = (error: HttpClientError.HttpClientError): string => {
  const messages: Array<string> = []
  let cause: unknown = error.cause
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    if (cause.message !== "" && !messages.includes(cause.message)) messages.push(cause.message)
    cause = cause.cause
  }
  const what = error._tag === "RequestError" ? "the request could not be sent" : "the answer could not be read"
  return messages.length === 0 ? `${what} (${error.reason})` : `${what}: ${messages.join(": ")}`
}

/** The typed error for an answer whose status is not 201, from either Oracle error form or whatever a proxy sent. */
export const errorOf = (
  response: HttpClientResponse.HttpClientResponse,
  body: string,
  now: number
): ChatAuthClientError => {
  const status = response.status
  if (status >= 200 && status < 300) {
    return new InvalidResponse({ status, reason: `expected ${CREATED} Created`, body: excerpt(body) })
  }
  const parsed = OracleError.parse({ status, contentType: response.headers["content-type"], body })
  const known = OracleError.toError(parsed, OracleError.parseRetryAfter(response.headers["retry-after"], now))
  if (known !== undefined) return known
  if (status >= 500) return new ServerError({ status, body: excerpt(body) })
  return new UnexpectedStatus({ status, body: excerpt(body) })
}

/**
 * Lets a 201 through to the contract's decoding and turns every other answer into a typed failure.
 *
 * Why here, under `HttpApiClient`, rather than through the contract's error schemas: the contract can only describe
 * the ADF JSON form of each error, so a plain-text error (REST framework 1–3), a proxy's HTML 502 or a status the
 * contract does not list would come out of `HttpApiClient` as an untyped decode failure. Reading every non-201
 * answer ourselves with `OracleError.parse` gives the same tagged errors for both forms — core's own classes, so
 * the error type the derived client declares stays true — and typed errors for everything else.
 */
export const interceptErrors = (
  effect: Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError | ChatAuthClientError> =>
  Effect.flatMap(effect, (response) =>
    response.status === CREATED
      ? Effect.succeed(response)
      : Effect.flatMap(
        Effect.mapError(response.text, networkError),
        (body) => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.fail(errorOf(response, body, now)))
      ))

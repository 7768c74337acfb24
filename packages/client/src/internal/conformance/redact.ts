/**
 * What of an exchange may be shown: never the caller's password nor a token. The credentials are not part of the
 * recorded request (they are added on sending); a token in an answer is cut to its first characters, and the
 * password is blanked wherever an endpoint might have echoed it.
 */
import { Encoding, Option } from "effect"
import type { Exchange } from "./wire.js"

/** A request as a report shows it. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string | undefined
  /** Who it authenticated as: `caller`, `none`, `an unknown caller`, `a wrong password`, `a throwaway caller`. */
  readonly credentials: string
}

/** An answer as a report shows it. */
export interface RecordedResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** An exchange as a report shows it. */
export interface RecordedExchange {
  readonly label: string
  readonly request: RecordedRequest
  readonly response?: RecordedResponse | undefined
  readonly error?: string | undefined
}

const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g

/** A token's first characters, enough to tell tokens apart by eye and useless as a bearer credential. */
export const redactToken = (jwt: string): string => `${jwt.slice(0, 12)}…[JWT redacted]`

// A password shorter than this would blank ordinary words of the report: no endpoint echoes it anyway.
const MIN_SCRUBBED = 6

/** Text with every token cut and every secret blanked. */
export const scrub = (text: string, secrets: ReadonlyArray<string>): string =>
  secrets.filter((secret) => secret.length >= MIN_SCRUBBED).reduce(
    (result, secret) => result.split(secret).join("[redacted]"),
    text.replace(JWT, redactToken)
  )

/** A JSON value with every string in it scrubbed. */
export const scrubValue = (value: unknown, secrets: ReadonlyArray<string>): unknown =>
  typeof value === "string"
    ? scrub(value, secrets)
    : Array.isArray(value)
    ? value.map((element) => scrubValue(element, secrets))
    : value !== null && typeof value === "object"
    ? Object.fromEntries(Object.entries(value).map(([name, member]) => [name, scrubValue(member, secrets)]))
    : value

/** The secrets of a caller: its password, and its Basic credentials as they travel. */
export const secretsOf = (username: string, password: string): ReadonlyArray<string> => [
  password,
  Encoding.encodeBase64(`${username}:${password}`)
]

const scrubRecord = (record: Readonly<Record<string, string>>, secrets: ReadonlyArray<string>) =>
  Object.fromEntries(Object.entries(record).map(([name, value]) => [name, scrub(value, secrets)]))

/** An exchange as it may be shown. */
export const record = (exchange: Exchange, secrets: ReadonlyArray<string>): RecordedExchange => {
  const { request } = exchange
  const credentials = request.credentials._tag === "Caller"
    ? "caller"
    : request.credentials._tag === "None"
    ? "none"
    : request.credentials.describe
  return {
    label: request.label,
    request: {
      method: request.method,
      path: request.path,
      headers: {
        ...request.headers,
        ...(request.body === undefined ? {} : { "content-type": request.body.contentType })
      },
      ...(request.body === undefined ? {} : { body: scrub(request.body.text, secrets) }),
      credentials
    },
    ...Option.match(exchange.response, {
      onNone: () => ({ error: exchange.error ?? "no answer" }),
      onSome: (response) => ({
        response: {
          status: response.status,
          headers: scrubRecord(response.headers, secrets),
          body: scrub(response.body, secrets)
        }
      })
    })
  }
}

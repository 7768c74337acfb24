/**
 * The conformance kit's requests on the wire: raw HTTP through `HttpClient`, nothing decoded by the contract, every
 * answer kept as it came (status, headers, text) so that the cases can judge what a typed client would hide.
 *
 * Why not the typed client: it reads a 200 as an error, relabels bodies and retries; a conformance case must see
 * the status, the media type and the exact JSON the endpoint sent.
 */
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Duration, Effect, Encoding, Option, Redacted } from "effect"

/** Who a request authenticates as. */
export type Credentials =
  | { readonly _tag: "Caller" }
  | { readonly _tag: "None" }
  | { readonly _tag: "Other"; readonly username: string; readonly password: string; readonly describe: string }

/** A request of a case, relative to the endpoint's base URL. Its label names it in reports and diffs. */
export interface WireRequest {
  readonly label: string
  readonly method: "GET" | "POST"
  /** After the base URL, query included: `/crmRestApi/resources/11.13.18.05/chatAuthenticate?onlyData=true`. */
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: { readonly text: string; readonly contentType: string } | undefined
  readonly credentials: Credentials
}

/** An answer as it came. */
export interface WireResponse {
  readonly status: number
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** The body parsed as JSON, when it is JSON. */
  readonly json: Option.Option<unknown>
}

/** A request and what came of it: an answer, or why none came. */
export interface Exchange {
  readonly request: WireRequest
  readonly response: Option.Option<WireResponse>
  readonly error: string | undefined
}

/** Where the requests go and as whom. */
export interface Endpoint {
  /** Without a trailing slash. */
  readonly baseUrl: string
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly timeout: Duration.Duration
}

const basic = (username: string, password: string): string =>
  `Basic ${Encoding.encodeBase64(`${username}:${password}`)}`

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    return Option.some(JSON.parse(text))
  } catch {
    return Option.none()
  }
}

const reasonOf = (error: unknown): string => {
  const messages: Array<string> = []
  let cause: unknown = error
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    if (cause.message !== "" && !messages.includes(cause.message)) messages.push(cause.message)
    cause = cause.cause
  }
  return messages.length === 0 ? String(error) : messages.join(": ")
}

/**
 * Sends one request and reads its answer to the end. Never fails: a transport failure or a timeout is the
 * exchange's `error`. Redirects are not followed (`fetch` would otherwise turn a pod's redirect to a login page
 * into that page's 200).
 */
export const send = (endpoint: Endpoint, request: WireRequest): Effect.Effect<Exchange, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const authorization = request.credentials._tag === "Caller"
      ? basic(endpoint.username, Redacted.value(endpoint.password))
      : request.credentials._tag === "Other"
      ? basic(request.credentials.username, request.credentials.password)
      : undefined
    let outgoing = HttpClientRequest.make(request.method)(endpoint.baseUrl + request.path).pipe(
      HttpClientRequest.setHeaders(request.headers)
    )
    if (authorization !== undefined) outgoing = HttpClientRequest.setHeader(outgoing, "authorization", authorization)
    if (request.body !== undefined) {
      outgoing = HttpClientRequest.bodyText(outgoing, request.body.text, request.body.contentType)
    }
    return yield* client.execute(outgoing).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.text, (body): Exchange => ({
          request,
          response: Option.some({
            status: response.status,
            headers: { ...response.headers },
            body,
            json: parseJson(body)
          }),
          error: undefined
        }))
      ),
      Effect.timeoutFail({
        duration: endpoint.timeout,
        onTimeout: () => `no answer within ${Duration.format(endpoint.timeout)}`
      }),
      Effect.catchAll((error) =>
        Effect.succeed<Exchange>({
          request,
          response: Option.none(),
          error: typeof error === "string" ? error : reasonOf(error)
        })
      ),
      Effect.provideService(FetchHttpClient.RequestInit, { redirect: "manual" })
    )
  })

/** A GET of a document beside the resource (`/openapi.json`, `/.well-known/jwks.json`), without credentials. */
export const probe = (endpoint: Endpoint, path: string): Effect.Effect<Exchange, never, HttpClient.HttpClient> =>
  send(endpoint, {
    label: `GET ${path}`,
    method: "GET",
    path,
    headers: { accept: "application/json" },
    credentials: { _tag: "None" }
  })

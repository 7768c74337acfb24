/**
 * The `node:http` request listener: the chatAuthenticate resource goes straight to {@link ChatAuthenticateHandler}
 * (the hot route), everything else to the `HttpApi` application (describe, JWKS, health, metrics, OpenAPI, docs).
 *
 * Why a front at all: `HttpApi`'s generic request path (router, request wrapper, schema-driven encoding, spans) costs
 * several times the whole work of a chat authentication on this route (see `docs/toolchain.md` and
 * `bench/`), while the contract itself stays the one in `@chatauth/core` — the tests drive this route through the
 * client derived from it.
 *
 * @example
 * import { routeOf } from "@chatauth/server/NodeFrontend"
 *
 * routeOf("/.well-known/jwks.json") // "jwks": the route metrics count it under
 *
 * @since 0.1.0
 */
import { ChatAuthenticateApi } from "@chatauth/core"
import { Effect, Either, type Exit, Option, Runtime } from "effect"
import type * as Http from "node:http"
import {
  type ChatAuthenticateHandler,
  matchResourcePath,
  splitUrl,
  type WireRequest,
  type WireResponse
} from "../issue/ChatAuthenticateHandler.js"
import type { Metrics, RouteName } from "../metrics/Metrics.js"
import * as ClientAddress from "./ClientAddress.js"

const EMPTY = new Uint8Array(0)

const INTERNAL_ERROR: WireResponse = {
  status: 500,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: "Internal Server Error",
  close: true
}

// Reads the body, at most `maxBytes` (`None` when larger); returns how to stop reading (interruption).
const readBodyCallback = (request: Http.IncomingMessage) =>
(
  maxBytes: number,
  done: (body: Option.Option<Uint8Array>) => void
): () => void => {
  const chunks: Array<Buffer> = []
  let size = 0
  let finished = false
  const finish = (result: Option.Option<Uint8Array>) => {
    if (finished) return
    finished = true
    request.off("data", onData)
    request.off("end", onEnd)
    request.off("error", onError)
    request.off("aborted", onError)
    done(result)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > maxBytes) {
      // Stop buffering; the connection is closed after the 413 so the rest is never read.
      request.pause()
      finish(Option.none())
    } else {
      chunks.push(chunk)
    }
  }
  const onEnd = () => finish(Option.some(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)))
  const onError = () => finish(Option.some(EMPTY))
  request.on("data", onData)
  request.on("end", onEnd)
  request.on("error", onError)
  request.on("aborted", onError)
  return () => finish(Option.none())
}

const readBody = (request: Http.IncomingMessage) => (maxBytes: number): Effect.Effect<Option.Option<Uint8Array>> =>
  Effect.async<Option.Option<Uint8Array>>((resume) => {
    const stop = readBodyCallback(request)(maxBytes, (result) => resume(Effect.succeed(result)))
    return Effect.sync(stop)
  })

/**
 * Headers every response carries: no content sniffing, no referrer leaking the server's URLs.
 *
 * @since 0.2.0
 * @category constants
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer"
}

/**
 * The status a request is counted under when no answer reached the client: 408 when Node's request timeout closed
 * the connection, 499 ("client closed request", as nginx counts it) when the client went away first.
 *
 * @since 0.2.0
 * @category metrics
 */
export const unansweredStatus = (request: Http.IncomingMessage): 408 | 499 =>
  (request.socket.errored as NodeJS.ErrnoException | null)?.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 499

/**
 * The route name metrics count a path under.
 *
 * @since 0.1.0
 * @category metrics
 */
export const routeOf = (path: string): RouteName => {
  if (path === "/.well-known/jwks.json") return "jwks"
  if (path.startsWith("/health/")) return "health"
  if (path === "/metrics") return "metrics"
  return "other"
}

/**
 * Which proxies to believe about the client's address (see `ServerOptions`): by address, by count, or one.
 *
 * @since 0.1.0
 * @category options
 */
export interface FrontendOptions {
  readonly trustProxy?: boolean | undefined
  readonly trustedProxies?: ReadonlyArray<string> | undefined
  readonly proxyHops?: number | undefined
}

/**
 * The proxy policy the options describe, or why they do not describe one.
 *
 * @since 0.2.0
 * @category options
 */
export const proxyTrustOf = (options: FrontendOptions): Either.Either<ClientAddress.ProxyTrust, string> => {
  if (options.trustedProxies !== undefined) {
    if (options.proxyHops !== undefined) {
      return Either.left("set either the trusted proxies or the proxy hops, not both")
    }
    const parsed = ClientAddress.parseTrustedProxies(options.trustedProxies.join(","))
    return "error" in parsed ? Either.left(`trusted proxies: ${parsed.error}`) : Either.right(parsed.trust)
  }
  if (options.proxyHops !== undefined) return Either.right(ClientAddress.hops(options.proxyHops))
  return Either.right(options.trustProxy === true ? ClientAddress.hops(1) : ClientAddress.none)
}

const SECURITY_HEADER_LIST = Object.entries(SECURITY_HEADERS).flat()

// The headers go to `writeHead` as one flat list, nothing set on the response before: Node then writes them as they
// are, where headers set one by one (`setHeader`) are each validated and stored in a map first.
const write = (response: Http.ServerResponse, answer: WireResponse) => {
  if (response.headersSent) return
  if (answer.close === true) response.shouldKeepAlive = false
  const headers = SECURITY_HEADER_LIST.slice()
  for (const name in answer.headers) headers.push(name, answer.headers[name])
  headers.push("content-length", String(Buffer.byteLength(answer.body)))
  response.writeHead(answer.status, headers)
  response.end(answer.body)
}

/**
 * What the listener serves besides the resource and the `HttpApi` app; each hook is absent unless its feature is on.
 *
 * @since 0.1.0
 * @category options
 */
export interface FrontendHooks {
  /** Claims a path outside the resource (the Channel Server emulator, the fault admin); `undefined` leaves it alone. */
  readonly route?:
    | ((path: string) => ((request: WireRequest, drop: () => void) => Effect.Effect<WireResponse>) | undefined)
    | undefined
  /** Wraps each chatAuthenticate call (fault injection); `drop` closes the connection without an answer. */
  readonly chatAuthenticate?:
    | ((handling: Effect.Effect<WireResponse>, drop: () => void) => Effect.Effect<WireResponse>)
    | undefined
}

/**
 * Builds the request listener.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeListener = (
  runtime: Runtime.Runtime<never>,
  handler: ChatAuthenticateHandler["Type"],
  metrics: Metrics["Type"],
  apiListener: (request: Http.IncomingMessage, response: Http.ServerResponse) => void,
  proxyTrust: ClientAddress.ProxyTrust,
  hooks: FrontendHooks = {},
  draining: () => boolean = () => false
) => {
  const runFork = Runtime.runFork(runtime)
  return (request: Http.IncomingMessage, response: Http.ServerResponse): void => {
    // A server on its way out answers what it is asked and says so (`Connection: close`): the client's next
    // request opens a connection elsewhere instead of finding this one closed under it.
    if (draining()) response.shouldKeepAlive = false
    const { path, query } = splitUrl(request.url ?? "/")
    const method = request.method ?? "GET"
    const resource = matchResourcePath(path)
    const extension = resource === undefined ? hooks.route?.(path) : undefined
    if (
      extension === undefined && (resource === undefined ||
        (method === "GET" && resource.item === "describe" && ChatAuthenticateApi.isBasePath(resource.basePath)))
    ) {
      for (const name in SECURITY_HEADERS) response.setHeader(name, SECURITY_HEADERS[name])
      response.once("close", () =>
        metrics.requestsTotal.inc(
          method,
          routeOf(path),
          response.writableFinished ? response.statusCode : unansweredStatus(request)
        ))
      apiListener(request, response)
      return
    }
    const wire: WireRequest = {
      method,
      path,
      query,
      headers: request.headers,
      clientAddress: ClientAddress.clientAddress(
        proxyTrust,
        request.socket.remoteAddress,
        request.headers["x-forwarded-for"]
      ),
      readBody: readBody(request),
      readBodyCallback: (maxBytes, done) => void readBodyCallback(request)(maxBytes, done)
    }
    const route = extension === undefined ? "chatAuthenticate" : "other"
    const answered = (exit: Exit.Exit<WireResponse>) => {
      if (request.socket.destroyed) {
        metrics.requestsTotal.inc(method, route, unansweredStatus(request))
        return
      }
      const answer: WireResponse = exit._tag === "Success" ? exit.value : INTERNAL_ERROR
      // A 500 is a bug: never silent.
      if (exit._tag === "Failure") runFork(Effect.logError("chatAuthenticate failed unexpectedly", exit.cause))
      metrics.requestsTotal.inc(method, route, answer.status)
      write(response, answer)
    }
    if (extension === undefined && hooks.chatAuthenticate === undefined) {
      handler.run(wire, resource!, answered)
      return
    }
    // What wraps the route or serves another path composes Effects: a fiber, interrupted when the client goes away.
    const handling = extension !== undefined
      ? extension(wire, () => request.socket.destroy())
      : hooks.chatAuthenticate!(handler.handle(wire, resource!), () => request.socket.destroy())
    const fiber = runFork(handling)
    let abandoned = false
    fiber.addObserver((exit) => {
      if (abandoned) {
        metrics.requestsTotal.inc(method, route, unansweredStatus(request))
        return
      }
      answered(exit)
    })
    response.once("close", () => {
      if (response.writableEnded) return
      abandoned = true
      fiber.unsafeInterruptAsFork(fiber.id())
    })
  }
}

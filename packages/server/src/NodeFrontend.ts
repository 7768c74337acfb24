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
import { Effect, Option, Runtime } from "effect"
import type * as Http from "node:http"
import {
  type ChatAuthenticateHandler,
  matchResourcePath,
  splitUrl,
  type WireRequest,
  type WireResponse
} from "./ChatAuthenticateHandler.js"
import type { Metrics, RouteName } from "./Metrics.js"

const readBody = (request: Http.IncomingMessage) => (maxBytes: number): Effect.Effect<Option.Option<string>> =>
  Effect.async<Option.Option<string>>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (result: Option.Option<string>) => {
      if (done) return
      done = true
      request.off("data", onData)
      request.off("end", onEnd)
      request.off("error", onError)
      request.off("aborted", onError)
      resume(Effect.succeed(result))
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
    const onEnd = () => finish(Option.some(Buffer.concat(chunks, size).toString("utf8")))
    const onError = () => finish(Option.some(""))
    request.on("data", onData)
    request.on("end", onEnd)
    request.on("error", onError)
    request.on("aborted", onError)
    return Effect.sync(() => finish(Option.none()))
  })

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
 * @since 0.1.0
 * @category options
 */
export interface FrontendOptions {
  readonly trustProxy: boolean
}

const clientAddressOf = (request: Http.IncomingMessage, trustProxy: boolean): string => {
  if (trustProxy) {
    const forwarded = request.headers["x-forwarded-for"]
    const first = (typeof forwarded === "string" ? forwarded : forwarded?.[0])?.split(",")[0]?.trim()
    if (first !== undefined && first !== "") return first
  }
  return request.socket.remoteAddress ?? "unknown"
}

const write = (response: Http.ServerResponse, answer: WireResponse) => {
  if (response.headersSent) return
  if (answer.close === true) response.shouldKeepAlive = false
  response.writeHead(answer.status, { ...answer.headers, "content-length": Buffer.byteLength(answer.body) })
  response.end(answer.body)
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
  options: FrontendOptions
) => {
  const runFork = Runtime.runFork(runtime)
  return (request: Http.IncomingMessage, response: Http.ServerResponse): void => {
    const { path, query } = splitUrl(request.url ?? "/")
    const method = request.method ?? "GET"
    const resource = matchResourcePath(path)
    if (
      resource === undefined ||
      (method === "GET" && resource.item === "describe" && ChatAuthenticateApi.isBasePath(resource.basePath))
    ) {
      response.once("finish", () => metrics.requestsTotal.inc(method, routeOf(path), response.statusCode))
      apiListener(request, response)
      return
    }
    const wire: WireRequest = {
      method,
      path,
      query,
      headers: request.headers,
      clientAddress: clientAddressOf(request, options.trustProxy),
      readBody: readBody(request)
    }
    const fiber = runFork(handler.handle(wire, resource))
    fiber.addObserver((exit) => {
      const answer: WireResponse = exit._tag === "Success"
        ? exit.value
        : {
          status: 500,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: "Internal Server Error",
          close: true
        }
      metrics.requestsTotal.inc(method, "chatAuthenticate", answer.status)
      write(response, answer)
    })
    response.once("close", () => {
      if (!response.writableEnded) fiber.unsafeInterruptAsFork(fiber.id())
    })
  }
}

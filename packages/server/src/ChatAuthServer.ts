/**
 * Starting and stopping the chatAuthenticate server: the store, callers, keys, routing, audit and metrics composed
 * into one running `node:http` server, ready in well under a second and stopped gracefully with its scope.
 *
 * @example
 * import { ChatAuthServer } from "@chatauth/server"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const server = yield* ChatAuthServer.start({ port: 0, dataDir: "/tmp/chatauth" })
 *   console.log(`listening on ${server.url}`)
 *   yield* Effect.never
 * }))
 *
 * @since 0.1.0
 */
import { TokenIssuer } from "@chatauth/core"
// Module by module rather than from the package indexes, which load every module of the packages (clustering, workers,
// sockets, Swagger UI…) into the server's memory at start.
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpPlatform from "@effect/platform-node/NodeHttpPlatform"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Etag from "@effect/platform/Etag"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Context, Deferred, Duration, Effect, Layer, Redacted, Ref, Schema, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as ApiImplementation from "./ApiImplementation.js"
import { AuditLog } from "./AuditLog.js"
import * as CallerAuthModule from "./CallerAuth.js"
import { CallerAuth } from "./CallerAuth.js"
import * as ChatAuthenticateHandler from "./ChatAuthenticateHandler.js"
import { Metrics } from "./Metrics.js"
import { makeListener } from "./NodeFrontend.js"
import { PersistentKeys } from "./PersistentKeys.js"
import { Readiness } from "./Readiness.js"
import { AssignmentStore, Router } from "./Router.js"
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, type ServerOptions } from "./ServerOptions.js"
import * as SqliteStore from "./SqliteStore.js"

/**
 * The server could not start: the port is taken, the routing config is invalid, the data directory is unusable…
 *
 * @since 0.1.0
 * @category errors
 */
export class ServerStartError extends Schema.TaggedError<ServerStartError>()("ServerStartError", {
  message: Schema.String
}) {}

/**
 * A started server.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunningServer {
  /** `http://host:port` */
  readonly url: string
  readonly host: string
  readonly port: number
  /** The development caller created at this start, if any (development mode, first start only). */
  readonly developmentCaller: { readonly username: string; readonly password: Redacted.Redacted<string> } | undefined
}

/**
 * The services of a running server, from the store up.
 *
 * @since 0.1.0
 * @category layers
 */
export const servicesLayer = (options: ServerOptions) => {
  const store = SqliteStore.layer({ dataDir: options.dataDir ?? DEFAULT_DATA_DIR })
  // Options given in code win; otherwise each service reads its own CHATAUTH_* variables (README, Configuration).
  const keys = options.keys === undefined ? PersistentKeys.layerConfig : PersistentKeys.layer(options.keys)
  const router = Router.layerFile(options.routingConfigPath, { resumeWindowSeconds: options.resumeWindowSeconds }).pipe(
    Layer.provide(AssignmentStore.layerFromStore),
    Layer.provide(NodeContext.layer)
  )
  const issuer = TokenIssuer.TokenIssuer.layer({
    ...(options.tokenIssuer === undefined ? {} : { issuer: options.tokenIssuer }),
    ...(options.tokenTtlSeconds === undefined ? {} : { ttlSeconds: options.tokenTtlSeconds })
  })
  // Lockouts are counted where they happen, in CallerAuth, and reported by the metrics.
  const callerAuth = Layer.unwrapEffect(Effect.gen(function*() {
    const metrics = yield* Metrics
    const base = options.callerAuth ?? (yield* CallerAuthModule.optionsConfig)
    return CallerAuth.layer({ ...base, onLockout: (scope) => metrics.lockoutsTotal.inc(scope) })
  })).pipe(Layer.provideMerge(Metrics.layer))
  return Layer.mergeAll(
    callerAuth,
    router,
    issuer,
    AuditLog.layerConfig,
    Readiness.layer
  ).pipe(
    Layer.provideMerge(keys),
    Layer.provideMerge(store)
  )
}

const DEV_USERNAME = "dev"

// Development mode: a server nobody can call is no stand-in. With no callers at all, create one and say how to call.
const ensureCallers = (options: ServerOptions, print: (line: string) => void) =>
  Effect.gen(function*() {
    const callers = yield* CallerAuth
    if (options.bootstrapCaller !== undefined) {
      const created = yield* callers.ensureCaller(options.bootstrapCaller.username, options.bootstrapCaller.password)
      if (created) {
        print(`chatauth: created the caller "${options.bootstrapCaller.username}" (CHATAUTH_BOOTSTRAP_CALLER)`)
      }
      return undefined
    }
    const existing = yield* callers.listCallers()
    const dataDir = options.dataDir ?? DEFAULT_DATA_DIR
    if (options.development !== true) {
      if (existing.length === 0) {
        print(
          `chatauth: warning: there are no callers, so nobody can call chatAuthenticate; add one with ` +
            `\`chatauth callers add NAME --data-dir ${dataDir}\` (or set CHATAUTH_BOOTSTRAP_CALLER=user:password)`
        )
      }
      return undefined
    }
    if (existing.some((caller) => caller.username === DEV_USERNAME)) {
      print(
        `chatauth: development mode: the caller "${DEV_USERNAME}" exists (its password was shown at its first start); ` +
          `to set a new one: chatauth callers passwd ${DEV_USERNAME} --data-dir ${dataDir}`
      )
    }
    if (existing.length > 0) return undefined
    const password = Redacted.make(randomBytes(18).toString("base64url"))
    yield* callers.addCaller({ username: DEV_USERNAME, password })
    return { username: DEV_USERNAME, password }
  }).pipe(Effect.mapError((error) => new ServerStartError({ message: error.message })))

const listen = (server: Http.Server, host: string, port: number) =>
  Effect.async<AddressInfo, ServerStartError>((resume) => {
    const onError = (error: Error) =>
      resume(Effect.fail(new ServerStartError({ message: `cannot listen on ${host}:${port}: ${error.message}` })))
    server.once("error", onError)
    server.listen({ host, port }, () => {
      server.off("error", onError)
      resume(Effect.succeed(server.address() as AddressInfo))
    })
  })

const close = (server: Http.Server, timeout: Duration.Duration) =>
  Effect.async<void>((resume) => {
    // Stop accepting, let requests in flight finish, then drop idle keep-alive connections; force the rest at the
    // deadline so a stuck client cannot hold the process.
    const timer = setTimeout(() => server.closeAllConnections(), Duration.toMillis(timeout))
    server.close(() => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    server.closeIdleConnections()
  })

const formatUrl = (host: string, port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`

/**
 * Starts the server in the current scope; closing the scope stops it gracefully (no new connections, requests in
 * flight finish, the audit log is flushed, the store is closed).
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (
  options: ServerOptions = {}
): Effect.Effect<RunningServer, ServerStartError, Scope.Scope> =>
  Effect.gen(function*() {
    const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`))
    const host = options.host ?? DEFAULT_HOST
    const port = options.port ?? DEFAULT_PORT
    const context = yield* Layer.build(servicesLayer(options)).pipe(
      Effect.catchAll((error) =>
        Effect.fail(new ServerStartError({ message: String((error as { message?: unknown }).message ?? error) }))
      )
    )
    const developmentCaller = yield* ensureCallers(options, print).pipe(Effect.provide(context))

    const server = Http.createServer({ requestTimeout: 30_000, headersTimeout: 20_000, keepAliveTimeout: 5_000 })
    // The server's own origin, for links when a request's Host cannot be used; with port 0, known once it listens.
    let ownOrigin = formatUrl(host, port)
    const fallbackOrigin = () => ownOrigin
    const handlerContext = yield* Layer.build(
      ChatAuthenticateHandler.layer({ publicUrl: options.publicUrl, realm: options.realm, fallbackOrigin })
    ).pipe(Effect.provide(context))
    const apiContext = yield* Layer.build(
      ApiImplementation.layer({ publicUrl: options.publicUrl, fallbackOrigin }).pipe(
        Layer.provideMerge(Layer.mergeAll(NodeHttpPlatform.layer, Etag.layer, NodeContext.layer))
      )
    ).pipe(Effect.provide(handlerContext), Effect.provide(context))
    const apiApp = yield* HttpApiBuilder.httpApp.pipe(Effect.provide(apiContext))
    const apiListener: (request: Http.IncomingMessage, response: Http.ServerResponse) => void = yield* NodeHttpServer
      .makeHandler(apiApp).pipe(Effect.provide(apiContext), Effect.provide(handlerContext), Effect.provide(context))
    const runtime = yield* Effect.runtime<never>()
    const listener = makeListener(
      runtime,
      Context.get(handlerContext, ChatAuthenticateHandler.ChatAuthenticateHandler),
      Context.get(context, Metrics),
      apiListener,
      { trustProxy: options.trustProxy ?? false }
    )
    server.on("request", listener)

    const address = yield* listen(server, host, port)
    const url = formatUrl(host, address.port)
    ownOrigin = url
    const readiness = Context.get(context, Readiness)
    yield* Effect.addFinalizer(() =>
      Ref.set(readiness, "stopping").pipe(
        Effect.zipRight(close(server, Duration.millis(options.shutdownTimeoutMs ?? 10_000)))
      )
    )
    yield* Ref.set(readiness, "ready")
    if (developmentCaller !== undefined) {
      const password = Redacted.value(developmentCaller.password)
      print(
        `chatauth: development caller "${developmentCaller.username}" created; its password is shown only now: ${password}`
      )
      print(`chatauth: try it:`)
      print(
        `  curl -u ${developmentCaller.username}:${password} -X POST -H 'Content-Type: application/json' ` +
          `-d '{"authUserName":"john.doe@example.com","resumeType":"RESUME"}' ` +
          `${url}/crmRestApi/resources/11.13.18.05/chatAuthenticate`
      )
    }
    return { url, host, port: address.port, developmentCaller }
  })

/**
 * Runs the server until the process is told to stop (SIGINT or SIGTERM), then stops it gracefully.
 *
 * @since 0.1.0
 * @category constructors
 */
export const serve = (options: ServerOptions = {}): Effect.Effect<void, ServerStartError> =>
  Effect.scoped(Effect.gen(function*() {
    const stop = yield* Deferred.make<void>()
    const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`))
    // Finalizers run last-added first: "stopping" as the stop begins (a signal may interrupt this fiber rather than
    // reach `stop`), "stopped" once the server, the audit log and the store are closed.
    yield* Effect.addFinalizer(() => Effect.sync(() => print("chatauth: stopped")))
    const server = yield* start(options)
    yield* Effect.addFinalizer(() => Effect.sync(() => print("chatauth: stopping")))
    print(`chatauth: listening on ${server.url} (JWKS ${server.url}/.well-known/jwks.json, docs ${server.url}/docs)`)
    const onSignal = () => Deferred.unsafeDone(stop, Effect.void)
    process.once("SIGTERM", onSignal)
    process.once("SIGINT", onSignal)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        process.off("SIGTERM", onSignal)
        process.off("SIGINT", onSignal)
      })
    )
    yield* Deferred.await(stop)
  }))

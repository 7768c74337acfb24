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
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  Fiber,
  Layer,
  Redacted,
  Ref,
  Schema,
  type Scope
} from "effect"
import { randomBytes } from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { AuditLog } from "./audit/AuditLog.js"
import { CallerAuth } from "./auth/CallerAuth.js"
import { CallerDirectory } from "./auth/CallerDirectory.js"
import { Lockouts } from "./auth/Lockouts.js"
import { makeHooks } from "./emulator/Extensions.js"
import * as ApiImplementation from "./http/ApiImplementation.js"
import { makeListener, proxyTrustOf } from "./http/NodeFrontend.js"
import { Readiness } from "./http/Readiness.js"
import { describeStartFailure, listenFailureReason } from "./internal/startFailure.js"
import * as ChatAuthenticateHandler from "./issue/ChatAuthenticateHandler.js"
import { PersistentKeys } from "./keys/PersistentKeys.js"
import { Metrics } from "./metrics/Metrics.js"
import { AssignmentStore, Router } from "./routing/Router.js"
import { DEFAULT_DATA_DIR, DEFAULT_HOST, DEFAULT_PORT, type ServerOptions } from "./ServerOptions.js"
import { ChangeFeed } from "./store/ChangeFeed.js"
import * as Database from "./store/Database.js"
import { Journal } from "./store/Journal.js"
import { StoreHealth } from "./store/StoreHealth.js"
import type { RouteSpans } from "./tracing/Tracing.js"

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
 * The services of a running server, from the store up: the composition root. Each service gets its options from
 * `options` (read once by `ServerConfig`); none reads the environment.
 *
 * @since 0.1.0
 * @category layers
 */
export const servicesLayer = (options: ServerOptions) =>
  signingLayer(options).pipe(Layer.provideMerge(callersLayer(options)))

// The services in two parts, so that a start can check or create its caller (a password hash) while the second part
// generates the signing key (both wait on the thread pool, about 0.15 s each).

/** The store, its journal and feed, metrics, audit, lockouts and the callers. */
const callersLayer = (options: ServerOptions) => {
  const store = Database.layer({ ...options.database, dataDir: options.database?.dataDir ?? options.dataDir })
  const shared = Layer.mergeAll(ChangeFeed.layer(), Journal.layer(options.journal), StoreHealth.layer()).pipe(
    Layer.provideMerge(store)
  )
  // Lockouts are counted where they happen and reported by the metrics.
  const lockouts = Layer.unwrapEffect(Effect.map(Metrics, (metrics) =>
    Lockouts.layer({
      ...options.callerAuth?.lockouts,
      onLockout: (scope) => metrics.lockoutsTotal.inc(scope)
    })))
  return Layer.mergeAll(
    CallerAuth.layer(options.callerAuth),
    CallerDirectory.layer({ scrypt: options.callerAuth?.scrypt })
  ).pipe(
    Layer.provideMerge(lockouts),
    Layer.provideMerge(AuditLog.layer),
    Layer.provideMerge(Metrics.layer),
    Layer.provideMerge(shared)
  )
}

/** The signing keys and the issuer, the router and readiness, on the first part. */
const signingLayer = (options: ServerOptions) => {
  const keys = PersistentKeys.layer({
    ...options.keys,
    tokenTtl: Duration.seconds(options.tokenTtlSeconds ?? TokenIssuer.DEFAULT_TTL_SECONDS)
  })
  const router = Router.layerFile(options.routingConfigPath, { resumeWindowSeconds: options.resumeWindowSeconds }).pipe(
    Layer.provide(AssignmentStore.layerFromStore),
    Layer.provide(NodeContext.layer)
  )
  const issuer = TokenIssuer.TokenIssuer.layer({
    ...(options.tokenIssuer === undefined ? {} : { issuer: options.tokenIssuer }),
    ...(options.tokenTtlSeconds === undefined ? {} : { ttlSeconds: options.tokenTtlSeconds })
  })
  return Layer.mergeAll(router, Readiness.layer).pipe(Layer.provideMerge(issuer.pipe(Layer.provideMerge(keys))))
}

const DEV_USERNAME = "dev"

// Development mode: a server nobody can call is no stand-in. With no callers at all, create one and say how to call.
const ensureCallers = (options: ServerOptions, print: (line: string) => void) =>
  Effect.gen(function*() {
    const callers = yield* CallerDirectory
    if (options.bootstrapCaller !== undefined) {
      const created = yield* callers.ensure(options.bootstrapCaller.username, options.bootstrapCaller.password)
      if (created) {
        print(`chatauth: created the caller "${options.bootstrapCaller.username}" (CHATAUTH_BOOTSTRAP_CALLER)`)
      }
      return undefined
    }
    const existing = yield* callers.list()
    // How the CLI names this server's store, for the commands printed below.
    const storeFlag = options.database?.databaseUrl !== undefined
      ? "--database-url …"
      : `--data-dir ${options.database?.dataDir ?? options.dataDir ?? DEFAULT_DATA_DIR}`
    if (options.development !== true) {
      if (existing.length === 0) {
        print(
          `chatauth: warning: there are no callers, so nobody can call chatAuthenticate; add one with ` +
            `\`chatauth callers add NAME ${storeFlag}\` (or set CHATAUTH_BOOTSTRAP_CALLER=user:password)`
        )
      }
      return undefined
    }
    if (existing.some((caller) => caller.username === DEV_USERNAME)) {
      print(
        `chatauth: development mode: the caller "${DEV_USERNAME}" exists (its password was shown at its first start); ` +
          `to set a new one: chatauth callers passwd ${DEV_USERNAME} ${storeFlag}`
      )
    }
    if (existing.length > 0) return undefined
    const password = Redacted.make(randomBytes(18).toString("base64url"))
    yield* callers.add({ username: DEV_USERNAME, password })
    return { username: DEV_USERNAME, password }
  }).pipe(Effect.mapError((error) => new ServerStartError({ message: error.message })))

const listen = (server: Http.Server, host: string, port: number) =>
  Effect.async<AddressInfo, ServerStartError>((resume) => {
    const onError = (error: Error) =>
      resume(
        Effect.fail(
          new ServerStartError({ message: `cannot listen on ${host}:${port} (${listenFailureReason(error)})` })
        )
      )
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

// Node checks the timeouts every `connectionsCheckingInterval`: often enough that the limit is about the limit.
const timeouts = (requestTimeout: number): Http.ServerOptions => ({
  requestTimeout,
  headersTimeout: Math.min(20_000, requestTimeout),
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(requestTimeout / 4)))
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
    // With traces exported, every fiber and runtime the server makes from here on carries the SDK's tracer.
    if (options.tracing === undefined) return yield* startServices(options, undefined)
    // The SDK is loaded only here: a server that exports no traces never reads it.
    const Tracing = yield* Effect.promise(() => import("./tracing/Tracing.js"))
    const tracer = yield* Tracing.makeTracer(options.tracing)
    const spans = Tracing.routeSpans(tracer, yield* Effect.clock)
    return yield* Effect.withTracer(startServices(options, spans), tracer)
  }).pipe(
    // Whatever stopped the start (a failure or a defect such as an unusable data directory): one line saying what.
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.interrupt
        : Effect.fail(
          new ServerStartError({
            message: describeStartFailure(cause, {
              dataDir: options.database?.dataDir ?? options.dataDir ?? DEFAULT_DATA_DIR
            })
          })
        )
    )
  )

const startServices = (options: ServerOptions, spans: RouteSpans | undefined) =>
  Effect.gen(function*() {
    const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`))
    const host = options.host ?? DEFAULT_HOST
    const port = options.port ?? DEFAULT_PORT
    const proxyTrust = yield* Either.match(proxyTrustOf(options), {
      onLeft: (reason) => Effect.fail(new ServerStartError({ message: `invalid proxy configuration (${reason})` })),
      onRight: Effect.succeed
    })
    const callersContext = yield* Layer.build(callersLayer(options))
    const callersEnsured = yield* Effect.fork(ensureCallers(options, print).pipe(Effect.provide(callersContext)))
    const context = Context.merge(
      callersContext,
      yield* Layer.build(signingLayer(options)).pipe(Effect.provide(callersContext))
    )
    const developmentCaller = yield* Fiber.join(callersEnsured)

    const server = Http.createServer(timeouts(options.requestTimeoutMs ?? 30_000))
    // The server's own origin, for links when a request's Host cannot be used; with port 0, known once it listens.
    let ownOrigin = formatUrl(host, port)
    const fallbackOrigin = () => ownOrigin
    const handlerContext = yield* Layer.build(
      ChatAuthenticateHandler.layer({
        publicUrl: options.publicUrl,
        realm: options.realm,
        fallbackOrigin,
        spans
      })
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
    const hooks = yield* makeHooks(options, context).pipe(
      Effect.mapError((error) => new ServerStartError({ message: error.message }))
    )
    let draining = false
    const listener = makeListener(
      runtime,
      Context.get(handlerContext, ChatAuthenticateHandler.ChatAuthenticateHandler),
      Context.get(context, Metrics),
      apiListener,
      proxyTrust,
      hooks,
      () => draining
    )
    server.on("request", listener)

    const address = yield* listen(server, host, port)
    const url = formatUrl(host, address.port)
    ownOrigin = url
    const readiness = Context.get(context, Readiness)
    // A stop: not ready, every answer `Connection: close`, still serving for the drain, then no new connections,
    // the requests in flight finished.
    yield* Effect.addFinalizer(() =>
      Ref.set(readiness, "stopping").pipe(
        Effect.zipRight(Effect.sync(() => (draining = true))),
        Effect.zipRight(Effect.sleep(Duration.millis(options.shutdownDrainMs ?? 0))),
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
    return { url, host, port: address.port, developmentCaller } satisfies RunningServer
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
    if (options.channelServer === true) {
      print(`chatauth: Channel Server emulator on ${server.url}/engagement/api/consumer/{chatSiteName}/v1/{operation}`)
    }
    if (options.faults === true) print(`chatauth: fault injection on ${server.url}/chatauth/faults (CHATAUTH_ADMIN)`)
    if (options.tracing !== undefined) print(`chatauth: traces exported to ${options.tracing.tracesUrl} (OTLP/HTTP)`)
    options.onReady?.(server.url)
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

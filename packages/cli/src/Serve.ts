/**
 * `chatauth serve`: runs the chatAuthenticate server until SIGINT or SIGTERM (then stops gracefully, exit 0).
 *
 * Every option also comes from the environment (`CHATAUTH_HOST`, `CHATAUTH_PORT`, `CHATAUTH_DATA_DIR`,
 * `CHATAUTH_CONFIG`, and the rest of `@chatauth/server`'s configuration table); a flag wins over its variable.
 * Without a bootstrap caller (`CHATAUTH_BOOTSTRAP_CALLER=user:password`) and outside production
 * (`--production` or `CHATAUTH_ENV=production`) the server runs in development mode: on its first start with no
 * callers it creates one and prints its credentials once.
 *
 * @example
 * // $ chatauth serve                                  # development: 127.0.0.1:8080, data in ./.chatauth
 * // $ CHATAUTH_BOOTSTRAP_CALLER=svc:s3cret chatauth serve --host 0.0.0.0 --port 8443 --data-dir /var/lib/chatauth
 * import { serveCommand } from "@chatauth/cli/Serve"
 *
 * @since 0.1.0
 */
import type { ServerOptions } from "@chatauth/server/ServerOptions"
import { Command, Options } from "@effect/cli"
import { Config, ConfigError, Effect, Option, type Redacted } from "effect"
import { CliError } from "./CliError.js"
import * as ServerHeap from "./internal/serverHeap.js"
import { databaseUrlOption } from "./internal/store.js"
import * as Workers from "./internal/workers.js"

const flags = {
  host: Options.text("host").pipe(
    Options.withDescription("Interface to listen on (env CHATAUTH_HOST; default 127.0.0.1)"),
    Options.optional
  ),
  port: Options.integer("port").pipe(
    Options.withDescription("Port to listen on, 0 for any free one (env CHATAUTH_PORT; default 8080)"),
    Options.optional
  ),
  dataDir: Options.text("data-dir").pipe(
    Options.withDescription("Directory of the SQLite store (env CHATAUTH_DATA_DIR; default ./.chatauth)"),
    Options.optional
  ),
  databaseUrl: databaseUrlOption,
  config: Options.text("config").pipe(
    Options.withDescription(
      "Routing config file, {\"channelServers\":[…]} (env CHATAUTH_CONFIG; default: one site mirroring Oracle's example)"
    ),
    Options.optional
  ),
  production: Options.boolean("production").pipe(
    Options.withDescription("Never create a development caller (also CHATAUTH_ENV=production)")
  ),
  channelServer: Options.boolean("channel-server").pipe(
    Options.withDescription("Also serve the Channel Server emulator for every site (also CHATAUTH_CHANNEL_SERVER=true)")
  ),
  faults: Options.boolean("faults").pipe(
    Options.withDescription(
      "Turn fault injection and time travel on, for CHATAUTH_ADMIN callers (also CHATAUTH_FAULTS=true)"
    )
  ),
  workers: Options.integer("workers").pipe(
    Options.withDescription(
      "Processes serving the port and the store, for more cores than one process uses (env CHATAUTH_WORKERS; " +
        "default 1)"
    ),
    Options.optional
  )
}

const MAX_WORKERS = 256

/** `--workers`, or `CHATAUTH_WORKERS`, or 1. */
const workerCount = (given: Option.Option<number>): Effect.Effect<number, CliError> =>
  Effect.gen(function*() {
    const fromEnv = yield* Config.option(Config.integer("CHATAUTH_WORKERS")).pipe(
      Effect.mapError((error) => CliError.usage(`invalid configuration in the environment: ${error}`))
    )
    const count = Option.getOrElse(Option.orElse(given, () => fromEnv), () => 1)
    if (count < 1 || count > MAX_WORKERS) {
      return yield* Effect.fail(CliError.usage(`--workers must be from 1 to ${MAX_WORKERS}`))
    }
    return count
  })

/**
 * The server's options: the flags over the environment (`ServerOptionsConfig`, the keys' and the callers' configs).
 *
 * @since 0.1.0
 * @category options
 */
export const resolveServerOptions = (given: {
  readonly host: Option.Option<string>
  readonly port: Option.Option<number>
  readonly dataDir: Option.Option<string>
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  readonly config: Option.Option<string>
  readonly production: boolean
  readonly channelServer?: boolean
  readonly faults?: boolean
}): Effect.Effect<ServerOptions, CliError> =>
  Effect.gen(function*() {
    // Loaded on use: the server's modules are most of what `chatauth` loads, and the other commands do without them.
    const { serverConfig } = yield* Effect.promise(() => import("@chatauth/server/ServerConfig"))
    const env = yield* serverConfig
    const environment = yield* Config.option(Config.string("CHATAUTH_ENV"))
    const production = given.production || Option.exists(environment, (value) => value.trim() === "production")
    if (Option.isSome(given.port) && (given.port.value < 0 || given.port.value > 65535)) {
      return yield* Effect.fail(CliError.usage("--port must be from 0 to 65535"))
    }
    const dataDir = Option.getOrElse(given.dataDir, () => env.dataDir)
    return {
      ...env,
      host: Option.getOrElse(given.host, () => env.host),
      port: Option.getOrElse(given.port, () => env.port),
      dataDir,
      database: {
        ...env.database,
        dataDir: Option.getOrElse(given.dataDir, () => env.database?.dataDir),
        databaseUrl: Option.getOrElse(given.databaseUrl, () => env.database?.databaseUrl)
      },
      routingConfigPath: Option.getOrElse(given.config, () => env.routingConfigPath),
      development: !production && env.bootstrapCaller === undefined,
      channelServer: given.channelServer === true || env.channelServer === true,
      faults: given.faults === true || env.faults === true
    }
  }).pipe(
    Effect.catchIf(
      ConfigError.isConfigError,
      (error) => Effect.fail(CliError.usage(`invalid configuration in the environment: ${error}`))
    )
  )

/**
 * `chatauth serve [--host H] [--port P] [--data-dir D | --database-url URL] [--config F] [--production]
 * [--channel-server] [--faults] [--workers N]`.
 *
 * @since 0.1.0
 * @category commands
 */
export const serveCommand = Command.make("serve", flags, (given) =>
  Effect.gen(function*() {
    const options = yield* resolveServerOptions(given)
    const workers = yield* workerCount(given.workers)
    const role = Workers.workerRole()
    if (workers > 1 && role === undefined) {
      // The primary: it supervises, and serves nothing itself.
      const failure = yield* Workers.supervise(workers, options.print)
      if (failure !== undefined) return yield* Effect.fail(CliError.refused(failure))
      return
    }
    // A server's heap, held small (internal/serverHeap.ts); the supervisor's stays as `hold` left it.
    ServerHeap.cap()
    const ChatAuthServer = yield* Effect.promise(() => import("@chatauth/server/ChatAuthServer"))
    yield* ChatAuthServer.serve(role === undefined ? options : Workers.workerOptions(options, role)).pipe(
      Effect.mapError((error) => CliError.refused(error.message))
    )
  })).pipe(
    Command.withDescription(
      "Run the chatAuthenticate server until SIGINT/SIGTERM. Without options: development mode on 127.0.0.1:8080, " +
        "data in ./.chatauth, a development caller printed on first start"
    )
  )

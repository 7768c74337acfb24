/**
 * What a running server is configured with, and where each option comes from: the `serve` command's flags, or the
 * environment (one `CHATAUTH_*` variable per option, documented in the README's configuration table).
 *
 * @example
 * import { ChatAuthServer, ServerOptions } from "@chatauth/server"
 * import { Effect } from "effect"
 *
 * // the environment's options, with the port forced
 * const program = Effect.flatMap(ServerOptions.ServerOptionsConfig, (options) =>
 *   ChatAuthServer.serve({ ...options, port: 9090 }))
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Either, Option, Redacted } from "effect"
import type { CallerAuthOptions } from "./auth/CallerAuth.js"
import { parseTrustedProxies } from "./http/ClientAddress.js"
import type { PersistentKeysOptions } from "./keys/PersistentKeys.js"
import type { DatabaseOptions } from "./store/Database.js"
import type { JournalOptions } from "./store/Journal.js"
import { tracesUrlOf, type TracingOptions } from "./tracing/TracingOptions.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string | undefined
  /** Port to listen on (default 8080; 0 picks a free one). */
  readonly port?: number | undefined
  /** Where the SQLite database lives (default ./.chatauth); `database.dataDir` wins when both are given. */
  readonly dataDir?: string | undefined
  /** The store: a PostgreSQL URL, or SQLite under the data directory (`Database`). */
  readonly database?: DatabaseOptions | undefined
  /** Group commit of audit rows and assignments. */
  readonly journal?: JournalOptions | undefined
  /** The routing config file (default: one site mirroring Oracle's reference example). */
  readonly routingConfigPath?: string | undefined
  /** Overrides the routing config's resume window. */
  readonly resumeWindowSeconds?: number | undefined
  /**
   * The public origin links and `Location` are built on, e.g. `https://chat-auth.example.com`. Without it, the
   * request's `Host` (when it is a plain host name) over http.
   */
  readonly publicUrl?: string | undefined
  /** The realm of `WWW-Authenticate` (default "chatauth"). */
  readonly realm?: string | undefined
  /** A caller to create (with the chat privilege) if it does not exist: `user:password`. */
  readonly bootstrapCaller?: { readonly username: string; readonly password: Redacted.Redacted<string> } | undefined
  /** Development mode: with no callers at all, create one with a random password and print it once. */
  readonly development?: boolean | undefined
  /** `iss` of issued tokens (default "Fusion Apps"). */
  readonly tokenIssuer?: string | undefined
  /** Lifetime of issued tokens (default 120 s); also what key retention is computed from. */
  readonly tokenTtlSeconds?: number | undefined
  readonly callerAuth?: CallerAuthOptions | undefined
  readonly keys?: PersistentKeysOptions | undefined
  /** How long a client may take to send a whole request before it is answered 408 (default 30 s). */
  readonly requestTimeoutMs?: number | undefined
  /** How long a stop waits for requests in flight (default 10 s). */
  readonly shutdownTimeoutMs?: number | undefined
  /**
   * How long a stop keeps serving before it stops accepting connections (default 0): `/health/ready` answers 503
   * and every answer says `Connection: close` meanwhile, so that a load balancer takes the replica out of rotation and
   * clients move their keep-alive connections before the listener closes.
   */
  readonly shutdownDrainMs?: number | undefined
  /** Export OpenTelemetry traces over OTLP/HTTP (default: none, and no span is made). */
  readonly tracing?: TracingOptions | undefined
  /**
   * One proxy stands in front: the right-most `X-Forwarded-For` entry (what the direct peer saw) is the client's
   * address. Same as `proxyHops: 1` (default false: the header is ignored).
   */
  readonly trustProxy?: boolean | undefined
  /**
   * The proxies in front, as addresses and CIDR ranges (`["10.0.0.0/8", "::1"]`): `X-Forwarded-For` is read only
   * when the direct peer is one of them, and the client is its right-most entry that is not. Wins over `trustProxy`.
   */
  readonly trustedProxies?: ReadonlyArray<string> | undefined
  /** The number of proxies in front: the client is the `n`-th `X-Forwarded-For` entry from the right. */
  readonly proxyHops?: number | undefined
  /** Also serve the Channel Server emulator's consumer API on the same listener (default false). */
  readonly channelServer?: boolean | undefined
  /** Turn fault injection and the emulator's time travel on, for an admin caller (default false: never in production). */
  readonly faults?: boolean | undefined
  /** Where the one-time development credentials and start-up lines go (default: standard output). */
  readonly print?: ((line: string) => void) | undefined
  /** Called by `serve` once the server listens and is ready, with its URL (a supervisor's cue). */
  readonly onReady?: ((url: string) => void) | undefined
}

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_HOST = "127.0.0.1"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_PORT = 8080

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_DATA_DIR = "./.chatauth"

/**
 * Parses `user:password` (the password may itself hold colons).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseCallerSpec = (
  spec: string
): { readonly username: string; readonly password: Redacted.Redacted<string> } | undefined => {
  const colon = spec.indexOf(":")
  if (colon <= 0 || colon === spec.length - 1) return undefined
  return { username: spec.slice(0, colon), password: Redacted.make(spec.slice(colon + 1)) }
}

const optional = <A>(config: Config.Config<A>) => Config.map(Config.option(config), Option.getOrUndefined)

/**
 * The server's options from the environment. Every variable is optional.
 *
 * | variable | option |
 * |---|---|
 * | `CHATAUTH_HOST` | host |
 * | `CHATAUTH_PORT` | port |
 * | `CHATAUTH_DATA_DIR` | dataDir |
 * | `CHATAUTH_CONFIG` | routingConfigPath |
 * | `CHATAUTH_RESUME_WINDOW_SECONDS` | resumeWindowSeconds |
 * | `CHATAUTH_PUBLIC_URL` | publicUrl |
 * | `CHATAUTH_REALM` | realm |
 * | `CHATAUTH_BOOTSTRAP_CALLER` | bootstrapCaller (`user:password`) |
 * | `CHATAUTH_TOKEN_ISSUER` | tokenIssuer |
 * | `CHATAUTH_TOKEN_TTL_SECONDS` | tokenTtlSeconds |
 * | `CHATAUTH_TRUST_PROXY` | trustProxy |
 * | `CHATAUTH_TRUSTED_PROXIES` | trustedProxies (comma-separated addresses and CIDR ranges) |
 * | `CHATAUTH_PROXY_HOPS` | proxyHops |
 * | `CHATAUTH_SHUTDOWN_TIMEOUT_MS` | shutdownTimeoutMs |
 * | `CHATAUTH_SHUTDOWN_DRAIN_MS` | shutdownDrainMs |
 * | `CHATAUTH_REQUEST_TIMEOUT_MS` | requestTimeoutMs |
 * | `CHATAUTH_CHANNEL_SERVER` | channelServer |
 * | `CHATAUTH_FAULTS` | faults |
 * | `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_SERVICE_NAME` | tracing |
 *
 * @since 0.1.0
 * @category config
 */
export const ServerOptionsConfig: Config.Config<ServerOptions> = Config.all({
  host: optional(Config.string("CHATAUTH_HOST")),
  // Config.port refuses 0, which asks the system for any free port (tests, side-by-side runs).
  port: optional(
    Config.integer("CHATAUTH_PORT").pipe(
      Config.validate({ message: "must be a port number from 0 to 65535", validation: (n) => n >= 0 && n <= 65535 })
    )
  ),
  dataDir: optional(Config.string("CHATAUTH_DATA_DIR")),
  routingConfigPath: optional(Config.string("CHATAUTH_CONFIG")),
  resumeWindowSeconds: optional(Config.integer("CHATAUTH_RESUME_WINDOW_SECONDS")),
  publicUrl: optional(Config.url("CHATAUTH_PUBLIC_URL").pipe(Config.map((url) => url.origin))),
  realm: optional(Config.string("CHATAUTH_REALM")),
  bootstrapCaller: optional(
    Config.redacted("CHATAUTH_BOOTSTRAP_CALLER").pipe(
      Config.mapOrFail((spec) => {
        const parsed = parseCallerSpec(Redacted.value(spec))
        return parsed === undefined
          ? Either.left(ConfigError.InvalidData([], "must be user:password"))
          : Either.right(parsed)
      })
    )
  ),
  tokenIssuer: optional(Config.string("CHATAUTH_TOKEN_ISSUER")),
  tokenTtlSeconds: optional(
    Config.integer("CHATAUTH_TOKEN_TTL_SECONDS").pipe(
      Config.validate({ message: "must be a positive integer", validation: (n) => n > 0 })
    )
  ),
  trustProxy: optional(Config.boolean("CHATAUTH_TRUST_PROXY")),
  trustedProxies: optional(
    Config.string("CHATAUTH_TRUSTED_PROXIES").pipe(
      Config.mapOrFail((list) => {
        const parsed = parseTrustedProxies(list)
        return "error" in parsed
          ? Either.left(ConfigError.InvalidData([], parsed.error))
          : Either.right(list.split(",").map((entry) => entry.trim()).filter((entry) => entry !== ""))
      })
    )
  ),
  proxyHops: optional(
    Config.integer("CHATAUTH_PROXY_HOPS").pipe(
      Config.validate({ message: "must be a whole number from 0 to 10", validation: (n) => n >= 0 && n <= 10 })
    )
  ),
  shutdownTimeoutMs: optional(Config.integer("CHATAUTH_SHUTDOWN_TIMEOUT_MS")),
  shutdownDrainMs: optional(
    Config.integer("CHATAUTH_SHUTDOWN_DRAIN_MS").pipe(
      Config.validate({ message: "must be from 0 to 600000", validation: (n) => n >= 0 && n <= 600_000 })
    )
  ),
  requestTimeoutMs: optional(
    Config.integer("CHATAUTH_REQUEST_TIMEOUT_MS").pipe(
      Config.validate({ message: "must be from 100 to 3600000", validation: (n) => n >= 100 && n <= 3_600_000 })
    )
  ),
  channelServer: optional(Config.boolean("CHATAUTH_CHANNEL_SERVER")),
  faults: optional(Config.boolean("CHATAUTH_FAULTS")),
  // OpenTelemetry's own variables, as every OTel SDK reads them.
  tracing: Config.map(
    Config.all({
      endpoint: optional(Config.url("OTEL_EXPORTER_OTLP_ENDPOINT").pipe(Config.map((url) => url.href))),
      tracesEndpoint: optional(Config.url("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").pipe(Config.map((url) => url.href))),
      serviceName: optional(Config.string("OTEL_SERVICE_NAME"))
    }),
    (variables): TracingOptions | undefined => {
      const tracesUrl = tracesUrlOf(variables)
      return tracesUrl === undefined ? undefined : { tracesUrl, serviceName: variables.serviceName }
    }
  )
})

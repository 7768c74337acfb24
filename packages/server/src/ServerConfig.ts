/**
 * The whole configuration of a server, read from the environment once, in one place: the server's own options,
 * the store, the keys and the callers' authentication. The `serve` command lays its flags over it; every service
 * then gets its part as options (no service reads the environment itself).
 *
 * @example
 * import { ChatAuthServer, ServerConfig } from "@chatauth/server"
 * import { Effect } from "effect"
 *
 * const program = Effect.flatMap(ServerConfig.serverConfig, (options) =>
 *   ChatAuthServer.serve({ ...options, port: 9090 }))
 *
 * @since 0.1.0
 */
import { Config, Duration } from "effect"
import { optionsConfig as callerAuthConfig } from "./auth/CallerAuth.js"
import { optionsConfig as keysConfig } from "./keys/PersistentKeys.js"
import { type ServerOptions, ServerOptionsConfig } from "./ServerOptions.js"
import { optionsConfig as databaseConfig } from "./store/Database.js"

/**
 * Every `CHATAUTH_*` variable of the README's configuration table, as `ServerOptions`.
 *
 * @since 0.1.0
 * @category config
 */
export const serverConfig: Config.Config<ServerOptions> = Config.all({
  server: ServerOptionsConfig,
  database: databaseConfig,
  keys: keysConfig,
  callerAuth: callerAuthConfig,
  journalLingerMillis: Config.integer("CHATAUTH_AUDIT_FLUSH_MILLIS").pipe(Config.withDefault(1))
}).pipe(Config.map(({ callerAuth, database, journalLingerMillis, keys, server }): ServerOptions => ({
  ...server,
  database: { ...database, dataDir: database.dataDir ?? server.dataDir },
  keys,
  callerAuth,
  journal: { linger: Duration.millis(Math.max(0, journalLingerMillis)) }
})))

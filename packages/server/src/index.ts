/**
 * @chatauth/server — the chatAuthenticate server: a faithful stand-in for Oracle Fusion's endpoint and a production
 * token issuer (persistent keys, JWKS, rotation, hardened caller authentication, metrics, audit).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as ApiImplementation from "./ApiImplementation.js"

/** @since 0.1.0 */
export * as AuditLog from "./AuditLog.js"

/** @since 0.1.0 */
export * as CallerAuth from "./CallerAuth.js"

/** @since 0.1.0 */
export * as ChannelServerEmulator from "./ChannelServerEmulator.js"

/** @since 0.1.0 */
export * as ChatAuthenticateHandler from "./ChatAuthenticateHandler.js"

/** @since 0.1.0 */
export * as ChatAuthServer from "./ChatAuthServer.js"

/** @since 0.1.0 */
export * as EmulatorConfig from "./EmulatorConfig.js"

/** @since 0.1.0 */
export * as FaultInjection from "./FaultInjection.js"

/** @since 0.1.0 */
export * as Metrics from "./Metrics.js"

/** @since 0.1.0 */
export * as PersistentKeys from "./PersistentKeys.js"

/** @since 0.1.0 */
export * as Readiness from "./Readiness.js"

/** @since 0.1.0 */
export * as Router from "./Router.js"

/** @since 0.1.0 */
export * as RoutingConfig from "./RoutingConfig.js"

/** @since 0.1.0 */
export * as ServerOptions from "./ServerOptions.js"

/** @since 0.1.0 */
export * as SqliteStore from "./SqliteStore.js"

/** @since 0.1.0 */
export * as Store from "./Store.js"

/** @since 0.1.0 */
export * as CallerDirectory from "./CallerDirectory.js"

/** @since 0.1.0 */
export * as ChangeFeed from "./ChangeFeed.js"

/** @since 0.1.0 */
export * as Database from "./Database.js"

/** @since 0.1.0 */
export * as Journal from "./Journal.js"

/** @since 0.1.0 */
export * as Lockouts from "./Lockouts.js"

/** @since 0.1.0 */
export * as PgStore from "./PgStore.js"

/** @since 0.1.0 */
export * as ServerConfig from "./ServerConfig.js"

/** @since 0.1.0 */
export * as StoreHealth from "./StoreHealth.js"

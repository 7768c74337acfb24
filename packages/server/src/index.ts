/**
 * @chatauth/server — the chatAuthenticate server: a faithful stand-in for Oracle Fusion's endpoint and a production
 * token issuer (persistent keys, JWKS, rotation, hardened caller authentication, metrics, audit).
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as ApiImplementation from "./http/ApiImplementation.js"

/** @since 0.1.0 */
export * as AuditLog from "./audit/AuditLog.js"

/** @since 0.1.0 */
export * as CallerAuth from "./auth/CallerAuth.js"

/** @since 0.1.0 */
export * as ChannelServerEmulator from "./emulator/ChannelServerEmulator.js"

/** @since 0.1.0 */
export * as ChatAuthenticateHandler from "./issue/ChatAuthenticateHandler.js"

/** @since 0.1.0 */
export * as ChatAuthServer from "./ChatAuthServer.js"

/** @since 0.1.0 */
export * as EmulatorConfig from "./config/EmulatorConfig.js"

/** @since 0.1.0 */
export * as FaultInjection from "./emulator/FaultInjection.js"

/** @since 0.1.0 */
export * as Metrics from "./metrics/Metrics.js"

/** @since 0.1.0 */
export * as PersistentKeys from "./keys/PersistentKeys.js"

/** @since 0.1.0 */
export * as Readiness from "./http/Readiness.js"

/** @since 0.1.0 */
export * as Router from "./routing/Router.js"

/** @since 0.1.0 */
export * as RoutingConfig from "./config/RoutingConfig.js"

/** @since 0.1.0 */
export * as ServerOptions from "./ServerOptions.js"

/** @since 0.1.0 */
export * as SqliteStore from "./store/SqliteStore.js"

/** @since 0.1.0 */
export * as Store from "./store/Store.js"

/** @since 0.1.0 */
export * as CallerDirectory from "./auth/CallerDirectory.js"

/** @since 0.1.0 */
export * as ChangeFeed from "./store/ChangeFeed.js"

/** @since 0.1.0 */
export * as Database from "./store/Database.js"

/** @since 0.1.0 */
export * as Journal from "./store/Journal.js"

/** @since 0.1.0 */
export * as Lockouts from "./auth/Lockouts.js"

/** @since 0.1.0 */
export * as PgStore from "./store/PgStore.js"

/** @since 0.1.0 */
export * as ServerConfig from "./ServerConfig.js"

/** @since 0.1.0 */
export * as StoreHealth from "./store/StoreHealth.js"

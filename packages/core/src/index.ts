/**
 * @chatauth/core — the contract of Oracle Fusion's "Create a chat authentication" endpoint: schemas, errors, the
 * `HttpApi`, the mediaList codec, and the keys and tokens the service signs and Channel Servers verify.
 *
 * Each module is also importable on its own: `import * as MediaList from "@chatauth/core/MediaList"`.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Attributes from "./Attributes.js"

/** @since 0.1.0 */
export * as ChannelServer from "./ChannelServer.js"

/** @since 0.1.0 */
export * as ChatAuthenticate from "./ChatAuthenticate.js"

/** @since 0.1.0 */
export * as ChatAuthenticateApi from "./ChatAuthenticateApi.js"

/** @since 0.1.0 */
export * as Describe from "./Describe.js"

/** @since 0.1.0 */
export * as Errors from "./Errors.js"

/** @since 0.1.0 */
export * as KeyStore from "./KeyStore.js"

/** @since 0.1.0 */
export * as Links from "./Links.js"

/** @since 0.1.0 */
export * as MediaList from "./MediaList.js"

/** @since 0.1.0 */
export * as MediaTypes from "./MediaTypes.js"

/** @since 0.1.0 */
export * as OracleError from "./OracleError.js"

/** @since 0.1.0 */
export * as RequestBody from "./RequestBody.js"

/** @since 0.1.0 */
export * as Resource from "./Resource.js"

/** @since 0.1.0 */
export * as TokenIssuer from "./TokenIssuer.js"

/** @since 0.1.0 */
export * as TokenVerifier from "./TokenVerifier.js"

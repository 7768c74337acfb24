/**
 * @chatauth/client — a typed client for Oracle Fusion's "Create a chat authentication", on this project's server or
 * on a real pod: an Effect service (`ChatAuthClient`) and a Promise API (`createChatAuthClient`).
 *
 * @example
 * import { createChatAuthClient } from "@chatauth/client"
 *
 * const client = createChatAuthClient({ baseUrl: "https://pod.example.com", username: "integration", password })
 * const { item, engagementUrl, tokenExpiresAt } = await client.authenticate({ authUserName: "jane@example.com" })
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * from "./ChatAuthClient.js"

/** @since 0.1.0 */
export * from "./ChatAuthClientError.js"

/** @since 0.1.0 */
export * from "./ChatAuthResult.js"

/** @since 0.1.0 */
export * from "./PromiseClient.js"

/** @since 0.1.0 */
export * from "./ChannelServerClient.js"

/** @since 0.1.0 */
export * from "./ChannelServerError.js"

/** @since 0.1.0 */
export * from "./PromiseChannelServerClient.js"

/** @since 0.1.0 */
export * as ChatAuthRequest from "./ChatAuthRequest.js"

/** @since 0.1.0 */
export * as UnverifiedToken from "./UnverifiedToken.js"

/** @since 0.2.0 */
export * as Conformance from "./Conformance.js"

/** @since 0.2.0 */
export * as ShadowDiff from "./ShadowDiff.js"

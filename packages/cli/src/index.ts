/**
 * @chatauth/cli — `chatauth`, the command line of chatAuthenticate: `serve`, `authenticate`, `chat`, `conformance`,
 * `token decode|verify`, `keys`, `callers`, `audit` and `medialist`. The executable is `dist/bin.js` bundled into
 * `dist/chatauth.js`; the command tree is exported for embedding and tests.
 *
 * @since 0.1.0
 */

/** @since 0.1.0 */
export * as Authenticate from "./Authenticate.js"

/** @since 0.1.0 */
export * as Callers from "./Callers.js"

/** @since 0.1.0 */
export * as Cli from "./Cli.js"

/** @since 0.1.0 */
export * as CliError from "./CliError.js"

/** @since 0.2.0 */
export * as ConformanceCommand from "./ConformanceCommand.js"

/** @since 0.1.0 */
export * as Keys from "./Keys.js"

/** @since 0.1.0 */
export * as MediaListCommand from "./MediaListCommand.js"

/** @since 0.1.0 */
export * as Serve from "./Serve.js"

/** @since 0.1.0 */
export * as Token from "./Token.js"

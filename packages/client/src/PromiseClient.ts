/**
 * The client for code that does not use Effect: the same calls, retries and errors, behind Promises. It sends
 * with the global `fetch` (Node 20 has it).
 *
 * A refusal rejects with the typed error itself — `err instanceof ChatAuthClientError`, `err._tag`,
 * `err instanceof Errors.BadRequest` all work — never with a wrapper.
 *
 * @example
 * import { ChatAuthClientError, createChatAuthClient } from "@chatauth/client"
 *
 * const client = createChatAuthClient({
 *   baseUrl: "https://pod.example.com",
 *   username: "chat.integration",
 *   password: process.env.CHATAUTH_PASSWORD!
 * })
 * try {
 *   const result = await client.authenticate({ authUserName: "jane@example.com", mediaList: "CHAT" })
 *   console.log(result.engagementUrl, result.tokenExpiresAt)
 * } catch (err) {
 *   if (err instanceof ChatAuthClientError && err._tag === "TooManyRequests") console.log(err.retryAfterSeconds)
 *   else throw err
 * }
 *
 * @since 0.1.0
 */
import { FetchHttpClient } from "@effect/platform"
import { Cause, Effect, Either, Exit, Option, Redacted } from "effect"
import { type AuthenticateOptions, type ChatAuthClientOptions, makeChatAuthClient } from "./ChatAuthClient.js"
import type { ChatAuthRequest } from "./ChatAuthRequest.js"
import type { ChatAuthResult } from "./ChatAuthResult.js"
import { resolve } from "./internal/options.js"

/**
 * Options of {@link createChatAuthClient}: those of `ChatAuthClient.layer`, with the password as a plain string
 * allowed (it is wrapped in `Redacted` at once). `timeout` takes milliseconds or a duration string ("10 seconds").
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseClientOptions extends Omit<ChatAuthClientOptions, "password"> {
  readonly password: string | Redacted.Redacted<string>
  /** Another `fetch` (a mock, or one with a proxy agent); default the global one. */
  readonly fetch?: typeof globalThis.fetch | undefined
}

/**
 * Per-call options of the Promise API.
 *
 * @since 0.1.0
 * @category models
 */
export interface PromiseAuthenticateOptions extends AuthenticateOptions {
  /** Aborts the call (and its retries); the Promise then rejects with the signal's reason or an `AbortError`. */
  readonly signal?: AbortSignal | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PromiseChatAuthClient {
  /** Creates a chat authentication; rejects with a `ChatAuthClientError`. */
  readonly authenticate: (request: ChatAuthRequest, options?: PromiseAuthenticateOptions) => Promise<ChatAuthResult>
  /** Where the calls go (no credentials). */
  readonly endpointUrl: string
}

/**
 * Creates a Promise client. Throws a `TypeError` at once for invalid options (the message never holds the
 * password).
 *
 * @since 0.1.0
 * @category constructors
 */
export const createChatAuthClient = (options: PromiseClientOptions): PromiseChatAuthClient => {
  const { fetch, password, ...rest } = options
  const effectOptions: ChatAuthClientOptions = {
    ...rest,
    password: Redacted.isRedacted(password) ? password : Redacted.make(password)
  }
  // Checked here too so that a mistake surfaces where the client is created, as an exception (this is not Effect
  // code), rather than as a defect of every call.
  const checked = resolve(effectOptions)
  if (Either.isLeft(checked)) throw new TypeError(`createChatAuthClient: ${checked.left}`)
  // HttpApiClient keeps the context it was made in, so a `fetch` provided here is the one every call uses.
  const service = Effect.runSync(
    makeChatAuthClient(effectOptions).pipe(
      Effect.provide(FetchHttpClient.layer),
      fetch === undefined ? (self) => self : Effect.provideService(FetchHttpClient.Fetch, fetch)
    )
  )
  return {
    endpointUrl: service.endpointUrl,
    authenticate: (request, callOptions) =>
      Effect.runPromiseExit(
        service.authenticate(request, callOptions),
        callOptions?.signal === undefined ? undefined : { signal: callOptions.signal }
      ).then((exit) => {
        if (Exit.isSuccess(exit)) return exit.value
        // reject with the error itself: a FiberFailure wrapper would defeat `instanceof` and `_tag`
        const failure = Cause.failureOption(exit.cause)
        if (Option.isSome(failure)) throw failure.value
        if (Cause.isInterruptedOnly(exit.cause) && callOptions?.signal?.aborted === true) {
          throw callOptions.signal.reason ?? new DOMException("The call was aborted", "AbortError")
        }
        throw Cause.squash(exit.cause)
      })
  }
}

import { ChatAuthenticateApi } from "@chatauth/core"
import { Duration, Either, Encoding, Option, Redacted } from "effect"
import type { RetryOptions } from "../ChatAuthClient.js"
import type { RetryPolicy } from "./retry.js"

/** What the client needs once its options are checked and defaults applied. */
export interface ResolvedOptions {
  readonly baseUrl: string
  readonly basePath: ChatAuthenticateApi.BasePath
  readonly authorization: Redacted.Redacted<string>
  readonly frameworkVersion: number
  readonly metadataContext: string | undefined
  readonly onlyData: boolean | undefined
  readonly timeout: Duration.Duration
  readonly retry: RetryPolicy | undefined
}

/** The options as the public constructors take them (structural, so that this module needs no value from them). */
export interface RawOptions {
  readonly baseUrl: string | URL
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly basePath?: string | undefined
  readonly frameworkVersion?: number | undefined
  readonly metadataContext?: string | undefined
  readonly onlyData?: boolean | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly retry?: RetryOptions | false | undefined
}

export const DEFAULT_TIMEOUT = Duration.seconds(10)
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 4_000, budgetMs: 30_000 }
export const DEFAULT_FRAMEWORK_VERSION = 4

const nonNegative = (name: string, value: number | undefined, fallback: number): Either.Either<number, string> =>
  value === undefined
    ? Either.right(fallback)
    : Number.isFinite(value) && value >= 0
    ? Either.right(value)
    : Either.left(`retry.${name} must be a finite number ≥ 0`)

/** The timeout of one attempt and the retry policy, checked, with their defaults. */
export const resolveTiming = (
  options: Pick<RawOptions, "timeout" | "retry">
): Either.Either<{ readonly timeout: Duration.Duration; readonly retry: RetryPolicy | undefined }, string> =>
  Either.gen(function*() {
    const timeout = options.timeout === undefined
      ? DEFAULT_TIMEOUT
      : Option.getOrUndefined(Duration.decodeUnknown(options.timeout))
    if (timeout === undefined || !Duration.isFinite(timeout) || Duration.toMillis(timeout) <= 0) {
      return yield* Either.left("timeout must be a positive, finite duration")
    }
    let retry: RetryPolicy | undefined
    if (options.retry !== false) {
      const given = options.retry ?? {}
      const maxAttempts = given.maxAttempts ?? DEFAULT_RETRY.maxAttempts
      if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
        return yield* Either.left("retry.maxAttempts must be a whole number ≥ 1")
      }
      retry = {
        maxAttempts,
        baseDelayMs: yield* nonNegative("baseDelayMs", given.baseDelayMs, DEFAULT_RETRY.baseDelayMs),
        maxDelayMs: yield* nonNegative("maxDelayMs", given.maxDelayMs, DEFAULT_RETRY.maxDelayMs),
        budgetMs: yield* nonNegative("budgetMs", given.budgetMs, DEFAULT_RETRY.budgetMs)
      }
    }
    return { timeout, retry }
  })

/** Checks the options; the error is a sentence naming the option (never its value when it is a secret). */
export const resolve = (options: RawOptions): Either.Either<ResolvedOptions, string> =>
  Either.gen(function*() {
    let url: URL
    try {
      url = new URL(options.baseUrl.toString())
    } catch {
      return yield* Either.left("baseUrl must be an absolute http(s) URL")
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return yield* Either.left("baseUrl must be an absolute http(s) URL")
    }
    // Credentials in the URL would end up in logs and error messages: they belong in username/password.
    if (url.username !== "" || url.password !== "") {
      return yield* Either.left("baseUrl must not hold credentials: pass username and password")
    }
    if (url.search !== "" || url.hash !== "") return yield* Either.left("baseUrl must not have a query or fragment")
    const basePath = options.basePath ?? ChatAuthenticateApi.DEFAULT_BASE_PATH
    if (!ChatAuthenticateApi.isBasePath(basePath)) {
      return yield* Either.left(`basePath must be one of ${ChatAuthenticateApi.BASE_PATHS.join(", ")}`)
    }
    if (typeof options.username !== "string" || options.username === "" || options.username.includes(":")) {
      return yield* Either.left("username must be a non-empty string without ':' (HTTP Basic cannot carry one)")
    }
    if (!Redacted.isRedacted(options.password)) return yield* Either.left("password must be a Redacted string")
    const frameworkVersion = options.frameworkVersion ?? DEFAULT_FRAMEWORK_VERSION
    if (!Number.isInteger(frameworkVersion) || frameworkVersion < 1 || frameworkVersion > 9) {
      return yield* Either.left("frameworkVersion must be a whole number from 1 to 9")
    }
    if (options.metadataContext !== undefined && /[\r\n]/.test(options.metadataContext)) {
      return yield* Either.left("metadataContext must be a single line")
    }
    const { retry, timeout } = yield* resolveTiming(options)
    const credentials = Encoding.encodeBase64(`${options.username}:${Redacted.value(options.password)}`)
    return {
      // the contract's paths start with "/": a trailing slash here would double it
      baseUrl: url.toString().replace(/\/+$/, ""),
      basePath,
      authorization: Redacted.make(`Basic ${credentials}`),
      frameworkVersion,
      metadataContext: options.metadataContext,
      onlyData: options.onlyData,
      timeout,
      retry
    }
  })

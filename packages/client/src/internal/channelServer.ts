import { Either, Redacted } from "effect"
import type { ChannelServerClientOptions } from "../ChannelServerClient.js"
import {
  type ChannelServerError,
  Dequeued,
  EngagementNotFound,
  isTransientChannelServerError,
  RequestRejected,
  Timeout,
  TokenRejected
} from "../ChannelServerError.js"
import { ServerError } from "../ChatAuthClientError.js"
import { resolveTiming } from "./options.js"
import { excerpt } from "./text.js"

/** Checks the options; the error is a sentence naming the option (never the token). */
export const resolveOptions = (options: ChannelServerClientOptions) =>
  Either.gen(function*() {
    if (typeof options.domain !== "string" || !/^[^\s/?#@]+$/.test(options.domain)) {
      return yield* Either.left("domain must be a host name with an optional :port")
    }
    if (typeof options.chatSiteName !== "string" || !/^[A-Za-z0-9._~-]+$/.test(options.chatSiteName)) {
      return yield* Either.left("chatSiteName must be 1 or more of A-Z a-z 0-9 . _ ~ -")
    }
    const jwt = Redacted.isRedacted(options.jwt) ? Redacted.value(options.jwt) : options.jwt
    if (typeof jwt !== "string" || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(jwt)) {
      return yield* Either.left("jwt must be a compact JWT")
    }
    const scheme = options.scheme ?? "https"
    if (scheme !== "https" && scheme !== "http") return yield* Either.left("scheme must be https or http")
    let origin = `${scheme}://${options.domain}`
    if (options.channelServerUrl !== undefined) {
      let url: URL
      try {
        url = new URL(options.channelServerUrl.toString())
      } catch {
        return yield* Either.left("channelServerUrl must be an absolute http(s) URL")
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "") {
        return yield* Either.left("channelServerUrl must be an http(s) URL without credentials")
      }
      if (url.search !== "" || url.hash !== "") {
        return yield* Either.left("channelServerUrl must not have a query or fragment")
      }
      origin = url.toString().replace(/\/+$/, "")
    }
    const timing = yield* resolveTiming(options)
    return {
      baseUrl: `${origin}/engagement/api/consumer/${options.chatSiteName}/v1`,
      poolId: options.poolId ?? undefined,
      authorization: Redacted.make(`Bearer ${jwt}`),
      ...timing
    }
  })

const detailOf = (body: string): { readonly detail: string; readonly reason: string | undefined } => {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>
    const detail = [parsed.detail, parsed.message, parsed.title].find((v) => typeof v === "string") as
      | string
      | undefined
    return { detail: detail ?? excerpt(body), reason: typeof parsed.reason === "string" ? parsed.reason : undefined }
  } catch {
    return { detail: excerpt(body.trim()), reason: undefined }
  }
}

/** The typed error of a non-2xx answer. */
export const errorOf = (status: number, body: string, retryAfter: string | undefined): ChannelServerError => {
  const { detail, reason } = detailOf(body)
  if (status === 401 || status === 403) return new TokenRejected({ status, reason: reason ?? "unspecified", detail })
  if (status === 404) return new EngagementNotFound({ detail })
  if (status === 408) return new Timeout({ status: 408 })
  if (status === 409) return new Dequeued({ detail })
  if (status >= 500) return new ServerError({ status, body: excerpt(body) })
  const seconds = retryAfter !== undefined && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined
  return new RequestRejected({ status, detail, ...(seconds === undefined ? {} : { retryAfterSeconds: seconds }) })
}

export const classifier = {
  isTransient: isTransientChannelServerError,
  retryAfterMillis: (error: ChannelServerError) =>
    error._tag === "RequestRejected" && error.retryAfterSeconds !== undefined
      ? error.retryAfterSeconds * 1000
      : undefined
}

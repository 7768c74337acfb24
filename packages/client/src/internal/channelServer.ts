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

/**
 * Whether a chatAuthenticate answer's `domain` names this machine: `localhost` (and `*.localhost`, RFC 6761), an
 * address in 127.0.0.0/8, `::1`, or 127.0.0.0/8 mapped into IPv6 — in whatever form the URL parser accepts them
 * (`127.1`, `[0:0:0:0:0:0:0:1]`, upper case, a trailing dot). Such a Channel Server is the local emulator, which
 * speaks plain HTTP, so the scheme defaults to `http` there (a TLS tunnel on loopback says `scheme: "https"`).
 */
export const isLoopbackDomain = (domain: string): boolean => {
  let host: string
  try {
    host = new URL(`http://${domain}/`).hostname.toLowerCase().replace(/\.$/, "")
  } catch {
    return false
  }
  if (host === "localhost" || host.endsWith(".localhost")) return true
  if (/^127\.\d+\.\d+\.\d+$/.test(host)) return true
  // The URL parser writes IPv6 compressed and in hex: ::1, and ::ffff:7f00:1 for 127.0.0.1 mapped.
  return host === "[::1]" || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
}

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
    const scheme = options.scheme ?? (isLoopbackDomain(options.domain) ? "http" : "https")
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

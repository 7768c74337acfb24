/**
 * The request and the answer as the route sees them: the few members of an HTTP exchange it needs, so that it can be
 * served straight from `node:http` (see `http/NodeFrontend.ts`) and driven in tests without a socket, and the parsing
 * of what it reads from them (the resource path, the origin, Basic credentials).
 *
 * @since 0.3.0
 */
import type { Effect, Option } from "effect"
import { Redacted } from "effect"

/**
 * A request as the handler needs it.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireRequest {
  readonly method: string
  /** The path, without the query. */
  readonly path: string
  /** The query string, without `?` (empty when none). */
  readonly query: string
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  readonly clientAddress: string
  /** Reads the body's bytes, at most `maxBytes`; `None` when it is larger. */
  readonly readBody: (maxBytes: number) => Effect.Effect<Option.Option<Uint8Array>>
  /** `readBody` with a callback, as the route reads it; without it the route reads through `readBody`. */
  readonly readBodyCallback?:
    | ((maxBytes: number, done: (body: Option.Option<Uint8Array>) => void) => void)
    | undefined
}

/**
 * An answer ready to write.
 *
 * @since 0.1.0
 * @category models
 */
export interface WireResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /** Close the connection after answering (the body was not read, or was too large). */
  readonly close?: boolean
}

/**
 * A path under one of the resource's base paths.
 *
 * @since 0.1.0
 * @category models
 */
export interface ResourcePath {
  readonly basePath: string
  /** The segment after `chatAuthenticate/` (`describe`, or an item key), if any. */
  readonly item: string | undefined
}

// Any application and version segment: what is not a documented base path is answered 404 by the handler, in the
// caller's framework version, rather than by `HttpApi`'s path decoding (a 400 listing schema internals).
/**
 * A request target split into its path and its query (without `?`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const splitUrl = (url: string): { readonly path: string; readonly query: string } => {
  const question = url.indexOf("?")
  return question === -1 ? { path: url, query: "" } : { path: url.slice(0, question), query: url.slice(question + 1) }
}

const RESOURCE_PATH = /^(\/[^/]+\/resources\/[^/]+)\/chatAuthenticate(?:\/([^/]*))?\/?$/

/**
 * Matches the resource's paths, on any application and version segment (an unknown base path is then answered 404 by
 * the handler).
 *
 * @since 0.1.0
 * @category parsing
 */
export const matchResourcePath = (path: string): ResourcePath | undefined => {
  const match = RESOURCE_PATH.exec(path)
  return match === null ? undefined : { basePath: match[1], item: match[2] === "" ? undefined : match[2] }
}

/**
 * The first value of a request header (names are lower case).
 *
 * @since 0.3.0
 * @category parsing
 */
export const header = (request: Pick<WireRequest, "headers">, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : value?.[0]
}

// A Host header becomes part of links and Location: accept only a plain host name or address with a port.
const PLAIN_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/

/**
 * The origin links, `Location` and the describe document are built on: the configured public URL, else the request's
 * Host when it is a plain host name (over http), else the fallback.
 *
 * @since 0.1.0
 * @category parsing
 */
export const originOf = (
  request: Pick<WireRequest, "headers">,
  options: { readonly publicUrl?: string | undefined; readonly fallbackOrigin: () => string }
): string => {
  if (options.publicUrl !== undefined) return options.publicUrl
  const host = header(request, "host")
  return host !== undefined && PLAIN_HOST.test(host) ? `http://${host}` : options.fallbackOrigin()
}

/**
 * Reads HTTP Basic credentials. `undefined` when absent or malformed.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseBasicAuthorization = (
  value: string | undefined
): { readonly username: string; readonly password: Redacted.Redacted<string> } | undefined => {
  if (value === undefined) return undefined
  const match = /^\s*basic\s+([A-Za-z0-9+/=_-]{1,8192})\s*$/i.exec(value)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1], "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon <= 0) return undefined
  return { username: decoded.slice(0, colon), password: Redacted.make(decoded.slice(colon + 1)) }
}

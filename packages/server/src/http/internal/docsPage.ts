/**
 * The docs page as served: about 2 MB of HTML with Swagger UI inline, compressed once (gzip and brotli, on the
 * thread pool) and answered per `Accept-Encoding`, with an ETag per encoding and a Content-Security-Policy that
 * allows exactly the page's own inline scripts (by hash) and no framing.
 *
 * @since 0.2.0
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as Zlib from "node:zlib"

/**
 * An answer to a request for the page.
 *
 * @since 0.2.0
 * @category models
 */
export interface DocsAnswer {
  readonly status: 200 | 304
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

/**
 * @since 0.2.0
 * @category models
 */
export interface DocsPage {
  readonly answer: (request: {
    readonly acceptEncoding: string | undefined
    readonly ifNoneMatch: string | undefined
  }) => DocsAnswer
}

type Encoding = "br" | "gzip" | "identity"

const CACHE_CONTROL = "public, max-age=3600"

const compress = (kind: "br" | "gzip", data: Buffer): Effect.Effect<Buffer> =>
  Effect.async<Buffer>((resume) => {
    const done = (error: Error | null, result: Buffer) =>
      resume(error === null ? Effect.succeed(result) : Effect.die(error))
    if (kind === "gzip") Zlib.gzip(data, { level: 9 }, done)
    // Quality 9: a tenth of quality 11's time for 10% more bytes, and it runs on the first request for the page.
    else {
      Zlib.brotliCompress(data, {
        params: {
          [Zlib.constants.BROTLI_PARAM_QUALITY]: 9,
          [Zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length
        }
      }, done)
    }
  })

const sha256 = (data: string | Uint8Array, encoding: "base64" | "base64url") =>
  createHash("sha256").update(data).digest(encoding)

// The hashes of the page's executable inline scripts: the spec's `application/json` block is data, not script.
const scriptHashes = (html: string): ReadonlyArray<string> => {
  const hashes: Array<string> = []
  for (const match of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/g)) {
    if (/type\s*=\s*"application\/json"/.test(match[1] ?? "")) continue
    hashes.push(`'sha256-${sha256(match[2], "base64")}'`)
  }
  return hashes
}

/**
 * The Content-Security-Policy of a page: its own inline scripts, inline styles (Swagger UI sets them), images from
 * itself or `data:`, requests to this origin only ("Try it out"), and never inside a frame.
 *
 * @since 0.2.0
 * @category security
 */
export const contentSecurityPolicy = (html: string): string =>
  [
    "default-src 'none'",
    `script-src ${scriptHashes(html).join(" ")}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'"
  ].join("; ")

/**
 * The encoding to answer in: brotli, else gzip, else none, among those the client accepts (`q=0` refuses one).
 *
 * @since 0.2.0
 * @category negotiation
 */
export const chooseEncoding = (acceptEncoding: string | undefined): Encoding => {
  if (acceptEncoding === undefined) return "identity"
  const accepted = new Map<string, number>()
  for (const part of acceptEncoding.split(",")) {
    const [name, ...parameters] = part.split(";").map((piece) => piece.trim().toLowerCase())
    if (name === "") continue
    const q = parameters.find((parameter) => parameter.startsWith("q="))
    const quality = q === undefined ? 1 : Number(q.slice(2))
    accepted.set(name, Number.isFinite(quality) ? quality : 0)
  }
  const quality = (name: string) => accepted.get(name) ?? accepted.get("*") ?? 0
  if (quality("br") > 0) return "br"
  if (quality("gzip") > 0) return "gzip"
  return "identity"
}

const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  ifNoneMatch !== undefined &&
  ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim()
    return tag === "*" || tag === etag || tag === `W/${etag}`
  })

/**
 * Prepares a page: compressed both ways once, its policy and ETags computed.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (html: string): Effect.Effect<DocsPage> =>
  Effect.gen(function*() {
    const identity = Buffer.from(html, "utf8")
    const [br, gzip] = yield* Effect.all([compress("br", identity), compress("gzip", identity)], {
      concurrency: 2
    })
    const tag = sha256(identity, "base64url").slice(0, 27)
    const variants: Record<Encoding, { readonly body: Buffer; readonly etag: string }> = {
      identity: { body: identity, etag: `"${tag}"` },
      br: { body: br, etag: `"${tag}-br"` },
      gzip: { body: gzip, etag: `"${tag}-gz"` }
    }
    const common = {
      "content-security-policy": contentSecurityPolicy(html),
      "x-frame-options": "DENY",
      "cache-control": CACHE_CONTROL,
      vary: "Accept-Encoding"
    }
    return {
      answer: ({ acceptEncoding, ifNoneMatch }) => {
        const encoding = chooseEncoding(acceptEncoding)
        const variant = variants[encoding]
        const headers: Record<string, string> = { ...common, etag: variant.etag }
        if (matches(ifNoneMatch, variant.etag)) return { status: 304, headers, body: new Uint8Array(0) }
        headers["content-type"] = "text/html; charset=utf-8"
        if (encoding !== "identity") headers["content-encoding"] = encoding
        return { status: 200, headers, body: variant.body }
      }
    }
  })

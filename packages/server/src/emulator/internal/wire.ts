import type { ChannelServer } from "@chatauth/core"
import { STATUS_TITLES } from "@chatauth/core/Resource"
import { Effect, Either, Option } from "effect"
import type { WireRequest, WireResponse } from "../../issue/ChatAuthenticateHandler.js"

/** The largest body an emulator operation or the fault admin reads. */
export const MAX_BODY_BYTES = 64 * 1024

const TITLES: Readonly<Record<number, string>> = {
  ...STATUS_TITLES,
  408: "Request Timeout",
  409: "Conflict"
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }

export const json = (status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): WireResponse => ({
  status,
  headers: { ...JSON_HEADERS, ...headers },
  body: JSON.stringify(value)
})

/** A refusal in the emulator's error body (`ChannelServer.ErrorBody`). */
export const refusal = (
  status: number,
  detail: string,
  options: { readonly reason?: string; readonly headers?: Readonly<Record<string, string>>; readonly close?: boolean } =
    {}
): WireResponse => {
  const body: ChannelServer.ErrorBody = {
    status,
    title: TITLES[status] ?? "Error",
    detail,
    ...(options.reason === undefined ? {} : { reason: options.reason })
  }
  return { ...json(status, body, options.headers), ...(options.close === true ? { close: true } : {}) }
}

export const header = (request: WireRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : value?.[0]
}

/** A query parameter's decoded value; `undefined` when absent or not decodable. */
export const queryParam = (query: string, name: string): string | undefined => {
  for (const pair of query.split("&")) {
    const equals = pair.indexOf("=")
    const key = equals === -1 ? pair : pair.slice(0, equals)
    if (key !== name) continue
    try {
      return decodeURIComponent((equals === -1 ? "" : pair.slice(equals + 1)).replace(/\+/g, " "))
    } catch {
      return undefined
    }
  }
  return undefined
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * The body as a JSON object: an empty body is `{}`; anything else that is not a JSON object is refused (400), a body
 * over the limit too (413).
 */
export const readJsonObject = (
  request: WireRequest
): Effect.Effect<Either.Either<Record<string, unknown>, WireResponse>> =>
  Effect.map(request.readBody(MAX_BODY_BYTES), (bytes): Either.Either<Record<string, unknown>, WireResponse> => {
    if (Option.isNone(bytes)) {
      return Either.left(refusal(413, `the body is over ${MAX_BODY_BYTES} bytes`, { close: true }))
    }
    let text: string
    try {
      text = utf8.decode(bytes.value)
    } catch {
      return Either.left(refusal(400, "the body is not valid UTF-8"))
    }
    if (text.trim() === "") return Either.right({})
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return Either.left(refusal(400, "the body is not JSON"))
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      return Either.left(refusal(400, "the body must be a JSON object"))
    }
    return Either.right(parsed as Record<string, unknown>)
  })

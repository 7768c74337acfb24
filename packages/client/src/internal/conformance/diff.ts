/**
 * The shadow diff's comparison of two answers to one request: each answer reduced to what must be equal between two
 * faithful endpoints, then compared field by field.
 *
 * What must differ is left out: the token's signature, its times (`iat`, `exp`: their difference is kept) and its
 * key ids (`kid`, `x5t`); the origin of `links` and `Location` (each endpoint names itself; the path is kept);
 * the `Date` header and every header no client reads; the value of `Retry-After` (its presence is kept); why a
 * request got no answer (the port or the address in the message).
 */
import { Encoding, Option } from "effect"
import type { Exchange } from "./wire.js"

/** A JSON value. */
type Json = null | boolean | number | string | ReadonlyArray<Json> | { readonly [key: string]: Json }

/** One field on which two answers differ; `a` or `b` is absent where that answer has no such field. */
export interface FieldDifference {
  /** `status`, `headers.content-type`, `body.categoryId`, `body.jwt.claims.aud`, `body.links[0].href`… */
  readonly field: string
  readonly a?: unknown
  readonly b?: unknown
}

const COMPARED_HEADERS = ["content-type", "location", "allow", "www-authenticate", "retry-after"] as const

const isObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === "object" && !Array.isArray(value)

const pathOf = (href: string): string => {
  try {
    const url = new URL(href)
    return url.pathname + url.search
  } catch {
    return href
  }
}

const decodeSegment = (segment: string | undefined): Record<string, unknown> | undefined => {
  if (segment === undefined) return undefined
  return Option.getOrUndefined(Option.flatMap(Option.getRight(Encoding.decodeBase64UrlString(segment)), (text) => {
    try {
      const value: unknown = JSON.parse(text)
      return isObject(value) ? Option.some({ ...value }) : Option.none()
    } catch {
      return Option.none()
    }
  }))
}

/** A token as two faithful endpoints' tokens agree: its header and claims, without ids, times or signature. */
const normalToken = (jwt: string): Json => {
  const [first, second] = jwt.split(".")
  const header = decodeSegment(first)
  const claims = decodeSegment(second)
  if (header === undefined || claims === undefined) return "(not a JWT)"
  for (const id of ["kid", "x5t"]) if (typeof header[id] === "string") header[id] = "(an id)"
  const lifetime = typeof claims.exp === "number" && typeof claims.iat === "number"
    ? claims.exp - claims.iat
    : undefined
  for (const time of ["iat", "exp"]) if (typeof claims[time] === "number") claims[time] = "(a time)"
  return {
    header: header as Json,
    claims: { ...(claims as Record<string, Json>), ...(lifetime === undefined ? {} : { "exp - iat": lifetime }) }
  }
}

const normalJson = (value: unknown, key: string | undefined): Json => {
  if (key === "jwt" && typeof value === "string") return normalToken(value)
  if (key === "href" && typeof value === "string") return pathOf(value)
  if (Array.isArray(value)) return value.map((element) => normalJson(element, undefined))
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([name, member]) => [name, normalJson(member, name)]))
  }
  return value as Json
}

const normalHeader = (name: typeof COMPARED_HEADERS[number], value: string): string => {
  switch (name) {
    case "content-type":
      return value.split(";")[0].trim().toLowerCase()
    case "location":
      return pathOf(value)
    case "retry-after":
      return /^\d+$/.test(value.trim()) ? "(seconds)" : value
    default:
      return value
  }
}

/** An exchange as two faithful endpoints' exchanges agree. */
export const normalize = (exchange: Exchange): Json =>
  Option.match(exchange.response, {
    onNone: () => ({ answer: "none" }),
    onSome: (response) => ({
      status: response.status,
      headers: Object.fromEntries(
        COMPARED_HEADERS.flatMap((name) => {
          const value = response.headers[name]
          return value === undefined ? [] : [[name, normalHeader(name, value)]]
        })
      ),
      body: Option.match(response.json, {
        onNone: () => response.body,
        onSome: (json) => normalJson(json, undefined)
      })
    })
  })

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

const walk = (a: unknown, b: unknown, field: string, out: Array<FieldDifference>): void => {
  if (isObject(a) && isObject(b)) {
    const names = [...Object.keys(a), ...Object.keys(b).filter((name) => !(name in a))]
    for (const name of names) walk(a[name], b[name], field === "" ? name : `${field}.${name}`, out)
    return
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((element, index) => walk(element, b[index], `${field}[${index}]`, out))
    return
  }
  if (same(a, b)) return
  out.push({ field, ...(a === undefined ? {} : { a }), ...(b === undefined ? {} : { b }) })
}

/** Where two answers to the same request differ, field by field; empty when they agree. */
export const differences = (a: Exchange | undefined, b: Exchange | undefined): ReadonlyArray<FieldDifference> => {
  if (a === undefined || b === undefined) {
    return [{ field: "exchange", ...(a === undefined ? {} : { a: "sent" }), ...(b === undefined ? {} : { b: "sent" }) }]
  }
  const out: Array<FieldDifference> = []
  walk(normalize(a), normalize(b), "", out)
  return out
}

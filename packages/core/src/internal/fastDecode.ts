/**
 * A fast path for decoding the common, valid chatAuthenticate request body, ahead of the schema decode.
 *
 * The request schema runs a transformation per attribute (about 100 µs a request on the bench machine: as much
 * main-thread time as the rest of the server's route). This checks the same rules by hand for the shapes it fully
 * understands and returns exactly what the schema would; for anything else (an unknown key, a value it cannot vouch
 * for, an attribute with a structured rule such as `mediaList`) it returns `undefined` and `decodeRequest` decodes
 * with the schema, which then also produces the error messages. `test/FastDecode.test.ts` checks that the two agree
 * on generated bodies.
 */
import {
  MAX_ATTRIBUTE_LENGTH,
  MAX_AUTH_USER_NAME_LENGTH,
  requestAttributeNames,
  responseOnlyAttributeNames
} from "../Attributes.js"
import type { ChatAuthenticateRequest } from "../ChatAuthenticate.js"

// The request attributes in Oracle's order, which is also the schema's field order (the order its output has).
const PLAIN = requestAttributeNames

// Sent by a caller, accepted whatever they hold and dropped (spec §2).
const KNOWN = new Set<string>([...requestAttributeNames, ...responseOnlyAttributeNames])

// Attributes whose rule is more than "a short string, an integer or null": left to the schema unless null.
const STRUCTURED = new Set<string>(["chatPriority", "customFields", "mediaList"])

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

const LONE_SURROGATE = /\p{Surrogate}/u

const hasOwn = Object.prototype.hasOwnProperty

/** A wire value as text, or `undefined` when the fast path cannot vouch for it. */
const toText = (value: unknown, maxLength: number): string | undefined => {
  const text = typeof value === "string"
    ? value
    : typeof value === "number" && Number.isSafeInteger(value)
    ? String(value)
    : undefined
  return text !== undefined && text.length <= maxLength ? text : undefined
}

/**
 * The decoded request when the body is one the fast path fully understands and the schema would accept; otherwise
 * `undefined` (decode with the schema).
 */
export const fastDecodeRequest = (body: unknown): ChatAuthenticateRequest | undefined => {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return undefined
  const record = body as Record<string, unknown>
  // Own keys only, `__proto__` included (JSON.parse makes it an own key): anything unknown goes to the schema.
  for (const key of Object.keys(record)) if (!KNOWN.has(key)) return undefined
  if (Object.getPrototypeOf(record) !== Object.prototype) return undefined
  const out: Record<string, string | null> = {}
  for (const name of PLAIN) {
    if (!hasOwn.call(record, name)) {
      if (name === "authUserName") return undefined
      if (name === "clientType") out.clientType = "CONSUMER"
      continue
    }
    const value = record[name]
    if (name === "authUserName") {
      const text = toText(value, MAX_AUTH_USER_NAME_LENGTH)
      if (
        text === undefined || text.trim().length === 0 || CONTROL_CHARACTERS.test(text) || LONE_SURROGATE.test(text)
      ) return undefined
      out.authUserName = text
      continue
    }
    if (name === "clientType") {
      if (value === null || value === "CONSUMER") out.clientType = "CONSUMER"
      else return undefined
      continue
    }
    if (value === null) {
      out[name] = null
      continue
    }
    if (STRUCTURED.has(name)) return undefined
    if (name === "resumeType") {
      if (value === "RESUME" || value === "DO_NOT_RESUME") out.resumeType = value
      else return undefined
      continue
    }
    const text = toText(value, MAX_ATTRIBUTE_LENGTH)
    if (text === undefined) return undefined
    out[name] = text
  }
  return out as unknown as ChatAuthenticateRequest
}

/**
 * The rules of the request attributes that are more than "a string, an integer or null, at most so long", as plain
 * functions of the attribute's text: `undefined` when the value is valid, otherwise what is wrong with it.
 *
 * Written once for the two decoders of a request: the schema (`ChatAuthenticate.ts`), which is the contract and words
 * the refusals, and the fast path (`fastDecode.ts`), which decodes a valid body without the schema's transformations.
 * Were each to hold its own copy, a rule changed in one would let the two drift apart on exactly the attributes the
 * bench does not send.
 */
import { Either } from "effect"
import * as MediaList from "../MediaList.js"

/** A rule over an attribute's text: `undefined` when the value is valid, otherwise the problem, for a caller. */
export type Check = (value: string) => string | undefined

// Control characters have no place in a user name, and would be a way to smuggle lines into logs and headers.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

// A lone surrogate (`"\ud800"` is valid JSON) is no character at all, and cannot be percent-encoded into the item's
// href and `Location`.
const LONE_SURROGATE = /\p{Surrogate}/u

export const checkAuthUserName: Check = (value) => {
  if (value.trim().length === 0) return "is mandatory and must not be empty"
  if (CONTROL_CHARACTERS.test(value)) return "must not contain control characters"
  if (LONE_SURROGATE.test(value)) return "must be well-formed Unicode (it holds a lone surrogate)"
  return undefined
}

const PRIORITY = /^[0-9]{1,9}$/

export const checkChatPriority: Check = (value) =>
  PRIORITY.test(value) ? undefined : "must be a whole number from 0 to 999999999"

export const checkResumeType: Check = (value) =>
  value === "RESUME" || value === "DO_NOT_RESUME" ? undefined : `must be RESUME or DO_NOT_RESUME, not "${value}"`

export const checkCustomFields: Check = (value) => {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    return "must be a string holding a JSON object of key/value pairs, and it is not valid JSON"
  }
  return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
    ? undefined
    : "must be a string holding a JSON object of key/value pairs"
}

export const checkMediaList: Check = (value) => {
  const decoded = MediaList.decode(value)
  return Either.isLeft(decoded) ? `is not valid: ${decoded.left.message}` : undefined
}

/** Each request attribute's rule, by name; an attribute not named here has none beyond its kind and length. */
export const attributeChecks: ReadonlyMap<string, Check> = new Map([
  ["authUserName", checkAuthUserName],
  ["chatPriority", checkChatPriority],
  ["customFields", checkCustomFields],
  ["mediaList", checkMediaList],
  ["resumeType", checkResumeType]
])

/**
 * The `mediaList` attribute of chatAuthenticate: the channels the end user's browser can use and, per channel,
 * the capability errors it found (spec §5).
 *
 * Wire grammar: elements separated by `;`, each `CHANNEL` or `CHANNEL:ERROR,ERROR,…`.
 * Channels are `CHAT`, `VIDEO`, `COBROWSE`; `VIDEO` knows `NO_CAMERA`, `NO_MICROPHONE`, `NO_SPEAKERS`;
 * `CHAT` and `COBROWSE` know `BROWSER_NOT_SUPPORTED`, `INSECURE_ORIGIN`.
 *
 * Decisions taken where Oracle is silent:
 * - **Unknown error tokens** are kept as unrecognized errors by default, because Oracle's own example
 *   (`CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE`) uses one; strict mode rejects them, including a code that
 *   belongs to another channel (`CHAT:NO_CAMERA`).
 * - **Error tokens** must be upper-case letters, digits and `_` (the shape of every Oracle code). Anything else
 *   (`no-camera`, `NO CAMERA`, `<b>`) is rejected in both modes: forward compatibility does not need it, and the
 *   value is echoed and logged.
 * - **Case**: channel types and error codes are case-sensitive (`chat` is rejected, with a hint).
 * - **Whitespace** around elements, channel types and error tokens is ignored (`CHAT ; VIDEO: NO_CAMERA`),
 *   in both modes: clients that build the string by hand add it and it carries no meaning. Whitespace inside a
 *   token is not trimmed away and makes the token invalid.
 * - **Duplicate errors** within one channel (`VIDEO:NO_CAMERA,NO_CAMERA`) carry no extra meaning: the lenient
 *   decoder keeps the first occurrence; strict mode rejects them. Duplicate **channels** are always rejected,
 *   since two error lists for one channel are ambiguous.
 * - **The empty string** (or only whitespace) decodes to a list with no channels, which `encode` writes back as `""`:
 *   form-based clients send `""` for an optional field they leave blank. A `;` with nothing around it is still an
 *   empty element and is rejected (`CHAT;`, `;CHAT`, `CHAT;;VIDEO`).
 * - `CHAT:` (a `:` with no error after it) and `CHAT:A,,B` (an empty error in the list) are rejected.
 *
 * @since 0.1.0
 */
import type { FastCheck } from "effect"
import { Either, Function, ParseResult, Schema } from "effect"

// ---------------------------------------------------------------------------------------------------------------
// vocabulary
// ---------------------------------------------------------------------------------------------------------------

/**
 * A channel type of `mediaList`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ChannelType = Schema.Literal("CHAT", "VIDEO", "COBROWSE").annotations({
  identifier: "ChannelType",
  description: "A chat channel type: CHAT, VIDEO or COBROWSE"
})

/**
 * @since 0.1.0
 * @category models
 */
export type ChannelType = typeof ChannelType.Type

/**
 * The capability errors documented for the `VIDEO` channel.
 *
 * @since 0.1.0
 * @category schemas
 */
export const VideoErrorCode = Schema.Literal("NO_CAMERA", "NO_MICROPHONE", "NO_SPEAKERS").annotations({
  identifier: "VideoErrorCode"
})

/**
 * @since 0.1.0
 * @category models
 */
export type VideoErrorCode = typeof VideoErrorCode.Type

/**
 * The capability errors documented for the `CHAT` and `COBROWSE` channels.
 *
 * @since 0.1.0
 * @category schemas
 */
export const BrowserErrorCode = Schema.Literal("BROWSER_NOT_SUPPORTED", "INSECURE_ORIGIN").annotations({
  identifier: "BrowserErrorCode"
})

/**
 * @since 0.1.0
 * @category models
 */
export type BrowserErrorCode = typeof BrowserErrorCode.Type

/**
 * Every documented capability error code, whatever its channel.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaErrorCode = Schema.Literal(...VideoErrorCode.literals, ...BrowserErrorCode.literals).annotations({
  identifier: "MediaErrorCode",
  description: "A documented mediaList error code"
})

/**
 * @since 0.1.0
 * @category models
 */
export type MediaErrorCode = typeof MediaErrorCode.Type

/**
 * The documented error codes of each channel type.
 *
 * @since 0.1.0
 * @category constants
 */
export const knownErrors: { readonly [C in ChannelType]: ReadonlyArray<MediaErrorCode> } = {
  CHAT: BrowserErrorCode.literals,
  VIDEO: VideoErrorCode.literals,
  COBROWSE: BrowserErrorCode.literals
}

const TOKEN = /^[A-Z0-9_]+$/

/**
 * The shape of any error token, documented or not: one or more upper-case letters, digits or `_`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaErrorToken = Schema.String.pipe(
  Schema.pattern(TOKEN, { message: () => "an error token is one or more upper-case letters, digits or \"_\"" }),
  Schema.annotations({
    identifier: "MediaErrorToken",
    // Short tokens keep generated strings readable in counterexamples; the regex arbitrary has no length bound.
    arbitrary: () => (fc) => fc.stringMatching(/^[A-Z0-9_]{1,12}$/)
  })
)

// ---------------------------------------------------------------------------------------------------------------
// typed value
// ---------------------------------------------------------------------------------------------------------------

/**
 * An error documented for the channel it appears in.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RecognizedMediaError = Schema.Struct({
  code: MediaErrorCode,
  recognized: Schema.Literal(true)
}).annotations({ identifier: "RecognizedMediaError" })

/**
 * An error token not documented for the channel it appears in (kept by the lenient decoder).
 *
 * @since 0.1.0
 * @category schemas
 */
export const UnrecognizedMediaError = Schema.Struct({
  code: MediaErrorToken,
  recognized: Schema.Literal(false)
}).annotations({ identifier: "UnrecognizedMediaError" })

/**
 * One capability error of a channel: `{ code, recognized }`. `recognized` is `true` exactly when `code` is
 * documented for that channel, so the JSON form says at a glance what the service understood.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaError = Schema.Union(RecognizedMediaError, UnrecognizedMediaError).annotations({
  identifier: "MediaError"
})

/**
 * @since 0.1.0
 * @category models
 */
export type MediaError = typeof MediaError.Type

const channelProblem = (channel: ChannelType, errors: ReadonlyArray<MediaError>): string | undefined => {
  const known = knownErrors[channel]
  const seen = new Set<string>()
  for (const error of errors) {
    if (seen.has(error.code)) {
      return `error ${error.code} appears twice in ${channel}`
    }
    seen.add(error.code)
    const documented = (known as ReadonlyArray<string>).includes(error.code)
    if (error.recognized && !documented) {
      return `${error.code} is not a ${channel} error, so it cannot be recognized: true`
    }
    if (!error.recognized && documented) {
      return `${error.code} is a ${channel} error, so it must be recognized: true`
    }
  }
  return undefined
}

const errorArbitrary = (
  fc: typeof FastCheck,
  channel: ChannelType,
  strict: boolean
): FastCheck.Arbitrary<MediaError> => {
  const known = knownErrors[channel] as ReadonlyArray<string>
  const recognized = fc.constantFrom(...knownErrors[channel]).map((code) => ({ code, recognized: true as const }))
  if (strict) {
    return recognized
  }
  // Codes of the other channels and Oracle's NO_KEYBOARD are the unrecognized tokens that matter in practice.
  const token = fc.oneof(
    fc.constantFrom(...MediaErrorCode.literals, "NO_KEYBOARD"),
    fc.stringMatching(/^[A-Z0-9_]{1,12}$/)
  )
  const unrecognized = token.filter((t) => !known.includes(t)).map((code) => ({ code, recognized: false as const }))
  return fc.oneof(recognized, unrecognized)
}

const channelArbitrary = (
  fc: typeof FastCheck,
  channel: ChannelType,
  strict: boolean
): FastCheck.Arbitrary<{ readonly channel: ChannelType; readonly errors: ReadonlyArray<MediaError> }> =>
  fc.uniqueArray(errorArbitrary(fc, channel, strict), { selector: (e) => e.code, maxLength: 4 })
    .map((errors) => ({ channel, errors }))

const mediaListArbitrary = (strict: boolean) => (fc: typeof FastCheck) => {
  // Built once: constructing the regex-based token arbitrary inside `chain` costs ~10 ms per sample.
  const perChannel = {
    CHAT: channelArbitrary(fc, "CHAT", strict),
    VIDEO: channelArbitrary(fc, "VIDEO", strict),
    COBROWSE: channelArbitrary(fc, "COBROWSE", strict)
  }
  // Left alone, fast-check's small-size bias makes about 40% of the lists empty.
  const channelTypes = fc.oneof(
    { arbitrary: fc.shuffledSubarray([...ChannelType.literals], { minLength: 1 }), weight: 6 },
    { arbitrary: fc.constant<Array<ChannelType>>([]), weight: 1 }
  )
  return channelTypes.chain((channels) =>
    fc.tuple(...channels.map((channel) => perChannel[channel])).map((list) => ({ channels: list }))
  )
}

/**
 * One element of a `mediaList`: a channel type and its capability errors, in the order given, without duplicates.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaChannel = Schema.Struct({
  channel: ChannelType,
  errors: Schema.Array(MediaError)
}).pipe(
  Schema.filter((c) => channelProblem(c.channel, c.errors)),
  Schema.annotations({
    identifier: "MediaChannel",
    arbitrary: () => (fc) => fc.oneof(...ChannelType.literals.map((channel) => channelArbitrary(fc, channel, false)))
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MediaChannel extends Schema.Schema.Type<typeof MediaChannel> {}

/**
 * A decoded `mediaList`: its channels in the order given, each channel at most once.
 *
 * `decode(encode(x))` gives back `x` exactly, and the value is plain JSON, e.g. for
 * `CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA`:
 * `{"channels":[{"channel":"CHAT","errors":[{"code":"NO_KEYBOARD","recognized":false}]},
 * {"channel":"VIDEO","errors":[{"code":"NO_CAMERA","recognized":true}]}]}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaList = Schema.Struct({
  channels: Schema.Array(MediaChannel)
}).pipe(
  Schema.filter((list) => {
    const seen = new Set<ChannelType>()
    for (const c of list.channels) {
      if (seen.has(c.channel)) {
        return `channel ${c.channel} appears twice`
      }
      seen.add(c.channel)
    }
    return undefined
  }),
  Schema.annotations({
    identifier: "MediaList",
    description: "The channels of a mediaList with their capability errors",
    arbitrary: () => mediaListArbitrary(false)
  })
)

/**
 * @since 0.1.0
 * @category models
 */
export interface MediaList extends Schema.Schema.Type<typeof MediaList> {}

/**
 * A {@link MediaList} with no unrecognized error: what strict mode accepts.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StrictMediaList = MediaList.pipe(
  Schema.filter((list) => {
    for (const c of list.channels) {
      const e = c.errors.find((e) => !e.recognized)
      if (e !== undefined) {
        return `${e.code} is not a documented ${c.channel} error`
      }
    }
    return undefined
  }),
  Schema.annotations({ identifier: "StrictMediaList", arbitrary: () => mediaListArbitrary(true) })
)

// ---------------------------------------------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------------------------------------------

/**
 * Why a `mediaList` string was rejected.
 *
 * @since 0.1.0
 * @category errors
 */
export const MediaListErrorReason = Schema.Literal(
  "NotAString",
  "EmptyElement",
  "Malformed",
  "UnknownChannel",
  "DuplicateChannel",
  "EmptyError",
  "MalformedError",
  "UnrecognizedError",
  "DuplicateError"
)

/**
 * @since 0.1.0
 * @category errors
 */
export type MediaListErrorReason = typeof MediaListErrorReason.Type

/**
 * A `mediaList` string that does not decode. `message` is meant for the API caller, e.g.
 * `element 2 "AUDIO": unknown channel type; expected CHAT, VIDEO or COBROWSE`.
 *
 * @since 0.1.0
 * @category errors
 */
export class MediaListError extends Schema.TaggedError<MediaListError>()("MediaListError", {
  reason: MediaListErrorReason,
  /** 1-based position of the offending element among the `;`-separated elements (0: the value as a whole). */
  element: Schema.Int,
  /** The offending element as written (untrimmed). */
  text: Schema.String,
  /** The offending channel type or error token, when one token is at fault. */
  token: Schema.optional(Schema.String),
  message: Schema.String
}) {}

// ---------------------------------------------------------------------------------------------------------------
// codec
// ---------------------------------------------------------------------------------------------------------------

const channelTypes = ChannelType.literals as ReadonlyArray<string>
const isChannelType = (s: string): s is ChannelType => channelTypes.includes(s)

const orList = (items: ReadonlyArray<string>): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`

// Long garbage would otherwise be echoed whole into every error message.
const quote = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s)

// Names the channels a code is documented for, to explain `CHAT:NO_CAMERA` better than "unrecognized".
const ownersOf = (code: string): string | undefined =>
  (VideoErrorCode.literals as ReadonlyArray<string>).includes(code) ?
    "VIDEO" :
    (BrowserErrorCode.literals as ReadonlyArray<string>).includes(code) ?
    "CHAT and COBROWSE" :
    undefined

const unrecognizedDetail = (channel: ChannelType, token: string): string => {
  const owners = ownersOf(token)
  const expected = `${channel} errors are ${orList(knownErrors[channel])}`
  return owners === undefined ?
    `unrecognized error ${token}; ${expected}` :
    `${token} is an error of ${owners}, not of ${channel}; ${expected}`
}

const parse = (input: string, strict: boolean): Either.Either<MediaList, MediaListError> => {
  if (typeof input !== "string") {
    return Either.left(
      new MediaListError({
        reason: "NotAString",
        element: 0,
        text: "",
        message: `mediaList must be a string, got ${input === null ? "null" : typeof input}`
      })
    )
  }
  if (input.trim() === "") {
    return Either.right({ channels: [] })
  }
  const elements = input.split(";")
  const channels: Array<MediaChannel> = []
  const firstSeen = new Map<ChannelType, number>()
  for (let i = 0; i < elements.length; i++) {
    const raw = elements[i]
    const position = i + 1
    const fail = (reason: MediaListErrorReason, detail: string, token?: string) =>
      Either.left(
        new MediaListError({
          reason,
          element: position,
          text: raw,
          ...(token === undefined ? {} : { token }),
          message: `element ${position} ${quote(raw)}: ${detail}`
        })
      )

    const text = raw.trim()
    if (text === "") {
      return fail("EmptyElement", "empty element; elements are separated by a single \";\", with none at either end")
    }
    const colon = text.indexOf(":")
    if (colon !== -1 && text.indexOf(":", colon + 1) !== -1) {
      return fail("Malformed", "more than one \":\"; expected CHANNEL or CHANNEL:ERROR,ERROR")
    }
    const head = (colon === -1 ? text : text.slice(0, colon)).trim()
    if (head === "") {
      return fail("Malformed", "missing channel type before \":\"; expected CHANNEL:ERROR,ERROR")
    }
    if (!isChannelType(head)) {
      const named = colon === -1 ? "" : ` ${quote(head)}`
      const upper = head.toUpperCase()
      const hint = isChannelType(upper) ? ` (channel types are upper case: ${upper})` : ""
      return fail("UnknownChannel", `unknown channel type${named}; expected ${orList(channelTypes)}${hint}`, head)
    }
    const earlier = firstSeen.get(head)
    if (earlier !== undefined) {
      return fail("DuplicateChannel", `duplicate channel type ${head}, already given in element ${earlier}`, head)
    }
    firstSeen.set(head, position)

    const errors: Array<MediaError> = []
    if (colon !== -1) {
      const list = text.slice(colon + 1)
      if (list.trim() === "") {
        return fail("EmptyError", `no error after ":"; write ${head} alone when the channel has no errors`)
      }
      const known = knownErrors[head] as ReadonlyArray<string>
      const seen = new Set<string>()
      const tokens = list.split(",")
      for (let j = 0; j < tokens.length; j++) {
        const token = tokens[j].trim()
        if (token === "") {
          return fail("EmptyError", `error ${j + 1} of ${tokens.length} in the list is empty`)
        }
        if (!TOKEN.test(token)) {
          return fail(
            "MalformedError",
            `error ${quote(token)} is malformed; error codes are upper-case letters, digits and "_"`,
            token
          )
        }
        if (seen.has(token)) {
          if (strict) {
            return fail("DuplicateError", `error ${token} is given twice`, token)
          }
          continue
        }
        seen.add(token)
        if (known.includes(token)) {
          errors.push({ code: token as MediaErrorCode, recognized: true })
        } else if (strict) {
          return fail("UnrecognizedError", unrecognizedDetail(head, token), token)
        } else {
          errors.push({ code: token, recognized: false })
        }
      }
    }
    channels.push({ channel: head, errors })
  }
  return Either.right({ channels })
}

/**
 * Decodes a `mediaList` string. Never throws.
 *
 * By default an error token not documented for its channel is kept with `recognized: false` (Oracle's own
 * example uses `NO_KEYBOARD`); with `{ strict: true }` it is rejected, and so is an error given twice.
 * Unknown channel types, empty elements, empty errors, duplicate channels and malformed strings are always
 * rejected. See the module documentation for whitespace, case and the empty string.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import * as MediaList from "@chatauth/core/MediaList"
 *
 * MediaList.decode("CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE")
 * // Right({ channels: [
 * //   { channel: "CHAT", errors: [{ code: "NO_KEYBOARD", recognized: false }] },
 * //   { channel: "VIDEO", errors: [{ code: "NO_CAMERA", recognized: true }, { code: "NO_MICROPHONE", recognized: true }] }
 * // ] })
 *
 * const strict = MediaList.decode("CHAT:NO_KEYBOARD", { strict: true })
 * if (Either.isLeft(strict)) console.log(strict.left.message)
 * // element 1 "CHAT:NO_KEYBOARD": unrecognized error NO_KEYBOARD; CHAT errors are BROWSER_NOT_SUPPORTED or INSECURE_ORIGIN
 * ```
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = (
  input: string,
  options?: { readonly strict?: boolean | undefined }
): Either.Either<MediaList, MediaListError> => parse(input, options?.strict === true)

/**
 * Writes a `mediaList` in canonical form: no whitespace, channels and errors in the order held.
 *
 * The value is trusted to be a valid {@link MediaList} (as `decode` produces); to check a hand-built value first,
 * encode it with `Schema.encode(MediaListFromString)`.
 *
 * @example
 * ```ts
 * import * as MediaList from "@chatauth/core/MediaList"
 *
 * MediaList.encode({
 *   channels: [
 *     { channel: "CHAT", errors: [] },
 *     { channel: "VIDEO", errors: [{ code: "NO_CAMERA", recognized: true }] }
 *   ]
 * })
 * // "CHAT;VIDEO:NO_CAMERA"
 * ```
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (value: MediaList): string =>
  value.channels
    .map((c) => c.errors.length === 0 ? c.channel : `${c.channel}:${c.errors.map((e) => e.code).join(",")}`)
    .join(";")

const fromString = (strict: boolean, to: Schema.Schema<MediaList>) =>
  Schema.transformOrFail(Schema.String, to, {
    strict: true,
    decode: (input, _, ast) =>
      Either.mapLeft(parse(input, strict), (error) => new ParseResult.Type(ast, input, error.message)),
    encode: (value) => ParseResult.succeed(encode(value))
  })

/**
 * The `mediaList` wire string ⇄ {@link MediaList}, lenient: unrecognized error tokens are kept.
 * A decoding failure is a `Type` issue whose message names the element and what is wrong.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { MediaListFromString } from "@chatauth/core/MediaList"
 *
 * const Body = Schema.Struct({ mediaList: Schema.optional(MediaListFromString) })
 * Schema.decodeUnknownSync(Body)({ mediaList: "CHAT" })
 * // { mediaList: { channels: [{ channel: "CHAT", errors: [] }] } }
 * Schema.decodeUnknownSync(Body)({ mediaList: "CHAT;AUDIO" })
 * // throws: … element 2 "AUDIO": unknown channel type; expected CHAT, VIDEO or COBROWSE
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaListFromString: Schema.Schema<MediaList, string> = fromString(false, MediaList).annotations({
  identifier: "MediaListFromString",
  description: "A mediaList string such as CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE"
})

/**
 * Like {@link MediaListFromString}, but rejects error tokens not documented for their channel and errors given
 * twice; encoding rejects values that hold an unrecognized error.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { MediaListFromStringStrict } from "@chatauth/core/MediaList"
 *
 * Schema.decodeSync(MediaListFromStringStrict)("VIDEO:NO_CAMERA")
 * // { channels: [{ channel: "VIDEO", errors: [{ code: "NO_CAMERA", recognized: true }] }] }
 * Schema.decodeSync(MediaListFromStringStrict)("CHAT:NO_CAMERA")
 * // throws: … NO_CAMERA is an error of VIDEO, not of CHAT; CHAT errors are BROWSER_NOT_SUPPORTED or INSECURE_ORIGIN
 * ```
 *
 * @since 0.1.0
 * @category schemas
 */
export const MediaListFromStringStrict: Schema.Schema<MediaList, string> = fromString(true, StrictMediaList)
  .annotations({
    identifier: "MediaListFromStringStrict",
    description: "A mediaList string using only the documented channel types and error codes"
  })

// ---------------------------------------------------------------------------------------------------------------
// queries
// ---------------------------------------------------------------------------------------------------------------

/**
 * The error tokens not documented for their channel, in order, e.g.
 * `[{ channel: "CHAT", token: "NO_KEYBOARD" }]` for Oracle's example. Empty exactly when strict mode accepts the value.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import * as MediaList from "@chatauth/core/MediaList"
 *
 * const value = Either.getOrThrow(MediaList.decode("CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA"))
 * MediaList.unrecognizedErrors(value) // [{ channel: "CHAT", token: "NO_KEYBOARD" }]
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const unrecognizedErrors = (
  value: MediaList
): ReadonlyArray<{ readonly channel: ChannelType; readonly token: string }> =>
  value.channels.flatMap((c) =>
    c.errors.filter((e) => !e.recognized).map((e) => ({ channel: c.channel, token: e.code }))
  )

/**
 * Whether the list names a channel type (with or without errors). Data-first or data-last.
 *
 * @example
 * ```ts
 * import { Either } from "effect"
 * import * as MediaList from "@chatauth/core/MediaList"
 *
 * const value = Either.getOrThrow(MediaList.decode("CHAT;VIDEO:NO_CAMERA"))
 * MediaList.hasChannel(value, "VIDEO") // true
 * MediaList.hasChannel("COBROWSE")(value) // false
 * ```
 *
 * @since 0.1.0
 * @category getters
 */
export const hasChannel: {
  (channel: ChannelType): (value: MediaList) => boolean
  (value: MediaList, channel: ChannelType): boolean
} = Function.dual(
  2,
  (value: MediaList, channel: ChannelType): boolean => value.channels.some((c) => c.channel === channel)
)

import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, ParseResult, Schema } from "effect"
import {
  ChannelType,
  decode,
  encode,
  hasChannel,
  knownErrors,
  MediaChannel,
  MediaErrorCode,
  MediaList,
  MediaListError,
  MediaListFromString,
  MediaListFromStringStrict,
  StrictMediaList,
  unrecognizedErrors
} from "../src/MediaList.js"

const EXAMPLE = "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE"

const right = (input: string, strict = false): MediaList => {
  const result = decode(input, { strict })
  if (Either.isLeft(result)) {
    throw new Error(`expected ${JSON.stringify(input)} to decode, got: ${result.left.message}`)
  }
  return result.right
}

const left = (input: string, strict = false): MediaListError => {
  const result = decode(input, { strict })
  if (Either.isRight(result)) {
    throw new Error(`expected ${JSON.stringify(input)} to be rejected, got ${JSON.stringify(result.right)}`)
  }
  return result.left
}

const schemaMessages = (schema: Schema.Schema<any, any>, input: unknown) =>
  Either.match(Schema.decodeUnknownEither(schema)(input), {
    // The _tag (Transformation) is Effect's business; callers read the path and the message.
    onLeft: (error) =>
      ParseResult.ArrayFormatter.formatErrorSync(error).map(({ message, path }) => ({ message, path })),
    onRight: () => []
  })

describe("MediaList", () => {
  describe("Oracle's documented example", () => {
    it("decodes leniently, keeping NO_KEYBOARD as an unrecognized CHAT error", () => {
      expect(right(EXAMPLE)).toStrictEqual({
        channels: [
          { channel: "CHAT", errors: [{ code: "NO_KEYBOARD", recognized: false }] },
          {
            channel: "VIDEO",
            errors: [{ code: "NO_CAMERA", recognized: true }, { code: "NO_MICROPHONE", recognized: true }]
          }
        ]
      })
      expect(unrecognizedErrors(right(EXAMPLE))).toStrictEqual([{ channel: "CHAT", token: "NO_KEYBOARD" }])
    })

    it("is rejected by strict mode, naming NO_KEYBOARD", () => {
      const error = left(EXAMPLE, true)
      expect(error).toBeInstanceOf(MediaListError)
      expect(error._tag).toBe("MediaListError")
      expect(error.reason).toBe("UnrecognizedError")
      expect(error.element).toBe(1)
      expect(error.text).toBe("CHAT:NO_KEYBOARD")
      expect(error.token).toBe("NO_KEYBOARD")
      expect(error.message).toBe(
        "element 1 \"CHAT:NO_KEYBOARD\": unrecognized error NO_KEYBOARD; " +
          "CHAT errors are BROWSER_NOT_SUPPORTED or INSECURE_ORIGIN"
      )
    })

    it("prints as plain JSON and encodes back to the same string", () => {
      const value = right(EXAMPLE)
      expect(JSON.stringify(value)).toBe(
        "{\"channels\":[{\"channel\":\"CHAT\",\"errors\":[{\"code\":\"NO_KEYBOARD\",\"recognized\":false}]}," +
          "{\"channel\":\"VIDEO\",\"errors\":[{\"code\":\"NO_CAMERA\",\"recognized\":true}," +
          "{\"code\":\"NO_MICROPHONE\",\"recognized\":true}]}]}"
      )
      expect(encode(value)).toBe(EXAMPLE)
      const parsed: unknown = JSON.parse(JSON.stringify(value))
      expect(Schema.decodeUnknownSync(MediaList)(parsed)).toStrictEqual(value)
      expect(Schema.encodeSync(MediaListFromString)(Schema.decodeUnknownSync(MediaList)(parsed))).toBe(EXAMPLE)
    })
  })

  describe("accepted strings", () => {
    it("\"CHAT\" (what Oracle's sample clients send), in both modes", () => {
      const expected = { channels: [{ channel: "CHAT", errors: [] }] }
      expect(right("CHAT")).toStrictEqual(expected)
      expect(right("CHAT", true)).toStrictEqual(expected)
    })

    it("every documented error on its own channel, in strict mode", () => {
      const input = "VIDEO:NO_CAMERA,NO_MICROPHONE,NO_SPEAKERS;CHAT:BROWSER_NOT_SUPPORTED,INSECURE_ORIGIN;" +
        "COBROWSE:INSECURE_ORIGIN"
      const value = right(input, true)
      expect(value.channels.map((c) => c.channel)).toStrictEqual(["VIDEO", "CHAT", "COBROWSE"])
      expect(unrecognizedErrors(value)).toStrictEqual([])
      expect(encode(value)).toBe(input)
    })

    it("the empty string and blank strings as a list with no channels, written back as \"\"", () => {
      for (const input of ["", " ", "\t \n"]) {
        expect(right(input)).toStrictEqual({ channels: [] })
        expect(right(input, true)).toStrictEqual({ channels: [] })
      }
      expect(encode({ channels: [] })).toBe("")
    })

    it("whitespace around elements, channel types and errors, dropped", () => {
      const value = right(" CHAT : INSECURE_ORIGIN ;\tVIDEO:NO_CAMERA , NO_SPEAKERS ", true)
      expect(value).toStrictEqual(right("CHAT:INSECURE_ORIGIN;VIDEO:NO_CAMERA,NO_SPEAKERS"))
      expect(encode(value)).toBe("CHAT:INSECURE_ORIGIN;VIDEO:NO_CAMERA,NO_SPEAKERS")
    })

    it("channels in the order given, not a sorted order", () => {
      expect(encode(right("COBROWSE;VIDEO;CHAT"))).toBe("COBROWSE;VIDEO;CHAT")
    })
  })

  describe("rejection rules (each with a passing neighbour)", () => {
    it("unknown channel type", () => {
      expect(right("CHAT;VIDEO").channels).toHaveLength(2)
      const error = left("CHAT;AUDIO")
      expect(error.reason).toBe("UnknownChannel")
      expect(error.element).toBe(2)
      expect(error.token).toBe("AUDIO")
      expect(error.message).toBe("element 2 \"AUDIO\": unknown channel type; expected CHAT, VIDEO or COBROWSE")
      expect(left("AUDIO:NO_CAMERA").message).toBe(
        "element 1 \"AUDIO:NO_CAMERA\": unknown channel type \"AUDIO\"; expected CHAT, VIDEO or COBROWSE"
      )
    })

    it("channel types are case-sensitive, with a hint", () => {
      expect(right("VIDEO").channels[0].channel).toBe("VIDEO")
      const error = left("video")
      expect(error.reason).toBe("UnknownChannel")
      expect(error.message).toContain("(channel types are upper case: VIDEO)")
    })

    it("empty element", () => {
      expect(right("CHAT;VIDEO").channels).toHaveLength(2)
      for (
        const [input, element] of [["CHAT;;VIDEO", 2], ["CHAT;", 2], [";CHAT", 1], ["CHAT; ;VIDEO", 2], [
          ";",
          1
        ]] as const
      ) {
        const error = left(input)
        expect(error.reason).toBe("EmptyElement")
        expect(error.element).toBe(element)
        expect(error.message).toMatch(new RegExp(`^element ${element} ".*": empty element`))
      }
    })

    it("\":\" with no error after it", () => {
      expect(right("CHAT").channels).toHaveLength(1)
      const error = left("CHAT:")
      expect(error.reason).toBe("EmptyError")
      expect(error.message).toBe(
        "element 1 \"CHAT:\": no error after \":\"; write CHAT alone when the channel has no errors"
      )
      expect(left("VIDEO: ").reason).toBe("EmptyError")
    })

    it("empty error in a list", () => {
      expect(right("CHAT:A,B").channels[0].errors.map((e) => e.code)).toStrictEqual(["A", "B"])
      const error = left("CHAT:A,,B")
      expect(error.reason).toBe("EmptyError")
      expect(error.message).toBe("element 1 \"CHAT:A,,B\": error 2 of 3 in the list is empty")
      expect(left("CHAT:A,").reason).toBe("EmptyError")
      expect(left("CHAT:,A").reason).toBe("EmptyError")
    })

    it("duplicate channel", () => {
      expect(right("CHAT;VIDEO;COBROWSE").channels).toHaveLength(3)
      const error = left("CHAT;VIDEO;CHAT:INSECURE_ORIGIN")
      expect(error.reason).toBe("DuplicateChannel")
      expect(error.element).toBe(3)
      expect(error.token).toBe("CHAT")
      expect(error.message).toBe(
        "element 3 \"CHAT:INSECURE_ORIGIN\": duplicate channel type CHAT, already given in element 1"
      )
    })

    it("malformed elements", () => {
      expect(right("VIDEO:NO_CAMERA").channels).toHaveLength(1)
      const cases = [
        ["VIDEO:NO_CAMERA:NO_SPEAKERS", "Malformed", "more than one \":\""],
        [":NO_CAMERA", "Malformed", "missing channel type"],
        ["VIDEO:no_camera", "MalformedError", "error \"no_camera\" is malformed"],
        ["VIDEO:NO-CAMERA", "MalformedError", "error \"NO-CAMERA\" is malformed"],
        ["VIDEO:NO CAMERA", "MalformedError", "error \"NO CAMERA\" is malformed"],
        ["VIDEO:<b>", "MalformedError", "error \"<b>\" is malformed"],
        ["CH AT", "UnknownChannel", "unknown channel type"],
        ["CHAT,VIDEO", "UnknownChannel", "unknown channel type"]
      ] as const
      for (const [input, reason, fragment] of cases) {
        const error = left(input)
        expect(error.reason, input).toBe(reason)
        expect(error.message, input).toContain(fragment)
      }
    })

    it("long garbage is shortened in the message but kept whole in the error", () => {
      const garbage = "X".repeat(500)
      const error = left(`CHAT;${garbage}`)
      expect(error.text).toBe(garbage)
      expect(error.message.length).toBeLessThan(200)
    })

    it("a value that is not a string, without throwing", () => {
      const error = left(42 as unknown as string)
      expect(error.reason).toBe("NotAString")
      expect(error.element).toBe(0)
      expect(error.message).toBe("mediaList must be a string, got number")
      expect(left(null as unknown as string).message).toBe("mediaList must be a string, got null")
    })
  })

  describe("strict mode", () => {
    it("rejects an error of another channel, saying whose it is", () => {
      expect(right("CHAT:NO_CAMERA").channels[0].errors).toStrictEqual([{ code: "NO_CAMERA", recognized: false }])
      expect(right("VIDEO:NO_CAMERA", true).channels).toHaveLength(1)
      expect(left("CHAT:NO_CAMERA", true).message).toBe(
        "element 1 \"CHAT:NO_CAMERA\": NO_CAMERA is an error of VIDEO, not of CHAT; " +
          "CHAT errors are BROWSER_NOT_SUPPORTED or INSECURE_ORIGIN"
      )
      expect(left("VIDEO:INSECURE_ORIGIN", true).message).toContain(
        "INSECURE_ORIGIN is an error of CHAT and COBROWSE, not of VIDEO; VIDEO errors are NO_CAMERA, NO_MICROPHONE or NO_SPEAKERS"
      )
    })

    it("rejects an error given twice, which lenient mode collapses to its first occurrence", () => {
      expect(right("VIDEO:NO_CAMERA,NO_SPEAKERS,NO_CAMERA")).toStrictEqual(right("VIDEO:NO_CAMERA,NO_SPEAKERS"))
      expect(right("VIDEO:NO_CAMERA,NO_SPEAKERS", true).channels[0].errors).toHaveLength(2)
      const error = left("VIDEO:NO_CAMERA,NO_SPEAKERS,NO_CAMERA", true)
      expect(error.reason).toBe("DuplicateError")
      expect(error.token).toBe("NO_CAMERA")
    })

    it("reports the first problem in reading order", () => {
      expect(left("CHAT:NO_KEYBOARD;AUDIO", true).element).toBe(1)
      expect(left("CHAT:NO_KEYBOARD;AUDIO").element).toBe(2)
    })
  })

  describe("schemas", () => {
    it("MediaListFromString fails with an issue that states the problem in words", () => {
      expect(schemaMessages(MediaListFromString, "CHAT;AUDIO")).toStrictEqual([{
        path: [],
        message: "element 2 \"AUDIO\": unknown channel type; expected CHAT, VIDEO or COBROWSE"
      }])
      const Body = Schema.Struct({ mediaList: Schema.optional(MediaListFromString) })
      // Schema.optional adds an "Expected undefined" alternative; ours is the one that explains.
      expect(schemaMessages(Body, { mediaList: "CHAT:" })).toContainEqual({
        path: ["mediaList"],
        message: "element 1 \"CHAT:\": no error after \":\"; write CHAT alone when the channel has no errors"
      })
      expect(schemaMessages(Body, { mediaList: 7 })[0].path).toStrictEqual(["mediaList"])
      expect(Schema.decodeUnknownSync(Body)({ mediaList: EXAMPLE })).toStrictEqual({ mediaList: right(EXAMPLE) })
      expect(() => Schema.decodeUnknownSync(Body)({ mediaList: "CHAT;AUDIO" })).toThrow(
        "element 2 \"AUDIO\": unknown channel type; expected CHAT, VIDEO or COBROWSE"
      )
    })

    it("MediaListFromStringStrict rejects unrecognized errors both ways", () => {
      expect(Schema.decodeSync(MediaListFromStringStrict)("VIDEO:NO_CAMERA")).toStrictEqual(right("VIDEO:NO_CAMERA"))
      expect(schemaMessages(MediaListFromStringStrict, EXAMPLE)[0].message).toContain("NO_KEYBOARD")
      expect(Either.isLeft(Schema.encodeEither(MediaListFromStringStrict)(right(EXAMPLE)))).toBe(true)
      expect(Schema.encodeSync(MediaListFromString)(right(EXAMPLE))).toBe(EXAMPLE)
    })

    it("encoding through the schema refuses invalid hand-built values that encode() would trust", () => {
      const duplicated = { channels: [{ channel: "CHAT", errors: [] }, { channel: "CHAT", errors: [] }] } as const
      expect(Either.isLeft(Schema.encodeEither(MediaListFromString)(duplicated))).toBe(true)
      const mislabelled = {
        channels: [{ channel: "CHAT", errors: [{ code: "INSECURE_ORIGIN", recognized: false }] }]
      } as const
      expect(Either.isLeft(Schema.encodeEither(MediaListFromString)(mislabelled))).toBe(true)
      const wrongChannel = {
        channels: [{ channel: "CHAT", errors: [{ code: "NO_CAMERA", recognized: true }] }]
      } as const
      expect(Either.isLeft(Schema.encodeEither(MediaListFromString)(wrongChannel))).toBe(true)
      const badToken = { channels: [{ channel: "CHAT", errors: [{ code: "a;b", recognized: false }] }] } as const
      expect(Either.isLeft(Schema.encodeEither(MediaListFromString)(badToken))).toBe(true)
    })

    it("ChannelType and MediaErrorCode list the documented vocabulary", () => {
      expect(ChannelType.literals).toStrictEqual(["CHAT", "VIDEO", "COBROWSE"])
      expect([...MediaErrorCode.literals].sort()).toStrictEqual(
        ["BROWSER_NOT_SUPPORTED", "INSECURE_ORIGIN", "NO_CAMERA", "NO_MICROPHONE", "NO_SPEAKERS"]
      )
      expect(knownErrors.VIDEO).toStrictEqual(["NO_CAMERA", "NO_MICROPHONE", "NO_SPEAKERS"])
      expect(knownErrors.COBROWSE).toStrictEqual(["BROWSER_NOT_SUPPORTED", "INSECURE_ORIGIN"])
    })
  })

  describe("queries", () => {
    it("unrecognizedErrors lists every unrecognized token with its channel, in order", () => {
      const value = right("VIDEO:NO_CAMERA,X1,INSECURE_ORIGIN;CHAT;COBROWSE:NO_KEYBOARD")
      expect(unrecognizedErrors(value)).toStrictEqual([
        { channel: "VIDEO", token: "X1" },
        { channel: "VIDEO", token: "INSECURE_ORIGIN" },
        { channel: "COBROWSE", token: "NO_KEYBOARD" }
      ])
    })

    it("hasChannel, data-first and data-last", () => {
      const value = right("CHAT;VIDEO:NO_CAMERA")
      expect(hasChannel(value, "VIDEO")).toBe(true)
      expect(hasChannel(value, "COBROWSE")).toBe(false)
      expect(hasChannel("CHAT")(value)).toBe(true)
      expect(hasChannel({ channels: [] }, "CHAT")).toBe(false)
    })
  })

  describe("properties", () => {
    const anyList = Arbitrary.make(MediaList)
    const strictList = Arbitrary.make(StrictMediaList)

    // Built independently of encode(): channel names and tokens joined by the grammar's separators.
    const token = fc.stringMatching(/^[A-Z0-9_]{1,10}$/)
    const elementOf = (channel: ChannelType) =>
      fc.uniqueArray(
        fc.oneof(fc.constantFrom(...knownErrors[channel]), fc.constantFrom(...MediaErrorCode.literals), token),
        {
          maxLength: 4
        }
      ).map((errors) => errors.length === 0 ? channel : `${channel}:${errors.join(",")}`)
    const elements = { CHAT: elementOf("CHAT"), VIDEO: elementOf("VIDEO"), COBROWSE: elementOf("COBROWSE") }
    const canonicalString = fc.shuffledSubarray([...ChannelType.literals]).chain((channels) =>
      fc.tuple(...channels.map((channel) => elements[channel])).map((parts) => parts.join(";"))
    )

    // Mostly near-misses of the grammar, so that the rejection paths are reached often.
    const grammarish = fc.array(
      fc.constantFrom(
        "CHAT",
        "VIDEO",
        "COBROWSE",
        "AUDIO",
        "chat",
        "NO_CAMERA",
        "NO_KEYBOARD",
        "X",
        "-",
        ";",
        ":",
        ",",
        " ",
        "\t",
        "\u00a0",
        "\"",
        "\\"
      ),
      { maxLength: 12 }
    ).map((parts) => parts.join(""))
    const anyString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), grammarish)

    it.prop(
      "the derived Arbitrary produces only valid values",
      [anyList, Arbitrary.make(MediaChannel)],
      ([list, c]) => {
        expect(Schema.is(MediaList)(list)).toBe(true)
        expect(new Set(list.channels.map((c) => c.channel)).size).toBe(list.channels.length)
        expect(Schema.is(MediaChannel)(c)).toBe(true)
      }
    )

    it("the derived Arbitrary reaches the interesting cases", () => {
      const sample = fc.sample(anyList, { numRuns: 300, seed: 20240601 })
      const documented = new Set<string>(MediaErrorCode.literals)
      expect(sample.some((x) => x.channels.length === 0)).toBe(true)
      expect(sample.some((x) => x.channels.length === 3)).toBe(true)
      expect(sample.some((x) => unrecognizedErrors(x).some((u) => documented.has(u.token)))).toBe(true)
      expect(sample.some((x) => unrecognizedErrors(x).some((u) => !documented.has(u.token)))).toBe(true)
      expect(sample.some((x) => x.channels.some((c) => c.errors.length > 1))).toBe(true)
    })

    it.prop("decode(encode(x)) = x (lenient)", [anyList], ([list]) => {
      expect(decode(encode(list))).toStrictEqual(Either.right(list))
    })

    it.prop("decode(encode(x)) = x (strict, for values with no unrecognized error)", [strictList], ([list]) => {
      expect(unrecognizedErrors(list)).toStrictEqual([])
      expect(decode(encode(list), { strict: true })).toStrictEqual(Either.right(list))
    })

    it.prop("strict mode accepts x exactly when it holds no unrecognized error", [anyList], ([list]) => {
      expect(Either.isRight(decode(encode(list), { strict: true }))).toBe(unrecognizedErrors(list).length === 0)
    })

    it.prop("encode(decode(s)) = s for canonical strings", [canonicalString], ([s]) => {
      expect(Either.map(decode(s), encode)).toStrictEqual(Either.right(s))
    })

    it.prop("encoding through the Schema equals encode", [anyList], ([list]) => {
      expect(Schema.encodeSync(MediaListFromString)(list)).toBe(encode(list))
      expect(Schema.decodeSync(MediaListFromString)(encode(list))).toStrictEqual(list)
    })

    it.prop("decoding any string never throws and yields a valid value or a located error", [anyString], ([s]) => {
      for (const strict of [false, true]) {
        const result = decode(s, { strict })
        expect(Either.isEither(result)).toBe(true)
        if (Either.isRight(result)) {
          expect(Schema.is(strict ? StrictMediaList : MediaList)(result.right)).toBe(true)
          // Decoding is idempotent through the canonical form.
          expect(decode(encode(result.right), { strict })).toStrictEqual(result)
        } else {
          expect(result.left).toBeInstanceOf(MediaListError)
          expect(result.left.message.startsWith(`element ${result.left.element} `)).toBe(true)
          expect(result.left.element).toBeGreaterThanOrEqual(1)
          expect(result.left.element).toBeLessThanOrEqual(s.split(";").length)
        }
      }
    })

    it.prop("strict acceptance implies the same lenient value", [fc.oneof(anyString, canonicalString)], ([s]) => {
      const strict = decode(s, { strict: true })
      if (Either.isRight(strict)) {
        expect(decode(s)).toStrictEqual(strict)
      }
    })

    it.prop("the Schema and decode() agree on every string", [fc.oneof(anyString, canonicalString)], ([s]) => {
      for (const [schema, strict] of [[MediaListFromString, false], [MediaListFromStringStrict, true]] as const) {
        const viaSchema = Schema.decodeEither(schema)(s)
        const direct = decode(s, { strict })
        expect(Either.isRight(viaSchema)).toBe(Either.isRight(direct))
        if (Either.isRight(direct)) {
          expect(viaSchema).toStrictEqual(direct)
        } else {
          expect(schemaMessages(schema, s)).toStrictEqual([{ path: [], message: direct.left.message }])
        }
      }
    })
  })
})

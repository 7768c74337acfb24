import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import { readFileSync } from "node:fs"
import { requestAttributeNames, responseOnlyAttributeNames } from "../src/Attributes.js"
import { ChatAuthenticateRequestBody } from "../src/ChatAuthenticate.js"
import { fastDecodeRequest } from "../src/internal/fastDecode.js"
import * as MediaList from "../src/MediaList.js"

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"))

const exampleRequest = fixture("example-request.json")
// Every request attribute set, as integrators send them (the bench's second body).
const allAttributesRequest = fixture("all-attributes-request.json")

// The schema alone, without the fast path in front of it.
const schemaDecode = Schema.decodeUnknownEither(ChatAuthenticateRequestBody)

// Every attribute a request may carry, those the response adds (accepted and dropped), and keys nobody knows.
const NAMES = [
  ...requestAttributeNames,
  ...responseOnlyAttributeNames,
  "unknownAttribute",
  "__proto__",
  "constructor"
]

// Valid mediaList strings of every shape the codec knows (unrecognized errors included): canonical, as its encoder
// writes them, and with the whitespace hand-built strings carry.
const mediaList = Arbitrary.make(MediaList.MediaList).map(MediaList.encode).chain((text) =>
  FastCheck.constantFrom(text, text.replaceAll(";", " ; ").replaceAll(":", ": ").replaceAll(",", " , "))
)

const customFields = FastCheck.oneof(
  FastCheck.dictionary(FastCheck.string({ maxLength: 6 }), FastCheck.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
    .map((fields) => JSON.stringify(fields)),
  FastCheck.json({ maxDepth: 2 })
)

const value = FastCheck.oneof(
  FastCheck.constant(null),
  FastCheck.constantFrom(
    "RESUME",
    "DO_NOT_RESUME",
    "CONSUMER",
    "CHAT",
    "chat",
    "CHAT;",
    "VIDEO:NO_CAMERA,NO_CAMERA",
    "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE",
    "{}",
    "{\"a\":1}",
    "[1]",
    "{\"a\":",
    "12",
    "0",
    "999999999",
    "1000000000",
    "-1",
    "",
    " ",
    "a\nb",
    "x\u2028",
    "\u0085"
  ),
  FastCheck.string({ maxLength: 12 }),
  FastCheck.string({ minLength: 318, maxLength: 322 }),
  FastCheck.string({ minLength: 3998, maxLength: 4002 }),
  FastCheck.stringMatching(/^[0-9]{1,10}$/),
  mediaList,
  customFields,
  FastCheck.integer(),
  FastCheck.constantFrom(0.5, -0, 2 ** 53, -(2 ** 60), 1e21),
  FastCheck.boolean(),
  FastCheck.constant({}),
  FastCheck.constant([])
)

const body = FastCheck.dictionary(FastCheck.constantFrom(...NAMES), value, { maxKeys: 12 }).map((entries) => {
  // Through JSON, as a request body arrives (an own `__proto__` key included).
  const text = "{" + Object.entries(entries).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",") +
    "}"
  return JSON.parse(text) as unknown
})

const withName = FastCheck.tuple(body, value).map(([b, name]) =>
  b !== null && typeof b === "object" && !Object.prototype.hasOwnProperty.call(b, "authUserName")
    ? JSON.parse(JSON.stringify({ ...(b as object), authUserName: name }))
    : b
)

const agree = (input: unknown) => {
  const fast = fastDecodeRequest(input)
  const slow = schemaDecode(input)
  if (fast !== undefined) {
    // Whatever the fast path accepts, the schema accepts, with the same value and the same key order.
    expect(Either.isRight(slow)).toBe(true)
    expect(JSON.stringify(fast)).toBe(JSON.stringify(Either.getOrThrow(slow)))
  }
}

describe("fastDecodeRequest", () => {
  it("decodes Oracle's documented request exactly as the schema does", () => {
    const fast = fastDecodeRequest(exampleRequest)
    expect(fast).toBeDefined()
    expect(JSON.stringify(fast)).toBe(JSON.stringify(Either.getOrThrow(schemaDecode(exampleRequest))))
  })

  it("decodes a body with every attribute exactly as the schema does", () => {
    const fast = fastDecodeRequest(allAttributesRequest)
    expect(fast).toBeDefined()
    expect(Object.keys(fast!)).toEqual(requestAttributeNames)
    expect(JSON.stringify(fast)).toBe(JSON.stringify(Either.getOrThrow(schemaDecode(allAttributesRequest))))
  })

  it("never accepts what the schema refuses, and returns the schema's value when it accepts", () => {
    FastCheck.assert(FastCheck.property(withName, (input) => agree(input)), { numRuns: 3000 })
  })

  it("accepts every body the schema accepts (so that the fast path is the path, whatever the body sets)", () => {
    FastCheck.assert(
      FastCheck.property(withName, (input) => {
        if (Either.isRight(schemaDecode(input))) expect(fastDecodeRequest(input)).toBeDefined()
      }),
      { numRuns: 3000 }
    )
  })

  it("takes the common shapes", () => {
    expect(fastDecodeRequest({ authUserName: "jane" })).toEqual({ authUserName: "jane", clientType: "CONSUMER" })
    expect(fastDecodeRequest({ authUserName: 42, queueId: 1, productId: null, clientType: null, resumeType: "RESUME" }))
      .toEqual({ authUserName: "42", clientType: "CONSUMER", productId: null, queueId: "1", resumeType: "RESUME" })
    expect(fastDecodeRequest({ authUserName: "jane", jwt: "ignored", links: [] })).toEqual({
      authUserName: "jane",
      clientType: "CONSUMER"
    })
  })

  it("leaves to the schema what it does not vouch for", () => {
    for (
      const input of [
        null,
        [],
        {},
        { authUserName: "" },
        { authUserName: "a\nb" },
        { authUserName: "a\ud800" },
        { authUserName: "x", unknown: 1 },
        { authUserName: "x", mediaList: "chat" },
        { authUserName: "x", mediaList: "CHAT;CHAT" },
        { authUserName: "x", customFields: "[1]" },
        { authUserName: "x", customFields: "{" },
        { authUserName: "x", chatPriority: "-1" },
        { authUserName: "x", chatPriority: 1e10 },
        { authUserName: "x", resumeType: "MAYBE" },
        { authUserName: "x", queueId: 1.5 },
        { authUserName: "x", queueId: true },
        { authUserName: "x", question: "q".repeat(4001) },
        JSON.parse("{\"authUserName\":\"x\",\"__proto__\":{}}")
      ]
    ) expect(fastDecodeRequest(input)).toBeUndefined()
  })
})

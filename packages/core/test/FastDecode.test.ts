import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck, Schema } from "effect"
import { readFileSync } from "node:fs"
import { ChatAuthenticateRequestBody } from "../src/ChatAuthenticate.js"
import { fastDecodeRequest } from "../src/internal/fastDecode.js"

const exampleRequest: unknown = JSON.parse(
  readFileSync(new URL("./fixtures/example-request.json", import.meta.url), "utf8")
)

// The schema alone, without the fast path in front of it.
const schemaDecode = Schema.decodeUnknownEither(ChatAuthenticateRequestBody)

const NAMES = [
  "allowAgentAttachments",
  "applicationClassification",
  "authUserName",
  "categoryId",
  "chatPriority",
  "clientType",
  "contactId",
  "customFields",
  "emailAddress",
  "incidentId",
  "mediaList",
  "productId",
  "question",
  "queueId",
  "resumeType",
  "stripeCode",
  "chatSiteName",
  "jwt",
  "links",
  "unknownAttribute",
  "__proto__",
  "constructor"
]

const value = FastCheck.oneof(
  FastCheck.constant(null),
  FastCheck.constantFrom(
    "RESUME",
    "DO_NOT_RESUME",
    "CONSUMER",
    "CHAT",
    "{}",
    "12",
    "",
    " ",
    "a\nb",
    "x\u2028",
    "\u0085"
  ),
  FastCheck.string({ maxLength: 12 }),
  FastCheck.string({ minLength: 318, maxLength: 322 }),
  FastCheck.string({ minLength: 3998, maxLength: 4002 }),
  FastCheck.integer(),
  FastCheck.constantFrom(0.5, -0, 2 ** 53, -(2 ** 60), 1e21),
  FastCheck.boolean(),
  FastCheck.constant({}),
  FastCheck.constant([])
)

const body = FastCheck.dictionary(FastCheck.constantFrom(...NAMES), value, { maxKeys: 8 }).map((entries) => {
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

  it("never accepts what the schema refuses, and returns the schema's value when it accepts", () => {
    FastCheck.assert(FastCheck.property(withName, (input) => agree(input)), { numRuns: 3000 })
  })

  it("takes the common shapes (so that the fast path is the path)", () => {
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
        { authUserName: "x", mediaList: "CHAT" },
        { authUserName: "x", resumeType: "MAYBE" },
        { authUserName: "x", queueId: 1.5 },
        { authUserName: "x", queueId: true },
        { authUserName: "x", question: "q".repeat(4001) },
        JSON.parse("{\"authUserName\":\"x\",\"__proto__\":{}}")
      ]
    ) expect(fastDecodeRequest(input)).toBeUndefined()
  })
})

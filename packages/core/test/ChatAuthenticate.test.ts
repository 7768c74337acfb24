import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import { readFileSync } from "node:fs"
import { requestAttributeNames } from "../src/Attributes.js"
import * as ChatAuthenticate from "../src/ChatAuthenticate.js"
import * as Links from "../src/Links.js"

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"))

const exampleRequest = fixture("example-request.json")
const exampleResponse = fixture("example-response.json")

const decodeOk = (body: unknown) => {
  const result = ChatAuthenticate.decodeRequest(body)
  if (Either.isLeft(result)) throw new Error(`expected a valid request, got: ${result.left.message}`)
  return result.right
}

const problemsOf = (body: unknown) => {
  const result = ChatAuthenticate.decodeRequest(body)
  if (Either.isRight(result)) throw new Error("expected the request to be refused")
  return result.left.problems
}

describe("ChatAuthenticate request", () => {
  it("decodes the documented example, echoing ids as strings and keeping nulls", () => {
    const request = decodeOk(exampleRequest)
    expect(request.categoryId).toBe("456000")
    expect(request.contactId).toBe("123000")
    expect(request.organizationId).toBe("112233")
    expect(request.incidentId).toBeNull()
    expect(request.productId).toBeNull()
    expect(request.queueId).toBe("2")
    expect(request.clientType).toBe("CONSUMER")
    expect("assigneeId" in request).toBe(false)
  })

  it("builds and encodes the documented response shape field by field", () => {
    const request = decodeOk(exampleRequest)
    const item = ChatAuthenticate.makeItem(request, {
      chatSiteName: exampleResponse.chatSiteName as string,
      domain: exampleResponse.domain as string,
      poolId: exampleResponse.poolId as string,
      jwt: exampleResponse.jwt as string
    }, undefined)
    const encoded = ChatAuthenticate.encodeItem(item)
    expect(JSON.parse(JSON.stringify(encoded))).toEqual(exampleResponse)
  })

  it("adds self and canonical links with the user name percent-encoded", () => {
    const request = decodeOk({ authUserName: "a b/c@d" })
    const href = Links.itemHref("https://h", "/crmRestApi/resources/latest", "a b/c@d")
    const item = ChatAuthenticate.makeItem(
      request,
      { chatSiteName: "s", domain: "d", poolId: "1:1", jwt: "j" },
      Links.itemLinks(href)
    )
    expect(item.links?.map((l) => l.rel)).toEqual(["self", "canonical"])
    expect(item.links?.[0].href).toBe("https://h/crmRestApi/resources/latest/chatAuthenticate/a%20b%2Fc%40d")
    expect(item.links?.every((l) => l.kind === "item" && l.name === "chatAuthenticate")).toBe(true)
  })

  it("requires authUserName", () => {
    expect(problemsOf({})).toEqual([{
      path: "authUserName",
      code: "CHATAUTH-ATTRIBUTE-REQUIRED",
      message: "is mandatory"
    }])
    expect(problemsOf({ authUserName: null })[0].path).toBe("authUserName")
    expect(problemsOf({ authUserName: "   " })[0].message).toMatch(/must not be empty/)
    expect(decodeOk({ authUserName: 42 }).authUserName).toBe("42")
  })

  it("limits authUserName to 320 characters and refuses control characters", () => {
    expect(decodeOk({ authUserName: "a".repeat(320) }).authUserName).toHaveLength(320)
    expect(problemsOf({ authUserName: "a".repeat(321) })[0].message).toMatch(/at most 320/)
    expect(problemsOf({ authUserName: "a\nb" })[0].message).toMatch(/control characters/)
    expect(problemsOf({ authUserName: "a\u0000b" })[0].path).toBe("authUserName")
    expect(problemsOf(JSON.parse("{\"authUserName\":\"a\\ud800\"}"))[0].message).toMatch(/lone surrogate/)
  })

  it("limits every other string to 4000 characters", () => {
    expect(decodeOk({ authUserName: "u", question: "q".repeat(4000) }).question).toHaveLength(4000)
    const problems = problemsOf({ authUserName: "u", question: "q".repeat(4001) })
    expect(problems).toEqual([{
      path: "question",
      code: "CHATAUTH-ATTRIBUTE-INVALID",
      message: expect.stringMatching(/at most 4000/)
    }])
  })

  it("accepts strings, integers and null, and refuses other JSON types by name", () => {
    expect(decodeOk({ authUserName: "u", queueId: 1, contactId: "7", incidentId: null })).toMatchObject({
      queueId: "1",
      contactId: "7",
      incidentId: null
    })
    for (const bad of [true, { a: 1 }, [1], 1.5]) {
      expect(problemsOf({ authUserName: "u", queueId: bad })[0].path).toBe("queueId")
    }
  })

  it("refuses integers too large to have been read exactly", () => {
    expect(problemsOf({ authUserName: "u", contactId: 2 ** 53 + 2 })[0].message).toMatch(/send it as a string/)
    expect(decodeOk({ authUserName: "u", contactId: "9007199254740993" }).contactId).toBe("9007199254740993")
  })

  it("defaults clientType to CONSUMER and refuses any other value", () => {
    expect(decodeOk({ authUserName: "u" }).clientType).toBe("CONSUMER")
    expect(decodeOk({ authUserName: "u", clientType: null }).clientType).toBe("CONSUMER")
    expect(decodeOk({ authUserName: "u", clientType: "CONSUMER" }).clientType).toBe("CONSUMER")
    expect(problemsOf({ authUserName: "u", clientType: "AGENT" })[0]).toMatchObject({
      path: "clientType",
      message: expect.stringMatching(/must be CONSUMER/)
    })
    expect(problemsOf({ authUserName: "u", clientType: "consumer" })[0].path).toBe("clientType")
  })

  it("takes chatPriority as an integer or a digit string", () => {
    expect(decodeOk({ authUserName: "u", chatPriority: 5 }).chatPriority).toBe("5")
    expect(decodeOk({ authUserName: "u", chatPriority: "10" }).chatPriority).toBe("10")
    expect(problemsOf({ authUserName: "u", chatPriority: "high" })[0].path).toBe("chatPriority")
    expect(problemsOf({ authUserName: "u", chatPriority: -1 })[0].path).toBe("chatPriority")
  })

  it("takes resumeType RESUME or DO_NOT_RESUME only", () => {
    expect(decodeOk({ authUserName: "u", resumeType: "DO_NOT_RESUME" }).resumeType).toBe("DO_NOT_RESUME")
    expect(decodeOk({ authUserName: "u", resumeType: null }).resumeType).toBeNull()
    expect(problemsOf({ authUserName: "u", resumeType: "resume" })[0].message).toMatch(/RESUME or DO_NOT_RESUME/)
  })

  it("takes customFields as a string holding a JSON object", () => {
    expect(decodeOk({ authUserName: "u", customFields: "{\"region\":\"EU\"}" }).customFields).toBe(
      "{\"region\":\"EU\"}"
    )
    expect(problemsOf({ authUserName: "u", customFields: "{region}" })[0].message).toMatch(/not valid JSON/)
    expect(problemsOf({ authUserName: "u", customFields: "[1,2]" })[0].path).toBe("customFields")
    expect(problemsOf({ authUserName: "u", customFields: 12 })[0].path).toBe("customFields")
  })

  it("validates mediaList with its codec, accepting Oracle's own example", () => {
    expect(decodeOk({ authUserName: "u", mediaList: "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE" }).mediaList).toBe(
      "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE"
    )
    expect(decodeOk({ authUserName: "u", mediaList: "CHAT" }).mediaList).toBe("CHAT")
    expect(problemsOf({ authUserName: "u", mediaList: "AUDIO" })[0]).toMatchObject({
      path: "mediaList",
      message: "is not valid: element 1 \"AUDIO\": unknown channel type; expected CHAT, VIDEO or COBROWSE"
    })
    expect(problemsOf({ authUserName: "u", mediaList: "CHAT;CHAT" })[0].path).toBe("mediaList")
  })

  it("ignores response-only attributes sent by a caller", () => {
    const request = decodeOk({
      authUserName: "u",
      chatSiteName: "x",
      domain: 1,
      jwt: { a: 1 },
      poolId: null,
      links: []
    })
    expect(Object.keys(request).sort()).toEqual(["authUserName", "clientType"])
  })

  it("rejects unknown attributes by name, and reports every problem at once", () => {
    const problems = problemsOf({ authUserName: "u", colour: "red", __proto__x: 1, resumeType: "MAYBE" })
    expect(problems).toContainEqual({
      path: "colour",
      code: "CHATAUTH-ATTRIBUTE-UNKNOWN",
      message: "is not an attribute of chatAuthenticate"
    })
    expect(problems.map((p) => p.path).sort()).toEqual(["__proto__x", "colour", "resumeType"])
  })

  it("treats a __proto__ key as an unknown attribute, without touching prototypes", () => {
    const problems = problemsOf(JSON.parse("{\"authUserName\":\"u\",\"__proto__\":{\"polluted\":true}}"))
    expect(problems.map((p) => p.path)).toEqual(["__proto__"])
    expect(({} as any).polluted).toBeUndefined()
  })

  it("refuses a body that is not an object", () => {
    for (const body of [null, [], "text", 3]) {
      expect(problemsOf(body)).toEqual([{
        path: "",
        code: "CHATAUTH-BODY-INVALID",
        message: "The request body must be a JSON object."
      }])
    }
  })

  it("words every problem for a caller", () => {
    const result = ChatAuthenticate.decodeRequest({ authUserName: "u", resumeType: "X" })
    expect(Either.isLeft(result) && result.left.message).toBe(
      "The attribute resumeType must be RESUME or DO_NOT_RESUME, not \"X\"."
    )
  })
})

describe("ChatAuthenticate properties", () => {
  const plainAttributes = requestAttributeNames.filter((name) =>
    !["authUserName", "clientType", "chatPriority", "customFields", "mediaList", "resumeType"].includes(name)
  )
  const wireValue = FastCheck.oneof(
    FastCheck.string({ maxLength: 50 }),
    FastCheck.integer({ min: -1e12, max: 1e12 }),
    FastCheck.constant(null)
  )
  const body = FastCheck.record(
    Object.fromEntries(plainAttributes.map((name) => [name, wireValue])),
    { requiredKeys: [] }
  ).map((attrs) => ({ ...attrs, authUserName: "user@example.com" }))

  it("echoes every plain attribute as sent: strings as strings, integers as their digits, null as null", () => {
    FastCheck.assert(FastCheck.property(body, (wire) => {
      const request = decodeOk(wire)
      for (const [name, value] of Object.entries(wire)) {
        const echoed = (request as Record<string, unknown>)[name]
        expect(echoed).toBe(value === null ? null : String(value))
      }
      for (const name of plainAttributes) {
        if (!(name in wire)) expect(name in request).toBe(false)
      }
    }))
  })

  it("decodes what it encodes", () => {
    FastCheck.assert(FastCheck.property(body, (wire) => {
      const request = decodeOk(wire)
      const reEncoded = Schema.encodeSync(ChatAuthenticate.ChatAuthenticateRequestBody)(request)
      expect(decodeOk(reEncoded)).toEqual(request)
    }))
  })

  it("never throws, whatever the body", () => {
    FastCheck.assert(FastCheck.property(FastCheck.jsonValue(), (json) => {
      const result = ChatAuthenticate.decodeRequest(json)
      expect(Either.isEither(result)).toBe(true)
    }))
  })

  it("encodes any item exactly as the schema does, attribute order included", () => {
    const item = Arbitrary.make(ChatAuthenticate.ChatAuthenticateItem)
    const schemaEncode = Schema.encodeSync(ChatAuthenticate.ChatAuthenticateItem)
    FastCheck.assert(
      FastCheck.property(item, (value) => {
        expect(JSON.stringify(ChatAuthenticate.encodeItem(value))).toBe(JSON.stringify(schemaEncode(value)))
      }),
      { numRuns: 50 }
    )
  })

  it("writes any item's JSON as the schema encodes the item, from the request and the issuance", () => {
    const schemaEncode = Schema.encodeSync(ChatAuthenticate.ChatAuthenticateItem)
    const request = Arbitrary.make(ChatAuthenticate.ChatAuthenticateRequest)
    const issuance = FastCheck.record({
      chatSiteName: FastCheck.string(),
      domain: FastCheck.string(),
      poolId: FastCheck.string(),
      jwt: FastCheck.string()
    })
    const links = FastCheck.option(Arbitrary.make(Schema.Array(ChatAuthenticate.Link)), { nil: undefined })
    FastCheck.assert(
      FastCheck.property(request, issuance, links, (request, issuance, links) => {
        const json = ChatAuthenticate.itemJson(request, issuance, links)
        expect(json).toBe(JSON.stringify(schemaEncode(ChatAuthenticate.makeItem(request, issuance, links))))
      }),
      { numRuns: 100 }
    )
  })

  it("encodes any item to JSON that decodes back to it", () => {
    const item = Arbitrary.make(ChatAuthenticate.ChatAuthenticateItem)
    FastCheck.assert(
      FastCheck.property(item, (value) => {
        const json = JSON.parse(JSON.stringify(ChatAuthenticate.encodeItem(value)))
        expect(ChatAuthenticate.decodeItem(json)).toEqual(Either.right(value))
      }),
      { numRuns: 50 }
    )
  })
})

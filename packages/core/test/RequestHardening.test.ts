/**
 * Bodies built to break the decoder: values nested far deeper than the stack allows a recursive printer, values of
 * the wrong kind under every attribute, and bytes that are not UTF-8. Each is a 400 naming what is wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { requestAttributeNames } from "../src/Attributes.js"
import * as ChatAuthenticate from "../src/ChatAuthenticate.js"
import * as Errors from "../src/Errors.js"
import * as OracleError from "../src/OracleError.js"
import * as RequestBody from "../src/RequestBody.js"

const nested = (depth: number): unknown => JSON.parse("[".repeat(depth) + "]".repeat(depth))

const problemsOf = (body: unknown) => {
  const result = ChatAuthenticate.decodeRequest(body)
  if (Either.isRight(result)) throw new Error("expected the request to be refused")
  return result.left.problems
}

describe("values of the wrong kind", () => {
  it("an array nested any depth under an attribute is one problem naming it, rendered in every version", () => {
    for (const depth of [1, 100, 3_000, 30_000, 100_000]) {
      const problems = problemsOf({ authUserName: "jane", question: nested(depth) })
      expect(problems).toEqual([{
        path: "question",
        code: "CHATAUTH-ATTRIBUTE-INVALID",
        message: "must be a string, an integer or null, not an array"
      }])
      const error = Errors.BadRequest.problems(problems)
      for (const version of [1, 4]) {
        const rendered = OracleError.render(error, version)
        expect(rendered.status).toBe(400)
        expect(rendered.body.length).toBeLessThan(300)
        expect(rendered.body).toContain("question")
      }
    }
  })

  it("deep values elsewhere: under authUserName, an unknown key, or a response-only attribute", () => {
    const deep = nested(50_000)
    expect(problemsOf({ authUserName: deep }).map((p) => p.path)).toEqual(["authUserName"])
    expect(problemsOf({ authUserName: "jane", extra: deep })).toMatchObject([
      { path: "extra", code: "CHATAUTH-ATTRIBUTE-UNKNOWN" }
    ])
    expect(Either.isRight(ChatAuthenticate.decodeRequest({ authUserName: "jane", links: deep, jwt: { a: deep } })))
      .toBe(true)
  })

  it("property: any attribute holding an array, an object or a boolean is refused by name, with the others", () => {
    const wrong = FastCheck.oneof(
      FastCheck.array(FastCheck.jsonValue(), { maxLength: 3 }),
      FastCheck.dictionary(FastCheck.string({ maxLength: 5 }), FastCheck.jsonValue(), { maxKeys: 3 }),
      FastCheck.boolean()
    )
    FastCheck.assert(
      FastCheck.property(
        FastCheck.uniqueArray(FastCheck.constantFrom(...requestAttributeNames), { minLength: 1, maxLength: 4 }),
        wrong,
        FastCheck.boolean(),
        (names, value, withUnknown) => {
          const body: Record<string, unknown> = { authUserName: "jane" }
          for (const name of names) body[name] = value
          if (withUnknown) body.notAnAttribute = 1
          const problems = problemsOf(body)
          const paths = problems.map((p) => p.path)
          expect(new Set(paths).size).toBe(paths.length)
          expect([...paths].sort()).toEqual([...names, ...(withUnknown ? ["notAnAttribute"] : [])].sort())
          for (const problem of problems) {
            if (problem.path !== "notAnAttribute") expect(problem.code).toBe("CHATAUTH-ATTRIBUTE-INVALID")
          }
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("bytes that are not UTF-8", () => {
  const invalid = [
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), // a lone 0xFF
    Buffer.concat([Buffer.from("{\"authUserName\":\""), Buffer.from([0xc3]), Buffer.from("\"}")]), // a cut sequence
    Buffer.concat([Buffer.from("{\"authUserName\":\""), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from("\"}")]), // CESU
    Buffer.concat([Buffer.from("{\"authUserName\":\""), Buffer.from([0xc0, 0xaf]), Buffer.from("\"}")]) // overlong
  ]

  it("is a 400 naming the body, never text with replacement characters", () => {
    for (const bytes of invalid) {
      const result = RequestBody.parse({ contentType: "application/json", body: bytes })
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left.status).toBe(400)
        expect(result.left.details).toEqual([{
          detail: "The request body is not valid UTF-8.",
          code: "CHATAUTH-BODY-ENCODING"
        }])
      }
    }
  })

  it("property: well-formed UTF-8 decodes to the text it encodes; a leading byte order mark is dropped", () => {
    FastCheck.assert(
      FastCheck.property(FastCheck.string({ unit: "grapheme" }), (text) => {
        const bytes = new TextEncoder().encode(text)
        expect(RequestBody.decodeText(bytes)).toEqual(Either.right(text))
        expect(RequestBody.decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]))).toEqual(
          Either.right(text)
        )
      }),
      { numRuns: 300 }
    )
  })

  it("property: inserting a byte that never occurs in UTF-8 makes any text invalid", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.string({ unit: "grapheme" }),
        FastCheck.nat(),
        FastCheck.constantFrom(0xc0, 0xc1, 0xf5, 0xf8, 0xfe, 0xff),
        (text, at, byte) => {
          const bytes = Buffer.from(text, "utf8")
          const cut = at % (bytes.length + 1)
          const spoiled = Buffer.concat([bytes.subarray(0, cut), Buffer.from([byte]), bytes.subarray(cut)])
          expect(Either.isLeft(RequestBody.decodeText(spoiled))).toBe(true)
        }
      ),
      { numRuns: 300 }
    )
  })
})

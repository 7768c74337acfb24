import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as RequestBody from "../src/RequestBody.js"

const statusOf = (result: ReturnType<typeof RequestBody.parse>) => Either.isLeft(result) ? result.left.status : 200

describe("RequestBody.parse", () => {
  const json = "{\"authUserName\":\"john\"}"

  it("reads JSON under application/json and Oracle's item type", () => {
    expect(RequestBody.parse({ contentType: "application/json; charset=utf-8", body: json })).toEqual(
      Either.right({ authUserName: "john" })
    )
    expect(statusOf(RequestBody.parse({ contentType: "application/vnd.oracle.adf.resourceitem+json", body: json })))
      .toBe(200)
  })

  it("reads the documented curl command's body, sent as form data or untyped", () => {
    expect(statusOf(RequestBody.parse({ contentType: "application/x-www-form-urlencoded", body: json }))).toBe(200)
    expect(statusOf(RequestBody.parse({ contentType: undefined, body: json }))).toBe(200)
  })

  it("refuses real form data and other media types with 415", () => {
    expect(statusOf(RequestBody.parse({ contentType: "application/x-www-form-urlencoded", body: "a=1&b=2" }))).toBe(415)
    expect(statusOf(RequestBody.parse({ contentType: "application/x-www-form-urlencoded", body: "[1]" }))).toBe(415)
    expect(statusOf(RequestBody.parse({ contentType: "text/xml", body: json }))).toBe(415)
    expect(Either.isLeft(RequestBody.checkType("multipart/form-data"))).toBe(true)
    expect(Either.isRight(RequestBody.checkType("application/json"))).toBe(true)
  })

  it("answers 400 for invalid JSON declared as JSON", () => {
    const result = RequestBody.parse({ contentType: "application/json", body: "{\"a\":" })
    expect(statusOf(result)).toBe(400)
    expect(Either.isLeft(result) && result.left.message).toBe("The request body is not valid JSON.")
  })

  it("answers 413 above 64 KiB", () => {
    const big = JSON.stringify({ authUserName: "u", question: "x".repeat(RequestBody.MAX_BODY_BYTES) })
    expect(statusOf(RequestBody.parse({ contentType: "application/json", body: big }))).toBe(413)
  })

  it("survives deep nesting", () => {
    const deep = "[".repeat(30_000) + "]".repeat(30_000)
    const result = RequestBody.parse({ contentType: "application/json", body: deep })
    expect([200, 400]).toContain(statusOf(result))
  })
})

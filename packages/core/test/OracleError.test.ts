import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Errors from "../src/Errors.js"
import * as OracleError from "../src/OracleError.js"

const badRequest = Errors.BadRequest.attribute("resumeType", "must be RESUME or DO_NOT_RESUME")

describe("OracleError.render", () => {
  it("answers framework version 1 in plain text", () => {
    const rendered = OracleError.render(badRequest, 1)
    expect(rendered.status).toBe(400)
    expect(rendered.headers["content-type"]).toBe("text/plain; charset=utf-8")
    expect(rendered.body).toBe("The attribute resumeType must be RESUME or DO_NOT_RESUME.")
  })

  it("answers framework version 4 in ADF JSON, with status as a string", () => {
    const rendered = OracleError.render(badRequest, 4)
    expect(rendered.headers["content-type"]).toBe("application/vnd.oracle.adf.error+json")
    expect(JSON.parse(rendered.body)).toEqual({
      title: "Bad Request",
      status: "400",
      "o:errorDetails": [{
        detail: "The attribute resumeType must be RESUME or DO_NOT_RESUME.",
        "o:errorCode": "CHATAUTH-ATTRIBUTE-INVALID",
        "o:errorPath": "resumeType"
      }]
    })
  })

  it("answers a version outside 1–9 in the JSON form", () => {
    expect(OracleError.render(badRequest, 42).headers["content-type"]).toBe("application/vnd.oracle.adf.error+json")
    expect(OracleError.render(badRequest, 0).headers["content-type"]).toBe("application/vnd.oracle.adf.error+json")
  })

  it("adds the headers each status needs", () => {
    expect(OracleError.render(Errors.Unauthorized.required(), 4, { realm: "Fusion \"x\"" }).headers["www-authenticate"])
      .toBe("Basic realm=\"Fusion x\", charset=\"UTF-8\"")
    expect(OracleError.render(Errors.MethodNotAllowed.method("GET"), 1).headers.allow).toBe("POST")
    expect(OracleError.render(Errors.TooManyRequests.retryAfter(29.2), 1).headers["retry-after"]).toBe("30")
  })
})

describe("OracleError.parseFrameworkVersion", () => {
  it("takes 1 to 9, defaults to 1 and refuses the rest", () => {
    expect(OracleError.parseFrameworkVersion(undefined)).toEqual(Either.right(1))
    expect(OracleError.parseFrameworkVersion("4")).toEqual(Either.right(4))
    expect(OracleError.parseFrameworkVersion(" 9 ")).toEqual(Either.right(9))
    for (const bad of ["0", "10", "4.0", "four", "", "-1"]) {
      const result = OracleError.parseFrameworkVersion(bad)
      expect(Either.isLeft(result) && result.left.status).toBe(400)
    }
  })
})

describe("OracleError.parse", () => {
  it("reads back both forms for every error", () => {
    const errors: ReadonlyArray<Errors.ChatAuthError> = [
      badRequest,
      Errors.Unauthorized.required(),
      Errors.Forbidden.missingPrivilege("SVC_REQUEST_FOR_CHAT_PRIV"),
      Errors.NotFound.path("/x"),
      Errors.MethodNotAllowed.method("GET"),
      Errors.PayloadTooLarge.limit(65536),
      Errors.UnsupportedMediaType.mediaType("text/xml"),
      Errors.TooManyRequests.retryAfter(10)
    ]
    for (const error of errors) {
      for (const version of [1, 4]) {
        const rendered = OracleError.render(error, version)
        const parsed = OracleError.parse({
          status: rendered.status,
          contentType: rendered.headers["content-type"],
          body: rendered.body
        })
        expect(parsed.status).toBe(error.status)
        expect(parsed.details.map((d) => d.detail)).toEqual(error.details.map((d) => d.detail))
        expect(parsed.form).toBe(version === 1 ? "text" : "json")
        if (version === 4) expect(parsed.details).toEqual(error.details)
        const back = OracleError.toError(parsed, 10)
        expect(back?._tag).toBe(error._tag)
      }
    }
  })

  it("reads a plain text or empty answer of an unknown status", () => {
    expect(OracleError.parse({ status: 503, body: "" })).toEqual({
      status: 503,
      title: "Service Unavailable",
      details: [{ detail: "Service Unavailable", code: "" }],
      form: "text"
    })
    expect(OracleError.parse({ status: 400, contentType: "application/json", body: "{not json" }).form).toBe("text")
  })

  it("reads Retry-After as seconds or a date", () => {
    expect(OracleError.parseRetryAfter("120", 0)).toBe(120)
    expect(OracleError.parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60)
    expect(OracleError.parseRetryAfter("soon", 0)).toBeUndefined()
    expect(OracleError.parseRetryAfter(undefined, 0)).toBeUndefined()
  })
})

import { Errors, MediaTypes } from "@chatauth/core"
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import { readFileSync } from "node:fs"
import { inspect } from "node:util"
import {
  attributesOf,
  ChatAuthClient,
  ChatAuthClientError,
  type ChatAuthClientOptions,
  createChatAuthClient,
  isChatAuthClientError
} from "../src/index.js"
import * as FakeOracle from "./support/FakeOracle.js"

const exampleResponse: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../core/test/fixtures/example-response.json", import.meta.url), "utf8")
)
const exampleRequest: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../core/test/fixtures/example-request.json", import.meta.url), "utf8")
)

const USERNAME = "chat.integration"
// non-ASCII and a ':' on purpose: Basic credentials are UTF-8, and only the user name may not hold a ':'
const PASSWORD = "pässw:rd-7f3Kq9"
const CREDENTIALS_B64 = Buffer.from(`${USERNAME}:${PASSWORD}`, "utf8").toString("base64")

const links = [
  {
    rel: "self",
    href: "https://pod.example.com/crmRestApi/resources/11.13.18.05/chatAuthenticate/john.doe.4%40us2.oraclecloud.com",
    name: "chatAuthenticate",
    kind: "item"
  },
  {
    rel: "canonical",
    href: "https://pod.example.com/crmRestApi/resources/11.13.18.05/chatAuthenticate/john.doe.4%40us2.oraclecloud.com",
    name: "chatAuthenticate",
    kind: "item"
  }
]

const created = (
  body: unknown,
  contentType = MediaTypes.ADF_RESOURCE_ITEM
): FakeOracle.Reply => ({ status: 201, headers: { "content-type": contentType }, body: JSON.stringify(body) })

const adfError = (status: number, title: string, detail: string, path?: string): FakeOracle.Reply => ({
  status,
  headers: { "content-type": MediaTypes.ADF_ERROR_JSON },
  body: JSON.stringify({
    title,
    status: String(status),
    "o:errorDetails": [
      path === undefined
        ? { detail, "o:errorCode": "ORA-TEST" }
        : { detail, "o:errorCode": "ORA-TEST", "o:errorPath": path }
    ]
  })
})

// Every error any test sees is kept, to check none of them ever shows the password.
const seenErrors: Array<unknown> = []

const fastRetry = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 10_000 }

const clientFor = (url: string, options: Partial<ChatAuthClientOptions> = {}) =>
  ChatAuthClient.make({
    baseUrl: url,
    username: USERNAME,
    password: Redacted.make(PASSWORD),
    retry: fastRetry,
    ...options
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** Runs one call against a fake answering `replies`; returns the outcome and what the fake received. */
const call = (
  replies: ReadonlyArray<FakeOracle.Reply>,
  options: Partial<ChatAuthClientOptions> = {},
  request: Record<string, unknown> = exampleRequest
) =>
  Effect.gen(function*() {
    const fake = yield* FakeOracle.start(replies)
    const client = yield* clientFor(fake.url, options)
    const outcome = yield* Effect.either(client.authenticate(request as any))
    if (Either.isLeft(outcome)) seenErrors.push(outcome.left)
    return { outcome, requests: fake.requests }
  })

const failureOf = <A, E>(outcome: Either.Either<A, E>): E => {
  if (Either.isRight(outcome)) throw new Error("expected a failure, got a success")
  return outcome.left
}

const successOf = <A, E>(outcome: Either.Either<A, E>): A => {
  if (Either.isLeft(outcome)) throw new Error(`expected a success, got ${String(outcome.left)}`)
  return outcome.right
}

describe("ChatAuthClient against recorded Oracle answers", () => {
  it.scopedLive("decodes the documented answer in the ADF item media type, with links", () =>
    Effect.gen(function*() {
      const { outcome } = yield* call([created({ ...exampleResponse, links })])
      const result = successOf(outcome)
      expect(result.item.chatSiteName).toBe("sdi_07_13_17_1643_46-Svcdit-Fusion")
      expect(result.item.categoryId).toBe("456000")
      expect(result.item.incidentId).toBeNull()
      expect(result.item.links?.map((l) => l.rel)).toEqual(["self", "canonical"])
      // the reference's own token, read without verification
      expect(result.unverifiedTokenHeader).toEqual({
        alg: "RS256",
        typ: "JWT",
        x5t: "O8clduxAl6gC81Cs1LAYiWeiUrU",
        kid: "trustservice"
      })
      expect(result.unverifiedTokenClaims).toEqual({
        exp: 1506509287,
        sub: "john.doe.4@acme.com",
        aud: "https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion",
        iss: "Fusion Apps",
        prn: "john.doe.4@acme.com",
        iat: 1506509167
      })
      expect(result.tokenExpiresAt.toISOString()).toBe(new Date(1506509287 * 1000).toISOString())
      expect(result.engagementUrl).toBe(
        "https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion" +
          "/v1/requestEngagement?pool=452%3A2"
      )
      expect(result.mediaList).toBeUndefined()
    }))

  it.scopedLive("decodes an item without links and with attributes it does not know (a newer pod)", () =>
    Effect.gen(function*() {
      const { outcome } = yield* call([
        created({ ...exampleResponse, mediaList: "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA", someNewAttribute: 42 })
      ])
      const result = successOf(outcome)
      expect(result.item.links).toBeUndefined()
      expect(result.item.poolId).toBe("452:2")
      expect(result.mediaList?.channels.map((c) => c.channel)).toEqual(["CHAT", "VIDEO"])
      expect(result.mediaList?.channels[0].errors[0]).toMatchObject({ code: "NO_KEYBOARD" })
    }))

  it.scopedLive("decodes the item served as plain application/json", () =>
    Effect.gen(function*() {
      const { outcome } = yield* call([created({ ...exampleResponse, links }, "application/json; charset=utf-8")])
      expect(successOf(outcome).item.authUserName).toBe("john.doe.4@us2.oraclecloud.com")
    }))

  it.scopedLive("sends what Oracle expects: Basic auth, REST-Framework-Version 4, the JSON body, the base path", () =>
    Effect.gen(function*() {
      for (
        const basePath of [
          "/crmRestApi/resources/11.13.18.05",
          "/crmRestApi/resources/latest",
          "/serviceApi/resources/11.13.0.0",
          "/serviceApi/resources/latest"
        ] as const
      ) {
        const { outcome, requests } = yield* call([created(exampleResponse)], { basePath })
        successOf(outcome)
        expect(requests).toHaveLength(1)
        const [received] = requests
        expect(received.method).toBe("POST")
        expect(received.url).toBe(`${basePath}/chatAuthenticate`)
        expect(received.headers.authorization).toBe(`Basic ${CREDENTIALS_B64}`)
        expect(received.headers["rest-framework-version"]).toBe("4")
        expect(received.headers["metadata-context"]).toBeUndefined()
        expect(received.headers["content-type"]).toMatch(/^application\/json/)
        // integers go out as strings, null stays null, clientType is filled in
        expect(JSON.parse(received.body)).toEqual({
          ...exampleRequest,
          categoryId: "456000",
          contactId: "123000",
          organizationId: "112233"
        })
        // the password travels in the Authorization header and nowhere else
        const elsewhere = [
          received.url,
          received.body,
          ...received.rawHeaders.filter((_, i, all) => i % 2 === 1 && all[i - 1].toLowerCase() !== "authorization")
        ].join("\n")
        expect(elsewhere).not.toContain(PASSWORD)
        expect(elsewhere).not.toContain(CREDENTIALS_B64)
      }
    }))

  it.scopedLive("sends Metadata-Context, another framework version and onlyData when asked", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([created(exampleResponse)], {
        frameworkVersion: 2,
        metadataContext: "sandbox=\"TrackEmployeeFeature\"",
        onlyData: true
      })
      successOf(outcome)
      expect(requests[0].headers["rest-framework-version"]).toBe("2")
      expect(requests[0].headers["metadata-context"]).toBe("sandbox=\"TrackEmployeeFeature\"")
      expect(requests[0].url).toBe("/crmRestApi/resources/11.13.18.05/chatAuthenticate?onlyData=true")
    }))

  it.scopedLive("types a plain-text 400 (framework versions 1–3)", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([{
        status: 400,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: "The attribute resumeType must be RESUME or DO_NOT_RESUME, not \"MAYBE\"."
      }], { frameworkVersion: 3 })
      const error = failureOf(outcome)
      expect(error).toBeInstanceOf(Errors.BadRequest)
      if (error._tag !== "BadRequest") throw error
      expect(error.details[0].detail).toContain("resumeType must be RESUME")
      expect(attributesOf(error)).toEqual([])
      expect(requests).toHaveLength(1)
    }))

  it.scopedLive("types an ADF JSON 400 and names the attribute (o:errorPath), without retrying", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([
        adfError(400, "Bad Request", "The attribute resumeType must be RESUME or DO_NOT_RESUME.", "resumeType")
      ])
      const error = failureOf(outcome)
      if (error._tag !== "BadRequest") throw error
      expect(attributesOf(error)).toEqual(["resumeType"])
      expect(error.details[0].code).toBe("ORA-TEST")
      expect(requests).toHaveLength(1)
    }))

  it.scopedLive("types 401, 403, 404, 405, 413 and 415, none retried", () =>
    Effect.gen(function*() {
      const cases = [
        [401, "Unauthorized", Errors.Unauthorized],
        [403, "Forbidden", Errors.Forbidden],
        [404, "NotFound", Errors.NotFound],
        [405, "MethodNotAllowed", Errors.MethodNotAllowed],
        [413, "PayloadTooLarge", Errors.PayloadTooLarge],
        [415, "UnsupportedMediaType", Errors.UnsupportedMediaType]
      ] as const
      for (const [status, tag, ErrorClass] of cases) {
        const reply = status === 401
          ? {
            status,
            headers: { "content-type": MediaTypes.ADF_ERROR_JSON, "www-authenticate": "Basic realm=\"fusion\"" },
            body: JSON.stringify({
              title: "Unauthorized",
              status: "401",
              "o:errorDetails": [{ detail: "Authentication failed." }]
            })
          }
          : adfError(status, tag, `refused with ${status}`)
        const { outcome, requests } = yield* call([reply, created(exampleResponse)])
        const error = failureOf(outcome)
        expect(error._tag).toBe(tag)
        expect(error).toBeInstanceOf(ErrorClass)
        expect((error as { readonly status: number }).status).toBe(status)
        expect(requests).toHaveLength(1)
      }
    }))

  it.scopedLive("waits out a 429's Retry-After, then succeeds", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([
        { ...adfError(429, "Too Many Requests", "Too many failed attempts."), headers: { "retry-after": "1" } },
        created(exampleResponse)
      ])
      successOf(outcome)
      expect(requests).toHaveLength(2)
      // base delay is 5 ms: only the Retry-After explains a second's wait (a lower bound cannot be flaky)
      expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(950)
    }))

  it.scopedLive("gives up at once on a 429 whose Retry-After ends after the budget, and reports it", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([
        {
          status: 429,
          headers: { "retry-after": "120", "content-type": "text/plain" },
          body: "Too many failed attempts; try again in 120 seconds."
        },
        created(exampleResponse)
      ], { retry: { ...fastRetry, budgetMs: 5_000 } })
      const error = failureOf(outcome)
      if (error._tag !== "TooManyRequests") throw error
      expect(error.retryAfterSeconds).toBe(120)
      expect(requests).toHaveLength(1)
    }))

  it.scopedLive("retries 503 twice, then succeeds", () =>
    Effect.gen(function*() {
      const unavailable = { status: 503, headers: { "content-type": "text/plain" }, body: "Service Unavailable" }
      const { outcome, requests } = yield* call([unavailable, unavailable, created(exampleResponse)])
      expect(successOf(outcome).item.jwt).toBe(exampleResponse.jwt)
      expect(requests).toHaveLength(3)
    }))

  it.scopedLive("types a proxy's HTML 502 as a ServerError with its body, after using up the attempts", () =>
    Effect.gen(function*() {
      const html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
      const { outcome, requests } = yield* call([{ status: 502, headers: { "content-type": "text/html" }, body: html }])
      const error = failureOf(outcome)
      if (error._tag !== "ServerError") throw error
      expect(error.status).toBe(502)
      expect(error.body).toBe(html)
      expect(requests).toHaveLength(fastRetry.maxAttempts)
    }))

  it.scopedLive("does not retry a 500", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([
        { status: 500, headers: { "content-type": "text/plain" }, body: "java.lang.NullPointerException" },
        created(exampleResponse)
      ])
      const error = failureOf(outcome)
      if (error._tag !== "ServerError") throw error
      expect(error.status).toBe(500)
      expect(error.body).toBe("java.lang.NullPointerException")
      expect(requests).toHaveLength(1)
    }))

  it.scopedLive("types a status the endpoint never answers with", () =>
    Effect.gen(function*() {
      const { outcome } = yield* call([{ status: 409, body: "conflict" }])
      const error = failureOf(outcome)
      if (error._tag !== "UnexpectedStatus") throw error
      expect(error.status).toBe(409)
    }))

  it.scopedLive("times out on a server that never answers, without retrying", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([{ hang: true }], { timeout: "300 millis" })
      const error = failureOf(outcome)
      if (error._tag !== "RequestTimeout") throw error
      expect(error.timeoutMillis).toBe(300)
      expect(requests).toHaveLength(1)
    }))

  it.scopedLive("reports a closed port as a network error", () =>
    Effect.gen(function*() {
      const url = yield* FakeOracle.closedPortUrl
      const client = yield* clientFor(url)
      const error = yield* Effect.flip(client.authenticate({ authUserName: "jane" }))
      seenErrors.push(error)
      if (error._tag !== "NetworkError") throw error
      expect(error.reason).toMatch(/ECONNREFUSED|fetch failed/)
    }))

  it.scopedLive("refuses a success it cannot use: a non-JSON body, a 200, a jwt that is not a JWT", () =>
    Effect.gen(function*() {
      const notJson = yield* call([{ status: 201, headers: { "content-type": "application/json" }, body: "OK" }])
      const e1 = failureOf(notJson.outcome)
      if (e1._tag !== "InvalidResponse") throw e1
      expect(e1.status).toBe(201)

      const ok200 = yield* call([{ status: 200, headers: { "content-type": "text/html" }, body: "<p>hello</p>" }])
      const e2 = failureOf(ok200.outcome)
      if (e2._tag !== "InvalidResponse") throw e2
      expect(e2.status).toBe(200)
      expect(e2.body).toBe("<p>hello</p>")

      const badJwt = yield* call([created({ ...exampleResponse, jwt: "not-a-token" })])
      const e3 = failureOf(badJwt.outcome)
      if (e3._tag !== "InvalidResponse") throw e3
      expect(e3.reason).toContain("jwt")

      const missing = yield* call([created({ ...exampleResponse, poolId: undefined })])
      const e4 = failureOf(missing.outcome)
      if (e4._tag !== "InvalidResponse") throw e4
      expect(e4.reason).toContain("poolId")
    }))

  it.scopedLive("does not send a request it cannot express, and says which attributes are at fault", () =>
    Effect.gen(function*() {
      const { outcome, requests } = yield* call([created(exampleResponse)], {}, {
        authUserName: "jane",
        favouriteColour: "blue",
        queueId: 1.5,
        clientType: "AGENT"
      })
      const error = failureOf(outcome)
      if (error._tag !== "RequestInvalid") throw error
      expect(error.problems.map((p) => p.path).sort()).toEqual(["clientType", "favouriteColour", "queueId"])
      expect(requests).toHaveLength(0)

      // a value outside what the contract's type allows (resumeType is RESUME or DO_NOT_RESUME)
      const second = yield* call([created(exampleResponse)], {}, { authUserName: "jane", resumeType: "MAYBE" })
      const error2 = failureOf(second.outcome)
      if (error2._tag !== "RequestInvalid") throw error2
      expect(error2.problems.map((p) => p.path)).toEqual(["resumeType"])
      expect(error2.message).toContain("MAYBE")
      expect(second.requests).toHaveLength(0)
    }))

  it.effect("reads its configuration through Config, the password as Redacted", () =>
    Effect.gen(function*() {
      const client = yield* ChatAuthClient
      expect(client.endpointUrl).toBe("https://pod.example.com/serviceApi/resources/latest/chatAuthenticate")
    }).pipe(
      Effect.provide(ChatAuthClient.layerConfig.pipe(Layer.provide(FetchHttpClient.layer))),
      Effect.withConfigProvider(ConfigProvider.fromMap(
        new Map([
          ["CHATAUTH_BASE_URL", "https://pod.example.com/"],
          ["CHATAUTH_USERNAME", USERNAME],
          ["CHATAUTH_PASSWORD", PASSWORD],
          ["CHATAUTH_BASE_PATH", "/serviceApi/resources/latest"]
        ])
      ))
    ))

  it.effect("refuses a configuration with an unknown base path, naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Effect.provide(ChatAuthClient, ChatAuthClient.layerConfig.pipe(Layer.provide(FetchHttpClient.layer)))
      )
      expect(String(error)).toContain("CHATAUTH_BASE_PATH")
      expect(String(error)).not.toContain(PASSWORD)
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(
      new Map([
        ["CHATAUTH_BASE_URL", "https://pod.example.com"],
        ["CHATAUTH_USERNAME", USERNAME],
        ["CHATAUTH_PASSWORD", PASSWORD],
        ["CHATAUTH_BASE_PATH", "/crmRestApi/resources/11.13.0.0"]
      ])
    ))))
})

describe("the Promise API", () => {
  it.scopedLive("resolves with the result and rejects with the typed error itself", () =>
    Effect.gen(function*() {
      const fake = yield* FakeOracle.start([
        created(exampleResponse),
        adfError(400, "Bad Request", "The attribute chatPriority must be a whole number.", "chatPriority")
      ])
      const client = createChatAuthClient({ baseUrl: fake.url, username: USERNAME, password: PASSWORD, retry: false })
      const result = yield* Effect.promise(() => client.authenticate({ authUserName: "jane", queueId: 1 }))
      expect(result.engagementUrl).toContain("requestEngagement?pool=452%3A2")
      expect(JSON.parse(fake.requests[0].body)).toEqual({ authUserName: "jane", queueId: "1", clientType: "CONSUMER" })

      const rejection: unknown = yield* Effect.promise(() =>
        client.authenticate({ authUserName: "jane", chatPriority: "high" }).then(
          () => undefined,
          (err: unknown) => err
        )
      )
      seenErrors.push(rejection)
      expect(rejection instanceof ChatAuthClientError).toBe(true)
      expect(rejection).toBeInstanceOf(Errors.BadRequest)
      expect(isChatAuthClientError(rejection)).toBe(true)
      expect((rejection as Errors.BadRequest)._tag).toBe("BadRequest")
      expect(attributesOf(rejection as Errors.BadRequest)).toEqual(["chatPriority"])
      expect(new Error("other") instanceof ChatAuthClientError).toBe(false)
    }))

  it("throws a TypeError at creation for invalid options, without the password", () => {
    expect(() => createChatAuthClient({ baseUrl: "ftp://pod", username: USERNAME, password: PASSWORD })).toThrow(
      TypeError
    )
    try {
      createChatAuthClient({ baseUrl: `https://${USERNAME}:${PASSWORD}@pod.example.com`, username: "u", password: "p" })
      expect.unreachable()
    } catch (err) {
      expect(String(err)).toContain("must not hold credentials")
      expect(String(err)).not.toContain(PASSWORD)
    }
  })
})

describe("secrets", () => {
  it("no error seen by these tests shows the password, in any rendering", () => {
    // the failures above: plain-text and JSON 4xx, 429s, 5xx, timeout, network, invalid answers, invalid requests
    expect(seenErrors.length).toBeGreaterThanOrEqual(15)
    for (const error of seenErrors) {
      expect(isChatAuthClientError(error)).toBe(true)
      const renderings = [String(error), (error as Error).message, JSON.stringify(error), inspect(error, { depth: 10 })]
      for (const text of renderings) {
        expect(text).not.toContain(PASSWORD)
        expect(text).not.toContain(CREDENTIALS_B64)
      }
    }
  })

  it.effect("the service holds no password in what it shows", () =>
    Effect.gen(function*() {
      const client = yield* ChatAuthClient
      for (const text of [String(client), JSON.stringify(client), inspect(client, { depth: 10 })]) {
        expect(text).not.toContain(PASSWORD)
        expect(text).not.toContain(CREDENTIALS_B64)
      }
    }).pipe(Effect.provide(
      ChatAuthClient.layer({
        baseUrl: "https://pod.example.com",
        username: USERNAME,
        password: Redacted.make(PASSWORD)
      })
        .pipe(Layer.provide(FetchHttpClient.layer))
    )))
})

/**
 * The hot route fuzzed over real sockets: generated bodies (JSON of every shape, attributes of every kind, deep
 * nesting, raw bytes that may not be UTF-8), headers (media types, framework versions, forwarded addresses) and
 * credentials (right, wrong, malformed, absent). Whatever comes in, the answer comes, below 500, and the server is
 * alive afterwards. Bounded: 300 cases or 90 seconds, whichever ends first; every request has its own timeout.
 */
import { Attributes } from "@chatauth/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import {
  AUTH,
  basicAuth,
  exampleRequestText,
  NO_LOCKOUTS,
  post,
  request,
  RESOURCE,
  startServer,
  USER
} from "./serverTestUtils.js"

const printable = (maxLength: number) =>
  FastCheck.string({ maxLength }).map((text) => text.replace(/[^\x20-\x7e]/g, ""))

const nested = FastCheck.integer({ min: 1, max: 20_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth))

// A value under an attribute: the kinds Oracle takes, the kinds it does not, and the extremes.
const attributeValue = FastCheck.oneof(
  FastCheck.string({ maxLength: 60 }),
  FastCheck.string({ unit: "binary", maxLength: 30 }),
  FastCheck.integer(),
  FastCheck.double(),
  FastCheck.constant(null),
  FastCheck.boolean(),
  FastCheck.jsonValue({ maxDepth: 4 }),
  FastCheck.constantFrom("RESUME", "DO_NOT_RESUME", "CONSUMER", "CHAT;VIDEO:NO_CAMERA", "{\"a\":1}", ""),
  FastCheck.integer({ min: 3_990, max: 4_010 }).map((length) => "x".repeat(length))
).map((value) => JSON.stringify(value))

const attributeName = FastCheck.oneof(
  {
    weight: 6,
    arbitrary: FastCheck.constantFrom(...Attributes.requestAttributeNames, ...Attributes.responseOnlyAttributeNames)
  },
  { weight: 1, arbitrary: FastCheck.constantFrom("__proto__", "constructor", "toString", "") },
  { weight: 1, arbitrary: FastCheck.string({ maxLength: 12 }) }
)

// Hand-assembled objects, so that values may be nested thousands deep (JSON.stringify would overflow on them).
const objectBody = FastCheck.array(
  FastCheck.tuple(
    attributeName,
    FastCheck.oneof({ weight: 8, arbitrary: attributeValue }, { weight: 1, arbitrary: nested })
  ),
  { maxLength: 8 }
).chain((pairs) =>
  FastCheck.boolean().map((withName) => {
    const members = pairs.map(([name, value]) => `${JSON.stringify(name)}:${value}`)
    if (withName) members.unshift(`"authUserName":"fuzz-user"`)
    return Buffer.from(`{${members.join(",")}}`, "utf8")
  })
)

const body = FastCheck.oneof(
  // Oracle's example as it is: enough of the cases get through to a 201 that the assertion below cannot miss by luck.
  { weight: 3, arbitrary: FastCheck.constant(Buffer.from(exampleRequestText, "utf8")) },
  { weight: 5, arbitrary: objectBody },
  { weight: 1, arbitrary: FastCheck.jsonValue().map((value) => Buffer.from(JSON.stringify(value) ?? "", "utf8")) },
  { weight: 1, arbitrary: FastCheck.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: nested.map((text) => Buffer.from(text)) },
  {
    weight: 1,
    arbitrary: FastCheck.tuple(objectBody, FastCheck.nat(), FastCheck.nat(255)).map(([bytes, at, byte]) => {
      const copy = Buffer.from(bytes)
      if (copy.length > 0) copy[at % copy.length] = byte
      return copy
    })
  }
)

const credentials = FastCheck.oneof(
  { weight: 4, arbitrary: FastCheck.constant(AUTH) },
  { weight: 1, arbitrary: FastCheck.constant(undefined) },
  { weight: 1, arbitrary: printable(20).map((password) => basicAuth(USER, password)) },
  {
    weight: 1,
    arbitrary: FastCheck.tuple(FastCheck.string({ maxLength: 20 }), FastCheck.string({ maxLength: 20 })).map((
      [user, password]
    ) => basicAuth(user, password))
  },
  { weight: 1, arbitrary: printable(60).map((text) => `Basic ${text}`) },
  { weight: 1, arbitrary: printable(60) }
)

const headers = FastCheck.record({
  "content-type": FastCheck.option(
    FastCheck.oneof(
      FastCheck.constantFrom(
        "application/json",
        "application/json; charset=utf-8",
        "application/vnd.oracle.adf.resourceitem+json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x"
      ),
      printable(40)
    ),
    { nil: undefined }
  ),
  "rest-framework-version": FastCheck.option(
    FastCheck.oneof(FastCheck.integer({ min: 0, max: 12 }).map(String), printable(8)),
    { nil: undefined }
  ),
  "x-forwarded-for": FastCheck.option(
    FastCheck.oneof(FastCheck.ipV4(), FastCheck.ipV6(), printable(40)),
    { nil: undefined }
  ),
  accept: FastCheck.option(printable(40), { nil: undefined })
}, { requiredKeys: [] })

const target = FastCheck.oneof(
  { weight: 6, arbitrary: FastCheck.constant({ method: "POST", path: RESOURCE }) },
  { weight: 1, arbitrary: FastCheck.constant({ method: "POST", path: `${RESOURCE}?onlyData=true` }) },
  {
    weight: 1,
    arbitrary: FastCheck.constantFrom("GET", "PUT", "DELETE", "PATCH").map((method) => ({ method, path: RESOURCE }))
  },
  {
    weight: 1,
    arbitrary: printable(20).map((item) => ({ method: "POST", path: `${RESOURCE}/${encodeURIComponent(item)}` }))
  },
  { weight: 1, arbitrary: FastCheck.constant({ method: "POST", path: "/crmRestApi/resources/99.99/chatAuthenticate" }) }
)

describe("fuzzing the hot route", () => {
  it.scopedLive(
    "no generated request gets a 5xx or hangs, and the server is alive afterwards",
    () =>
      Effect.gen(function*() {
        const { url } = yield* startServer({
          callerAuth: { lockouts: NO_LOCKOUTS }
        })
        const statuses = new Map<number, number>()
        yield* Effect.promise(() =>
          FastCheck.assert(
            FastCheck.asyncProperty(target, credentials, headers, body, async (to, authorization, extra, bytes) => {
              const sent: Record<string, string> = {}
              for (const [name, value] of Object.entries(extra)) if (value !== undefined) sent[name] = value
              if (authorization !== undefined) sent.authorization = authorization
              const answer = await Effect.runPromise(
                request(`${url}${to.path}`, { method: to.method, headers: sent, body: bytes, timeoutMs: 10_000 })
              )
              statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
              expect(answer.status, `${to.method} ${to.path} ${bytes.toString("utf8").slice(0, 200)}`)
                .toBeGreaterThanOrEqual(200)
              expect(answer.status).toBeLessThan(500)
            }),
            { numRuns: 300, interruptAfterTimeLimit: 90_000 }
          )
        )
        // The generators reach past validation: some requests were issued, some refused.
        expect(statuses.get(201) ?? 0).toBeGreaterThan(0)
        expect(statuses.get(400) ?? 0).toBeGreaterThan(0)
        expect((yield* request(`${url}/health/live`)).status).toBe(200)
        expect((yield* post(url, { authUserName: "after-the-fuzz" })).status).toBe(201)
      }),
    180_000
  )
})

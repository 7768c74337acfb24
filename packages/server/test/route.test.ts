import { Attributes, ChatAuthenticate, Links } from "@chatauth/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, type Exit, FastCheck as fc, Layer, Option, Schema } from "effect"
import { CallerDirectory } from "../src/auth/CallerDirectory.js"
import { servicesLayer } from "../src/ChatAuthServer.js"
import * as ChatAuthenticateHandler from "../src/issue/ChatAuthenticateHandler.js"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import { basicAuth, FAST_SCRYPT, NO_LOCKOUTS, PASSWORD } from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

// The route decodes and echoes without the schema (core's fast decode and `itemJson`); the schema is the contract. On
// bodies that set any attribute, valid or not, the route answers what the schema decides, the item encoded as the
// schema encodes it, and a caller whose password it checks gets the same answers as one the credential cache knows.

const text = fc.string({ maxLength: 24 })
// Per attribute, values the contract accepts and values it refuses.
const plain = { valid: fc.oneof(text, fc.integer(), fc.constant(null)), invalid: fc.oneof(fc.double(), fc.boolean()) }
const rules: Record<string, { readonly valid: fc.Arbitrary<unknown>; readonly invalid: fc.Arbitrary<unknown> }> = {
  authUserName: {
    valid: fc.oneof(fc.constant("jane.doe@example.com"), fc.emailAddress(), fc.integer({ min: 0 })),
    invalid: fc.constantFrom("", "  ", "a\u0000b", null)
  },
  clientType: { valid: fc.constantFrom("CONSUMER", null), invalid: fc.constantFrom("AGENT", 1) },
  resumeType: { valid: fc.constantFrom("RESUME", "DO_NOT_RESUME", null), invalid: fc.constantFrom("resume", 1, "") },
  chatPriority: {
    valid: fc.oneof(fc.integer({ min: 0, max: 999_999_999 }), fc.stringMatching(/^[0-9]{1,9}$/), fc.constant(null)),
    invalid: fc.oneof(fc.integer({ max: -1 }), fc.constantFrom("1.5", "ten", "", "1234567890"))
  },
  customFields: {
    valid: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(text, fc.integer())).map((o) => JSON.stringify(o)),
    invalid: fc.constantFrom("[]", "null", "{", "\"x\"", "1")
  },
  mediaList: {
    valid: fc.constantFrom(
      "CHAT",
      "CHAT;VIDEO:NO_CAMERA",
      "CHAT:BROWSER_NOT_SUPPORTED;VIDEO:NO_CAMERA,NO_MICROPHONE;COBROWSE",
      "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE",
      " CHAT ; VIDEO: NO_CAMERA ",
      "",
      "VIDEO:NO_CAMERA,NO_CAMERA"
    ),
    invalid: fc.constantFrom("CHAT;", "chat", "AUDIO", "VIDEO:no-camera", "CHAT;CHAT", "CHAT:", 7)
  }
}
const rule = (name: string) => rules[name] ?? plain
const names = Attributes.requestAttributeNames
// A body of valid values with up to two attributes at fault, sometimes without its user name or with an attribute the
// caller may not set (ignored) or that does not exist (refused).
const body = fc.record(
  Object.fromEntries(names.map((name) => [name, rule(name).valid])),
  { requiredKeys: ["authUserName"] }
).chain((valid) =>
  fc.record({
    faults: fc.uniqueArray(fc.constantFrom(...names), { maxLength: 2 }).chain((faulty) =>
      fc.tuple(...faulty.map((name) => rule(name).invalid.map((value) => [name, value] as const)))
    ),
    dropUser: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    extra: fc.constantFrom(undefined, undefined, undefined, "poolId", "unknownAttribute")
  }).map(({ dropUser, extra, faults }) => {
    const sent: Record<string, unknown> = { ...valid, ...Object.fromEntries(faults) }
    if (dropUser) delete sent.authUserName
    if (extra !== undefined) sent[extra] = "sent by the caller"
    return sent
  })
)

const decodeWithSchema = Schema.decodeUnknownEither(ChatAuthenticate.ChatAuthenticateRequestBody, { errors: "all" })

const BASE = "/crmRestApi/resources/11.13.18.05"
const ORIGIN = "http://127.0.0.1:8080"

describe("the chatAuthenticate route", () => {
  it.live(
    "answers what the schema decides, on every attribute, by the credential cache and by the password",
    () =>
      Effect.gen(function*() {
        const dataDir = yield* tempDataDir
        const layer = ChatAuthenticateHandler.layer({ fallbackOrigin: () => ORIGIN }).pipe(
          Layer.provideMerge(servicesLayer({ dataDir, callerAuth: { scrypt: FAST_SCRYPT, lockouts: NO_LOCKOUTS } }))
        )
        yield* Effect.gen(function*() {
          const handler = yield* ChatAuthenticateHandler.ChatAuthenticateHandler
          const directory = yield* CallerDirectory
          const feed = yield* ChangeFeed
          const run = (wire: ChatAuthenticateHandler.WireRequest) =>
            new Promise<Exit.Exit<ChatAuthenticateHandler.WireResponse>>((resolve) =>
              handler.run(wire, { basePath: BASE, item: undefined }, resolve)
            )
          let caller = 0
          const statuses = new Map<number, number>()
          yield* Effect.promise(() =>
            fc.assert(
              fc.asyncProperty(body, fc.boolean(), async (sent, onlyData) => {
                // A caller of its own: its first request checks the password, its second is answered by the cache.
                const username = `caller-${caller++}`
                await Effect.runPromise(
                  Effect.zipRight(directory.add({ username, password: PASSWORD }), feed.poll)
                )
                const bytes = new TextEncoder().encode(JSON.stringify(sent))
                const wire: ChatAuthenticateHandler.WireRequest = {
                  method: "POST",
                  path: `${BASE}/chatAuthenticate`,
                  query: onlyData ? "onlyData=true" : "",
                  headers: {
                    authorization: basicAuth(username, PASSWORD),
                    "content-type": "application/json",
                    "content-length": String(bytes.length)
                  },
                  clientAddress: "192.0.2.1",
                  readBody: () => Effect.succeed(Option.some(bytes)),
                  readBodyCallback: (_max, done) => done(Option.some(bytes))
                }
                const [checked, cached] = [await run(wire), await run(wire)]
                expect(checked._tag).toBe("Success")
                expect(cached._tag).toBe("Success")
                const answers = [checked, cached].map((exit) =>
                  (exit as Exit.Success<ChatAuthenticateHandler.WireResponse, never>).value
                )
                const reference = decodeWithSchema(sent)
                for (const answer of answers) {
                  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
                  if (Either.isLeft(reference)) {
                    expect(answer.status).toBe(400)
                    continue
                  }
                  expect(answer.status).toBe(201)
                  const item = JSON.parse(answer.body) as Record<string, string>
                  const href = Links.itemHref(ORIGIN, BASE, reference.right.authUserName)
                  const expected = ChatAuthenticate.encodeItem(
                    ChatAuthenticate.makeItem(
                      reference.right,
                      { chatSiteName: item.chatSiteName, domain: item.domain, poolId: item.poolId, jwt: item.jwt },
                      onlyData ? undefined : Links.itemLinks(href)
                    )
                  )
                  // The text itself: the same members in the same order.
                  expect(answer.body).toBe(JSON.stringify(expected))
                  expect(answer.headers.location).toBe(href)
                }
                const withoutJwt = (a: ChatAuthenticateHandler.WireResponse) => ({
                  ...a,
                  body: a.body.replace(/"jwt":"[^"]*"/, "\"jwt\":\"…\"")
                })
                expect(withoutJwt(answers[1])).toEqual(withoutJwt(answers[0]))
              }),
              { numRuns: 120 }
            )
          )
          // Both outcomes were met often enough to mean something.
          expect(statuses.get(201) ?? 0).toBeGreaterThan(20)
          expect(statuses.get(400) ?? 0).toBeGreaterThan(20)
        }).pipe(Effect.provide(layer))
      }).pipe(Effect.scoped),
    180_000
  )
})

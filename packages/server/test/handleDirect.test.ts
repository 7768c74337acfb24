import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc, Layer, Option, Redacted } from "effect"
import { CallerAuth } from "../src/auth/CallerAuth.js"
import { CallerDirectory } from "../src/auth/CallerDirectory.js"
import { servicesLayer } from "../src/ChatAuthServer.js"
import * as ChatAuthenticateHandler from "../src/issue/ChatAuthenticateHandler.js"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import { basicAuth, exampleRequest, FAST_SCRYPT, NO_LOCKOUTS, PASSWORD, USER } from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

// The direct path (no fiber) must answer exactly what the fiber answers, whenever it takes a request.

const body = fc.oneof(
  fc.constant(JSON.stringify(exampleRequest)),
  fc.record({
    authUserName: fc.oneof(fc.constant("jane.doe@example.com"), fc.string({ maxLength: 30 })),
    resumeType: fc.constantFrom("RESUME", "DO_NOT_RESUME", null, undefined),
    firstName: fc.oneof(fc.string({ maxLength: 12 }), fc.integer()),
    organizationId: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }))
  }).map((fields) => JSON.stringify({ ...exampleRequest, ...fields })),
  fc.constantFrom("", "{", "[]", "null", "{\"clientType\":\"CONSUMER\"}"),
  fc.string({ maxLength: 40 })
)

const request = fc.record({
  method: fc.constantFrom("POST", "POST", "POST", "GET", "PUT"),
  basePath: fc.constantFrom("/crmRestApi/resources/11.13.18.05", "/crmRestApi/resources/latest", "/bogus/resources/1"),
  item: fc.constantFrom(undefined, undefined, "describe"),
  query: fc.constantFrom("", "onlyData=true"),
  version: fc.constantFrom(undefined, "1", "4", "9", "x"),
  contentType: fc.constantFrom(
    "application/json",
    "application/vnd.oracle.adf.resourceitem+json",
    "text/plain",
    undefined,
    "application/json; charset=utf-16"
  ),
  host: fc.constantFrom("chat.example.com", "bad host", undefined),
  body
})

const JWT = /"jwt":"[^"]*"/

describe("ChatAuthenticateHandler.handleDirect", () => {
  it.live("gives the answers handle gives, on generated requests from a known caller", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const services = servicesLayer({
        dataDir,
        callerAuth: { scrypt: FAST_SCRYPT, lockouts: NO_LOCKOUTS }
      })
      const layer = ChatAuthenticateHandler.layer({ fallbackOrigin: () => "http://127.0.0.1:8080" }).pipe(
        Layer.provideMerge(services)
      )
      yield* Effect.gen(function*() {
        yield* (yield* CallerDirectory).add({ username: USER, password: PASSWORD })
        // The feed delivers the addition now: delivered later (on a loaded machine), it would empty the cache below.
        yield* (yield* ChangeFeed).poll
        // The credential cache knows the caller, as it does after its first request.
        yield* (yield* CallerAuth).authenticate({
          username: USER,
          password: Redacted.make(PASSWORD),
          clientAddress: "192.0.2.1"
        })
        const handler = yield* ChatAuthenticateHandler.ChatAuthenticateHandler
        let taken = 0
        const statuses = new Set<number>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(request, async (r) => {
              const bytes = new TextEncoder().encode(r.body)
              const wire: ChatAuthenticateHandler.WireRequest = {
                method: r.method,
                path: `${r.basePath}/chatAuthenticate${r.item === undefined ? "" : `/${r.item}`}`,
                query: r.query,
                headers: {
                  authorization: basicAuth(USER, PASSWORD),
                  "content-length": String(bytes.length),
                  ...(r.contentType === undefined ? {} : { "content-type": r.contentType }),
                  ...(r.version === undefined ? {} : { "rest-framework-version": r.version }),
                  ...(r.host === undefined ? {} : { host: r.host })
                },
                clientAddress: "192.0.2.1",
                readBody: () => Effect.succeed(Option.some(bytes)),
                readBodyCallback: (_max, done) => done(Option.some(bytes))
              }
              const resource = { basePath: r.basePath, item: r.item }
              const direct = await new Promise<Exit.Exit<ChatAuthenticateHandler.WireResponse> | undefined>(
                (resolve) => {
                  if (!handler.handleDirect(wire, resource, resolve)) resolve(undefined)
                }
              )
              const viaFiber = await Effect.runPromise(handler.handle(wire, resource))
              // A known caller with the chat privilege is always taken.
              expect(direct).toBeDefined()
              taken++
              expect(Exit.isSuccess(direct!)).toBe(true)
              const answer = (direct as Exit.Success<ChatAuthenticateHandler.WireResponse, never>).value
              const withoutJwt = (a: ChatAuthenticateHandler.WireResponse) => ({
                ...a,
                body: a.body.replace(JWT, "\"jwt\":\"…\"")
              })
              expect(withoutJwt(answer)).toEqual(withoutJwt(viaFiber))
              statuses.add(answer.status)
            }),
            { numRuns: 150 }
          )
        )
        expect(taken).toBeGreaterThanOrEqual(150)
        // Issued tokens and refusals of every kind were compared.
        expect([...statuses].sort()).toEqual(expect.arrayContaining([201, 400, 404, 405, 415]))
      }).pipe(Effect.provide(layer))
    }).pipe(Effect.scoped), 120_000)

  it.live("declines what it does not answer: unknown credentials, no credentials", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const layer = ChatAuthenticateHandler.layer({ fallbackOrigin: () => "http://127.0.0.1:8080" }).pipe(
        Layer.provideMerge(servicesLayer({ dataDir, callerAuth: { scrypt: FAST_SCRYPT, lockouts: NO_LOCKOUTS } }))
      )
      yield* Effect.gen(function*() {
        yield* (yield* CallerDirectory).add({ username: USER, password: PASSWORD })
        // The feed delivers the addition now: delivered later (on a loaded machine), it would empty the cache below.
        yield* (yield* ChangeFeed).poll
        const handler = yield* ChatAuthenticateHandler.ChatAuthenticateHandler
        const wire = (authorization: string | undefined): ChatAuthenticateHandler.WireRequest => ({
          method: "POST",
          path: "/crmRestApi/resources/11.13.18.05/chatAuthenticate",
          query: "",
          headers: {
            "content-type": "application/json",
            ...(authorization === undefined ? {} : { authorization })
          },
          clientAddress: "192.0.2.1",
          readBody: () => Effect.succeed(Option.some(new TextEncoder().encode(JSON.stringify(exampleRequest)))),
          readBodyCallback: () => expect.fail("the body of a declined request is not read")
        })
        const resource = { basePath: "/crmRestApi/resources/11.13.18.05", item: undefined }
        const fail = () => expect.fail("a declined request is not answered")
        // Right credentials not yet checked: the fiber checks them (and caches them).
        expect(handler.handleDirect(wire(basicAuth(USER, PASSWORD)), resource, fail)).toBe(false)
        expect(handler.handleDirect(wire(basicAuth(USER, "wrong-password")), resource, fail)).toBe(false)
        expect(handler.handleDirect(wire(undefined), resource, fail)).toBe(false)
      }).pipe(Effect.provide(layer))
    }).pipe(Effect.scoped), 60_000)
})

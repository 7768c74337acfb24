import { ChatAuthenticateApi, Errors, TokenVerifier } from "@chatauth/core"
import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { readFileSync } from "node:fs"
import * as Http from "node:http"
import { CHAT_PRIVILEGE } from "../src/auth/CallerDirectory.js"
import {
  addCallers,
  AUTH,
  basicAuth,
  decodeJwt,
  exampleRequest,
  makeAnonymousClient,
  makeClient,
  PASSWORD,
  post,
  rawExchange,
  request,
  RESOURCE,
  startServer,
  USER
} from "./serverTestUtils.js"
import { tempDataDir } from "./storeTestUtils.js"

class TestServer
  extends Context.Tag("test/TestServer")<TestServer, { readonly url: string; readonly port: number }>()
{}

const NO_PRIVILEGE_USER = "no-chat-privilege"
const NO_PRIVILEGE_PASSWORD = "an0ther-passw0rd"

const TestServerLive = Layer.scoped(
  TestServer,
  Effect.gen(function*() {
    const dataDir = yield* tempDataDir
    yield* addCallers(dataDir, [{
      username: NO_PRIVILEGE_USER,
      password: NO_PRIVILEGE_PASSWORD,
      privileges: ["OTHER"]
    }])
    // Thresholds high enough that this file's deliberate failures never lock anyone out, except where a test does.
    return yield* startServer({
      dataDir,
      callerAuth: {
        lockouts: {
          userAddress: { threshold: 3, window: "5 minutes", duration: "5 minutes" },
          address: { threshold: 1000, window: "5 minutes", duration: "5 minutes" },
          user: { threshold: 1000, window: "5 minutes", duration: "1 minute" }
        }
      }
    })
  })
)

const v4 = { "rest-framework-version": "4" } as const

const minimal = { authUserName: "jane.doe@example.com", clientType: "CONSUMER" } as const

describe("the server through the client derived from the contract", () => {
  layer(TestServerLive, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("answers 201 with the decoded item on every base path", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url)
        for (const basePath of ChatAuthenticateApi.BASE_PATHS) {
          const item = yield* client.chatAuthenticate.create({
            path: ChatAuthenticateApi.basePathParams(basePath),
            headers: {},
            urlParams: {},
            payload: { ...minimal, resumeType: "DO_NOT_RESUME", categoryId: "456000" }
          })
          expect(item.authUserName).toBe(minimal.authUserName)
          expect(item.clientType).toBe("CONSUMER")
          expect(item.categoryId).toBe("456000")
          expect(item.resumeType).toBe("DO_NOT_RESUME")
          expect(item.chatSiteName).toBe("sdi_07_13_17_1643_46-Svcdit-Fusion")
          expect(item.domain).toBe("bzndv-chatinteg-vip.dv.lan")
          expect(item.poolId).toBe("452:2")
          expect(item.jwt.split(".")).toHaveLength(3)
          const href = `${url}${basePath}/chatAuthenticate/jane.doe%40example.com`
          expect(item.links).toEqual([
            { rel: "self", href, name: "chatAuthenticate", kind: "item" },
            { rel: "canonical", href, name: "chatAuthenticate", kind: "item" }
          ])
        }
      }))

    it.effect("leaves the links out with onlyData=true", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url)
        const item = yield* client.chatAuthenticate.create({
          path: { application: "serviceApi", version: "latest" },
          headers: {},
          urlParams: { onlyData: "true" },
          payload: minimal
        })
        expect(item.links).toBeUndefined()
        expect(item.jwt).not.toBe("")
      }))

    it.effect("answers 400 naming the attribute", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        // The derived client encodes its payload with the contract's schema, which refuses an invalid value before
        // sending; so the invalid body is put on the wire underneath it, and the answer is read by the client.
        const client = yield* HttpApiClient.make(ChatAuthenticateApi.Api, {
          baseUrl: url,
          transformClient: HttpClient.mapRequest((request) =>
            request.pipe(
              HttpClientRequest.basicAuth(USER, PASSWORD),
              HttpClientRequest.bodyUnsafeJson({ authUserName: "jane", resumeType: "SOMETIMES" })
            )
          )
        }).pipe(Effect.provide(FetchHttpClient.layer))
        const error = yield* Effect.flip(client.chatAuthenticate.create({
          path: { application: "crmRestApi", version: "11.13.18.05" },
          headers: v4,
          urlParams: {},
          payload: minimal
        }))
        expect(error._tag).toBe("BadRequest")
        const details = (error as Errors.BadRequest).details
        expect(details.map((d) => d.path)).toEqual(["resumeType"])
        expect(details[0].detail).toContain("resumeType")
      }))

    it.effect("answers 400 naming an unknown attribute", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const answer = yield* post(url, { authUserName: "jane", favouriteColour: "blue" }, { headers: v4 })
        expect(answer.status).toBe(400)
        expect(JSON.parse(answer.body)["o:errorDetails"][0]["o:errorPath"]).toBe("favouriteColour")
      }))

    it.effect("answers 401 without credentials, and the same 401 for an unknown user and a wrong password", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const call = (client: Effect.Effect.Success<ReturnType<typeof makeAnonymousClient>>) =>
          Effect.flip(client.chatAuthenticate.create({
            path: { application: "crmRestApi", version: "11.13.18.05" },
            headers: v4,
            urlParams: {},
            payload: minimal
          }))
        const anonymous = yield* call(yield* makeAnonymousClient(url))
        const unknownUser = yield* call(yield* makeClient(url, "nobody-at-all", PASSWORD))
        const wrongPassword = yield* call(yield* makeClient(url, "someone-who-is-not-there", "wrong"))
        for (const error of [anonymous, unknownUser, wrongPassword]) {
          expect(error._tag).toBe("Unauthorized")
        }
        expect(unknownUser).toEqual(wrongPassword)
        expect(anonymous).toEqual(wrongPassword)
        // Byte for byte, headers included, an unknown user and a wrong password for a real user look the same.
        const a = yield* post(url, minimal, { headers: { authorization: basicAuth("nobody-here", PASSWORD) } })
        const b = yield* post(url, minimal, { headers: { authorization: basicAuth(USER, "not-the-password") } })
        expect(a.status).toBe(401)
        expect(b.status).toBe(401)
        expect(a.body).toBe(b.body)
        expect(a.headers["www-authenticate"]).toBe(b.headers["www-authenticate"])
        expect(a.headers["www-authenticate"]).toMatch(/^Basic realm="[^"]+"/)
      }))

    it.effect("answers 403 to a caller without SVC_REQUEST_FOR_CHAT_PRIV", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url, NO_PRIVILEGE_USER, NO_PRIVILEGE_PASSWORD)
        const error = yield* Effect.flip(client.chatAuthenticate.create({
          path: { application: "crmRestApi", version: "latest" },
          headers: v4,
          urlParams: {},
          payload: minimal
        }))
        expect(error._tag).toBe("Forbidden")
        expect((error as Errors.Forbidden).details[0].detail).toContain(CHAT_PRIVILEGE)
      }))

    it.effect("answers 405 with Allow: POST to the unsupported GETs", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url)
        const list = yield* Effect.flip(client.chatAuthenticate.list({
          path: { application: "crmRestApi", version: "11.13.18.05" },
          headers: v4
        }))
        const get = yield* Effect.flip(client.chatAuthenticate.get({
          path: { application: "serviceApi", version: "latest", authUserName: "jane" },
          headers: v4
        }))
        expect(list._tag).toBe("MethodNotAllowed")
        expect(get._tag).toBe("MethodNotAllowed")
        for (const path of [RESOURCE, `${RESOURCE}/jane`]) {
          const raw = yield* request(`${url}${path}`, { headers: { authorization: AUTH } })
          expect(raw.status).toBe(405)
          expect(raw.headers.allow).toBe("POST")
          expect(raw.headers["content-type"]).toContain("text/plain")
        }
      }))

    it.effect("describes the resource", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url)
        const description = yield* client.chatAuthenticate.describe({
          path: { application: "crmRestApi", version: "11.13.18.05" }
        }) as Effect.Effect<any>
        const resource = description.Resources.chatAuthenticate
        const names = resource.attributes.map((a: { name: string }) => a.name)
        expect(names).toContain("authUserName")
        expect(names).toContain("jwt")
        const raw = yield* request(`${url}${RESOURCE}/describe`)
        expect(raw.status).toBe(200)
        expect(raw.headers["content-type"]).toContain("application/vnd.oracle.adf.description+json")
        // Its self link follows the same origin rule as the items' links: a junk Host is not echoed.
        const junk = yield* rawExchange(Number(new URL(url).port), [
          `GET ${RESOURCE}/describe HTTP/1.1\r\nHost: evil.example.com/<x>@y\r\nConnection: close\r\n\r\n`
        ])
        expect(junk.status).toBe(200)
        expect(junk.text).not.toContain("evil.example.com")
        expect(junk.text).toContain(`"href":"${url}${RESOURCE}/describe"`)
      }))

    it.effect("publishes the JWKS with ETag and Cache-Control, answers 304, and tokens verify against it", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url)
        const jwks = yield* client.keys.jwks()
        expect(jwks.keys.length).toBeGreaterThan(0)
        for (const key of jwks.keys) expect(Object.keys(key)).not.toContain("d")
        const raw = yield* request(`${url}/.well-known/jwks.json`)
        expect(raw.status).toBe(200)
        expect(raw.headers["cache-control"]).toMatch(/max-age=\d+/)
        const etag = raw.headers.etag!
        expect(etag).toMatch(/^"[^"]+"$/)
        const again = yield* request(`${url}/.well-known/jwks.json`, { headers: { "if-none-match": etag } })
        expect(again.status).toBe(304)
        expect(again.body).toBe("")

        const item = yield* client.chatAuthenticate.create({
          path: { application: "crmRestApi", version: "11.13.18.05" },
          headers: {},
          urlParams: {},
          payload: minimal
        })
        const verified = yield* Effect.flatMap(TokenVerifier.TokenVerifier, (verifier) => verifier.verify(item.jwt))
          .pipe(
            Effect.provide(TokenVerifier.TokenVerifier.layer({ jwks: JSON.parse(raw.body) }))
          )
        expect(verified.claims.sub).toBe(minimal.authUserName)
        expect(verified.header.kid).toBe(decodeJwt(item.jwt).header.kid)
        expect(jwks.keys.map((k) => k.kid)).toContain(verified.header.kid)
      }))

    it.effect("answers health, readiness and metrics", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const client = yield* makeClient(url)
        expect(yield* client.operations.live()).toEqual({ status: "ok" })
        expect(yield* client.operations.ready()).toEqual({ status: "ok" })
        // At least one token and one refusal before reading the counters.
        yield* post(url, minimal)
        yield* post(url, minimal, { headers: { authorization: basicAuth("nobody-metrics", "x") } })
        const metrics = yield* client.operations.metrics()
        expect(metrics).toMatch(/^chatauth_\w+/m)
        const raw = yield* request(`${url}/metrics`)
        expect(raw.headers["content-type"]).toContain("text/plain")
        expect(raw.body).toMatch(/tokens_issued_total\{[^}]*sdi_07_13_17_1643_46-Svcdit-Fusion[^}]*\} [1-9]/)
        expect(raw.body).toMatch(/requests_total\{[^}]*201[^}]*\} [1-9]/)
        expect(raw.body).toMatch(/requests_total\{[^}]*401[^}]*\} [1-9]/)
        expect(raw.body).toMatch(/auth_failures_total/)
        expect(raw.body).toMatch(/signing/)
        expect(raw.body).toMatch(/lockouts/)
      }))

    it.effect("serves the OpenAPI document and the docs page", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const openapi = yield* request(`${url}/openapi.json`)
        expect(openapi.status).toBe(200)
        const spec = JSON.parse(openapi.body)
        const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"))
        expect(spec.info.version).toBe(version)
        // The resource's paths hang off its base paths, offered as the paths' servers: no invalid pair of
        // application and version can be chosen.
        expect(openapi.body).not.toContain("{application}")
        for (const path of ["/chatAuthenticate", "/chatAuthenticate/describe", "/chatAuthenticate/{authUserName}"]) {
          expect(spec.paths[path].servers.map((server: { url: string }) => server.url)).toEqual(
            ChatAuthenticateApi.BASE_PATHS
          )
        }
        expect(spec.paths["/.well-known/jwks.json"].servers).toBeUndefined()
        // "Try it out" starts from Oracle's example, and that example, sent to every offered server, is a 201.
        const create = spec.paths["/chatAuthenticate"].post
        const example = create.requestBody.content["application/json"].example
        expect(example).toEqual(exampleRequest)
        for (const server of spec.paths["/chatAuthenticate"].servers as Array<{ url: string }>) {
          const created = yield* post(url, example, { path: `${server.url}/chatAuthenticate` })
          expect(created.status, server.url).toBe(201)
        }
        expect(create.parameters.map((parameter: { name: string }) => parameter.name)).not.toContain("application")

        const docs = yield* request(`${url}/docs`)
        expect(docs.status).toBe(200)
        expect(docs.headers["content-type"]).toContain("text/html")
        expect(docs.body.toLowerCase()).toContain("<html")
        expect(docs.body).toContain(`"version":"${version}"`)
        expect(docs.body).toContain("john.doe.4@us2.oraclecloud.com")
        expect(docs.body).toContain("/serviceApi/resources/11.13.0.0")
      }))
  })
})

describe("what HttpApi cannot express, over raw HTTP", () => {
  layer(TestServerLive, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    it.effect("renders errors as plain text for REST-Framework-Version 1 and ADF JSON for 4", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const text = yield* post(url, { authUserName: "" }, { headers: { "rest-framework-version": "1" } })
        expect(text.status).toBe(400)
        expect(text.headers["content-type"]).toBe("text/plain; charset=utf-8")
        expect(text.body).toContain("authUserName")
        const absent = yield* post(url, { authUserName: "" })
        expect(absent.headers["content-type"]).toBe("text/plain; charset=utf-8")
        const json = yield* post(url, { authUserName: "" }, { headers: v4 })
        expect(json.status).toBe(400)
        expect(json.headers["content-type"]).toBe("application/vnd.oracle.adf.error+json")
        const body = JSON.parse(json.body)
        expect(body.title).toBe("Bad Request")
        expect(body.status).toBe("400")
        expect(body["o:errorDetails"][0]["o:errorPath"]).toBe("authUserName")
      }))

    it.effect("refuses a REST-Framework-Version outside 1–9 with 400", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        for (const version of ["0", "10", "x"]) {
          const answer = yield* post(url, minimal, { headers: { "rest-framework-version": version } })
          expect(answer.status, version).toBe(400)
          expect(answer.body).toContain("REST-Framework-Version")
        }
      }))

    it.effect("answers 201 with Location and Oracle's item media type", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const answer = yield* post(url, exampleRequest, {
          headers: { "content-type": "application/vnd.oracle.adf.resourceitem+json" }
        })
        expect(answer.status).toBe(201)
        expect(answer.headers["content-type"]).toBe("application/vnd.oracle.adf.resourceitem+json")
        const body = JSON.parse(answer.body)
        expect(answer.headers.location).toBe(body.links[0].href)
        expect(answer.headers.location).toBe(`${url}${RESOURCE}/john.doe.4%40us2.oraclecloud.com`)
      }))

    it.effect("answers 415 to text/xml", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const answer = yield* post(url, "<chat/>", { headers: { "content-type": "text/xml", ...v4 } })
        expect(answer.status).toBe(415)
        expect(JSON.parse(answer.body).title).toBe("Unsupported Media Type")
      }))

    it.effect("answers 413 to a 70 KiB body, declared or streamed", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const big = JSON.stringify({ authUserName: "jane", question: "q".repeat(70 * 1024) })
        const declared = yield* post(url, big)
        expect(declared.status).toBe(413)
        // Without Content-Length: node:http sends a chunked body when the length is not given up front.
        const streamed = yield* Effect.async<{ status: number }>((resume) => {
          const r = Http.request(`${url}${RESOURCE}`, {
            method: "POST",
            agent: false,
            headers: { authorization: AUTH, "content-type": "application/json", "transfer-encoding": "chunked" }
          }, (res) => {
            res.resume()
            res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0 })))
          })
          r.on("error", () => {})
          r.setTimeout(15_000, () => r.destroy())
          for (let i = 0; i < 70; i++) r.write("x".repeat(1024))
          r.end()
        })
        expect(streamed.status).toBe(413)
      }))

    it.effect("answers 401 with WWW-Authenticate: Basic realm", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const answer = yield* request(`${url}${RESOURCE}`, { method: "POST", body: JSON.stringify(minimal) })
        expect(answer.status).toBe(401)
        expect(answer.headers["www-authenticate"]).toMatch(/^Basic realm="chatauth"/)
      }))

    it.effect("answers 429 with Retry-After after repeated failures", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const victim = "locked-out-user"
        const statuses: Array<number> = []
        for (let i = 0; i < 3; i++) {
          statuses.push(
            (yield* post(url, minimal, { headers: { authorization: basicAuth(victim, `guess-${i}`) } })).status
          )
        }
        expect(statuses).toEqual([401, 401, 401])
        const locked = yield* post(url, minimal, { headers: { authorization: basicAuth(victim, "guess-4"), ...v4 } })
        expect(locked.status).toBe(429)
        expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0)
        expect(JSON.parse(locked.body).title).toBe("Too Many Requests")
        // Through the derived client too (it cannot see Retry-After, which the raw answer above carries).
        const client = yield* makeClient(url, victim, "guess-5")
        const error = yield* Effect.flip(client.chatAuthenticate.create({
          path: { application: "crmRestApi", version: "11.13.18.05" },
          headers: v4,
          urlParams: {},
          payload: minimal
        }))
        expect(error._tag).toBe("TooManyRequests")
      }))
  })
})

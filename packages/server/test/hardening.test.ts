/**
 * What a hostile review found, kept fixed over real HTTP: deep nesting answered 400 (never 500), bytes that are not
 * UTF-8 refused, `X-Forwarded-For` read from the right, abandoned and timed-out requests counted as such, and the
 * headers a security scanner expects — the docs page compressed, cached and under a Content-Security-Policy.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import * as Http from "node:http"
import * as Zlib from "node:zlib"
import { SqliteStore } from "../src/store/SqliteStore.js"
import { Store } from "../src/store/Store.js"
import {
  AUTH,
  decodeJwt,
  NO_LOCKOUTS,
  post,
  rawExchange,
  rawHead,
  request,
  RESOURCE,
  startServer
} from "./serverTestUtils.js"
import { eventually, tempDataDir } from "./storeTestUtils.js"

class TestServer
  extends Context.Tag("test/HardeningServer")<TestServer, { readonly url: string; readonly port: number }>()
{}

const TestServerLive = Layer.scoped(
  TestServer,
  startServer({
    requestTimeoutMs: 1_000,
    callerAuth: { lockouts: NO_LOCKOUTS }
  })
)

const nestedArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

const adf = (body: string) =>
  JSON.parse(body) as {
    readonly status: string
    readonly "o:errorDetails": ReadonlyArray<{ detail: string; "o:errorCode": string; "o:errorPath"?: string }>
  }

interface BinaryResponse {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: Buffer
}

/** A GET whose body is kept as bytes (it may be compressed). */
const getBytes = (url: string, headers: Record<string, string> = {}): Effect.Effect<BinaryResponse> =>
  Effect.async<BinaryResponse>((resume) => {
    const req = Http.get(url, { headers: { connection: "close", ...headers }, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on(
        "end",
        () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      )
    })
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: GET ${url}`)))
    req.on("error", (error) => resume(Effect.die(error)))
    return Effect.sync(() => req.destroy())
  })

const postBytes = (url: string, body: Buffer, headers: Record<string, string> = {}) =>
  request(`${url}${RESOURCE}`, {
    method: "POST",
    headers: { authorization: AUTH, "content-type": "application/json", ...headers },
    body
  })

const counted = (metrics: string, status: number) => {
  const line = new RegExp(
    `^chatauth_requests_total\\{method="POST",route="chatAuthenticate",status="${status}"\\} (\\d+)$`,
    "m"
  )
  return Number(metrics.match(line)?.[1] ?? 0)
}

describe("hardening over HTTP", () => {
  layer(TestServerLive, { excludeTestServices: true, timeout: "120 seconds" })((it) => {
    it.effect("an attribute nested 3 000 or 30 000 deep is a 400 naming it, in both error forms", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        for (const depth of [3_000, 30_000]) {
          const body = `{"authUserName":"jane","question":${nestedArray(depth)}}`
          const json = yield* post(url, body, { headers: { "rest-framework-version": "4" } })
          expect(json.status).toBe(400)
          expect(adf(json.body)["o:errorDetails"]).toEqual([{
            detail: "The attribute question must be a string, an integer or null, not an array.",
            "o:errorCode": "CHATAUTH-ATTRIBUTE-INVALID",
            "o:errorPath": "question"
          }])
          const text = yield* post(url, body)
          expect(text.status).toBe(400)
          expect(text.body).toBe("The attribute question must be a string, an integer or null, not an array.")
        }
      }))

    it.effect("deep nesting elsewhere, or beyond what 64 KiB can hold, is never a 5xx", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const deep = nestedArray(20_000)
        const underName = yield* post(url, `{"authUserName":${deep}}`, { headers: { "rest-framework-version": "4" } })
        expect(underName.status).toBe(400)
        expect(adf(underName.body)["o:errorDetails"][0]["o:errorPath"]).toBe("authUserName")
        const unknown = yield* post(url, `{"authUserName":"jane","extra":${deep}}`, {
          headers: { "rest-framework-version": "4" }
        })
        expect(unknown.status).toBe(400)
        expect(adf(unknown.body)["o:errorDetails"][0]["o:errorPath"]).toBe("extra")
        const ignored = yield* post(url, `{"authUserName":"jane","links":${deep}}`)
        expect(ignored.status).toBe(201)
        const huge = yield* post(url, `{"authUserName":"jane","question":${nestedArray(100_000)}}`)
        expect(huge.status).toBe(413)
        expect((yield* request(`${url}/health/live`)).status).toBe(200)
      }))

    it.effect("a body that is not UTF-8 is a 400 naming the body; well-formed UTF-8 reaches the token intact", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const invalid = Buffer.concat([
          Buffer.from("{\"authUserName\":\"j"),
          Buffer.from([0xff, 0xfe]),
          Buffer.from("\"}")
        ])
        const json = yield* postBytes(url, invalid, { "rest-framework-version": "4" })
        expect(json.status).toBe(400)
        expect(json.headers["content-type"]).toBe("application/vnd.oracle.adf.error+json")
        expect(adf(json.body)).toEqual({
          title: "Bad Request",
          status: "400",
          "o:errorDetails": [{
            detail: "The request body is not valid UTF-8.",
            "o:errorCode": "CHATAUTH-BODY-ENCODING"
          }]
        })
        const text = yield* postBytes(url, invalid)
        expect(text.status).toBe(400)
        expect(text.body).toBe("The request body is not valid UTF-8.")
        const valid = yield* postBytes(url, Buffer.from("{\"authUserName\":\"zoë 山田 🙂\"}", "utf8"))
        expect(valid.status).toBe(201)
        expect(decodeJwt(JSON.parse(valid.body).jwt).claims.sub).toBe("zoë 山田 🙂")
      }))

    it.effect("every response says nosniff and no-referrer, on the hot route and the others", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const answers = [
          yield* post(url, { authUserName: "jane" }),
          yield* post(url, { authUserName: "jane" }, { headers: { authorization: "Basic bm9ib2R5Om5vdGhpbmc=" } }),
          yield* post(url, "{", {}),
          yield* request(`${url}${RESOURCE}`),
          yield* request(`${url}${RESOURCE}/describe`),
          yield* request(`${url}/health/live`),
          yield* request(`${url}/health/ready`),
          yield* request(`${url}/.well-known/jwks.json`),
          yield* request(`${url}/metrics`),
          yield* request(`${url}/openapi.json`),
          yield* request(`${url}/no/such/path`)
        ]
        expect(answers.map((answer) => answer.status)).toEqual([201, 401, 400, 405, 200, 200, 200, 200, 200, 200, 404])
        for (const answer of answers) {
          expect(answer.headers["x-content-type-options"]).toBe("nosniff")
          expect(answer.headers["referrer-policy"]).toBe("no-referrer")
        }
      }))

    it.effect("/docs: a policy allowing only its own scripts, no framing, compressed per Accept-Encoding, cached", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const plain = yield* getBytes(`${url}/docs`)
        expect(plain.status).toBe(200)
        expect(plain.headers["content-encoding"]).toBeUndefined()
        expect(plain.headers["content-type"]).toBe("text/html; charset=utf-8")
        expect(plain.headers["x-frame-options"]).toBe("DENY")
        expect(plain.headers["x-content-type-options"]).toBe("nosniff")
        expect(plain.headers["cache-control"]).toMatch(/max-age=\d+/)
        expect(plain.headers.vary).toBe("Accept-Encoding")
        const html = plain.body.toString("utf8")
        expect(html).toContain("SwaggerUIBundle")
        expect(plain.body.length).toBeGreaterThan(1_000_000)

        const csp = String(plain.headers["content-security-policy"])
        expect(csp).toContain("frame-ancestors 'none'")
        expect(csp).toContain("default-src 'none'")
        expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/)
        const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((match) => match[1])
        expect(scripts.length).toBeGreaterThan(0)
        for (const script of scripts) {
          expect(csp).toContain(`'sha256-${createHash("sha256").update(script).digest("base64")}'`)
        }

        const br = yield* getBytes(`${url}/docs`, { "accept-encoding": "gzip, deflate, br" })
        expect(br.headers["content-encoding"]).toBe("br")
        expect(br.body.length).toBeLessThan(plain.body.length / 3)
        expect(Zlib.brotliDecompressSync(br.body).equals(plain.body)).toBe(true)
        expect(br.headers["content-security-policy"]).toBe(csp)

        const gzip = yield* getBytes(`${url}/docs`, { "accept-encoding": "gzip;q=1, br;q=0" })
        expect(gzip.headers["content-encoding"]).toBe("gzip")
        expect(Zlib.gunzipSync(gzip.body).equals(plain.body)).toBe(true)

        const etags = new Set([plain.headers.etag, br.headers.etag, gzip.headers.etag])
        expect(etags.size).toBe(3)
        const revalidated = yield* getBytes(`${url}/docs`, {
          "accept-encoding": "br",
          "if-none-match": String(br.headers.etag)
        })
        expect(revalidated.status).toBe(304)
        expect(revalidated.body.length).toBe(0)
        expect(revalidated.headers.etag).toBe(br.headers.etag)
        const stale = yield* getBytes(`${url}/docs`, { "accept-encoding": "br", "if-none-match": "\"old\"" })
        expect(stale.status).toBe(200)
      }))

    it.effect("a request the client abandons counts as 499, one that times out as 408; neither as a 500", () =>
      Effect.gen(function*() {
        const { port, url } = yield* TestServer
        const before = (yield* request(`${url}/metrics`)).body
        const partial = [rawHead(["Content-Type: application/json", "Content-Length: 100"]), "{\"authUserName\":"]
        yield* rawExchange(port, [...partial, { pauseMs: 200 }], { timeoutMs: 5_000, destroyAfterWrite: true })
        // Sent in part, then nothing: the server's request timeout (1 s here) closes it with a 408.
        const timedOut = yield* rawExchange(port, partial, { timeoutMs: 30_000 })
        expect(timedOut.closed).toBe(true)
        expect(timedOut.status).toBe(408)
        const settled = yield* eventually(
          Effect.map(request(`${url}/metrics`), (metrics) =>
            counted(metrics.body, 499) === counted(before, 499) + 1 &&
            counted(metrics.body, 408) === counted(before, 408) + 1)
        )
        expect(settled).toBe(true)
        expect(counted((yield* request(`${url}/metrics`)).body, 500)).toBe(0)
      }))
  })
})

describe("X-Forwarded-For", () => {
  const issuedFrom = (
    options: Parameters<typeof startServer>[0],
    forwardedFor: string
  ) =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      yield* Effect.scoped(Effect.gen(function*() {
        const { url } = yield* startServer({ ...options, dataDir })
        const answer = yield* post(url, { authUserName: "jane" }, { headers: { "x-forwarded-for": forwardedFor } })
        expect(answer.status).toBe(201)
      }))
      // Stopped: the audit log is flushed; read what it recorded.
      const events = yield* Effect.flatMap(Store, (store) => store.audit.list({ limit: 10 })).pipe(
        Effect.provide(SqliteStore.layer({ dataDir })),
        Effect.scoped
      )
      return events.filter((event) => event.outcome === "issued").map((event) => event.clientAddress)
    })

  it.scopedLive("trusted proxies: the right-most entry that is not one of them, whatever the client forged", () =>
    Effect.gen(function*() {
      const trustedProxies = ["127.0.0.1/8", "::1", "10.0.0.0/8"]
      expect(yield* issuedFrom({ trustedProxies }, "198.51.100.66, 203.0.113.7, 10.1.2.3")).toEqual(["203.0.113.7"])
      expect(yield* issuedFrom({ trustedProxies }, "1.2.3.4, 5.6.7.8, 203.0.113.7")).toEqual(["203.0.113.7"])
      // The socket's peer (127.0.0.1) is not trusted: the header is not read at all.
      expect(yield* issuedFrom({ trustedProxies: ["10.0.0.0/8"] }, "203.0.113.7")).toEqual(["127.0.0.1"])
    }))

  it.scopedLive("a hop count, and CHATAUTH_TRUST_PROXY as one hop: counted from the right", () =>
    Effect.gen(function*() {
      expect(yield* issuedFrom({ proxyHops: 2 }, "198.51.100.66, 203.0.113.7, 10.0.0.1")).toEqual(["203.0.113.7"])
      expect(yield* issuedFrom({ trustProxy: true }, "198.51.100.66, 203.0.113.8")).toEqual(["203.0.113.8"])
      expect(yield* issuedFrom({}, "198.51.100.66")).toEqual(["127.0.0.1"])
    }))

  it.scopedLive("a server given both, or an invalid range, does not start", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDataDir
      const { ChatAuthServer } = yield* Effect.promise(() => import("../src/index.js"))
      const both = yield* Effect.flip(ChatAuthServer.start({
        port: 0,
        dataDir,
        trustedProxies: ["10.0.0.0/8"],
        proxyHops: 1,
        print: () => {}
      }))
      expect(both.message).toBe(
        "invalid proxy configuration (set either the trusted proxies or the proxy hops, not both)"
      )
      const invalid = yield* Effect.flip(ChatAuthServer.start({ port: 0, dataDir, trustedProxies: ["10.0.0.0/40"] }))
      expect(invalid.message).toBe(
        "invalid proxy configuration (trusted proxies: \"10.0.0.0/40\" has an invalid prefix length)"
      )
    }))
})

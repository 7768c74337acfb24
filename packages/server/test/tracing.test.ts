import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { AUTH, exampleRequestText, PASSWORD, request, RESOURCE, startServer } from "./serverTestUtils.js"

// An OTLP/HTTP receiver of the test's own: every JSON export it is sent, kept.
interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes: ReadonlyArray<{ readonly key: string; readonly value: Record<string, unknown> }>
}

const receiver = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly spans: Array<OtlpSpan>; readonly server: Http.Server }>((resume) => {
    const spans: Array<OtlpSpan> = []
    const server = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (chunk: Buffer) => chunks.push(chunk))
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: ReadonlyArray<{ scopeSpans: ReadonlyArray<{ spans: ReadonlyArray<OtlpSpan> }> }>
        }
        for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans)
        res.writeHead(200, { "content-type": "application/json" }).end("{}")
      })
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
        spans,
        server
      })))
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const CALLER_SPAN_ID = "00f067aa0ba902b7"
// The first checks the password; one of the later ones is answered by the credential cache (the change feed may
// empty the cache once, when it delivers the bootstrap caller's creation late on a loaded machine).
const TRACED_REQUESTS = 4

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value
  return value === undefined ? undefined : Object.values(value)[0]
}

describe("traces", () => {
  it.live(
    "the route's spans continue the caller's trace, with their steps and store calls, and hold no secret",
    () =>
      Effect.gen(function*() {
        const otlp = yield* receiver
        let jwt = ""
        // The server in a scope of its own: closing it flushes the spans.
        const scope = yield* Scope.make()
        const server = yield* startServer({ tracing: { tracesUrl: otlp.url, exportDelayMs: 50 } }).pipe(
          Scope.extend(scope)
        )
        for (let i = 0; i < TRACED_REQUESTS; i++) {
          const answer = yield* request(`${server.url}${RESOURCE}`, {
            method: "POST",
            headers: {
              authorization: AUTH,
              "content-type": "application/json",
              traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`
            },
            body: exampleRequestText
          })
          expect(answer.status).toBe(201)
          jwt = (JSON.parse(answer.body) as { jwt: string }).jwt
        }
        const refused = yield* request(`${server.url}${RESOURCE}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: exampleRequestText
        })
        expect(refused.status).toBe(401)
        yield* Scope.close(scope, Exit.void)

        const roots = otlp.spans.filter((span) => span.name === "chatAuthenticate")
        expect(roots.length).toBe(TRACED_REQUESTS + 1)
        const traced = roots.filter((span) => span.traceId === TRACE_ID)
        expect(traced.map((span) => span.parentSpanId)).toEqual(Array(TRACED_REQUESTS).fill(CALLER_SPAN_ID))
        const childrenOf = (parent: OtlpSpan) =>
          otlp.spans.filter((span) => span.parentSpanId === parent.spanId && span.traceId === parent.traceId)
        const checksPassword = (root: OtlpSpan) =>
          childrenOf(root).some((span) => span.name === "chatAuthenticate.authenticate")
        // The first request checked the password.
        const first = traced.find(checksPassword)!
        expect(first).toBeDefined()
        // A request without traceparent starts a trace of its own.
        expect(roots.filter((span) => span.traceId !== TRACE_ID).length).toBe(1)
        const statuses = roots.map((span) => Number(attribute(span, "http.response.status_code"))).sort()
        expect(statuses).toEqual([...Array(TRACED_REQUESTS).fill(201), 401])
        expect(attribute(first, "http.request.method")).toBe("POST")
        expect(attribute(first, "url.path")).toBe(RESOURCE)
        expect(attribute(first, "chatauth.caller")).toBe("integration-user")

        for (const root of traced) {
          const steps = childrenOf(root).map((span) => span.name)
          expect(steps).toEqual(
            expect.arrayContaining(["chatAuthenticate.route", "chatAuthenticate.sign", "chatAuthenticate.journal"])
          )
          const route = childrenOf(root).find((span) => span.name === "chatAuthenticate.route")!
          expect(attribute(route, "chatauth.chat_site_name")).toBe("sdi_07_13_17_1643_46-Svcdit-Fusion")
          expect(attribute(route, "chatauth.pool_id")).toBe("452:2")
          const sign = childrenOf(root).find((span) => span.name === "chatAuthenticate.sign")!
          expect(typeof attribute(sign, "chatauth.kid")).toBe("string")
        }
        // Its password check read the caller from the store under the request's span; a later request was answered
        // by the credential cache.
        expect(childrenOf(first).some((span) => span.name.startsWith("sql."))).toBe(true)
        expect(traced.some((root) => !checksPassword(root))).toBe(true)

        // Never a password, a token or the end user's name in any attribute of any span.
        const values = JSON.stringify(otlp.spans.map((span) => span.attributes))
        expect(values).not.toContain(PASSWORD)
        expect(values).not.toContain(jwt.split(".")[2])
        expect(values).not.toContain("john.doe")
        expect(values).not.toContain(AUTH.split(" ")[1])
      }).pipe(Effect.scoped),
    60_000
  )
})

import { describe, expect, layer } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { AUTH, headerBlock, post, rawExchange, rawHead, request, RESOURCE, startServer } from "./serverTestUtils.js"

class TestServer
  extends Context.Tag("test/HostileServer")<TestServer, { readonly url: string; readonly port: number }>()
{}

// All from 127.0.0.1, many with bad credentials: keep the lockout out of the way (lockout.test.ts covers it).
const TestServerLive = Layer.scoped(
  TestServer,
  startServer({
    callerAuth: {
      lockouts: {
        userAddress: { threshold: 1_000, window: "1 minute", duration: "1 minute" },
        address: { threshold: 1_000, window: "1 minute", duration: "1 minute" },
        user: { threshold: 1_000, window: "1 minute", duration: "1 minute" }
      }
    }
  })
)

/** A full request on a raw socket, with `Connection: close` so that the answer ends with the connection. */
const rawPost = (body: string | Buffer, extraHeaders: ReadonlyArray<string> = [], path = RESOURCE) => {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body
  return [
    Buffer.from(
      rawHead(
        ["Content-Type: application/json", `Content-Length: ${bytes.length}`, "Connection: close", ...extraHeaders],
        "POST",
        path
      ),
      "latin1"
    ),
    bytes
  ]
}

const json = (value: unknown) => JSON.stringify(value)

interface Case {
  readonly name: string
  readonly parts: ReadonlyArray<string | Buffer | { readonly pauseMs: number }>
  /** The statuses allowed; all are below 500. */
  readonly expect: ReadonlyArray<number>
  readonly check?: (text: string) => void
}

const deepArrays = "[".repeat(32_000) + "]".repeat(32_000)
const deepObjects = "{\"a\":".repeat(6_000) + "1" + "}".repeat(6_000)
const deepUnclosed = "[".repeat(65_000)

const noInjectedHeader = (text: string) => {
  const { names } = headerBlock(text)
  expect(names).not.toContain("x-injected")
  expect(names).not.toContain("set-cookie")
  expect(text).not.toMatch(/\r\n(x-injected|set-cookie):/i)
}

const cases: ReadonlyArray<Case> = [
  { name: "invalid JSON", parts: rawPost("{\"authUserName\": \"jane\""), expect: [400] },
  { name: "JSON that is not an object", parts: rawPost("[1,2,3]"), expect: [400] },
  { name: "JSON null", parts: rawPost("null"), expect: [400] },
  { name: "deeply nested arrays within 64 KiB", parts: rawPost(deepArrays), expect: [400] },
  { name: "deeply nested objects", parts: rawPost(deepObjects), expect: [400] },
  {
    name: "deep nesting under a known attribute",
    parts: rawPost(`{"authUserName":"x","question":${deepArrays.slice(0, 40_000)}}`),
    expect: [400]
  },
  { name: "64 KiB of unclosed brackets", parts: rawPost(deepUnclosed), expect: [400] },
  {
    name: "a 4001-character question",
    parts: rawPost(json({ authUserName: "x", question: "q".repeat(4001) })),
    expect: [400]
  },
  {
    name: "a 60 000-character authUserName",
    parts: rawPost(json({ authUserName: "u".repeat(60_000) })),
    expect: [400]
  },
  { name: "a 1 MB body", parts: rawPost(json({ authUserName: "x", question: "q".repeat(1_000_000) })), expect: [413] },
  { name: "__proto__ key", parts: rawPost("{\"authUserName\":\"x\",\"__proto__\":{\"isAdmin\":true}}"), expect: [400] },
  {
    name: "constructor key",
    parts: rawPost(json({ authUserName: "x", constructor: { prototype: { polluted: 1 } } })),
    expect: [400]
  },
  { name: "prototype key", parts: rawPost(json({ authUserName: "x", prototype: "y" })), expect: [400] },
  {
    name: "__proto__ holding the attributes",
    parts: rawPost("{\"__proto__\":{\"authUserName\":\"x\"}}"),
    expect: [400]
  },
  { name: "NUL in authUserName", parts: rawPost(json({ authUserName: "jane\u0000doe" })), expect: [400] },
  {
    name: "CR/LF in authUserName",
    parts: rawPost(json({ authUserName: "jane\r\nX-Injected: 1" })),
    expect: [400],
    check: noInjectedHeader
  },
  {
    name: "percent-encoded CR/LF in authUserName (Location injection)",
    parts: rawPost(json({ authUserName: "jane%0d%0aSet-Cookie: a=b%0d%0aX-Injected: 1" })),
    expect: [201],
    check: (text) => {
      noInjectedHeader(text)
      expect(text).toMatch(/\r\nlocation: [^\r\n]*jane%250d%250aSet-Cookie%3A%20a%3Db/i)
    }
  },
  { name: "unicode in authUserName", parts: rawPost(json({ authUserName: "jöhn.山田@例え.jp 🙂" })), expect: [201] },
  { name: "a lone surrogate in authUserName", parts: rawPost("{\"authUserName\":\"jane\\ud800doe\"}"), expect: [400] },
  {
    name: "a lone surrogate in another attribute",
    parts: rawPost("{\"authUserName\":\"jane\",\"question\":\"\\udfff\"}"),
    expect: [201, 400]
  },
  { name: "U+2028 in authUserName", parts: rawPost(json({ authUserName: "jane\u2028doe" })), expect: [400] },
  {
    name: "non-UTF-8 bytes",
    parts: rawPost(
      Buffer.from([
        0x7b,
        0x22,
        0x61,
        0x75,
        0x74,
        0x68,
        0x55,
        0x73,
        0x65,
        0x72,
        0x4e,
        0x61,
        0x6d,
        0x65,
        0x22,
        0x3a,
        0x22,
        0xff,
        0xfe,
        0xc3,
        0x28,
        0x22,
        0x7d
      ])
    ),
    expect: [201, 400]
  },
  { name: "non-UTF-8 bytes outside a string", parts: rawPost(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), expect: [400] },
  {
    name: "a huge garbage Authorization header",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${
        "A".repeat(12_000)
      }\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`
    ],
    expect: [401, 431]
  },
  {
    name: "an Authorization header over node's header limit",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: x\r\nAuthorization: ${
        "Z".repeat(40_000)
      }\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`
    ],
    expect: [431]
  },
  {
    name: "malformed base64 in Basic",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!*%%\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`
    ],
    expect: [401]
  },
  {
    name: "Basic without a colon",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${
        Buffer.from("nocolon").toString("base64")
      }\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`
    ],
    expect: [401]
  },
  {
    name: "Basic with control characters in the user name",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${
        Buffer.from("a\r\nb:c").toString("base64")
      }\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`
    ],
    expect: [401]
  },
  {
    name: "a Host header with junk",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: evil.example.com/<script>@x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{"authUserName":"ab"}`
    ],
    expect: [201, 400],
    check: (text) => {
      expect(text).not.toContain("evil.example.com")
      expect(text).not.toContain("<script>")
    }
  },
  {
    name: "two Host headers",
    parts: [
      `POST ${RESOURCE} HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 21\r\nConnection: close\r\n\r\n{"authUserName":"ab"}`
    ],
    expect: [201, 400],
    check: (text) => expect(text).not.toContain("evil.example")
  },
  {
    name: "a very long URL",
    parts: [`GET /${"a".repeat(100_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    expect: [414, 431, 404]
  },
  {
    name: "a long resource item",
    parts: [`GET ${RESOURCE}/${"a".repeat(8_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    expect: [405]
  },
  ...["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"].map((method): Case => ({
    name: `${method} on the resource`,
    parts: [rawHead(["Content-Length: 0", "Connection: close"], method)],
    expect: [405],
    check: (text) => expect(text).toMatch(/\r\nallow: POST\r\n/i)
  })),
  {
    name: "an unknown resource version",
    parts: rawPost(json({ authUserName: "x" }), [], "/crmRestApi/resources/99.0/chatAuthenticate"),
    expect: [404]
  },
  {
    name: "crmRestApi on serviceApi's version",
    parts: rawPost(json({ authUserName: "x" }), [], "/crmRestApi/resources/11.13.0.0/chatAuthenticate"),
    expect: [404]
  },
  {
    name: "an unknown application",
    parts: rawPost(json({ authUserName: "x" }), [], "/hcmRestApi/resources/latest/chatAuthenticate"),
    expect: [404]
  },
  {
    name: "path traversal",
    parts: rawPost(json({ authUserName: "x" }), [], "/crmRestApi/resources/../../etc/passwd"),
    expect: [404]
  },
  {
    name: "describe on an unknown application",
    parts: [
      `GET /hcmRestApi/resources/latest/chatAuthenticate/describe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`
    ],
    expect: [404],
    check: (text) => expect(text).not.toContain("issues")
  },
  {
    name: "an unknown path",
    parts: [`GET /nothing/here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    expect: [404]
  },
  {
    name: "a slow body (half, a pause, the rest)",
    parts: [
      rawHead(["Content-Type: application/json", "Content-Length: 27", "Connection: close"]),
      "{\"authUserName\":",
      { pauseMs: 700 },
      "\"slowpoke\"}"
    ],
    expect: [201]
  },
  {
    name: "a body shorter than its Content-Length, then a pause",
    parts: [
      rawHead(["Content-Type: application/json", "Content-Length: 100", "Connection: close"]),
      "{\"authUserName\":\"x\"}",
      { pauseMs: 300 }
    ],
    // The server is still waiting for the body when the test stops waiting: no answer yet is right.
    expect: [0]
  },
  {
    name: "a negative Content-Length",
    parts: [rawHead(["Content-Type: application/json", "Content-Length: -5", "Connection: close"]), "{}"],
    expect: [400]
  },
  {
    name: "Content-Length and Transfer-Encoding together (smuggling)",
    parts: [
      rawHead([
        "Content-Type: application/json",
        "Content-Length: 5",
        "Transfer-Encoding: chunked",
        "Connection: close"
      ]),
      "0\r\n\r\n"
    ],
    expect: [400]
  },
  {
    name: "a bare LF request line",
    parts: [`POST ${RESOURCE} HTTP/1.1\nHost: x\n\n`],
    expect: [400]
  },
  {
    name: "a header with a raw CR in its value",
    parts: [`POST ${RESOURCE} HTTP/1.1\r\nHost: x\r\nX-Evil: a\rb\r\nConnection: close\r\n\r\n`],
    expect: [400]
  }
]

describe("hostile input", () => {
  layer(TestServerLive, { excludeTestServices: true, timeout: "60 seconds" })((it) => {
    for (const hostile of cases) {
      it.effect(`${hostile.name}: ${hostile.expect.join(" or ")}, never a 5xx`, () =>
        Effect.gen(function*() {
          const { port } = yield* TestServer
          const waitMs = hostile.expect.includes(0) ? 1_500 : 10_000
          const answer = yield* rawExchange(port, hostile.parts, { timeoutMs: waitMs })
          expect(hostile.expect, answer.text.slice(0, 600)).toContain(answer.status)
          expect(answer.status).toBeLessThan(500)
          if (!hostile.expect.includes(0)) expect(answer.closed, "the answer came and the connection closed").toBe(true)
          hostile.check?.(answer.text)
        }))
    }

    it.effect("a client that disconnects mid-body leaves the server serving", () =>
      Effect.gen(function*() {
        const { port, url } = yield* TestServer
        for (let i = 0; i < 20; i++) {
          yield* rawExchange(port, [
            rawHead(["Content-Type: application/json", "Content-Length: 1000"]),
            "{\"authUserName\":"
          ], {
            timeoutMs: 2_000,
            destroyAfterWrite: true
          })
        }
        expect((yield* post(url, { authUserName: "after-disconnects" })).status).toBe(201)
      }))

    it.effect("no input leaves the server unable to answer a valid request", () =>
      Effect.gen(function*() {
        const { url } = yield* TestServer
        const answer = yield* post(url, { authUserName: "still-alive@example.com" })
        expect(answer.status).toBe(201)
        const ready = yield* request(`${url}/health/ready`)
        expect(ready.status).toBe(200)
      }))

    it.effect("Object.prototype is not polluted", () =>
      Effect.sync(() => {
        expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      }))
  })
})

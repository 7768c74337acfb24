/**
 * `chatauth conformance` over real sockets on 127.0.0.1: against chatauth started in-process (every case passes),
 * against an unfaithful endpoint this file owns (a proxy in front of chatauth that answers 200 instead of 201,
 * drops `links` and echoes numbers as numbers: the report names each deviation), the shadow diff between them and
 * between two chatauth servers, and the built executable once.
 */
import { ChatAuthServer } from "@chatauth/server"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Redacted, type Scope } from "effect"
import { readFileSync, writeFileSync } from "node:fs"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { join } from "node:path"
import { assertBuilt, run as runBin } from "./support/childProcess.js"
import { chatauth } from "./support/inProcess.js"
import { tempDirs } from "./support/tempDirs.js"

const tempDir = tempDirs("chatauth-conformance-")

const USER = "conformance.caller"
const PASSWORD = "conformance-Secret-1"

const CASE_IDS = [
  "create.status",
  "create.content-type",
  "create.example",
  "create.curl",
  "create.base-paths",
  "echo.strings",
  "echo.integers",
  "echo.nulls",
  "echo.absent",
  "echo.guessed-names",
  "echo.response-only",
  "echo.unknown-attribute",
  "only-data",
  "links.item",
  "links.location",
  "method.get-collection",
  "method.get-item",
  "errors.framework-text",
  "errors.framework-json",
  "errors.framework-invalid",
  "token.header",
  "token.claims",
  "token.signature",
  "auth.no-credentials",
  "auth.unknown-caller",
  "auth.wrong-password",
  "auth.lockout"
]

// A whole token: three segments, a signature of some length. The report may show a token's first characters only.
const WHOLE_TOKEN = /eyJ[\w-]+\.[\w-]+\.[\w-]{16,}/

const startChatauth = Effect.gen(function*() {
  const server = yield* ChatAuthServer.start({
    host: "127.0.0.1",
    port: 0,
    dataDir: tempDir(),
    bootstrapCaller: { username: USER, password: Redacted.make(PASSWORD) },
    print: () => undefined,
    callerAuth: {
      scrypt: { N: 1024, r: 8, p: 1 },
      // This file's runs fail many logins from 127.0.0.1 on purpose; the per-name lock keeps its default (5).
      lockouts: { address: { threshold: 100_000, window: "5 minutes", duration: "5 minutes" } }
    }
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
  return server.url
})

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"])

/**
 * An endpoint that is chatauth's answers, made unfaithful: a created item is answered 200, without `links`, and
 * the attributes sent as numbers come back as those numbers. It serves only the resource and the keys (no
 * `/openapi.json`), so the kit takes it for a pod.
 */
const startUnfaithful = (target: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Http.Server>((resume) => {
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          const path = req.url ?? "/"
          if (!path.includes("/chatAuthenticate") && path !== "/.well-known/jwks.json") {
            res.writeHead(404, { "content-type": "text/plain" }).end("not here")
            return
          }
          const sent = Buffer.concat(chunks)
          const upstream = Http.request(`${target}${path}`, { method: req.method, headers: req.headers }, (answer) => {
            const parts: Array<Buffer> = []
            answer.on("data", (chunk: Buffer) => parts.push(chunk))
            answer.on("end", () => {
              const headers = Object.fromEntries(
                Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name))
              ) as Http.OutgoingHttpHeaders
              const text = Buffer.concat(parts).toString("utf8")
              if (answer.statusCode !== 201) {
                res.writeHead(answer.statusCode ?? 502, headers).end(text)
                return
              }
              const item = JSON.parse(text) as Record<string, unknown>
              delete item.links
              const request = JSON.parse(sent.toString("utf8")) as Record<string, unknown>
              for (const [name, value] of Object.entries(request)) {
                if (typeof value === "number" && item[name] === String(value)) item[name] = value
              }
              res.writeHead(200, headers).end(JSON.stringify(item))
            })
          })
          upstream.on("error", (error) => res.writeHead(502).end(error.message))
          upstream.end(sent)
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

const passwordFile = () => {
  const file = join(tempDir(), "password")
  writeFileSync(file, `${PASSWORD}\n`)
  return file
}

const conformance = (baseUrl: string, ...more: ReadonlyArray<string>) =>
  chatauth(["conformance", "--base-url", baseUrl, "--username", USER, "--password-file", passwordFile(), ...more])

interface Result {
  readonly id: string
  readonly verdict: string
  readonly messages: ReadonlyArray<string>
  readonly reason?: string
}

describe("chatauth conformance", () => {
  it.scopedLive(
    "against chatauth: every case passes, the lockout included, and the report shows no secret",
    () =>
      Effect.gen(function*() {
        const url = yield* startChatauth
        const run = yield* conformance(url, "--lockout", "--json")
        expect(run.code, run.stderr).toBe(0)
        const report = JSON.parse(run.stdout)
        expect(report).toMatchObject({ baseUrl: url, kind: "chatauth", ok: true, failed: 0, skipped: 0, notes: [] })
        expect(report.results.map((result: Result) => result.id)).toEqual(CASE_IDS)
        expect(report.results.filter((result: Result) => result.verdict !== "pass")).toEqual([])
        // Every request attribute is sent, as a string, by echo.strings or echo.guessed-names.
        const { requestAttributeNames } = yield* Effect.promise(() => import("@chatauth/core/Attributes"))
        const sentAsStrings = report.exchanges
          .filter((exchange: { label: string }) =>
            ["POST every named attribute as a string", "POST the guessed attribute names"].includes(exchange.label)
          )
          .flatMap((exchange: { request: { body: string } }) => Object.keys(JSON.parse(exchange.request.body)))
        expect(new Set(sentAsStrings)).toEqual(new Set(requestAttributeNames))
        // Five failed logins (the fifth starts the lock), then the lock.
        const lockout = report.exchanges.filter((exchange: { label: string }) =>
          exchange.label.includes("failed login")
        )
        expect(lockout.map((exchange: { response: { status: number } }) => exchange.response.status)).toEqual([
          401,
          401,
          401,
          401,
          401,
          429
        ])
        expect(run.stdout).not.toContain(PASSWORD)
        expect(run.stdout).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"))
        expect(run.stdout).not.toMatch(WHOLE_TOKEN)
        expect(run.stdout).toContain("…[JWT redacted]")

        const text = yield* conformance(url)
        expect(text.code, text.stderr).toBe(0)
        const lines = text.stdout.split("\n")
        expect(lines[0]).toBe(`Conformance of ${url} (chatauth: ${url}/openapi.json is chatauth's OpenAPI document)`)
        for (const id of CASE_IDS.filter((id) => id !== "auth.lockout")) {
          expect(lines.some((line) => line.startsWith(`PASS  ${id} `)), id).toBe(true)
        }
        expect(text.stdout).toMatch(/\nSKIP {2}auth\.lockout +Repeated failed logins/)
        expect(text.stdout).toContain("pass --lockout to run it")
        expect(lines[lines.length - 1]).toBe("27 cases: 26 passed, 0 failed, 1 skipped")
        expect(text.stdout + text.stderr).not.toContain(PASSWORD)
        expect(text.stdout).not.toMatch(WHOLE_TOKEN)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "against an unfaithful endpoint: each deviation is named, and the run exits 1",
    () =>
      Effect.gen(function*() {
        const url = yield* startUnfaithful(yield* startChatauth)
        const run = yield* conformance(url, "--lockout", "--json")
        expect(run.code).toBe(1)
        expect(run.stderr).toBe(`chatauth: 5 of 27 cases failed against ${url}`)
        const report = JSON.parse(run.stdout)
        expect(report.kind).toBe("pod")
        expect(report.kindReason).toBe(`${url}/openapi.json is not chatauth's (HTTP 404): treated as a pod`)
        const byId = new Map<string, Result>(report.results.map((result: Result) => [result.id, result]))
        const failed = report.results.filter((result: Result) => result.verdict === "fail").map((r: Result) => r.id)
        expect(failed).toEqual(["create.status", "create.example", "create.curl", "echo.integers", "links.item"])

        // 200 instead of 201, on every request that creates an item.
        expect(byId.get("create.status")!.messages).toHaveLength(7)
        expect(byId.get("create.status")!.messages[0]).toBe(
          "POST Oracle's example (application/json): answered 200 OK; expected 201 Created"
        )
        for (const message of byId.get("create.status")!.messages) {
          expect(message).toMatch(/^POST .*: answered 200 OK; expected 201 Created$/)
        }
        // Numbers echoed as numbers: Oracle's documented answer has strings.
        const numbers = [
          "categoryId: sent the number 456000, answered the number 456000; Oracle's documented answer is the string \"456000\"",
          "contactId: sent the number 123000, answered the number 123000; Oracle's documented answer is the string \"123000\"",
          "organizationId: sent the number 112233, answered the number 112233; Oracle's documented answer is the string \"112233\""
        ]
        expect(byId.get("create.example")!.messages).toEqual(numbers)
        expect(byId.get("create.curl")!.messages).toEqual(numbers)
        expect(byId.get("echo.integers")!.messages).toHaveLength(14)
        expect(byId.get("echo.integers")!.messages).toContain(
          "queueId: sent the number 4, answered the number 4; expected the string \"4\""
        )
        // No links, on the example and on each base path.
        expect(byId.get("links.item")!.messages).toEqual([
          "POST Oracle's example (application/json): links: absent; expected the self and canonical links",
          "POST {authUserName} at /crmRestApi/resources/11.13.18.05: links: absent; expected the self and canonical links",
          "POST {authUserName} at /crmRestApi/resources/latest: links: absent; expected the self and canonical links",
          "POST {authUserName} at /serviceApi/resources/11.13.0.0: links: absent; expected the self and canonical links",
          "POST {authUserName} at /serviceApi/resources/latest: links: absent; expected the self and canonical links"
        ])
        // What a pod is not asked, even with --lockout.
        expect(byId.get("auth.wrong-password")).toMatchObject({
          verdict: "skip",
          reason: "not asked of a pod: a wrong password counts toward its integration user's lockout"
        })
        expect(byId.get("auth.lockout")).toMatchObject({
          verdict: "skip",
          reason: "never asked of a pod: repeated failed logins could lock its users or this address out"
        })
        // The keys it serves are chatauth's: the token verifies.
        expect(byId.get("token.signature")!.verdict).toBe("pass")

        const text = yield* conformance(url)
        expect(text.code).toBe(1)
        expect(text.stdout).toContain("FAIL  create.status ")
        expect(text.stdout).toContain(`      - ${numbers[0]}`)
        expect(text.stdout.split("\n").at(-1)).toBe("27 cases: 20 passed, 5 failed, 2 skipped")
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "--compare: chatauth and the unfaithful endpoint differ exactly where it is unfaithful",
    () =>
      Effect.gen(function*() {
        const url = yield* startChatauth
        const unfaithful = yield* startUnfaithful(yield* startChatauth)
        const run = yield* conformance(url, "--compare", unfaithful, "--json")
        expect(run.code).toBe(1)
        const comparison = JSON.parse(run.stdout)
        expect(comparison.a.kind).toBe("chatauth")
        expect(comparison.b.kind).toBe("pod")
        expect(comparison.notCompared.map((skipped: { id: string }) => skipped.id)).toEqual([
          "auth.wrong-password",
          "auth.lockout"
        ])
        const differing = comparison.exchanges.filter((exchange: { differences: Array<unknown> }) =>
          exchange.differences.length > 0
        )
        expect(differing.map((exchange: { label: string }) => exchange.label)).toEqual([
          "POST Oracle's example (application/json)",
          "POST Oracle's example (cURL -d: application/x-www-form-urlencoded)",
          "POST {authUserName} at /crmRestApi/resources/11.13.18.05",
          "POST {authUserName} at /crmRestApi/resources/latest",
          "POST {authUserName} at /serviceApi/resources/11.13.0.0",
          "POST {authUserName} at /serviceApi/resources/latest",
          "POST {authUserName} ?onlyData=true",
          "POST every named attribute as a string",
          "POST the id attributes as JSON integers",
          "POST every optional attribute as null",
          "POST the guessed attribute names",
          "POST the response-only attributes"
        ])
        const example = differing[0].differences
        expect(example).toContainEqual({ field: "status", a: 201, b: 200 })
        expect(example).toContainEqual({ field: "body.categoryId", a: "456000", b: 456000 })
        expect(example).toContainEqual(
          expect.objectContaining({ field: "body.links", a: expect.arrayContaining([expect.anything()]) })
        )
        expect(example.find((d: { field: string }) => d.field === "body.links")).not.toHaveProperty("b")
        // Nothing else: not the tokens (keys, times), not the origins in Location.
        for (const exchange of differing) {
          for (const { field } of exchange.differences) {
            expect(field, exchange.label).toMatch(
              /^(status|body\.links|body\.(categoryId|contactId|organizationId|assigneeId|businessUnitOrgId|chatPriority|escalationLevel|incidentId|interfaceId|inventoryItemId|inventoryOrgId|prodGroupId|productId|queueId))$/
            )
          }
        }
        expect(run.stdout).not.toContain(PASSWORD)
        expect(run.stdout).not.toMatch(WHOLE_TOKEN)

        const text = yield* conformance(url, "--compare", unfaithful)
        expect(text.code).toBe(1)
        expect(text.stdout).toContain("DIFF  POST Oracle's example (application/json)  (create.status,")
        expect(text.stdout).toContain("        status: A 201, B 200")
        expect(text.stdout).toContain("        body.categoryId: A \"456000\", B 456000")
        expect(text.stdout).toMatch(/ {8}body\.links: A \[\{"rel":"self".*, B \(absent\)/)
        expect(text.stdout).toContain("  auth.lockout (A: sends up to 10 failed logins")
        expect(text.stdout).toContain("; B: never asked of a pod")
        expect(text.stderr).toMatch(/^chatauth: the endpoints answered 12 of \d+ requests differently$/)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "--compare between two chatauth servers (their own keys) finds no difference",
    () =>
      Effect.gen(function*() {
        const a = yield* startChatauth
        const b = yield* startChatauth
        const run = yield* conformance(a, "--compare", b, "--lockout")
        expect(run.code, run.stdout + run.stderr).toBe(0)
        const lines = run.stdout.split("\n")
        expect(lines[0]).toBe(`Shadow diff of A ${a} (chatauth) and B ${b} (chatauth)`)
        expect(run.stdout).not.toContain("DIFF")
        expect(lines.at(-1)).toMatch(/^No differences in \d+ requests\.$/)
      }),
    { timeout: 120_000 }
  )

  it.scopedLive(
    "a run from an address the endpoint has locked out says so before the results",
    () =>
      Effect.gen(function*() {
        const server = yield* ChatAuthServer.start({
          host: "127.0.0.1",
          port: 0,
          dataDir: tempDir(),
          bootstrapCaller: { username: USER, password: Redacted.make(PASSWORD) },
          print: () => undefined,
          callerAuth: {
            scrypt: { N: 1024, r: 8, p: 1 },
            lockouts: { address: { threshold: 2, window: "5 minutes", duration: "5 minutes" } }
          }
        }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
        // The first run's two failed logins (an unknown caller, a wrong password) lock the address.
        const first = yield* conformance(server.url)
        expect(first.code, first.stdout).toBe(0)
        const second = yield* conformance(server.url)
        expect(second.code).toBe(1)
        const lines = second.stdout.split("\n")
        expect(lines.at(-2)).toMatch(
          /^note: the endpoint answered 429 Too Many Requests to the caller's own credentials \(Retry-After: \d+ s\): this address or the caller is locked out, and the results say little until the lock ends$/
        )
        expect(second.stdout).toContain("POST Oracle's example (application/json): answered 429 Too Many Requests")
      }),
    { timeout: 120_000 }
  )

  it.effect("usage: no password, an unknown case, a bad URL, a compare user without a password exit 2", () =>
    Effect.gen(function*() {
      const base = ["conformance", "--base-url", "http://127.0.0.1:9", "--username", USER]
      const file = passwordFile()
      const cases: Array<[ReadonlyArray<string>, Record<string, string>, string]> = [
        [base, {}, "no password: pass --password-file F"],
        [[...base, "--password-file", join(tempDir(), "missing")], {}, "--password-file: cannot read"],
        [[...base, "--skip", "create.nothing"], { CHATAUTH_PASSWORD: PASSWORD }, "no case is named create.nothing"],
        [
          ["conformance", "--base-url", "ftp://x", "--username", USER],
          { CHATAUTH_PASSWORD: PASSWORD },
          "http or https"
        ],
        [
          [...base, "--password-file", file, "--compare", "http://127.0.0.1:10", "--compare-username", "other"],
          {},
          "--compare-username needs its password"
        ],
        [[...base, "--password-file", file, "--compare", "nope"], {}, "--compare: the base URL must be an absolute"],
        [[...base, "--password-file", "-", "--compare", "http://x", "--compare-password-file", "-"], {}, "cannot both"]
      ]
      for (const [args, env, message] of cases) {
        const run = yield* chatauth(args, { env })
        expect(run.code, message).toBe(2)
        expect(run.stderr, message).toContain(message)
        expect(run.stdout + run.stderr).not.toContain(PASSWORD)
      }
    }))

  it.effect("--help groups the options; docs/conformance.md documents every case", () =>
    Effect.gen(function*() {
      const help = yield* chatauth(["conformance", "--help"])
      expect(help.code).toBe(0)
      // --skip is repeatable, hence optional: the usage names the two options a run needs.
      expect(help.stdout).toContain("\nUSAGE\n  chatauth conformance --base-url VALUE --username VALUE [options]\n")
      for (const group of ["ENDPOINT", "TOKEN", "CASES", "SHADOW DIFF", "OUTPUT"]) {
        expect(help.stdout).toContain(`\n${group}\n`)
      }
      for (const flag of ["--password-file", "--audience-domain", "--jwks-url", "--compare", "--lockout", "--json"]) {
        expect(help.stdout).toContain(flag)
      }
      const overview = yield* chatauth(["--help"])
      expect(overview.stdout).toContain("  conformance  ")
      const { Conformance } = yield* Effect.promise(() => import("@chatauth/client"))
      expect(Conformance.catalogue.map((info) => info.id)).toEqual(CASE_IDS)
      const docs = readFileSync(new URL("../../../docs/conformance.md", import.meta.url), "utf8")
      const headings = [...docs.matchAll(/^#### `([\w.-]+)`$/gm)].map((match) => match[1])
      expect(headings).toEqual(CASE_IDS)
    }))
})

describe("chatauth conformance, the built executable", () => {
  it.scopedLive("passes against chatauth, the password read from standard input", () =>
    Effect.gen(function*() {
      assertBuilt()
      const url = yield* startChatauth
      const result = yield* Effect.promise(() =>
        runBin(["conformance", "--base-url", url, "--username", USER, "--password-file", "-"], {
          input: `${PASSWORD}\n`
        })
      )
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toContain("PASS  create.example ")
      expect(result.stdout).toContain("PASS  token.signature ")
      expect(result.stdout.trim().split("\n").at(-1)).toBe("27 cases: 26 passed, 0 failed, 1 skipped")
      expect(result.stdout + result.stderr).not.toContain(PASSWORD)
    }), { timeout: 120_000 })
})

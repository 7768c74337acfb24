/**
 * `chatauth authenticate` in-process against the real server started in-process: the body from `--data` and the
 * flags, the answer's summary and JSON, and every refusal with its exit code.
 */
import { ChatAuthServer } from "@chatauth/server"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Redacted } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { chatauth } from "./support/inProcess.js"

const USER = "integration.user"
const PASSWORD = "in-process-Secret-1"

const startServer = Effect.gen(function*() {
  const dataDir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "chatauth-cli-auth-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )
  const server = yield* ChatAuthServer.start({
    port: 0,
    dataDir,
    bootstrapCaller: { username: USER, password: Redacted.make(PASSWORD) },
    print: () => undefined
  }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
  return { ...server, dataDir }
})

const credentials = { CHATAUTH_USERNAME: USER, CHATAUTH_PASSWORD: PASSWORD }

describe("authenticate", () => {
  it.scopedLive(
    "--data @file.json merged under the flags; --json prints the item as answered",
    () =>
      Effect.gen(function*() {
        const server = yield* startServer
        const body = join(server.dataDir, "body.json")
        writeFileSync(body, JSON.stringify({ authUserName: "from-file", queueId: 1, productId: null, question: "Hi" }))
        const run = yield* chatauth(
          ["authenticate", "--base-url", server.url, "--data", `@${body}`, "--queue-id", "42", "--json"],
          { env: credentials }
        )
        expect(run.code, run.stderr).toBe(0)
        const item = JSON.parse(run.stdout)
        expect(item).toMatchObject({
          authUserName: "from-file",
          queueId: "42",
          productId: null,
          question: "Hi",
          clientType: "CONSUMER",
          chatSiteName: "sdi_07_13_17_1643_46-Svcdit-Fusion",
          poolId: "452:2"
        })
        expect(item.links.map((l: { rel: string }) => l.rel)).toEqual(["self", "canonical"])

        const inline = yield* chatauth(
          [
            "authenticate",
            "--base-url",
            server.url,
            "--data",
            "{\"authUserName\":\"inline\"}",
            "--only-data",
            "--base-path",
            "/serviceApi/resources/latest",
            "--json"
          ],
          { env: credentials }
        )
        expect(inline.code, inline.stderr).toBe(0)
        expect(JSON.parse(inline.stdout).links).toBeUndefined()
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("the summary names site, domain, pool, engagement URL and token expiry", () =>
    Effect.gen(function*() {
      const server = yield* startServer
      const run = yield* chatauth(
        ["authenticate", "--base-url", server.url, "--auth-user-name", "jane", "--media-list", "CHAT;VIDEO:NO_CAMERA"],
        { env: credentials }
      )
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toMatch(/^Created a chat authentication for jane\n/)
      for (const label of ["site:", "domain:", "pool:", "engagement:", "token:", "mediaList:", "jwt:"]) {
        expect(run.stdout).toContain(`  ${label}`)
      }
      expect(run.stdout).toMatch(/token: +expires \S+ \((in \d+ s|in 2 min)\), RS256, kid \S+/)
      expect(run.stdout).not.toContain(PASSWORD)
    }), { timeout: 60_000 })

  it.scopedLive(
    "--jwt-only prints the token alone, one line; with --json it is a usage error",
    () =>
      Effect.gen(function*() {
        const server = yield* startServer
        const run = yield* chatauth(
          ["authenticate", "--base-url", server.url, "--auth-user-name", "jane", "--jwt-only"],
          { env: credentials }
        )
        expect(run.code, run.stderr).toBe(0)
        expect(run.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
        const decoded = yield* chatauth(["token", "decode", "-", "--json"], { input: run.stdout })
        expect(JSON.parse(decoded.stdout).claims).toMatchObject({ sub: "jane", iss: "Fusion Apps" })
        const both = yield* chatauth(
          ["authenticate", "--base-url", server.url, "--auth-user-name", "jane", "--jwt-only", "--json"],
          { env: credentials }
        )
        expect(both.code).toBe(2)
        expect(both.stderr).toContain("--json and --jwt-only exclude each other")
      }),
    { timeout: 60_000 }
  )

  it.scopedLive(
    "refusals: 401 and 403 exit 1 with the status and the server's reason; the password never shows",
    () =>
      Effect.gen(function*() {
        const server = yield* startServer
        const wrong = yield* chatauth(
          ["authenticate", "--base-url", server.url, "--auth-user-name", "jane", "--password", "not-the-Password"],
          { env: { CHATAUTH_USERNAME: USER } }
        )
        expect(wrong.code).toBe(1)
        expect(wrong.stderr).toMatch(/^chatauth: refused: 401 Unauthorized: .+/)
        expect(wrong.stdout + wrong.stderr).not.toContain("not-the-Password")

        const added = yield* chatauth(
          ["callers", "add", "no-chat", "--data-dir", server.dataDir, "--privilege", "SOMETHING_ELSE"],
          { input: "no-chat-Secret\n" }
        )
        expect(added.code).toBe(0)
        const forbidden = yield* chatauth(
          ["authenticate", "--base-url", server.url, "--auth-user-name", "jane", "--username", "no-chat"],
          { env: { CHATAUTH_PASSWORD: "no-chat-Secret" } }
        )
        expect(forbidden.code).toBe(1)
        expect(forbidden.stderr).toContain("403 Forbidden")
        expect(forbidden.stderr).toContain("SVC_REQUEST_FOR_CHAT_PRIV")

        const badValue = yield* chatauth(
          ["authenticate", "--base-url", server.url, "--auth-user-name", "jane", "--chat-priority", "high"],
          { env: credentials }
        )
        expect(badValue.code).toBe(1)
        expect(badValue.stderr).toContain("chatPriority")
      }),
    { timeout: 60_000 }
  )

  it.effect("usage errors exit 2: no password without a terminal, no authUserName, bad --data, bad --base-url", () =>
    Effect.gen(function*() {
      const base = ["authenticate", "--base-url", "http://127.0.0.1:9"]
      const cases: Array<[ReadonlyArray<string>, Record<string, string>, string]> = [
        [[...base, "--auth-user-name", "j"], { CHATAUTH_USERNAME: USER }, "no password"],
        [[...base, "--auth-user-name", "j"], { CHATAUTH_PASSWORD: PASSWORD }, "no user name"],
        [base, credentials, "--auth-user-name is required"],
        [[...base, "--data", "{not json"], credentials, "--data is not JSON"],
        [[...base, "--data", "[1]"], credentials, "--data must be a JSON object"],
        [[...base, "--data", "@/nonexistent/body.json"], credentials, "cannot read"],
        [["authenticate", "--base-url", "ftp://x", "--auth-user-name", "j"], credentials, "http or https"],
        [["authenticate", "--auth-user-name", "j"], credentials, "--base-url"]
      ]
      for (const [args, env, message] of cases) {
        const run = yield* chatauth(args, { env })
        expect(run.code, message).toBe(2)
        expect(run.stderr, message).toContain(message)
        expect(run.stderr).not.toContain(PASSWORD)
      }
    }))

  it.effect("an attribute the resource does not have is refused before sending (exit 1)", () =>
    Effect.gen(function*() {
      const run = yield* chatauth(
        ["authenticate", "--base-url", "http://127.0.0.1:9", "--data", "{\"authUserName\":\"j\",\"colour\":\"red\"}"],
        { env: credentials }
      )
      expect(run.code).toBe(1)
      expect(run.stderr).toContain("invalid request (not sent): The attribute colour is not an attribute")
    }))
})

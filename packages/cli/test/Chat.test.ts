/**
 * `chatauth chat` in-process, driven through standard input, against the real server started in-process with its
 * Channel Server emulator: the events it prints, how it ends (end of input, /quit, the agent concluding), refusals.
 */
import { ChatAuthServer } from "@chatauth/server"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Logger, LogLevel, Redacted } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { chatauth } from "./support/inProcess.js"

const USER = "integration.user"
const PASSWORD = "in-process-Secret-1"

const freePort = Effect.async<number>((resume) => {
  const probe = createServer()
  probe.listen(0, "127.0.0.1", () => {
    const { port } = probe.address() as { port: number }
    probe.close(() => resume(Effect.succeed(port)))
  })
})

/**
 * The server with its emulator; site-a's domain is `chat.example.test` (reached through --channel-server-url), or
 * with `port` the server's own 127.0.0.1:port, as when the emulator is reached by the domain the answer names.
 */
const startServer = (port = 0) =>
  Effect.gen(function*() {
    const dataDir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "chatauth-cli-chat-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const domain = port === 0 ? "chat.example.test" : `127.0.0.1:${port}`
    const config = join(dataDir, "routing.json")
    writeFileSync(
      config,
      JSON.stringify({
        channelServers: [{ chatSiteName: "site-a", domain, pools: ["101:1"] }],
        channelServerEmulator: {
          agent: {
            name: "Sam",
            joinAfterSeconds: 0,
            replyAfterSeconds: 0,
            greeting: "<b>Hi</b>, Sam here.",
            replies: [{ pattern: "^bye$", reply: "Bye now.", conclude: true }],
            defaultReply: "Re: {message}"
          }
        }
      })
    )
    return yield* ChatAuthServer.start({
      host: "127.0.0.1",
      port,
      dataDir,
      routingConfigPath: config,
      channelServer: true,
      bootstrapCaller: { username: USER, password: Redacted.make(PASSWORD) },
      print: () => undefined
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning))
  })

const env = { CHATAUTH_USERNAME: USER, CHATAUTH_PASSWORD: PASSWORD }

const chat = (url: string, input: string, extra: ReadonlyArray<string> = [], channelServerUrl = url) =>
  chatauth(
    [
      "chat",
      "--base-url",
      url,
      "--auth-user-name",
      "jane@example.com",
      "--channel-server-url",
      channelServerUrl,
      "--poll-ms",
      "50",
      ...extra
    ],
    { input, env }
  )

const events = (stdout: string) => stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line))

describe("chat", () => {
  it.scopedLive("--json: one event per line; each line sent, answered, then concluded when input ends", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      const run = yield* chat(server.url, "Where is my order?\n\nAnd my refund?\n", ["--json"])
      expect(run.code, run.stderr).toBe(0)
      const all = events(run.stdout)
      expect(all[0]).toMatchObject({ event: "authenticated", chatSiteName: "site-a", poolId: "101:1" })
      expect(all[1]).toMatchObject({ event: "engaged", sessionId: expect.any(String) })
      expect(all.filter((e) => e.event === "sent").map((e) => e.body)).toEqual(["Where is my order?", "And my refund?"])
      const agentSaid = all.filter((e) => e.messageName === "RNEngagementMessagePostedMessage").map((e) => e.body)
      expect(agentSaid).toEqual(["Re: Where is my order?", "Re: And my refund?"])
      expect(all.find((e) => e.messageName === "RNEngagementParticipantAddedMessage")).toMatchObject({ name: "Sam" })
      expect(all.at(-1)).toMatchObject({ event: "concluded", by: "consumer" })
    }))

  it.scopedLive("text: the agent's messages as lines (HTML as text); /quit concludes at once", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      const run = yield* chat(server.url, "hello\n/quit\nnever sent\n")
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain("Authenticated jane@example.com: site site-a, pool 101:1")
      expect(run.stdout).toContain("* Sam joined: Hi, Sam here.")
      expect(run.stdout).toContain("Sam: Re: hello")
      expect(run.stdout).not.toContain("never sent")
      expect(run.stdout.trim().split("\n").at(-1)).toBe("Chat concluded.")
    }))

  it.scopedLive("the agent concluding ends the run with 0; empty input concludes at once", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      const run = yield* chat(server.url, "bye\n", ["--json"])
      expect(run.code, run.stderr).toBe(0)
      const all = events(run.stdout)
      expect(all.at(-1)).toMatchObject({ messageName: "RNEngagementConcludedMessage", reason: "AGENT_CONCLUDED" })
      expect(all.some((e) => e.event === "concluded")).toBe(false)

      const empty = yield* chat(server.url, "", ["--json"])
      expect(empty.code, empty.stderr).toBe(0)
      expect(events(empty.stdout).at(-1)).toMatchObject({ event: "concluded", by: "consumer" })
    }))

  it.scopedLive("the emulator named by the answer's loopback domain is spoken to over http without --scheme", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const server = yield* startServer(port)
      const run = yield* chatauth(
        ["chat", "--base-url", server.url, "--auth-user-name", "jane@example.com", "--poll-ms", "50"],
        { input: "hello\n", env }
      )
      expect(run.code, run.stderr).toBe(0)
      expect(run.stdout).toContain("Engagement ")
      expect(run.stdout).toContain(` opened at http://127.0.0.1:${port}/engagement/api/consumer/site-a/v1`)
      expect(run.stdout).toContain("Sam: Re: hello")
      expect(run.stdout.trim().split("\n").at(-1)).toBe("Chat concluded.")
    }))

  it.scopedLive("TLS to a plain-HTTP server ends with one line saying what to change", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const server = yield* startServer(port)
      const run = (extra: ReadonlyArray<string>, baseUrl = server.url) =>
        chatauth(["chat", "--base-url", baseUrl, "--auth-user-name", "jane@example.com", ...extra], {
          input: "hello\n",
          env
        })

      const forced = yield* run(["--scheme", "https"])
      expect(forced.code).toBe(1)
      expect(forced.stderr).toBe(
        `chatauth: the Channel Server at https://127.0.0.1:${port} answered in plain HTTP, not TLS: ` +
          "run again with --scheme http"
      )
      const url = yield* run(["--channel-server-url", `https://127.0.0.1:${port}`])
      expect(url.code).toBe(1)
      expect(url.stderr).toBe(
        `chatauth: the Channel Server at https://127.0.0.1:${port} answered in plain HTTP, not TLS: ` +
          "give --channel-server-url an http:// URL"
      )
      const base = yield* run([], `https://127.0.0.1:${port}`)
      expect(base.code).toBe(1)
      expect(base.stderr).toBe(
        "chatauth: the server answered in plain HTTP, not TLS: give --base-url an http:// URL"
      )
    }))

  it.scopedLive("refusals exit 1 with the reason; bad options exit 2", () =>
    Effect.gen(function*() {
      const server = yield* startServer()
      // a Channel Server URL that is not the emulator's answers 404
      const wrongPath = yield* chat(server.url, "hi\n", [], `${server.url}/nothing`)
      expect(wrongPath.code).toBe(1)
      expect(wrongPath.stderr).toContain("chatauth: Not found")
      const badUrl = yield* chat(server.url, "hi\n", [], "ftp://x")
      expect(badUrl.code).toBe(2)
      const badPassword = yield* chatauth(
        ["chat", "--base-url", server.url, "--auth-user-name", "jane", "--channel-server-url", server.url],
        { input: "hi\n", env: { ...env, CHATAUTH_PASSWORD: "wrong" } }
      )
      expect(badPassword.code).toBe(1)
      expect(badPassword.stderr).toContain("401")
    }))
})

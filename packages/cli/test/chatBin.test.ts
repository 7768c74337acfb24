/**
 * The built executable end to end: `chatauth serve --channel-server --faults` in one process, `chatauth chat` driven
 * through its standard input in another, with time travel and a fault from the admin endpoints in between.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assertBuilt, run, start, waitFor } from "./support/childProcess.js"

const dirs: Array<string> = []
beforeAll(assertBuilt)
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const ADMIN = `Basic ${Buffer.from("ops:ops-Secret-1").toString("base64")}`

const admin = async (url: string, path: string, body: unknown) => {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { authorization: ADMIN, "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  expect(response.status).toBeLessThan(300)
}

describe("chatauth chat", () => {
  it("chats through standard input against serve --channel-server; expiry and faults reach it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "chatauth-chat-bin-"))
    dirs.push(dataDir)
    const config = join(dataDir, "routing.json")
    writeFileSync(
      config,
      JSON.stringify({
        channelServers: [{ chatSiteName: "site-a", domain: "chat.example.test", pools: ["101:1"] }],
        channelServerEmulator: { agent: { joinAfterSeconds: 0, replyAfterSeconds: 0 } }
      })
    )
    const added = await run(["callers", "add", "ops", "--privilege", "CHATAUTH_ADMIN", "--data-dir", dataDir], {
      input: "ops-Secret-1\n"
    })
    expect(added.code, added.stderr).toBe(0)
    const server = start(
      ["serve", "--port", "0", "--data-dir", dataDir, "--config", config, "--channel-server", "--faults"],
      { env: { CHATAUTH_BOOTSTRAP_CALLER: "svc:svc-Secret-1" } }
    )
    try {
      const [, url] = await waitFor(server, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
      await waitFor(server, /fault injection on/)
      expect(server.stdout()).toContain(`Channel Server emulator on ${url}/engagement/api/consumer/`)
      const chat = (input: string) =>
        run([
          "chat",
          "--base-url",
          url,
          "--username",
          "svc",
          "--auth-user-name",
          "jane@example.com",
          "--channel-server-url",
          url,
          "--poll-ms",
          "100",
          "--json"
        ], { input, env: { CHATAUTH_PASSWORD: "svc-Secret-1" } })

      const first = await chat("Where is my order?\n")
      expect(first.code, first.stderr).toBe(0)
      const events = first.stdout.trim().split("\n").map((line) => JSON.parse(line))
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(["authenticated", "engaged", "sent"]))
      expect(events.find((e) => e.messageName === "RNEngagementMessagePostedMessage")?.body).toContain(
        "Where is my order?"
      )
      expect(events.at(-1)).toMatchObject({ event: "concluded", by: "consumer" })

      // a requestEngagement answered 503 once is retried
      await admin(url, "/chatauth/faults", { target: "requestEngagement", status: 503, retryAfterSeconds: 0 })
      expect((await chat("")).code).toBe(0)

      // the emulator's clock 200 s ahead: the fresh token is already expired there
      await admin(url, "/chatauth/clock", { advanceSeconds: 200 })
      const expired = await chat("hello\n")
      expect(expired.code).toBe(1)
      expect(expired.stderr).toContain("refused the token (403, expired)")
    } finally {
      server.child.kill("SIGTERM")
    }
    expect((await server.done).code).toBe(0)
  }, 120_000)
})

/**
 * Every example of the READMEs, run as a reader runs it — `node <file>` in this folder, `npx chatauth` for the CLI —
 * against a real server on a free port. The READMEs show these files: a code block that starts with `// <file>.mjs`
 * must be that file, word for word, so the documentation cannot drift from what is run here.
 */
import { ChatAuthServer } from "@chatauth/server"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Logger, LogLevel, Redacted, Scope } from "effect"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const EXAMPLES = fileURLToPath(new URL("..", import.meta.url))
const ROOT = join(EXAMPLES, "..")
const PASSWORD = "change-me-please"
const SITE = "sdi_07_13_17_1643_46-Svcdit-Fusion"

/** The command that captures a token into $JWT, as the READMEs show it. */
const CAPTURE = "JWT=$(npx chatauth authenticate --username portal --auth-user-name john.doe@example.com --jwt-only)"

const readmes = [
  "README.md",
  "examples/README.md",
  ...readdirSync(join(ROOT, "packages")).map((pkg) => `packages/${pkg}/README.md`)
]

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

// The developer's own CHATAUTH_* variables must not reach the examples.
const cleanEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("CHATAUTH_")))

let baseUrl = ""
let dataDir = ""
let scope: Scope.CloseableScope

const env = (extra: Record<string, string> = {}) => ({
  ...cleanEnv(),
  NO_COLOR: "1",
  CHATAUTH_BASE_URL: baseUrl,
  CHATAUTH_PASSWORD: PASSWORD,
  ...extra
})

const run = (command: string, args: ReadonlyArray<string>, extra: Record<string, string> = {}): Promise<Result> =>
  new Promise((resolve) => {
    execFile(command, args, { cwd: EXAMPLES, env: env(extra) }, (error, stdout, stderr) =>
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : null,
        stdout,
        stderr
      }))
  })

const node = (file: string, args: ReadonlyArray<string> = [], extra: Record<string, string> = {}) =>
  run(process.execPath, [file, ...args], extra)

/** A port nothing listens on now: the emulator's site must name the server's own address before it starts. */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0))
    })
  })

const bash = (script: string, extra: Record<string, string> = {}) => run("bash", ["-c", script], extra)

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "chatauth-examples-"))
  scope = Effect.runSync(Scope.make())
  const server = await Effect.runPromise(
    ChatAuthServer.start({
      port: 0,
      dataDir,
      bootstrapCaller: { username: "portal", password: Redacted.make(PASSWORD) },
      print: () => undefined
    }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning), Scope.extend(scope))
  )
  baseUrl = server.url
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  rmSync(dataDir, { recursive: true, force: true })
})

describe("the READMEs show the example files as they are", () => {
  const blocks = readmes.flatMap((readme) => {
    const text = readFileSync(join(ROOT, readme), "utf8")
    return [...text.matchAll(/```js\n(\/\/ (\S+\.mjs)\n[\s\S]*?)```/g)].map((match) => ({
      readme,
      file: match[2],
      code: match[1]
    }))
  })

  it("every block headed by a file name is that file", () => {
    expect(blocks.length).toBeGreaterThan(0)
    for (const { code, file, readme } of blocks) {
      expect(code, `${readme}: ${file}`).toBe(readFileSync(join(EXAMPLES, file), "utf8"))
    }
  })

  it("every example file is shown in a README, and the READMEs capture the token the tested way", () => {
    const shown = new Set(blocks.map((block) => block.file))
    for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith(".mjs"))) {
      expect(shown.has(file), file).toBe(true)
    }
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain(CAPTURE)
    expect(readFileSync(join(EXAMPLES, "README.md"), "utf8")).toContain(CAPTURE)
  })

  it("Oracle's example body here is the contract's", () => {
    expect(JSON.parse(readFileSync(join(EXAMPLES, "example_request_payload.json"), "utf8"))).toEqual(
      JSON.parse(readFileSync(join(ROOT, "packages/core/test/fixtures/example-request.json"), "utf8"))
    )
  })
})

describe("run against a real server", () => {
  it("client-example.mjs: the answer with the right password, the refusal with a wrong one", async () => {
    const ok = await node("client-example.mjs")
    expect(ok.code, ok.stderr).toBe(0)
    const lines = ok.stdout.trim().split("\n")
    expect(lines[0]).toBe(`${SITE} 452:2 2`)
    expect(lines[1]).toBe(
      `https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/${SITE}/v1/requestEngagement?pool=452%3A2`
    )
    expect(lines[2]).toMatch(/^john\.doe@example\.com \d{4}-\d\d-\d\dT/)
    const refused = await node("client-example.mjs", [], { CHATAUTH_PASSWORD: "nope" })
    expect(refused.stderr.trim()).toBe("Unauthorized Authentication is required: send valid HTTP Basic credentials.")
  })

  it("the $JWT one-liner, then verify-example.mjs: valid, and rejected once tampered with", async () => {
    const result = await bash(
      `${CAPTURE} && node verify-example.mjs "$JWT" && node verify-example.mjs "\${JWT}x"`,
      { CHATAUTH_USERNAME: "portal" }
    )
    expect(result.code, result.stderr).toBe(0)
    const [valid, rejected] = result.stdout.trim().split("\n")
    expect(valid).toMatch(/^valid: kid \S+, sub john\.doe@example\.com, expires \d{4}-/)
    expect(rejected).toBe("rejected: bad_signature")
  })

  it("npx chatauth from the repository root runs the CLI with nothing around its output", async () => {
    const result = await new Promise<Result>((resolve) =>
      execFile("npx", ["chatauth", "medialist", "format", "{\"channels\":[{\"channel\":\"CHAT\",\"errors\":[]}]}"], {
        cwd: ROOT,
        env: env()
      }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, stdout, stderr }))
    )
    expect(result).toEqual({ code: 0, stdout: "CHAT\n", stderr: "" })
  })

  it("client-effect-example.mjs logs the site and the token's expiry", async () => {
    const result = await node("client-effect-example.mjs", [], { CHATAUTH_USERNAME: "portal" })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`site ${SITE}, token until \\d{4}-`))
  })

  it("issue-token-example.mjs, validate-example.mjs and medialist-example.mjs print what their comments say", async () => {
    const [issued, validated, mediaList] = await Promise.all([
      node("issue-token-example.mjs"),
      node("validate-example.mjs"),
      node("medialist-example.mjs")
    ])
    expect(issued.stdout).toMatch(
      /^kid \S+, aud https:\/\/chat-a\.example\.com\/engagement\/api\/consumer\/site-a, 1 public key\(s\), jwt eyJ/
    )
    const [valid, invalid] = validated.stdout.trim().split("\n")
    expect(valid).toBe("valid; categoryId is echoed as \"456000\"")
    expect(invalid).toMatch(/^400 \{"title":"Bad Request","status":"400","o:errorDetails":\[/)
    expect(invalid).toContain("\"o:errorPath\":\"colour\"")
    const [parsed, strict] = mediaList.stdout.trim().split("\n")
    expect(JSON.parse(parsed)).toEqual({
      channels: [
        { channel: "CHAT", errors: [{ code: "NO_KEYBOARD", recognized: false }] },
        {
          channel: "VIDEO",
          errors: [{ code: "NO_CAMERA", recognized: true }, { code: "NO_MICROPHONE", recognized: true }]
        }
      ]
    })
    expect(strict).toMatch(/^strict: .*NO_KEYBOARD/)
  })

  it("chat-example.mjs chats with the emulator's agent through a server of its own with --channel-server", async () => {
    const dir = mkdtempSync(join(tmpdir(), "chatauth-chat-example-"))
    const port = await freePort()
    const config = join(dir, "routing.json")
    writeFileSync(
      config,
      JSON.stringify({
        channelServers: [{ chatSiteName: "local-site", domain: `127.0.0.1:${port}`, pools: ["101:1"] }],
        channelServerEmulator: { agent: { joinAfterSeconds: 0, replyAfterSeconds: 0 } }
      })
    )
    const chatScope = Effect.runSync(Scope.make())
    try {
      const server = await Effect.runPromise(
        ChatAuthServer.start({
          port,
          dataDir: dir,
          routingConfigPath: config,
          channelServer: true,
          bootstrapCaller: { username: "portal", password: Redacted.make(PASSWORD) },
          print: () => undefined
        }).pipe(Logger.withMinimumLogLevel(LogLevel.Warning), Scope.extend(chatScope))
      )
      const result = await node("chat-example.mjs", [], { CHATAUTH_BASE_URL: server.url })
      expect(result.stderr).toBe("")
      expect(result.stdout).toContain(`http://127.0.0.1:${port}/engagement/api/consumer/local-site/v1`)
      expect(result.stdout).toMatch(/^engagement \S+ SUCCESS$/m)
      expect(result.stdout).toMatch(/RNEngagementMessagePostedMessage .*Where is my order\?/)
    } finally {
      await Effect.runPromise(Scope.close(chatScope, Exit.void))
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("server-example.mjs serves Oracle's example body with the caller it creates, and stops on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "chatauth-server-example-"))
    const child: ChildProcess = spawn(process.execPath, ["server-example.mjs"], {
      cwd: EXAMPLES,
      env: { ...cleanEnv(), PORT: "0", DATA_DIR: dir, CHATAUTH_LOG_FORMAT: "json" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout!.setEncoding("utf8")
    const done = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on("data", (chunk: string) => {
          stdout += chunk
          const match = stdout.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)
          if (match !== null) resolve(match[1])
        })
        done.then(() => reject(new Error(`server-example.mjs exited:\n${stdout}`)))
      })
      const body = await bash(
        `curl -s -o /dev/null -w '%{http_code}' -u portal:${PASSWORD} -X POST -d @example_request_payload.json ` +
          `${url}/crmRestApi/resources/11.13.18.05/chatAuthenticate`
      )
      expect(body.stdout).toBe("201")
    } finally {
      child.kill("SIGTERM")
    }
    expect(await done).toBe(0)
    expect(stdout).toContain("chatauth: stopped")
    rmSync(dir, { recursive: true, force: true })
  })
})

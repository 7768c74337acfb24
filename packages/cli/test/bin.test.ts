/**
 * The built executable, `node dist/chatauth.js`, as a person or a script runs it: exit codes, standard output and error,
 * standard input, signals, and a real server started by `chatauth serve` on a free port.
 */
import { KeyStore, TokenIssuer } from "@chatauth/core"
import { beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { execFile } from "node:child_process"
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { assertBuilt, BIN, run, start, waitFor } from "./support/childProcess.js"
import { tempDirs } from "./support/tempDirs.js"

const tempDir = tempDirs("chatauth-bin-test-")

beforeAll(assertBuilt)

describe("the executable", () => {
  it("is executable, starts with a shebang, and answers --help with exit 0", async () => {
    expect(statSync(BIN).mode & 0o111).not.toBe(0)
    expect(readFileSync(BIN, "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true)
    const results = await Promise.all([
      run(["--help"]),
      run(["authenticate", "--help"]),
      run(["callers", "add", "--help"]),
      run(["token", "verify", "--help"])
    ])
    for (const result of results) {
      expect(result.code).toBe(0)
      expect(result.stdout).toContain("USAGE")
    }
    expect(results[1].stdout).toContain("--auth-user-name")
    expect(results[2].stdout).toContain("--password-stdin")
  }, 120_000)

  it("prints help and errors without escape codes off a terminal, and the package's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string
    }
    // Raw output: the helpers strip escape codes.
    const raw = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [BIN, ...args],
          { env: { ...process.env, ...env } },
          (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr })
        )
      )
    const [help, noColor, bogus, printed] = await Promise.all([
      raw(["authenticate", "--help"]),
      raw(["token", "verify", "--help"], { NO_COLOR: "1" }),
      raw(["authenticate", "--bogus"]),
      raw(["--version"])
    ])
    for (const result of [help, noColor, bogus]) {
      // eslint-disable-next-line no-control-regex
      expect(result.stdout + result.stderr).not.toMatch(/\u001b\[/)
    }
    expect(help.stdout).toContain("REQUEST ATTRIBUTES")
    expect(bogus).toEqual({
      code: 2,
      stdout: "",
      stderr: "chatauth: unknown option --bogus (see chatauth authenticate --help)\n"
    })
    expect(printed.stdout).toBe(`${version}\n`)
  }, 60_000)

  it("exits 2 on an unknown flag, with the complaint on stderr", async () => {
    const result = await run(["medialist", "parse", "CHAT", "--no-such-flag"])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderr).toContain("--no-such-flag")
  }, 60_000)

  it("medialist: parse | format round trip; an invalid one exits 1 with the reason", async () => {
    const parsed = await run(["medialist", "parse", "VIDEO:NO_CAMERA,NO_MICROPHONE;COBROWSE"])
    expect(parsed.code).toBe(0)
    const formatted = await run(["medialist", "format", "-"], { input: parsed.stdout })
    expect(formatted).toMatchObject({ code: 0, stdout: "VIDEO:NO_CAMERA,NO_MICROPHONE;COBROWSE\n" })
    const invalid = await run(["medialist", "parse", "CHAT:"])
    expect(invalid.code).toBe(1)
    expect(invalid.stdout).toBe("")
    expect(invalid.stderr).toMatch(/^chatauth: invalid mediaList: element 1 "CHAT:"/)
    expect(invalid.stderr).not.toMatch(/\bat .*\.js:\d+/) // no stack trace
  }, 60_000)

  it("callers: add with the password on stdin, list, passwd, remove", async () => {
    const dataDir = tempDir()
    const add = await run(["callers", "add", "svc-user", "--data-dir", dataDir], { input: "pipe-Secret-1\n" })
    expect(add.code).toBe(0)
    expect(add.stdout).toContain("Added the caller \"svc-user\"")
    const list = await run(["callers", "list", "--json"], { env: { CHATAUTH_DATA_DIR: dataDir } })
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toMatchObject([{ username: "svc-user", privileges: ["SVC_REQUEST_FOR_CHAT_PRIV"] }])
    const passwd = await run(["callers", "passwd", "svc-user", "--data-dir", dataDir, "--password-stdin"], {
      input: "pipe-Secret-2\n"
    })
    expect(passwd.code).toBe(0)
    const remove = await run(["callers", "remove", "svc-user", "--data-dir", dataDir])
    expect(remove.code).toBe(0)
    const empty = await run(["callers", "list", "--data-dir", dataDir])
    expect(empty.stdout).toContain("No callers")
    for (const result of [add, list, passwd, remove, empty]) {
      expect(result.stdout + result.stderr).not.toContain("pipe-Secret")
    }
  }, 120_000)

  it("keys: rotate adds a next key beside the active one; list shows both", async () => {
    const dataDir = tempDir()
    const rotate = await run(["keys", "rotate", "--data-dir", dataDir])
    expect(rotate.code).toBe(0)
    const kid = rotate.stdout.match(/Published the next key (\S+)/)?.[1]
    expect(kid).toBeDefined()
    const list = await run(["keys", "list", "--data-dir", dataDir, "--json"])
    expect(list.code).toBe(0)
    const keys = JSON.parse(list.stdout) as Array<{ kid: string; state: string; alg: string }>
    expect(keys.map((k) => k.state)).toEqual(["active", "next"])
    expect(keys[1]).toMatchObject({ kid, alg: "RS256" })
    // Standard output is the command's alone: the store's logs do not land in the JSON.
    expect(list.stdout.trim().startsWith("[")).toBe(true)
  }, 120_000)

  it.effect(
    "token decode and verify of a token issued by core's TokenIssuer; an expired one exits 1",
    () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const store = yield* KeyStore.KeyStore
        const jwksFile = join(dir, "jwks.json")
        writeFileSync(jwksFile, JSON.stringify(yield* store.jwks))
        const issuer = yield* TokenIssuer.TokenIssuer
        const request = { authUserName: "jane@example.com", domain: "chat.example.com", chatSiteName: "site-a" }
        yield* TestClock.setTime(Date.now())
        const fresh = yield* issuer.issue(request)
        yield* TestClock.setTime(Date.now() - 3_600_000)
        const old = yield* issuer.issue(request)
        const [decoded, valid, expired] = yield* Effect.promise(() =>
          Promise.all([
            run(["token", "decode", fresh.jwt, "--json"]),
            run([
              "token",
              "verify",
              fresh.jwt,
              "--jwks",
              jwksFile,
              "--audience",
              "https://chat.example.com/engagement/api/consumer/site-a"
            ]),
            run(["token", "verify", old.jwt, "--jwks", jwksFile])
          ])
        )
        expect(decoded.code).toBe(0)
        expect(JSON.parse(decoded.stdout)).toMatchObject({ verified: false, claims: fresh.claims })
        expect(valid.code).toBe(0)
        expect(valid.stdout).toContain("VALID")
        expect(valid.stdout).toContain("sub:     jane@example.com")
        expect(expired.code).toBe(1)
        expect(expired.stderr).toContain("token rejected (expired)")
      }).pipe(
        Effect.provide(
          TokenIssuer.TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.KeyStore.layerGenerated({ kid: "e2e" })))
        )
      ),
    120_000
  )
})

describe("serve and authenticate", () => {
  it(
    "serve on a free port with a bootstrap caller; authenticate; a wrong password; SIGTERM stops it with 0",
    async () => {
      const dataDir = tempDir()
      const password = "Bootstrap-Pass-42"
      const wrong = "Wrong-Pass-99"
      const server = start(["serve", "--port", "0", "--data-dir", dataDir], {
        env: { CHATAUTH_BOOTSTRAP_CALLER: `svc:${password}` }
      })
      try {
        const [, url] = await waitFor(server, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
        expect(server.stdout()).toContain("created the caller \"svc\"")
        // bootstrap caller given: no development caller
        expect(server.stdout()).not.toContain("development caller")

        const ok = await run(
          [
            "authenticate",
            "--base-url",
            url,
            "--auth-user-name",
            "john.doe@example.com",
            "--media-list",
            "CHAT",
            "--json"
          ],
          { env: { CHATAUTH_USERNAME: "svc", CHATAUTH_PASSWORD: password } }
        )
        expect(ok.code).toBe(0)
        const item = JSON.parse(ok.stdout) as Record<string, unknown>
        expect(item).toMatchObject({
          authUserName: "john.doe@example.com",
          clientType: "CONSUMER",
          mediaList: "CHAT",
          chatSiteName: "sdi_07_13_17_1643_46-Svcdit-Fusion",
          domain: "bzndv-chatinteg-vip.dv.lan",
          poolId: "452:2"
        })
        expect(typeof item.jwt).toBe("string")

        const summary = await run(
          ["authenticate", "--base-url", url, "--username", "svc", "--auth-user-name", "jane", "--queue-id", "7"],
          { env: { CHATAUTH_PASSWORD: password } }
        )
        expect(summary.code).toBe(0)
        expect(summary.stdout).toContain("site:       sdi_07_13_17_1643_46-Svcdit-Fusion")
        expect(summary.stdout).toContain("pool:       452:2")
        expect(summary.stdout).toContain(
          "engagement: https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion/v1/requestEngagement?pool=452%3A2"
        )
        expect(summary.stdout).toMatch(/token: +expires \d{4}-\d\d-\d\dT/)

        const refused = await run(
          ["authenticate", "--base-url", url, "--username", "svc", "--password", wrong, "--auth-user-name", "john"]
        )
        expect(refused.code).toBe(1)
        expect(refused.stdout).toBe("")
        expect(refused.stderr).toContain("401 Unauthorized")
        for (const result of [ok, summary, refused]) {
          expect(result.stdout + result.stderr).not.toContain(password)
          expect(result.stdout + result.stderr).not.toContain(wrong)
        }

        const noPassword = await run(["authenticate", "--base-url", url, "--username", "svc", "--auth-user-name", "j"])
        expect(noPassword.code).toBe(2)
        expect(noPassword.stderr).toContain("no password")
      } finally {
        server.child.kill("SIGTERM")
      }
      const stopped = await server.done
      expect(stopped.code).toBe(0)
      expect(stopped.stdout + stopped.stderr).not.toContain(password)
    },
    180_000
  )

  it("without a bootstrap caller: development mode prints a caller once, and its credentials work", async () => {
    const dataDir = tempDir()
    const server = start(["serve", "--port", "0", "--data-dir", dataDir])
    try {
      const [, url] = await waitFor(server, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
      const [, password] = server.stdout().match(
        /development caller "dev" created; its password is shown only now: (\S+)/
      )!
      expect(server.stdout()).toContain(`curl -u dev:${password} -X POST`)
      const ok = await run(
        ["authenticate", "--base-url", url, "--username", "dev", "--auth-user-name", "x", "--json"],
        {
          env: { CHATAUTH_PASSWORD: password }
        }
      )
      expect(ok.code).toBe(0)
      expect(JSON.parse(ok.stdout)).toMatchObject({ authUserName: "x", poolId: "452:2" })
    } finally {
      server.child.kill("SIGTERM")
    }
    const first = await server.done
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/chatauth: stopping\nchatauth: stopped\n$/)

    // A restart says that the caller exists and how to give it a new password, and does not show one.
    const again = start(["serve", "--port", "0", "--data-dir", dataDir])
    try {
      await waitFor(again, /listening on/)
      expect(again.stdout()).toContain(
        `chatauth: development mode: the caller "dev" exists (its password was shown at its first start); ` +
          `to set a new one: chatauth callers passwd dev --data-dir ${dataDir}`
      )
      expect(again.stdout()).not.toContain("shown only now")
    } finally {
      again.child.kill("SIGINT")
    }
    expect((await again.done).stdout).toMatch(/chatauth: stopped\n$/)
  }, 180_000)

  it("--production with no callers warns that nobody can call it, and says how to add one", async () => {
    const dataDir = tempDir()
    const server = start(["serve", "--port", "0", "--data-dir", dataDir, "--production"])
    try {
      await waitFor(server, /listening on/)
      expect(server.stdout()).toContain(
        "chatauth: warning: there are no callers, so nobody can call chatAuthenticate; add one with " +
          `\`chatauth callers add NAME --data-dir ${dataDir}\``
      )
      expect(server.stdout()).not.toContain("development caller")
    } finally {
      server.child.kill("SIGTERM")
    }
    expect((await server.done).code).toBe(0)
  }, 180_000)
})

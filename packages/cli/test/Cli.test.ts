/**
 * `chatauth` run in-process through `Cli.main`: every command's help, exit codes, the mediaList codec, tokens
 * (with `TestClock` for expiry), keys and callers on a temporary data directory.
 */
import { KeyStore, MediaList, TokenIssuer } from "@chatauth/core"
import { TokenVerifier } from "@chatauth/core"
import { verifyPassword } from "@chatauth/server/CallerDirectory"
import { SqliteStore } from "@chatauth/server/SqliteStore"
import { Store } from "@chatauth/server/Store"
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, FastCheck, Layer, Logger, LogLevel, Redacted, Schema, TestClock } from "effect"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { flagName } from "../src/Authenticate.js"
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from "../src/Token.js"
import { chatauth } from "./support/inProcess.js"

const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "chatauth-cli-test-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)

const commandPaths = [
  ["serve"],
  ["authenticate"],
  ["token"],
  ["token", "decode"],
  ["token", "verify"],
  ["keys"],
  ["keys", "list"],
  ["keys", "rotate"],
  ["keys", "activate"],
  ["keys", "prune"],
  ["callers"],
  ["callers", "add"],
  ["callers", "list"],
  ["callers", "remove"],
  ["callers", "passwd"],
  ["medialist"],
  ["medialist", "parse"],
  ["medialist", "format"]
]

describe("help and usage", () => {
  it.effect("chatauth --help lists every command group and the exit codes", () =>
    Effect.gen(function*() {
      const run = yield* chatauth(["--help"])
      expect(run.code).toBe(0)
      for (const name of ["serve", "authenticate", "token decode|verify", "keys list|rotate", "callers add|list"]) {
        expect(run.stdout).toContain(name)
      }
      expect(run.stdout).toContain("2 usage")
    }))

  for (const path of commandPaths) {
    it.effect(`chatauth ${path.join(" ")} --help`, () =>
      Effect.gen(function*() {
        const run = yield* chatauth([...path, "--help"])
        expect(run.code).toBe(0)
        expect(run.stdout).toContain("USAGE")
        expect(run.stdout.startsWith(`chatauth ${path.join(" ")}: `)).toBe(true)
        expect(run.stdout).toMatch(
          path.length === 1 && path[0] !== "serve" && path[0] !== "authenticate"
            ? /COMMANDS/
            : /OPTIONS/
        )
        // eslint-disable-next-line no-control-regex
        expect(run.stdout).not.toMatch(/\u001b\[/)
        // -h too, and anywhere after the command's name
        const short = yield* chatauth([...path, "-h"])
        expect(short.stdout).toBe(run.stdout)
      }))
  }

  it.effect("authenticate --help is short and grouped, and names every one of the 33 attribute flags", () =>
    Effect.gen(function*() {
      const run = yield* chatauth(["authenticate", "--help"])
      const { requestAttributeNames } = yield* Effect.promise(() => import("@chatauth/core/Attributes"))
      expect(requestAttributeNames).toHaveLength(33)
      for (const name of requestAttributeNames) expect(run.stdout).toMatch(new RegExp(`--${flagName(name)}\\b`))
      for (const group of ["CONNECTION", "REQUEST", "REQUEST ATTRIBUTES", "OUTPUT"]) {
        expect(run.stdout).toContain(`\n${group}\n`)
      }
      expect(run.stdout.split("\n").length).toBeLessThan(60)
      const options = yield* chatauth(["authenticate", "--base-url", "http://x", "--help"])
      expect(options.stdout).toBe(run.stdout)
    }))

  it.effect("an unknown flag, a missing argument, an unknown command and a bad integer exit 2", () =>
    Effect.gen(function*() {
      for (
        const args of [
          ["medialist", "parse", "CHAT", "--bogus"],
          ["medialist", "parse"],
          ["frobnicate"],
          ["token", "verify", "a.b.c", "--jwks", "x", "--clock-tolerance", "soon"],
          ["token", "verify", "a.b.c", "--jwks"],
          ["--log-level", "loud", "medialist", "parse", "CHAT"],
          ["token"],
          []
        ]
      ) {
        const run = yield* chatauth(args)
        expect(run.code, args.join(" ")).toBe(2)
        expect(run.stdout, args.join(" ")).toBe("")
        expect(run.stderr, args.join(" ")).toMatch(/^chatauth: \S/)
        expect(run.stderr.split("\n"), args.join(" ")).toHaveLength(1)
      }
    }))

  it.effect("an unknown option is named as such, before any missing one; a near miss gets a suggestion", () =>
    Effect.gen(function*() {
      const bogus = yield* chatauth(["authenticate", "--bogus"])
      expect(bogus).toEqual({
        code: 2,
        stdout: "",
        stderr: "chatauth: unknown option --bogus (see chatauth authenticate --help)"
      })
      const typo = yield* chatauth(["authenticate", "--base-url", "http://x", "--auth-user-nam", "j"])
      expect(typo.stderr).toBe(
        "chatauth: unknown option --auth-user-nam; did you mean --auth-user-name? (see chatauth authenticate --help)"
      )
      const valued = yield* chatauth(["token", "verify", "a.b.c", "--jwks=x", "--bogus=1"])
      expect(valued.stderr).toContain("unknown option --bogus ")
      const missing = yield* chatauth(["authenticate", "--auth-user-name", "j"])
      expect(missing).toEqual({
        code: 2,
        stdout: "",
        stderr: "chatauth: missing option --base-url (see chatauth authenticate --help)"
      })
      const command = yield* chatauth(["keys", "spin"])
      expect(command.stderr).toBe(
        "chatauth: unknown command keys spin: the commands are list, rotate, activate or prune (see chatauth keys --help)"
      )
    }))

  it.effect("--version prints the package's version", () =>
    Effect.gen(function*() {
      const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
        readonly version: string
      }
      const run = yield* chatauth(["--version"])
      expect(run).toEqual({ code: 0, stdout: version, stderr: "" })
    }))

  it.effect("- reads standard input wherever it stands among the arguments", () =>
    Effect.gen(function*() {
      const [before, after] = yield* Effect.all([
        chatauth(["medialist", "parse", "-", "--strict"], { input: "CHAT;VIDEO:NO_CAMERA\n" }),
        chatauth(["medialist", "parse", "--strict", "-"], { input: "CHAT;VIDEO:NO_CAMERA\n" })
      ])
      expect(before.code).toBe(0)
      expect(before).toEqual(after)
      const format = yield* chatauth(["medialist", "format", "-", "--strict"], { input: before.stdout })
      expect(format).toMatchObject({ code: 0, stdout: "CHAT;VIDEO:NO_CAMERA" })
      const strict = yield* chatauth(["medialist", "parse", "-", "--strict"], { input: "CHAT:NO_KEYBOARD" })
      expect(strict.code).toBe(1)
      // After --, a word starting with - is an argument.
      const separated = yield* chatauth(["medialist", "parse", "--strict", "--", "-"], { input: "CHAT" })
      expect(separated.code).toBe(0)
    }))

  it("the default clock tolerance, written out to keep --help light, matches the verifier's", () => {
    expect(DEFAULT_CLOCK_TOLERANCE_SECONDS).toBe(TokenVerifier.DEFAULT_CLOCK_TOLERANCE_SECONDS)
  })
})

describe("medialist", () => {
  it.effect("parse prints the typed value; format gives back the canonical string", () =>
    Effect.gen(function*() {
      const parsed = yield* chatauth(["medialist", "parse", "CHAT:NO_KEYBOARD ; VIDEO:NO_CAMERA,NO_MICROPHONE"])
      expect(parsed.code).toBe(0)
      expect(JSON.parse(parsed.stdout)).toEqual({
        channels: [
          { channel: "CHAT", errors: [{ code: "NO_KEYBOARD", recognized: false }] },
          {
            channel: "VIDEO",
            errors: [{ code: "NO_CAMERA", recognized: true }, { code: "NO_MICROPHONE", recognized: true }]
          }
        ]
      })
      expect(parsed.stderr).toContain("NO_KEYBOARD is not a documented CHAT error")
      const formatted = yield* chatauth(["medialist", "format", parsed.stdout])
      expect(formatted).toMatchObject({ code: 0, stdout: "CHAT:NO_KEYBOARD;VIDEO:NO_CAMERA,NO_MICROPHONE" })
    }))

  it.effect("round trip on generated values: format(parse(s)) = s for canonical strings", () =>
    Effect.gen(function*() {
      const samples = FastCheck.sample(Arbitrary.make(MediaList.MediaList), 15)
      for (const value of samples) {
        const wire = MediaList.encode(value)
        if (wire === "") continue
        const parsed = yield* chatauth(["medialist", "parse", wire])
        expect(parsed.code, wire).toBe(0)
        expect(JSON.parse(parsed.stdout)).toEqual(value)
        const formatted = yield* chatauth(["medialist", "format", parsed.stdout])
        expect(formatted.stdout).toBe(wire)
      }
    }))

  it.effect("invalid input exits 1 with the reason on stderr", () =>
    Effect.gen(function*() {
      const unknownChannel = yield* chatauth(["medialist", "parse", "CHAT;AUDIO"])
      expect(unknownChannel.code).toBe(1)
      expect(unknownChannel.stdout).toBe("")
      expect(unknownChannel.stderr).toContain("element 2 \"AUDIO\": unknown channel type")
      const strict = yield* chatauth(["medialist", "parse", "--strict", "CHAT:NO_KEYBOARD"])
      expect(strict.code).toBe(1)
      expect(strict.stderr).toContain("unrecognized error NO_KEYBOARD")
      const duplicate = yield* chatauth([
        "medialist",
        "format",
        "{\"channels\":[{\"channel\":\"CHAT\",\"errors\":[]},{\"channel\":\"CHAT\",\"errors\":[]}]}"
      ])
      expect(duplicate.code).toBe(1)
      expect(duplicate.stderr).toContain("channel CHAT appears twice")
      const notJson = yield* chatauth(["medialist", "format", "CHAT"])
      expect(notJson.code).toBe(1)
    }))

  it.effect("- reads standard input", () =>
    Effect.gen(function*() {
      const run = yield* chatauth(["medialist", "parse", "-"], { input: "VIDEO:NO_SPEAKERS\n" })
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout).channels[0]).toEqual({
        channel: "VIDEO",
        errors: [{ code: "NO_SPEAKERS", recognized: true }]
      })
    }))
})

// Keys generated once: RSA generation is slow on a busy machine.
const keysLayer = KeyStore.KeyStore.layerGenerated({ kid: "test-key" })

const issueAt = (ttlSeconds?: number) =>
  Effect.flatMap(
    TokenIssuer.TokenIssuer,
    (issuer) => issuer.issue({ authUserName: "jane@example.com", domain: "chat.example.com", chatSiteName: "site-a" })
  ).pipe(Effect.provide(TokenIssuer.TokenIssuer.layer(ttlSeconds === undefined ? {} : { ttlSeconds })))

const writeJwks = (dir: string) =>
  Effect.flatMap(KeyStore.KeyStore, (store) => store.jwks).pipe(
    Effect.map((jwks) => {
      const file = join(dir, "jwks.json")
      writeFileSync(file, JSON.stringify(jwks))
      return file
    })
  )

const AUDIENCE = "https://chat.example.com/engagement/api/consumer/site-a"

describe("token", () => {
  it.scoped("decode prints header and claims, unverified, and says so; a malformed token exits 1", () =>
    Effect.gen(function*() {
      const { jwt } = yield* issueAt()
      const run = yield* chatauth(["token", "decode", jwt])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain("NOT VERIFIED")
      expect(run.stdout).toContain("\"kid\": \"test-key\"")
      expect(run.stdout).toContain("\"sub\": \"jane@example.com\"")
      const json = yield* chatauth(["token", "decode", "--json", jwt])
      expect(JSON.parse(json.stdout)).toMatchObject({
        verified: false,
        header: { alg: "RS256", typ: "JWT", kid: "test-key" },
        claims: { sub: "jane@example.com", prn: "jane@example.com", aud: AUDIENCE, iss: "Fusion Apps" }
      })
      for (const bad of ["abc", "a.b", "!!.e30.x", `${jwt.split(".")[0]}.bm90IGpzb24.sig`]) {
        const malformed = yield* chatauth(["token", "decode", bad])
        expect(malformed.code, bad).toBe(1)
        expect(malformed.stderr, bad).toContain("malformed token")
      }
    }).pipe(Effect.provide(keysLayer)))

  it.scoped("verify: valid with a JWKS file; the audience is shown, not checked, unless --audience is given", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const jwks = yield* writeJwks(dir)
      const { jwt } = yield* issueAt()
      const unchecked = yield* chatauth(["token", "verify", jwt, "--jwks", jwks])
      expect(unchecked.code).toBe(0)
      expect(unchecked.stdout).toContain("VALID")
      expect(unchecked.stdout).toContain(`${AUDIENCE} (NOT checked: pass --audience to check it)`)
      const checked = yield* chatauth(["token", "verify", jwt, "--jwks", jwks, "--audience", AUDIENCE, "--json"])
      expect(checked.code).toBe(0)
      expect(JSON.parse(checked.stdout)).toMatchObject({
        valid: true,
        audienceChecked: true,
        claims: { sub: "jane@example.com", aud: AUDIENCE }
      })
    }).pipe(Effect.provide(keysLayer)))

  it.scoped("token verify - and token decode - read the token from standard input, before or after the options", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const jwks = yield* writeJwks(dir)
      const { jwt } = yield* issueAt()
      const input = `${jwt}\n`
      const first = yield* chatauth(["token", "verify", "-", "--jwks", jwks, "--audience", AUDIENCE, "--json"], {
        input
      })
      const last = yield* chatauth(["token", "verify", "--jwks", jwks, "--audience", AUDIENCE, "--json", "-"], {
        input
      })
      const middle = yield* chatauth(["token", "verify", "--jwks", jwks, "-", "--audience", AUDIENCE, "--json"], {
        input
      })
      expect(first.code).toBe(0)
      expect(JSON.parse(first.stdout)).toMatchObject({ valid: true, audienceChecked: true })
      expect(last).toEqual(first)
      expect(middle).toEqual(first)
      const decoded = yield* chatauth(["token", "decode", "-", "--json"], { input })
      expect(JSON.parse(decoded.stdout)).toMatchObject({ verified: false, claims: { sub: "jane@example.com" } })
    }).pipe(Effect.provide(keysLayer)))

  it.scoped("verify refuses (exit 1, reason on stderr): expired, wrong audience, wrong issuer, unknown key", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const jwks = yield* writeJwks(dir)
      const { jwt } = yield* issueAt(60)
      const refusals: Array<[ReadonlyArray<string>, string]> = [
        [["--audience", "https://other.example.com/engagement/api/consumer/site-a"], "token rejected (audience)"],
        [["--issuer", "Someone Else"], "token rejected (issuer)"],
        [["--algorithms", "ES256"], "token rejected (algorithm)"]
      ]
      for (const [extra, reason] of refusals) {
        const run = yield* chatauth(["token", "verify", jwt, "--jwks", jwks, ...extra])
        expect(run.code, reason).toBe(1)
        expect(run.stdout, reason).toBe("")
        expect(run.stderr, reason).toContain(reason)
      }
      // Expiry: 60 s of life, 5 s of tolerance, 66 s later.
      yield* TestClock.adjust("66 seconds")
      const expired = yield* chatauth(["token", "verify", jwt, "--jwks", jwks, "--clock-tolerance", "5"])
      expect(expired.code).toBe(1)
      expect(expired.stderr).toContain("token rejected (expired): the token has expired")
      // Another key set: the token's kid is unknown.
      const otherDir = yield* tempDir
      const otherJwks = yield* writeJwks(otherDir).pipe(
        Effect.provide(KeyStore.KeyStore.layerGenerated({ kid: "other-key" }))
      )
      const unknown = yield* chatauth(["token", "verify", jwt, "--jwks", otherJwks, "--clock-tolerance", "600"])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toMatch(/token rejected \((unknown_key|bad_signature)\)/)
      const missingFile = yield* chatauth(["token", "verify", jwt, "--jwks", join(dir, "nope.json")])
      expect(missingFile.code).toBe(1)
      expect(missingFile.stderr).toContain("cannot use --jwks")
    }).pipe(Effect.provide(keysLayer)))
})

const quietly = Logger.withMinimumLogLevel(LogLevel.Warning)

// The server's own store and password check, to prove what the CLI wrote is what the server reads.
const authenticateWith = (dataDir: string, username: string, password: string) =>
  Effect.gen(function*() {
    const found = yield* (yield* Store).callers.find(username)
    const ok = found._tag === "Some" && (yield* verifyPassword(Redacted.make(password), found.value.passwordHash))
    return ok ? { _tag: "Right" as const } : { _tag: "Left" as const }
  }).pipe(Effect.provide(SqliteStore.layer({ dataDir }).pipe(Layer.orDie)), quietly)

describe("callers", () => {
  it.scoped("add (password from stdin), list, passwd, remove on a data directory", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const listBefore = yield* chatauth(["callers", "list", "--data-dir", join(dataDir, "missing")])
      expect(listBefore.code).toBe(1)
      expect(listBefore.stderr).toContain("no chatauth store")

      const added = yield* chatauth(["callers", "add", "alice", "--data-dir", dataDir], {
        input: "first-Secret\nignored\n"
      })
      expect(added.code).toBe(0)
      expect(added.stdout).toContain("Added the caller \"alice\" (SVC_REQUEST_FOR_CHAT_PRIV)")
      expect((yield* authenticateWith(dataDir, "alice", "first-Secret"))._tag).toBe("Right")

      const other = yield* chatauth(
        ["callers", "add", "bob", "--data-dir", dataDir, "--privilege", "A_PRIV", "--privilege", "B_PRIV"],
        { input: "bob-password" }
      )
      expect(other.code).toBe(0)
      const duplicate = yield* chatauth(["callers", "add", "alice", "--data-dir", dataDir], { input: "x-password\n" })
      expect(duplicate.code).toBe(1)
      expect(duplicate.stderr).toContain("already exists")
      const noPassword = yield* chatauth(["callers", "add", "carol", "--data-dir", dataDir], { input: "" })
      expect(noPassword.code).toBe(2)
      expect(noPassword.stderr).toContain("no password")

      const list = yield* chatauth(["callers", "list", "--data-dir", dataDir, "--json"])
      expect(list.code).toBe(0)
      const callers = JSON.parse(list.stdout) as Array<{ username: string; privileges: Array<string> }>
      expect(callers.map((c) => [c.username, c.privileges])).toEqual([
        ["alice", ["SVC_REQUEST_FOR_CHAT_PRIV"]],
        ["bob", ["A_PRIV", "B_PRIV"]]
      ])
      expect(list.stdout).not.toContain("first-Secret")
      expect(list.stdout).not.toContain("scrypt")
      const table = yield* chatauth(["callers", "list", "--data-dir", dataDir])
      expect(table.stdout).toMatch(/^NAME\s+CREATED\s+UPDATED\s+PRIVILEGES\nalice\s/)

      const passwd = yield* chatauth(["callers", "passwd", "alice", "--data-dir", dataDir], {
        input: "second-Secret\n"
      })
      expect(passwd.code).toBe(0)
      expect((yield* authenticateWith(dataDir, "alice", "second-Secret"))._tag).toBe("Right")
      expect((yield* authenticateWith(dataDir, "alice", "first-Secret"))._tag).toBe("Left")

      const flag = yield* chatauth(["callers", "passwd", "bob", "--data-dir", dataDir, "--password", "third-Secret"])
      expect(flag.code).toBe(0)
      expect(flag.stderr).toContain("shell history")
      expect(flag.stdout + flag.stderr).not.toContain("third-Secret")

      const removed = yield* chatauth(["callers", "remove", "alice", "--data-dir", dataDir])
      expect(removed.code).toBe(0)
      const again = yield* chatauth(["callers", "remove", "alice", "--data-dir", dataDir])
      expect(again.code).toBe(1)
      expect(again.stderr).toContain("there is no caller \"alice\"")
      const after = yield* chatauth(["callers", "list", "--data-dir", dataDir, "--json"])
      expect((JSON.parse(after.stdout) as Array<{ username: string }>).map((c) => c.username)).toEqual(["bob"])
    }), { timeout: 120_000 })
})

const KeyRow = Schema.Struct({
  kid: Schema.String,
  alg: Schema.String,
  state: Schema.Literal("active", "next", "retired"),
  createdAt: Schema.String,
  activatedAt: Schema.NullOr(Schema.String),
  retiredAt: Schema.NullOr(Schema.String)
})
const keyRows = (text: string) => Schema.decodeUnknownSync(Schema.parseJson(Schema.Array(KeyRow)))(text)

describe("keys", () => {
  it.scoped("list, rotate (adds a next key), activate (retires the old one), prune", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const missing = yield* chatauth(["keys", "list", "--data-dir", dataDir])
      expect(missing.code).toBe(1)

      const rotated = yield* chatauth(["keys", "rotate", "--data-dir", dataDir, "--json"])
      expect(rotated.code).toBe(0)
      const next = JSON.parse(rotated.stdout) as { kid: string; state: string }
      expect(next.state).toBe("next")

      const listed = keyRows((yield* chatauth(["keys", "list", "--data-dir", dataDir, "--json"])).stdout)
      expect(listed.map((k) => k.state)).toEqual(["active", "next"])
      expect(listed[1].kid).toBe(next.kid)
      expect(listed[1].activatedAt).toBeNull()

      const table = yield* chatauth(["keys", "list", "--data-dir", dataDir])
      expect(table.stdout).toMatch(/^KID\s+ALG\s+STATE\s+CREATED\s+ACTIVATED\s+RETIRED\n/)
      expect(table.stdout).toContain(next.kid)

      // After "--": a key id is base64url, and one in 64 begins with "-".
      const activated = yield* chatauth(["keys", "activate", "--data-dir", dataDir, "--", next.kid])
      expect(activated.code).toBe(0)
      const after = keyRows((yield* chatauth(["keys", "list", "--data-dir", dataDir, "--json"])).stdout)
      expect(after.find((k) => k.kid === next.kid)?.state).toBe("active")
      expect(after.find((k) => k.kid === listed[0].kid)).toMatchObject({ state: "retired" })
      expect(after.find((k) => k.kid === listed[0].kid)?.retiredAt).not.toBeNull()

      const unknown = yield* chatauth(["keys", "activate", "no-such-kid", "--data-dir", dataDir])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain("no key no-such-kid")

      // A key id that begins with "-" reads as an option unless it comes after "--"; the complaint says so.
      const dashed = yield* chatauth(["keys", "activate", "-no-such-kid", "--data-dir", dataDir])
      expect(dashed).toMatchObject({ code: 2, stdout: "" })
      expect(dashed.stderr).toContain(
        "unknown option -no-such-kid; if it is a value rather than an option, put it after --: chatauth keys activate … -- -no-such-kid"
      )
      const afterDashes = yield* chatauth(["keys", "activate", "--data-dir", dataDir, "--", "-no-such-kid"])
      expect(afterDashes.code).toBe(1)
      expect(afterDashes.stderr).toContain("no key -no-such-kid")

      // Retired just now: well within retention, so nothing is pruned.
      const pruned = yield* chatauth(["keys", "prune", "--data-dir", dataDir])
      expect(pruned).toMatchObject({ code: 0, stdout: "No retired key is past its retention." })
    }), { timeout: 120_000 })
})

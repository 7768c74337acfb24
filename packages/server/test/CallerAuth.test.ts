import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Option, Redacted, TestClock } from "effect"
import type { CallerAuthOptions } from "../src/CallerAuth.js"
import {
  AuthRefused,
  bootstrapFromConfig,
  CallerAuth,
  CHAT_PRIVILEGE,
  hasChatPrivilege,
  hashPassword,
  parseCredentials,
  verifyPassword
} from "../src/CallerAuth.js"
import { SqliteStore } from "../src/SqliteStore.js"
import { Store } from "../src/Store.js"
import { JAN_2025, tempDataDir } from "./storeTestUtils.js"

// Cheap scrypt for tests: the behaviour under test does not depend on the cost.
const FAST = { N: 1024, r: 8, p: 1 }

const withAuth = <A, E>(
  effect: Effect.Effect<A, E, CallerAuth | Store>,
  options: CallerAuthOptions = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(JAN_2025)
    const dataDir = yield* tempDataDir
    const store = SqliteStore.layer({ dataDir })
    return yield* Effect.provide(effect, CallerAuth.layer({ scrypt: FAST, ...options }).pipe(Layer.provideMerge(store)))
  })

const login = (username: string, password: string, clientAddress = "192.0.2.1") =>
  Effect.flatMap(
    CallerAuth,
    (auth) => auth.authenticate({ username, password: Redacted.make(password), clientAddress })
  )

const refusal = (username: string, password: string, clientAddress?: string) =>
  Effect.flip(login(username, password, clientAddress))

const hashes = Effect.map(Effect.flatMap(CallerAuth, (auth) => auth.stats), (s) => s.hashes)

describe("password hashing", () => {
  it.effect("hashes with the default scrypt parameters and verifies in constant time", () =>
    Effect.gen(function*() {
      const hash = yield* hashPassword("correct horse battery staple")
      expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
      expect(yield* verifyPassword("correct horse battery staple", hash)).toBe(true)
      expect(yield* verifyPassword(Redacted.make("correct horse battery staple"), hash)).toBe(true)
      expect(yield* verifyPassword("correct horse battery stapl", hash)).toBe(false)
      expect(yield* verifyPassword("", hash)).toBe(false)
      // Two hashes of one password differ (random salt).
      expect(yield* hashPassword("correct horse battery staple", FAST)).not.toBe(
        yield* hashPassword("correct horse battery staple", FAST)
      )
    }))

  it.effect("never verifies against a malformed or hostile hash", () =>
    Effect.gen(function*() {
      const good = yield* hashPassword("pw", FAST)
      const parts = good.split("$")
      for (
        const bad of [
          "",
          "plain",
          good.replace("scrypt", "bcrypt"),
          [...parts.slice(0, 1), String(2 ** 30), ...parts.slice(2)].join("$"), // absurd memory cost
          [...parts.slice(0, 1), "1000", ...parts.slice(2)].join("$"), // N not a power of two
          parts.slice(0, 5).join("$")
        ]
      ) {
        expect(yield* verifyPassword("pw", bad)).toBe(false)
      }
    }))
})

describe("CallerAuth", () => {
  it.scoped("authenticates a caller with the chat privilege by default", () =>
    withAuth(Effect.gen(function*() {
      const auth = yield* CallerAuth
      const info = yield* auth.addCaller({ username: "svc", password: "pw-1" })
      expect(info).toEqual({ username: "svc", privileges: [CHAT_PRIVILEGE], createdAt: JAN_2025, updatedAt: JAN_2025 })
      const caller = yield* login("svc", "pw-1")
      expect(caller).toEqual({ username: "svc", privileges: [CHAT_PRIVILEGE] })
      expect(hasChatPrivilege(caller)).toBe(true)

      yield* auth.addCaller({ username: "reader", password: "pw-2", privileges: ["OTHER"] })
      expect(hasChatPrivilege(yield* login("reader", "pw-2"))).toBe(false)
    })))

  it.scoped("gives the same refusal for an unknown user, a wrong password and an empty one", () =>
    withAuth(
      Effect.gen(function*() {
        const auth = yield* CallerAuth
        yield* auth.addCaller({ username: "svc", password: "pw" })
        const before = yield* hashes
        const unknown = yield* refusal("ghost", "pw")
        // The unknown user still cost one scrypt run.
        expect(yield* hashes).toBe(before + 1)
        const wrong = yield* refusal("svc", "nope")
        const empty = yield* refusal("svc", "")
        const badName = yield* refusal("sv\u0000c", "pw")
        for (const error of [unknown, wrong, empty, badName]) {
          expect(error).toBeInstanceOf(AuthRefused)
          expect({ ...error }).toEqual({ _tag: "AuthRefused", reason: "invalid" })
        }
      }),
      { userLockout: { threshold: 100, window: "5 minutes" } }
    ))

  it.scoped("answers from the cache without hashing again, until the TTL passes", () =>
    withAuth(
      Effect.gen(function*() {
        const auth = yield* CallerAuth
        yield* auth.addCaller({ username: "svc", password: "pw" })
        const start = yield* hashes
        yield* login("svc", "pw")
        expect(yield* hashes).toBe(start + 1)
        yield* login("svc", "pw")
        yield* login("svc", "pw", "198.51.100.9")
        expect(yield* hashes).toBe(start + 1)
        expect((yield* auth.stats).cacheHits).toBe(2)
        // A wrong password is not served from the cache entry of the right one.
        expect((yield* refusal("svc", "PW")).reason).toBe("invalid")
        expect(yield* hashes).toBe(start + 2)

        yield* TestClock.adjust("31 seconds")
        yield* login("svc", "pw")
        expect(yield* hashes).toBe(start + 3)
      }),
      { cacheTtl: "30 seconds" }
    ))

  it.scoped("shares one scrypt run between concurrent checks of the same credentials", () =>
    withAuth(Effect.gen(function*() {
      const auth = yield* CallerAuth
      yield* auth.addCaller({ username: "svc", password: "pw" })
      const start = yield* hashes
      const callers = yield* Effect.all(Array.from({ length: 16 }, () => login("svc", "pw")), {
        concurrency: "unbounded"
      })
      expect(callers.every((c) => c.username === "svc")).toBe(true)
      expect(yield* hashes).toBe(start + 1)
    })))

  it.scoped("a password change, a privilege change and a removal invalidate the cache", () =>
    withAuth(
      Effect.gen(function*() {
        const auth = yield* CallerAuth
        yield* auth.addCaller({ username: "svc", password: "old" })
        yield* login("svc", "old")
        yield* auth.setPassword("svc", "new")
        expect((yield* refusal("svc", "old")).reason).toBe("invalid")
        expect((yield* login("svc", "new")).username).toBe("svc")

        yield* auth.setPrivileges("svc", [])
        expect((yield* login("svc", "new")).privileges).toEqual([])

        yield* auth.removeCaller("svc")
        expect((yield* refusal("svc", "new")).reason).toBe("invalid")
      }),
      { userLockout: { threshold: 100, window: "5 minutes" } }
    ))

  it.scoped("locks a user name after the threshold, without checking the password, until the lock expires", () =>
    withAuth(
      Effect.gen(function*() {
        const auth = yield* CallerAuth
        yield* auth.addCaller({ username: "svc", password: "pw" })
        for (let i = 0; i < 3; i++) expect((yield* refusal("svc", `guess-${i}`)).reason).toBe("invalid")

        const hashesBefore = yield* hashes
        const locked = yield* refusal("svc", "pw", "203.0.113.50")
        expect({ ...locked }).toEqual({ _tag: "AuthRefused", reason: "locked", retryAfterSeconds: 120 })
        expect(yield* hashes).toBe(hashesBefore)

        yield* TestClock.adjust("30 seconds")
        expect((yield* refusal("svc", "pw")).retryAfterSeconds).toBe(90)
        // Another user is not affected.
        yield* auth.addCaller({ username: "other", password: "pw" })
        expect((yield* login("other", "pw", "203.0.113.51")).username).toBe("other")

        yield* TestClock.adjust("90 seconds")
        expect((yield* login("svc", "pw")).username).toBe("svc")
        const stats = yield* auth.stats
        expect(stats.lockouts).toBe(1)
        expect(stats.lockedRefusals).toBe(2)
      }),
      {
        userLockout: { threshold: 3, window: "1 minute" },
        addressLockout: { threshold: 100, window: "1 minute" },
        lockoutDuration: "2 minutes"
      }
    ))

  it.scoped("counts failures in a window: old failures do not add up, a success resets the count", () =>
    withAuth(
      Effect.gen(function*() {
        const auth = yield* CallerAuth
        yield* auth.addCaller({ username: "svc", password: "pw" })
        yield* refusal("svc", "x")
        yield* refusal("svc", "x")
        yield* TestClock.adjust("61 seconds")
        yield* refusal("svc", "x")
        yield* refusal("svc", "x")
        yield* login("svc", "pw")
        yield* refusal("svc", "x")
        yield* refusal("svc", "x")
        expect((yield* login("svc", "pw")).username).toBe("svc")
        for (let i = 0; i < 3; i++) expect((yield* refusal("svc", "x")).reason).toBe("invalid")
        expect((yield* refusal("svc", "pw")).reason).toBe("locked")
      }),
      {
        userLockout: { threshold: 3, window: "1 minute" },
        addressLockout: { threshold: 100, window: "1 minute" },
        cacheTtl: 0
      }
    ))

  it.scoped("locks a client address that fails across many user names", () =>
    withAuth(
      Effect.gen(function*() {
        const auth = yield* CallerAuth
        yield* auth.addCaller({ username: "svc", password: "pw" })
        for (let i = 0; i < 4; i++) yield* refusal(`user-${i}`, "x", "198.51.100.7")
        const locked = yield* refusal("svc", "pw", "198.51.100.7")
        expect(locked.reason).toBe("locked")
        expect(locked.retryAfterSeconds).toBe(300)
        expect((yield* login("svc", "pw", "198.51.100.8")).username).toBe("svc")
        yield* TestClock.adjust("5 minutes")
        expect((yield* login("svc", "pw", "198.51.100.7")).username).toBe("svc")
      }),
      { userLockout: { threshold: 100, window: "5 minutes" }, addressLockout: { threshold: 4, window: "5 minutes" } }
    ))

  it.scoped("manages callers: rules, duplicates, missing ones, listing without hashes", () =>
    withAuth(Effect.gen(function*() {
      const auth = yield* CallerAuth
      for (const username of ["", "a:b", "tab\tname", "x".repeat(321)]) {
        const error = yield* Effect.flip(auth.addCaller({ username, password: "pw" }))
        expect(error._tag).toBe("InvalidCaller")
      }
      expect((yield* Effect.flip(auth.addCaller({ username: "svc", password: "" })))._tag).toBe("InvalidCaller")
      yield* auth.addCaller({ username: "svc", password: "pw" })
      expect(yield* Effect.flip(auth.addCaller({ username: "svc", password: "pw2" }))).toMatchObject({
        _tag: "CallerExists",
        username: "svc"
      })
      expect((yield* Effect.flip(auth.setPassword("ghost", "pw")))._tag).toBe("CallerNotFound")
      expect((yield* Effect.flip(auth.removeCaller("ghost")))._tag).toBe("CallerNotFound")
      expect((yield* Effect.flip(auth.setPrivileges("ghost", [])))._tag).toBe("CallerNotFound")
      const listed = yield* auth.listCallers()
      expect(listed).toEqual([{
        username: "svc",
        privileges: [CHAT_PRIVILEGE],
        createdAt: JAN_2025,
        updatedAt: JAN_2025
      }])
      // The stored hash is a self-describing scrypt string, not the password.
      const stored = Option.getOrThrow(yield* Effect.flatMap(Store, (store) => store.callers.find("svc")))
      expect(stored.passwordHash).toMatch(/^scrypt\$1024\$8\$1\$/)
    })))

  it.scoped("ensureCaller creates once and leaves an existing caller alone", () =>
    withAuth(Effect.gen(function*() {
      const auth = yield* CallerAuth
      expect(yield* auth.ensureCaller("boot", "first")).toBe(true)
      expect(yield* auth.ensureCaller("boot", "second")).toBe(false)
      expect((yield* login("boot", "first")).privileges).toEqual([CHAT_PRIVILEGE])
      expect((yield* refusal("boot", "second")).reason).toBe("invalid")
    })))

  it.scoped("bootstrapFromConfig applies CHATAUTH_BOOTSTRAP_CALLER (the password may contain ':')", () =>
    withAuth(Effect.gen(function*() {
      const run = (value: string | undefined) =>
        bootstrapFromConfig.pipe(
          Effect.withConfigProvider(
            ConfigProvider.fromMap(new Map(value === undefined ? [] : [["CHATAUTH_BOOTSTRAP_CALLER", value]]))
          ),
          Effect.either
        )
      expect(yield* run(undefined)).toEqual(Either.right(Option.none()))
      expect(yield* run("ops:pa:ss")).toEqual(Either.right(Option.some({ username: "ops", created: true })))
      expect(yield* run("ops:other")).toEqual(Either.right(Option.some({ username: "ops", created: false })))
      expect((yield* login("ops", "pa:ss")).username).toBe("ops")
      const bad = yield* run("no-colon")
      expect(Either.isLeft(bad) && bad.left._tag).toBe("InvalidCaller")
      expect(parseCredentials(Redacted.make(":pw"))).toEqual(Option.none())
    })))
})

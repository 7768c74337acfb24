import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Redacted, TestClock } from "effect"
import { AuditLog } from "../src/audit/AuditLog.js"
import type { CallerAuthOptions } from "../src/auth/CallerAuth.js"
import { AuthRefused, CallerAuth, hasChatPrivilege } from "../src/auth/CallerAuth.js"
import { CallerDirectory, CHAT_PRIVILEGE, hashPassword, verifyPassword } from "../src/auth/CallerDirectory.js"
import * as Password from "../src/auth/internal/password.js"
import { Lockouts } from "../src/auth/Lockouts.js"
import { ChangeFeed } from "../src/store/ChangeFeed.js"
import { Journal } from "../src/store/Journal.js"
import { SqliteStore } from "../src/store/SqliteStore.js"
import { Store } from "../src/store/Store.js"
import { JAN_2025, tempDataDir } from "./storeTestUtils.js"

// Cheap scrypt for tests: the behaviour under test does not depend on the cost.
const FAST = { N: 1024, r: 8, p: 1 }

// Counts password look-ups: a check answered from the cache never reaches the store.
let lookups = 0
const countingStore = (dataDir: string) =>
  Layer.effect(
    Store,
    Effect.map(Store, (store) => ({
      ...store,
      callers: {
        ...store.callers,
        find: (username: string) => Effect.zipRight(Effect.sync(() => lookups++), store.callers.find(username))
      }
    }))
  ).pipe(Layer.provide(SqliteStore.layer({ dataDir })), Layer.orDie)

/** Authentication and management over one store, as the server composes them. */
const authLayer = (dataDir: string, options: CallerAuthOptions) => {
  const shared = Layer.mergeAll(ChangeFeed.layer({ pollInterval: "1 hour" }), Journal.layer({ linger: 0 })).pipe(
    Layer.provideMerge(countingStore(dataDir))
  )
  return Layer.mergeAll(
    CallerAuth.layer({ scrypt: FAST, ...options }),
    CallerDirectory.layer({ scrypt: FAST })
  ).pipe(
    Layer.provideMerge(Lockouts.layer(options.lockouts)),
    Layer.provideMerge(AuditLog.layer),
    Layer.provideMerge(shared)
  )
}

const withAuth = <A, E>(
  effect: Effect.Effect<A, E, CallerAuth | CallerDirectory | ChangeFeed | Store>,
  options: CallerAuthOptions = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(JAN_2025)
    const dataDir = yield* tempDataDir
    lookups = 0
    return yield* Effect.provide(effect, authLayer(dataDir, options))
  })

const login = (username: string, password: string, clientAddress = "192.0.2.1") =>
  Effect.flatMap(
    CallerAuth,
    (auth) => auth.authenticate({ username, password: Redacted.make(password), clientAddress })
  )

const refusal = (username: string, password: string, clientAddress?: string) =>
  Effect.flip(login(username, password, clientAddress))

const looked = Effect.sync(() => lookups)

describe("password hashing", () => {
  it.effect("hashes with the default scrypt parameters and verifies in constant time", () =>
    Effect.gen(function*() {
      const hash = yield* hashPassword("correct horse battery staple")
      expect(hash).toMatch(/^scrypt\$8192\$8\$10\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/)
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

describe("the unknown user's hash", () => {
  it.effect("has a real hash's form and parameters, so that checking against it costs one scrypt run", () =>
    Effect.gen(function*() {
      const real = yield* hashPassword("pw", FAST)
      const dummy = Password.unmatchable(FAST)
      const shape = (hash: string) => hash.split("$").map((part, i) => (i < 4 ? part : part.length))
      expect(shape(dummy)).toEqual(shape(real))
      expect(Password.unmatchable(FAST)).not.toBe(dummy)
      expect(Password.unmatchable().split("$").slice(0, 4)).toEqual(["scrypt", "8192", "8", "10"])
    }))

  it.effect("matches no password, the empty one and the hash's own parts included", () =>
    Effect.gen(function*() {
      const dummy = Password.unmatchable(FAST)
      for (const password of ["", "pw", dummy, ...dummy.split("$")]) {
        expect(yield* verifyPassword(password, dummy)).toBe(false)
      }
    }))
})

// The feed polls by itself in real time; under TestClock the tests read it when they need to.
const pollFeed = Effect.flatMap(ChangeFeed, (feed) => feed.poll)

const pairRule = (threshold: number) => ({ threshold, window: "1 minute", duration: "2 minutes" }) as const
const far = { threshold: 1_000, window: "5 minutes", duration: "5 minutes" } as const

describe("CallerAuth", () => {
  it.scoped("authenticates a caller with the chat privilege by default", () =>
    withAuth(Effect.gen(function*() {
      const directory = yield* CallerDirectory
      const info = yield* directory.add({ username: "svc", password: "pw-1" })
      expect(info).toEqual({ username: "svc", privileges: [CHAT_PRIVILEGE], createdAt: JAN_2025, updatedAt: JAN_2025 })
      const caller = yield* login("svc", "pw-1")
      expect(caller).toEqual({ username: "svc", privileges: [CHAT_PRIVILEGE] })
      expect(hasChatPrivilege(caller)).toBe(true)

      yield* directory.add({ username: "reader", password: "pw-2", privileges: ["OTHER"] })
      expect(hasChatPrivilege(yield* login("reader", "pw-2"))).toBe(false)
    })))

  it.scoped("gives the same refusal for an unknown user, a wrong password and an empty one", () =>
    withAuth(Effect.gen(function*() {
      yield* (yield* CallerDirectory).add({ username: "svc", password: "pw" })
      const unknown = yield* refusal("ghost", "pw")
      const wrong = yield* refusal("svc", "nope")
      const empty = yield* refusal("svc", "")
      const badName = yield* refusal("sv\u0000c", "pw")
      for (const error of [unknown, wrong, empty, badName]) {
        expect(error).toBeInstanceOf(AuthRefused)
        expect({ ...error }).toEqual({ _tag: "AuthRefused", reason: "invalid" })
      }
    })))

  it.scoped("answers from the cache without looking the caller up again, until the TTL passes", () =>
    withAuth(
      Effect.gen(function*() {
        yield* (yield* CallerDirectory).add({ username: "svc", password: "pw" })
        const start = yield* looked
        yield* login("svc", "pw")
        expect(yield* looked).toBe(start + 1)
        yield* login("svc", "pw")
        yield* login("svc", "pw", "198.51.100.9")
        expect(yield* looked).toBe(start + 1)
        // A wrong password is not served from the cache entry of the right one.
        expect((yield* refusal("svc", "PW")).reason).toBe("invalid")
        expect(yield* looked).toBe(start + 2)

        yield* TestClock.adjust("31 seconds")
        yield* login("svc", "pw")
        expect(yield* looked).toBe(start + 3)
      }),
      { cacheTtl: "30 seconds" }
    ))

  it.scoped("shares one check between concurrent requests with the same credentials", () =>
    withAuth(Effect.gen(function*() {
      yield* (yield* CallerDirectory).add({ username: "svc", password: "pw" })
      const start = yield* looked
      const callers = yield* Effect.all(Array.from({ length: 16 }, () => login("svc", "pw")), {
        concurrency: "unbounded"
      })
      expect(callers.every((c) => c.username === "svc")).toBe(true)
      expect(yield* looked).toBe(start + 1)
    })))

  it.scoped("a password change, a privilege change and a removal reach the cache through the change feed", () =>
    withAuth(Effect.gen(function*() {
      const directory = yield* CallerDirectory
      yield* directory.add({ username: "svc", password: "old" })
      yield* login("svc", "old")
      yield* directory.setPassword("svc", "new")
      yield* pollFeed
      expect((yield* refusal("svc", "old")).reason).toBe("invalid")
      expect((yield* login("svc", "new")).username).toBe("svc")

      yield* directory.setPrivileges("svc", [])
      yield* pollFeed
      expect((yield* login("svc", "new")).privileges).toEqual([])

      yield* directory.remove("svc")
      yield* pollFeed
      expect((yield* refusal("svc", "new")).reason).toBe("invalid")
    })))

  it.scoped("locks a name from one address after the threshold, without checking the password, until it expires", () =>
    withAuth(
      Effect.gen(function*() {
        const directory = yield* CallerDirectory
        yield* directory.add({ username: "svc", password: "pw" })
        for (let i = 0; i < 3; i++) expect((yield* refusal("svc", `guess-${i}`)).reason).toBe("invalid")

        const before = yield* looked
        const locked = yield* refusal("svc", "pw")
        expect({ ...locked }).toEqual({ _tag: "AuthRefused", reason: "locked", retryAfterSeconds: 120 })
        expect(yield* looked).toBe(before)

        yield* TestClock.adjust("30 seconds")
        expect((yield* refusal("svc", "pw")).retryAfterSeconds).toBe(90)
        // Someone else's failures do not lock the right password out from another address.
        expect((yield* login("svc", "pw", "203.0.113.50")).username).toBe("svc")
        // Nor another name from the locked address.
        yield* directory.add({ username: "other", password: "pw" })
        expect((yield* login("other", "pw")).username).toBe("other")

        yield* TestClock.adjust("90 seconds")
        expect((yield* login("svc", "pw")).username).toBe("svc")
        // The lock start is in the audit trail.
        const lockouts = yield* Effect.flatMap(Store, (store) => store.audit.list({ limit: 10, outcome: "lockout" }))
        expect(lockouts.map((e) => [e.caller, e.clientAddress, e.reason])).toEqual([
          ["svc", "192.0.2.1", "user-address locked for 120 s"]
        ])
      }),
      { lockouts: { userAddress: pairRule(3), address: far, user: far } }
    ))

  it.scoped("counts failures in a window: old failures do not add up, a success resets the count", () =>
    withAuth(
      Effect.gen(function*() {
        yield* (yield* CallerDirectory).add({ username: "svc", password: "pw" })
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
      { cacheTtl: 0, lockouts: { userAddress: pairRule(3), address: far, user: far } }
    ))

  it.scoped("locks a client address that fails across many names, for every name", () =>
    withAuth(
      Effect.gen(function*() {
        yield* (yield* CallerDirectory).add({ username: "svc", password: "pw" })
        for (let i = 0; i < 4; i++) yield* refusal(`user-${i}`, "x", "198.51.100.7")
        const locked = yield* refusal("svc", "pw", "198.51.100.7")
        expect(locked.reason).toBe("locked")
        expect(locked.retryAfterSeconds).toBe(300)
        expect((yield* login("svc", "pw", "198.51.100.8")).username).toBe("svc")
        yield* TestClock.adjust("5 minutes")
        expect((yield* login("svc", "pw", "198.51.100.7")).username).toBe("svc")
      }),
      {
        lockouts: {
          address: { threshold: 4, window: "5 minutes", duration: "5 minutes" },
          userAddress: far,
          user: far
        }
      }
    ))

  it.scoped("a parallel burst cannot slip past the threshold", () =>
    withAuth(
      Effect.gen(function*() {
        const refusals = yield* Effect.all(
          Array.from({ length: 60 }, (_, i) => refusal(`name-${i}`, "x", "198.51.100.20")),
          { concurrency: "unbounded" }
        )
        expect(refusals.filter((r) => r.reason === "invalid")).toHaveLength(20)
        expect(refusals.filter((r) => r.reason === "locked")).toHaveLength(40)
      }),
      {
        lockouts: {
          address: { threshold: 20, window: "5 minutes", duration: "5 minutes" },
          userAddress: far,
          user: far
        }
      }
    ))

  it.scoped("the name-wide lock refuses failing addresses only, grows, and is lifted by unlock", () =>
    withAuth(
      Effect.gen(function*() {
        const directory = yield* CallerDirectory
        yield* directory.add({ username: "svc", password: "pw" })
        // Six addresses, one wrong guess each: the name-wide threshold (6) is reached, no pair or address one.
        for (let i = 0; i < 6; i++) yield* refusal("svc", "x", `203.0.113.${i}`)
        // An address that failed is refused even with the right password; a clean one is let through.
        expect({ ...(yield* refusal("svc", "pw", "203.0.113.0")) }).toMatchObject({
          reason: "locked",
          retryAfterSeconds: 60
        })
        expect((yield* login("svc", "pw", "192.0.2.200")).username).toBe("svc")
        // The next lock in a row lasts twice as long.
        yield* TestClock.adjust("61 seconds")
        for (let i = 0; i < 6; i++) yield* refusal("svc", "y", `198.51.100.${i}`)
        expect((yield* refusal("svc", "pw", "198.51.100.1")).retryAfterSeconds).toBe(120)
        expect(yield* directory.unlock("svc")).toBeGreaterThan(0)
        yield* pollFeed
        expect((yield* login("svc", "pw", "198.51.100.1")).username).toBe("svc")
      }),
      {
        cacheTtl: 0,
        lockouts: {
          user: { threshold: 6, window: "5 minutes", duration: "60 seconds", maxDuration: "15 minutes" },
          userAddress: far,
          address: far
        }
      }
    ))

  it.scoped("manages callers: rules, duplicates, missing ones, listing without hashes", () =>
    withAuth(Effect.gen(function*() {
      const directory = yield* CallerDirectory
      for (const username of ["", "a:b", "tab\tname", "x".repeat(321)]) {
        const error = yield* Effect.flip(directory.add({ username, password: "pw" }))
        expect(error._tag).toBe("InvalidCaller")
      }
      expect((yield* Effect.flip(directory.add({ username: "svc", password: "" })))._tag).toBe("InvalidCaller")
      yield* directory.add({ username: "svc", password: "pw" })
      expect(yield* Effect.flip(directory.add({ username: "svc", password: "pw2" }))).toMatchObject({
        _tag: "CallerExists",
        username: "svc"
      })
      expect((yield* Effect.flip(directory.setPassword("ghost", "pw")))._tag).toBe("CallerNotFound")
      expect((yield* Effect.flip(directory.remove("ghost")))._tag).toBe("CallerNotFound")
      expect((yield* Effect.flip(directory.setPrivileges("ghost", [])))._tag).toBe("CallerNotFound")
      const listed = yield* directory.list()
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

  it.scoped("ensure creates once and leaves an existing caller alone", () =>
    withAuth(Effect.gen(function*() {
      const directory = yield* CallerDirectory
      expect(yield* directory.ensure("boot", "first")).toBe(true)
      expect(yield* directory.ensure("boot", "second")).toBe(false)
      expect((yield* login("boot", "first")).privileges).toEqual([CHAT_PRIVILEGE])
      expect((yield* refusal("boot", "second")).reason).toBe("invalid")
    })))
})

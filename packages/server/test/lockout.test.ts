import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { basicAuth, PASSWORD, post, request, startServer, USER } from "./serverTestUtils.js"

const body = { authUserName: "jane" }
const v4 = { "rest-framework-version": "4" }

// Every request comes from 127.0.0.1, so the address threshold is set out of the way: this file is about user names.
const far = { threshold: 1_000, window: "5 minutes", duration: "5 minutes" } as const
const callerAuth = {
  lockouts: { userAddress: { threshold: 3, window: "5 minutes", duration: "5 minutes" }, address: far, user: far }
} as const

const attempt = (url: string, user: string, password: string) =>
  post(url, body, { headers: { authorization: basicAuth(user, password), ...v4 } })

describe("lockout", () => {
  it.scopedLive("locks a name from an address after the threshold: 429 with Retry-After, even with the right password", () =>
    Effect.gen(function*() {
      const { url } = yield* startServer({ callerAuth })
      const statuses: Array<number> = []
      for (let i = 0; i < 3; i++) statuses.push((yield* attempt(url, USER, `wrong-${i}`)).status)
      expect(statuses).toEqual([401, 401, 401])

      const locked = yield* attempt(url, USER, PASSWORD)
      expect(locked.status).toBe(429)
      const retryAfter = Number(locked.headers["retry-after"])
      expect(retryAfter).toBeGreaterThan(0)
      expect(retryAfter).toBeLessThanOrEqual(300)
      expect(JSON.parse(locked.body)["o:errorDetails"][0]["o:errorCode"]).toBe("CHATAUTH-LOCKED-OUT")
      // Plain-text form for framework version 1, same status and header.
      const lockedText = yield* post(url, body, { headers: { authorization: basicAuth(USER, PASSWORD) } })
      expect(lockedText.status).toBe(429)
      expect(lockedText.headers["retry-after"]).toMatch(/^\d+$/)
      expect(lockedText.headers["content-type"]).toContain("text/plain")

      // Another user name from the same address is not affected.
      const other = yield* attempt(url, "someone-else", "whatever")
      expect(other.status).toBe(401)

      // The lockout is counted, by scope, and the refusals by reason.
      const metrics = yield* request(`${url}/metrics`)
      expect(metrics.body).toMatch(/^chatauth_lockouts_total\{scope="user-address"\} 1$/m)
      expect(metrics.body).toMatch(/^chatauth_lockouts_total\{scope="address"\} 0$/m)
      expect(metrics.body).toMatch(/^chatauth_lockouts_total\{scope="user"\} 0$/m)
      expect(metrics.body).toMatch(/^chatauth_auth_failures_total\{reason="locked"\} 2$/m)
    }))

  it.scopedLive("a success before the threshold resets the count", () =>
    Effect.gen(function*() {
      const { url } = yield* startServer({ callerAuth })
      for (let round = 0; round < 3; round++) {
        expect((yield* attempt(url, USER, "wrong-a")).status).toBe(401)
        expect((yield* attempt(url, USER, "wrong-b")).status).toBe(401)
        expect((yield* attempt(url, USER, PASSWORD)).status).toBe(201)
      }
      // Six failures in all, never three in a row: still not locked.
      expect((yield* attempt(url, USER, PASSWORD)).status).toBe(201)
    }))

  it.scopedLive("locks a client address after its own threshold", () =>
    Effect.gen(function*() {
      const { url } = yield* startServer({
        callerAuth: {
          lockouts: { ...callerAuth.lockouts, address: { threshold: 4, window: "5 minutes", duration: "5 minutes" } }
        }
      })
      // Four different unknown names: no single name reaches its threshold, the address does.
      for (let i = 0; i < 4; i++) expect((yield* attempt(url, `stranger-${i}`, "x")).status).toBe(401)
      const locked = yield* attempt(url, USER, PASSWORD)
      expect(locked.status).toBe(429)
      expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0)
    }))
})

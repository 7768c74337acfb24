/**
 * A PostgreSQL outage (issue 7, point 5), made with a TCP proxy the test owns between the replicas and the shared
 * database: while it is cut, readiness turns 503 and chatAuthenticate answers 503 with Retry-After in the caller's
 * Oracle error format, promptly (never a hang, never a 500); once it is restored the replicas recover by themselves.
 * At start, an unreachable database makes `serve` retry for CHATAUTH_DATABASE_CONNECT_SECONDS, then exit 1 with one
 * line saying what it could not reach.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { assertBuilt, start } from "./support/childProcess.js"
import { createTestDatabase, type TestDatabase } from "./support/postgres.js"
import {
  authenticateOnce,
  CALLER,
  CALLER_PASSWORD,
  pollUntil,
  rawAuthenticate,
  rawRequest,
  type Replica,
  startReplica,
  stopAllReplicas,
  TEST_ENV
} from "./support/replicas.js"
import { startTcpProxy, type TcpProxy } from "./support/tcpProxy.js"

/** Generous bounds for a loaded machine: what matters is that there is one. */
const ANSWER_BOUND_MS = 10_000
const RECOVERY_BOUND_MS = 30_000

const svc = { username: CALLER, password: CALLER_PASSWORD }
let database: TestDatabase | undefined
const proxies: Array<TcpProxy> = []

beforeAll(async () => {
  assertBuilt()
  database = await createTestDatabase()
})

afterAll(async () => {
  await stopAllReplicas()
  await Promise.all(proxies.map((proxy) => proxy.close()))
  await database?.drop()
}, 60_000)

const proxiedUrl = (proxy: TcpProxy) => `postgres://postgres@127.0.0.1:${proxy.port}/${database!.name}`

const timed = async <A>(run: () => Promise<A>) => {
  const startedAt = Date.now()
  const value = await run()
  return { value, millis: Date.now() - startedAt }
}

describe("PostgreSQL unreachable", () => {
  it(
    "while cut: ready 503 and chatAuthenticate 503 + Retry-After in the caller's format; restored: back by itself",
    async () => {
      const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 })
      proxies.push(proxy)
      const replicas: Array<Replica> = await Promise.all(
        [0, 1].map(() => startReplica({ databaseUrl: proxiedUrl(proxy) }))
      )
      for (const replica of replicas) {
        expect((await rawRequest(`${replica.url}/health/ready`)).status).toBe(200)
        expect(Either.isRight(await authenticateOnce(replica.url, svc, { authUserName: "before-outage" }))).toBe(true)
      }

      proxy.cut()
      const cutAt = Date.now()
      // chatAuthenticate at once, while readiness may not have noticed yet: a bounded 503, not a hang or a 500.
      for (const replica of replicas) {
        for (const version of [4, 1]) {
          const { millis, value } = await timed(() =>
            rawAuthenticate(replica.url, svc, { authUserName: `during-outage-v${version}` }, {
              frameworkVersion: version,
              timeoutMillis: 30_000
            })
          )
          expect(value.status, value.body).toBe(503)
          expect(millis).toBeLessThan(ANSWER_BOUND_MS)
        }
      }
      const unready = await pollUntil(
        async () => {
          const answers = await Promise.all(replicas.map((replica) => rawRequest(`${replica.url}/health/ready`)))
          return {
            done: answers.every((answer) => answer.status === 503),
            seen: answers.map((answer) => answer.status)
          }
        },
        cutAt,
        ANSWER_BOUND_MS,
        "readiness 503 on every replica"
      )
      expect(unready).toBeLessThan(ANSWER_BOUND_MS)

      // Unhealthy: every chatAuthenticate answers 503 promptly, in the caller's error format.
      for (const replica of replicas) {
        const adf = await timed(() => rawAuthenticate(replica.url, svc, { authUserName: "outage-adf" }))
        expect(adf.millis).toBeLessThan(ANSWER_BOUND_MS)
        expect(adf.value.status).toBe(503)
        expect(Number(adf.value.headers["retry-after"])).toBeGreaterThan(0)
        expect(adf.value.headers["content-type"]).toContain("application/vnd.oracle.adf.error+json")
        expect(JSON.parse(adf.value.body)).toMatchObject({
          status: "503",
          "o:errorDetails": [expect.objectContaining({ detail: expect.stringContaining("temporarily unavailable") })]
        })
        const plain = await timed(() =>
          rawAuthenticate(replica.url, svc, { authUserName: "outage-plain" }, { frameworkVersion: 1 })
        )
        expect(plain.millis).toBeLessThan(ANSWER_BOUND_MS)
        expect(plain.value.status).toBe(503)
        expect(Number(plain.value.headers["retry-after"])).toBeGreaterThan(0)
        expect(plain.value.headers["content-type"]).toMatch(/^text\/plain/)
        expect(plain.value.body).toContain("temporarily unavailable")
        // Through the client: the typed error of a 5xx.
        const viaClient = await authenticateOnce(replica.url, svc, { authUserName: "outage-client" })
        expect(Either.isLeft(viaClient) && viaClient.left._tag).toBe("ServerError")
      }

      proxy.restore()
      const restoredAt = Date.now()
      const recovered = await Promise.all(replicas.map((replica) =>
        pollUntil(
          async () => {
            const ready = await rawRequest(`${replica.url}/health/ready`)
            if (ready.status !== 200) return { done: false, seen: `ready ${ready.status}` }
            const outcome = await authenticateOnce(replica.url, svc, { authUserName: "after-outage" })
            return { done: Either.isRight(outcome), seen: Either.isRight(outcome) ? "201" : outcome.left._tag }
          },
          restoredAt,
          RECOVERY_BOUND_MS,
          `recovery of ${replica.url}`
        )
      ))
      for (const millis of recovered) expect(millis).toBeLessThan(RECOVERY_BOUND_MS)
      // Recovered, not restarted.
      for (const replica of replicas) expect(replica.child.exitCode).toBeNull()
    },
    150_000
  )

  it(
    "at start: retries for CHATAUTH_DATABASE_CONNECT_SECONDS, then exits 1 with one line naming what it could not reach",
    async () => {
      const proxy = await startTcpProxy({ host: "127.0.0.1", port: 5432 }, { refusing: true })
      proxies.push(proxy)
      const serve = start(["serve", "--port", "0", "--database-url", proxiedUrl(proxy)], {
        env: { ...TEST_ENV, CHATAUTH_DATABASE_CONNECT_SECONDS: "3" }
      })
      const { millis, value: result } = await timed(() => serve.done)
      expect(result.code).toBe(1)
      expect(millis).toBeLessThan(30_000)
      expect(result.stdout).not.toContain("listening")
      const lines = result.stderr.split("\n").filter((line) => line !== "")
      // The retries are logged as structured warnings (JSON lines on stderr); the reason is one plain line, the last.
      const plain = lines.filter((line) => !line.startsWith("{"))
      expect(plain).toHaveLength(1)
      expect(lines[lines.length - 1]).toBe(plain[0])
      expect(plain[0]).toMatch(
        new RegExp(
          `^chatauth: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${proxy.port}/${database!.name} \\(.+\\)$`
        )
      )
      const warnings = lines.filter((line) => line.startsWith("{")).map((line) =>
        JSON.parse(line) as { message: unknown }
      )
      expect(warnings.length).toBeGreaterThan(0)
      expect(result.stderr).not.toContain("postgres@")
    },
    60_000
  )
})

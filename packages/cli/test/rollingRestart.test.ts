/**
 * A rolling restart under steady load: three replicas on one PostgreSQL database behind a round-robin balancer, each
 * stopped with SIGTERM and replaced in turn while clients keep authenticating with the client's documented retry
 * policy. No client sees a failure: the replica on its way out answers what it was asked with `Connection: close`,
 * finishes the requests in flight, and only then stops; a request that met a connection it had just closed is retried
 * by the policy on another replica.
 */
import { ChatAuthClient, type ChatAuthClientError } from "@chatauth/client"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, ManagedRuntime, Redacted } from "effect"
import { assertBuilt } from "./support/childProcess.js"
import { type LoadBalancer, startLoadBalancer } from "./support/loadBalancer.js"
import { createTestDatabase, type TestDatabase } from "./support/postgres.js"
import { CALLER, CALLER_PASSWORD, type Replica, startReplica, stopAllReplicas } from "./support/replicas.js"

// Long enough for clients to move their connections while the replica still listens.
const DRAIN_MS = 400
const CLIENTS = 6

let database: TestDatabase | undefined
let balancer: LoadBalancer | undefined

beforeAll(async () => {
  assertBuilt()
  database = await createTestDatabase()
}, 60_000)

afterAll(async () => {
  await stopAllReplicas()
  await balancer?.close()
  await database?.drop()
})

const replica = () =>
  startReplica({ databaseUrl: database!.url, env: { CHATAUTH_SHUTDOWN_DRAIN_MS: String(DRAIN_MS) } })

describe("rolling restart", () => {
  it("replaces each of three replicas under load, and no client sees a failure", async () => {
    let replicas: Array<Replica> = await Promise.all([replica(), replica(), replica()])
    balancer = await startLoadBalancer(replicas.map((r) => r.port))
    const runtime = ManagedRuntime.make(
      ChatAuthClient.layer({
        baseUrl: `http://127.0.0.1:${balancer.port}`,
        username: CALLER,
        password: Redacted.make(CALLER_PASSWORD)
      }).pipe(
        Layer.provide(NodeHttpClient.layerWithoutAgent),
        Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true }))
      )
    )
    let loading = true
    let succeeded = 0
    const failures: Array<ChatAuthClientError> = []
    const loop = async (client: number) => {
      for (let i = 0; loading; i++) {
        const outcome = await runtime.runPromise(
          Effect.either(
            Effect.flatMap(
              ChatAuthClient,
              (chat) => chat.authenticate({ authUserName: `user-${client}-${i}@example.com` })
            )
          )
        )
        if (Either.isRight(outcome)) succeeded++
        else failures.push(outcome.left)
      }
    }
    const load = Array.from({ length: CLIENTS }, (_, client) => loop(client))
    // Until `count` more answers arrived (or a failure, or a stuck load: then the assertions below say what).
    const waitFor = async (count: number) => {
      const target = succeeded + count
      const deadline = Date.now() + 30_000
      while (succeeded < target && failures.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    }
    try {
      await waitFor(50)
      const stopped: Array<number | null> = []
      for (let i = 0; i < replicas.length; i++) {
        const leaving = replicas[i]
        const replacement = await replica()
        const answeredBefore = succeeded
        // SIGTERM while the load goes on: the balancer still sends to the leaving replica, and finds out by itself
        // when its listener refuses.
        balancer.setBackends([...replicas.map((r) => r.port), replacement.port])
        const result = await leaving.stop()
        stopped.push(result.code)
        replicas = replicas.map((r) => (r === leaving ? replacement : r))
        balancer.setBackends(replicas.map((r) => r.port))
        expect(succeeded).toBeGreaterThan(answeredBefore)
        await waitFor(30)
      }
      loading = false
      await Promise.all(load)
      expect(failures.map((failure) => `${failure._tag}: ${failure.message}`)).toEqual([])
      expect(stopped).toEqual([0, 0, 0])
      expect(succeeded).toBeGreaterThan(100)
      // The replicas on their way out told their clients so.
      expect(balancer.closingAnswers()).toBeGreaterThan(0)
    } finally {
      loading = false
      await Promise.allSettled(load)
      await runtime.dispose()
    }
  }, 180_000)
})

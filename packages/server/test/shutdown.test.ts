import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import * as Net from "node:net"
import { rawHead, startServer } from "./serverTestUtils.js"

/** Whether a new TCP connection to the port is refused. */
const refused = (port: number) =>
  Effect.async<boolean>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(false))
    })
    socket.once("error", () => resume(Effect.succeed(true)))
  })

const eventually = (check: Effect.Effect<boolean>, attempts = 250) =>
  Effect.gen(function*() {
    for (let i = 0; i < attempts; i++) {
      if (yield* check) return true
      yield* Effect.sleep("20 millis")
    }
    return false
  })

describe("graceful stop", () => {
  it.live("lets a request in flight finish, refuses new connections, and reports stopping meanwhile", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* startServer().pipe(Scope.extend(scope))

      // A request whose body is still being sent when the stop begins.
      const socket = Net.connect({ host: "127.0.0.1", port: server.port })
      const received: Array<Buffer> = []
      const ended = new Promise<void>((resolve) => {
        socket.on("close", () => resolve())
        socket.on("error", () => resolve())
      })
      socket.on("data", (chunk: Buffer) => received.push(chunk))
      yield* Effect.promise(() => new Promise<void>((resolve) => socket.once("connect", () => resolve())))
      const body = "{\"authUserName\":\"in-flight@example.com\"}"
      socket.write(rawHead(["Content-Type: application/json", `Content-Length: ${body.length}`]))
      socket.write(body.slice(0, 10))
      // The server has the request (its head parsed) before the stop begins.
      yield* Effect.sleep("200 millis")

      const stopping = yield* Effect.fork(Scope.close(scope, Exit.void))
      expect(yield* eventually(refused(server.port)), "new connections are refused once the stop begins").toBe(true)
      expect(stopping.unsafePoll(), "the stop waits for the request in flight").toBeNull()

      // Finish the body, and pipeline a readiness check behind it on the same connection.
      socket.write(body.slice(10))
      socket.write("GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
      yield* Effect.promise(() => ended)
      yield* Fiber.join(stopping)

      const text = Buffer.concat(received).toString("utf8")
      expect(text).toMatch(/^HTTP\/1\.1 201 Created\r\n/)
      expect(text).toContain("in-flight%40example.com")
      // The pipelined readiness check is served during the drain: the server says it is stopping.
      const second = text.indexOf("HTTP/1.1 ", 1)
      expect(second).toBeGreaterThan(0)
      expect(text.slice(second)).toMatch(/^HTTP\/1\.1 503 /)
      expect(text.slice(second)).toContain("\"status\":\"stopping\"")
      expect(yield* refused(server.port)).toBe(true)
    }))

  it.live("a stop with no request in flight completes even with an idle keep-alive connection open", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const server = yield* startServer({ shutdownTimeoutMs: 60_000 }).pipe(Scope.extend(scope))
      const socket = Net.connect({ host: "127.0.0.1", port: server.port })
      const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()))
      socket.on("error", () => {})
      socket.on("data", () => {})
      socket.write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
      yield* Effect.sleep("200 millis")
      // With a 60 s deadline, finishing under the test timeout means idle connections were closed, not waited out.
      yield* Scope.close(scope, Exit.void)
      yield* Effect.promise(() => closed)
      expect(yield* refused(server.port)).toBe(true)
    }))
})

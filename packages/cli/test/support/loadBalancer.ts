/**
 * A round-robin TCP load balancer the test owns, in front of replicas: each client connection goes to the next
 * backend, and to the one after it when that one refuses the connection (as a balancer that redispatches does). It
 * counts the answers that came back with `Connection: close`.
 */
import * as Net from "node:net"
import { closeAll, listenOnLoopback, trackedSockets } from "./sockets.js"

export interface LoadBalancer {
  readonly port: number
  readonly setBackends: (ports: ReadonlyArray<number>) => void
  /** Answers seen with `Connection: close`, since the start. */
  readonly closingAnswers: () => number
  readonly close: () => Promise<void>
}

const CONNECTION_CLOSE = /\r\nconnection: close\r\n/gi

export const startLoadBalancer = async (initial: ReadonlyArray<number>): Promise<LoadBalancer> => {
  let backends = [...initial]
  let next = 0
  let closing = 0
  const sockets = trackedSockets()
  const track = sockets.track
  const server = Net.createServer((client) => {
    track(client)
    // What the client sends before a backend accepted it, replayed to the backend that does.
    const early: Array<Buffer> = []
    const buffer = (chunk: Buffer) => early.push(chunk)
    client.on("data", buffer)
    const attempt = (tries: number) => {
      if (tries === 0 || backends.length === 0 || client.destroyed) return client.destroy()
      const port = backends[next++ % backends.length]
      const upstream = Net.connect({ host: "127.0.0.1", port })
      upstream.once("error", () => {
        upstream.destroy()
        attempt(tries - 1)
      })
      upstream.once("connect", () => {
        track(upstream)
        client.off("data", buffer)
        for (const chunk of early) upstream.write(chunk)
        client.pipe(upstream)
        upstream.on(
          "data",
          (chunk: Buffer) => (closing += chunk.toString("latin1").match(CONNECTION_CLOSE)?.length ?? 0)
        )
        upstream.pipe(client)
        client.once("close", () => upstream.destroy())
        upstream.once("close", () => client.destroy())
      })
    }
    attempt(Math.max(1, backends.length) * 2)
  })
  const port = await listenOnLoopback(server)
  return {
    port,
    setBackends: (ports) => {
      backends = [...ports]
    },
    closingAnswers: () => closing,
    close: () => closeAll(server, sockets)
  }
}

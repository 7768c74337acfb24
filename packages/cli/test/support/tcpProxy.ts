/**
 * A TCP proxy the test owns, between the replicas and PostgreSQL: it can cut every connection and refuse new ones
 * (a reset, as a database host that went away), then let them through again. The shared database is never stopped.
 */
import * as Net from "node:net"
import { closeAll, listenOnLoopback, trackedSockets } from "./sockets.js"

export interface TcpProxy {
  readonly port: number
  /** Resets every open connection and every new one until `restore`. */
  readonly cut: () => void
  readonly restore: () => void
  readonly close: () => Promise<void>
}

export const startTcpProxy = async (
  target: { readonly host: string; readonly port: number },
  options: { readonly refusing?: boolean } = {}
): Promise<TcpProxy> => {
  const sockets = trackedSockets()
  const track = sockets.track
  let refusing = options.refusing ?? false
  const server = Net.createServer((client) => {
    track(client)
    if (refusing) {
      client.resetAndDestroy()
      return
    }
    const upstream = Net.connect(target)
    track(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    client.once("close", () => upstream.destroy())
    upstream.once("close", () => client.destroy())
  })
  const port = await listenOnLoopback(server)
  return {
    port,
    cut: () => {
      refusing = true
      for (const socket of sockets.all()) socket.resetAndDestroy()
    },
    restore: () => {
      refusing = false
    },
    close: () => closeAll(server, sockets)
  }
}

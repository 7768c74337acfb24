/**
 * A TCP proxy the test owns, between the replicas and PostgreSQL: it can cut every connection and refuse new ones
 * (a reset, as a database host that went away), then let them through again. The shared database is never stopped.
 */
import * as Net from "node:net"

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
  const open = new Set<Net.Socket>()
  let refusing = options.refusing ?? false
  const track = (socket: Net.Socket) => {
    open.add(socket)
    socket.once("close", () => open.delete(socket))
    socket.on("error", () => socket.destroy())
  }
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
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve())
  })
  const port = (server.address() as Net.AddressInfo).port
  return {
    port,
    cut: () => {
      refusing = true
      for (const socket of open) socket.resetAndDestroy()
    },
    restore: () => {
      refusing = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy()
        server.close(() => resolve())
      })
  }
}

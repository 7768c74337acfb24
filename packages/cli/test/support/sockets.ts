/**
 * What the test's own TCP servers (the PostgreSQL proxy, the load balancer) share: the sockets they hold, a listener
 * on loopback, and a close that drops every connection.
 */
import * as Net from "node:net"

export interface TrackedSockets {
  /** Holds `socket` until it closes; an error destroys it (the peer went away: nothing to report). */
  readonly track: (socket: Net.Socket) => void
  readonly all: () => Iterable<Net.Socket>
}

export const trackedSockets = (): TrackedSockets => {
  const open = new Set<Net.Socket>()
  return {
    track: (socket) => {
      open.add(socket)
      socket.once("close", () => open.delete(socket))
      socket.on("error", () => socket.destroy())
    },
    all: () => open
  }
}

/** Listens on 127.0.0.1, on a port the system picks; resolves with it. */
export const listenOnLoopback = (server: Net.Server): Promise<number> =>
  new Promise<number>((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve((server.address() as Net.AddressInfo).port))
  })

/** Destroys every connection, then closes the listener. */
export const closeAll = (server: Net.Server, sockets: TrackedSockets): Promise<void> =>
  new Promise<void>((resolve) => {
    for (const socket of sockets.all()) socket.destroy()
    server.close(() => resolve())
  })

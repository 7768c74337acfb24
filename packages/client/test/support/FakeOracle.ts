/**
 * A small fake of an Oracle pod on a real socket (127.0.0.1, any port), answering from a script of recorded answers
 * and recording every request it receives, byte for byte.
 */
import { Effect, type Scope } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly rawHeaders: ReadonlyArray<string>
  readonly body: string
  /** Date.now() when the request arrived */
  readonly at: number
}

export type Reply =
  | { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string }
  | { readonly hang: true }

export interface Fake {
  readonly url: string
  readonly requests: ReadonlyArray<Recorded>
}

/** Answers the n-th request with the n-th reply, and every later one with the last. */
export const start = (replies: ReadonlyArray<Reply>): Effect.Effect<Fake, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly fake: Fake }>((resume) => {
      const requests: Array<Recorded> = []
      const server = Http.createServer((req, res) => {
        const chunks: Array<Buffer> = []
        req.on("data", (chunk: Buffer) => chunks.push(chunk))
        req.on("end", () => {
          requests.push({
            method: req.method ?? "",
            url: req.url ?? "",
            headers: req.headers,
            rawHeaders: req.rawHeaders,
            body: Buffer.concat(chunks).toString("utf8"),
            at: Date.now()
          })
          const reply = replies[Math.min(requests.length, replies.length) - 1]
          if ("hang" in reply) return
          res.writeHead(reply.status, reply.headers ?? {})
          res.end(reply.body ?? "")
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ server, fake: { url: `http://127.0.0.1:${port}`, requests } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ fake }) => fake))

/** A URL on which nothing listens: a port that was just free. */
export const closedPortUrl: Effect.Effect<string> = Effect.async<string>((resume) => {
  const server = Http.createServer()
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo
    server.close(() => resume(Effect.succeed(`http://127.0.0.1:${port}`)))
  })
})

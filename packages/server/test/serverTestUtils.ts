import { ChatAuthenticateApi } from "@chatauth/core"
import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Effect, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { CallerDirectory } from "../src/auth/CallerDirectory.js"
import * as ChatAuthServer from "../src/ChatAuthServer.js"
import type { ServerOptions } from "../src/ServerOptions.js"
import { SqliteStore } from "../src/store/SqliteStore.js"
import { tempDataDir } from "./storeTestUtils.js"

/** Cheap scrypt: what is tested does not depend on the cost. */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 }

/** Lockout rules out of the way, for tests whose deliberate failures must not lock anyone out. */
export const NO_LOCKOUTS = {
  address: { threshold: 100_000, window: "1 minute", duration: "1 minute" },
  userAddress: { threshold: 100_000, window: "1 minute", duration: "1 minute" },
  user: { threshold: 100_000, window: "1 minute", duration: "1 minute" }
} as const

export const USER = "integration-user"
export const PASSWORD = "s3cret-passw0rd"

export const basicAuth = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`

export const AUTH = basicAuth(USER, PASSWORD)

const fixturesDir = NodePath.join(NodePath.dirname(fileURLToPath(import.meta.url)), "../../core/test/fixtures")

/** Oracle's documented request (the reference's `example_request_payload.json`), as text. */
export const exampleRequestText = NodeFs.readFileSync(NodePath.join(fixturesDir, "example-request.json"), "utf8")
export const exampleRequest = JSON.parse(exampleRequestText) as Record<string, unknown>
/** Oracle's documented response. */
export const exampleResponse = JSON.parse(
  NodeFs.readFileSync(NodePath.join(fixturesDir, "example-response.json"), "utf8")
) as Record<string, unknown>

export const RESOURCE = "/crmRestApi/resources/11.13.18.05/chatAuthenticate"

/**
 * Starts a server on 127.0.0.1, a free port and (unless given) a fresh data directory, with the bootstrap caller
 * `USER`/`PASSWORD` and cheap scrypt.
 */
export const startServer = (options: ServerOptions = {}) =>
  Effect.gen(function*() {
    const dataDir = options.dataDir ?? (yield* tempDataDir)
    const server = yield* ChatAuthServer.start({
      host: "127.0.0.1",
      port: 0,
      bootstrapCaller: { username: USER, password: Redacted.make(PASSWORD) },
      print: () => {},
      ...options,
      dataDir,
      callerAuth: { scrypt: FAST_SCRYPT, ...options.callerAuth }
    }).pipe(Effect.orDie)
    return { ...server, dataDir }
  })

/** Adds callers to a data directory before a server starts on it (the store is closed again afterwards). */
export const addCallers = (
  dataDir: string,
  callers: ReadonlyArray<
    { readonly username: string; readonly password: string; readonly privileges?: ReadonlyArray<string> }
  >
) =>
  Effect.scoped(
    Effect.gen(function*() {
      const directory = yield* CallerDirectory
      for (const caller of callers) yield* directory.add(caller).pipe(Effect.orDie)
    }).pipe(
      Effect.provide(
        CallerDirectory.layer({ scrypt: FAST_SCRYPT }).pipe(
          Layer.provide(SqliteStore.layer({ dataDir })),
          Layer.orDie
        )
      )
    )
  )

/** The client derived from core's contract, with Basic credentials. */
export const makeClient = (baseUrl: string, user = USER, password = PASSWORD) =>
  HttpApiClient.make(ChatAuthenticateApi.Api, {
    baseUrl,
    transformClient: HttpClient.mapRequest(HttpClientRequest.basicAuth(user, password))
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** The same, without credentials. */
export const makeAnonymousClient = (baseUrl: string) =>
  HttpApiClient.make(ChatAuthenticateApi.Api, { baseUrl }).pipe(Effect.provide(FetchHttpClient.layer))

export interface RawResponse {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly rawHeaders: ReadonlyArray<string>
  readonly body: string
}

/** One request through `node:http` (no keep-alive), with a timeout: a hang fails the test. */
export const request = (
  url: string,
  options: {
    readonly method?: string
    readonly headers?: Record<string, string | number>
    readonly body?: string | Buffer
    readonly timeoutMs?: number
  } = {}
): Effect.Effect<RawResponse> =>
  Effect.async<RawResponse>((resume) => {
    const req = Http.request(url, {
      method: options.method ?? "GET",
      headers: { connection: "close", ...options.headers },
      agent: false
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () =>
        resume(Effect.succeed({
          status: res.statusCode ?? 0,
          headers: res.headers,
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks).toString("utf8")
        })))
      res.on("error", (error) => resume(Effect.die(error)))
    })
    req.setTimeout(options.timeoutMs ?? 15_000, () =>
      req.destroy(new Error(`timeout: ${options.method ?? "GET"} ${url}`)))
    req.on("error", (error) =>
      resume(Effect.die(error)))
    req.end(options.body)
    return Effect.sync(() => req.destroy())
  })

/** A POST of a JSON body to the resource with the bootstrap caller's credentials. */
export const post = (
  baseUrl: string,
  body: unknown,
  options: { readonly path?: string; readonly headers?: Record<string, string | number> } = {}
) =>
  request(`${baseUrl}${options.path ?? RESOURCE}`, {
    method: "POST",
    headers: { authorization: AUTH, "content-type": "application/json", ...options.headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })

export interface RawExchange {
  /** Everything the server wrote before it closed the connection (or before `timeoutMs`). */
  readonly text: string
  /** The status of the first response, 0 when none came. */
  readonly status: number
  /** Whether the server closed the connection (rather than the time running out). */
  readonly closed: boolean
}

/**
 * Writes raw bytes on a TCP connection (in parts, with pauses between them) and collects what comes back until the
 * server closes the connection or `timeoutMs` passes. For what `fetch` would refuse to send.
 */
export const rawExchange = (
  port: number,
  parts: ReadonlyArray<string | Buffer | { readonly pauseMs: number }>,
  options: { readonly timeoutMs?: number; readonly endAfterWrite?: boolean; readonly destroyAfterWrite?: boolean } = {}
): Effect.Effect<RawExchange> =>
  Effect.async<RawExchange>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    const chunks: Array<Buffer> = []
    let settled = false
    const finish = (closed: boolean) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const text = Buffer.concat(chunks).toString("latin1")
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      resume(Effect.succeed({ text, status: match === null ? 0 : Number(match[1]), closed }))
    }
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000)
    socket.on("data", (chunk: Buffer) => chunks.push(chunk))
    socket.on("end", () => finish(true))
    socket.on("close", () => finish(true))
    socket.on("error", () => finish(true))
    socket.once("connect", async () => {
      for (const part of parts) {
        if (settled) return
        if (typeof part === "object" && !Buffer.isBuffer(part)) {
          await new Promise((resolve) => setTimeout(resolve, part.pauseMs))
        } else {
          socket.write(part)
        }
      }
      if (options.destroyAfterWrite === true) finish(false)
      else if (options.endAfterWrite === true) socket.end()
    })
    return Effect.sync(() => finish(false))
  })

/** The head of a raw HTTP request with the bootstrap caller's credentials. */
export const rawHead = (
  lines: ReadonlyArray<string>,
  method = "POST",
  path = RESOURCE
): string => [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1", `Authorization: ${AUTH}`, ...lines, "", ""].join("\r\n")

/** The response header names of a raw response (lower case), and its header block. */
export const headerBlock = (text: string): { readonly names: ReadonlyArray<string>; readonly block: string } => {
  const end = text.indexOf("\r\n\r\n")
  const block = end === -1 ? text : text.slice(0, end)
  const names = block.split("\r\n").slice(1).map((line) => line.slice(0, line.indexOf(":")).toLowerCase())
  return { names, block }
}

/** Decodes a JWT's header and claims without verifying it. */
export const decodeJwt = (jwt: string) => {
  const [header, payload] = jwt.split(".")
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>
  }
}

/** A routing config file in a data directory. */
export const writeRoutingConfig = (dir: string, config: unknown) => {
  const path = NodePath.join(dir, "routing.json")
  NodeFs.writeFileSync(path, JSON.stringify(config))
  return path
}

export const TWO_SITES = {
  channelServers: [
    { chatSiteName: "site-a", domain: "chat-a.example.com", pools: ["101:1", "101:2"], weight: 1 },
    { chatSiteName: "site-b", domain: "chat-b.example.com", pools: ["201:1", "201:2", "201:3"], weight: 3 }
  ]
}

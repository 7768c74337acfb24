/**
 * Replicas of the real server, `chatauth serve` as child processes on loopback, and what drives them: the real
 * client (`@chatauth/client`, from a chosen local address), raw HTTP where the wire itself is checked, the JWKS,
 * and a poll with a deadline.
 */
import { ChatAuthClient, type ChatAuthClientError, ChatAuthRequest, type ChatAuthResult } from "@chatauth/client"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Either, Layer, ManagedRuntime, Redacted } from "effect"
import type { ChildProcess } from "node:child_process"
import * as Http from "node:http"
import { type Result, run, start } from "./childProcess.js"

export const CALLER = "svc"
export const CALLER_PASSWORD = "Replica-Test-Pass-1"

/** How soon a change made with the CLI must reach every replica (issue 7), and the slack a loaded machine gets. */
export const PROPAGATION_BOUND_MS = 2_000
export const PROPAGATION_MARGIN_MS = 1_500

/** Fast password hashing: scrypt's cost is not what these tests are about. */
export const TEST_ENV: Record<string, string> = {
  CHATAUTH_SCRYPT_N: "1024",
  CHATAUTH_SCRYPT_P: "1",
  CHATAUTH_BOOTSTRAP_CALLER: `${CALLER}:${CALLER_PASSWORD}`,
  CHATAUTH_LOG_FORMAT: "json"
}

export interface Replica {
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  readonly done: Promise<Result>
  readonly stderr: () => string
  /** SIGTERM, then SIGKILL if it has not stopped within 10 s. */
  readonly stop: () => Promise<Result>
  /** `kill -9`. */
  readonly kill: () => Promise<Result>
}

const running = new Set<Replica>()

const withDeadline = <A>(promise: Promise<A>, millis: number, what: () => string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(what())), millis)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

export interface ReplicaOptions {
  /** PostgreSQL; without it, SQLite under `dataDir`. */
  readonly databaseUrl?: string
  readonly dataDir?: string
  readonly port?: number
  readonly env?: Record<string, string>
  readonly args?: ReadonlyArray<string>
}

/** `chatauth serve --port 0 --database-url …` with the test caller; resolves once it listens. */
export const startReplica = async (options: ReplicaOptions): Promise<Replica> => {
  const args = [
    "serve",
    "--port",
    String(options.port ?? 0),
    ...(options.databaseUrl === undefined ? [] : ["--database-url", options.databaseUrl]),
    ...(options.dataDir === undefined ? [] : ["--data-dir", options.dataDir]),
    ...(options.args ?? [])
  ]
  const started = start(args, { env: { ...TEST_ENV, ...options.env } })
  let stderr = ""
  started.child.stderr!.on("data", (chunk: string) => (stderr += chunk))
  const listening = new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = () => {
      const match = started.stdout().match(/listening on (http:\/\/127\.0\.0\.1:(\d+))/)
      if (match !== null) {
        started.child.stdout!.off("data", check)
        resolve(match)
      }
    }
    started.child.stdout!.on("data", check)
    started.done.then(
      (result) =>
        reject(new Error(`serve exited (${result.code}) before listening:\n${result.stdout}\n${result.stderr}`)),
      reject
    )
  })
  const stop = async (signal: NodeJS.Signals) => {
    if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill(signal)
    const timer = setTimeout(() => started.child.kill("SIGKILL"), 10_000)
    try {
      return await started.done
    } finally {
      clearTimeout(timer)
      running.delete(replica)
    }
  }
  const replica: Replica = {
    url: "",
    port: 0,
    child: started.child,
    done: started.done,
    stderr: () => stderr,
    stop: () => stop("SIGTERM"),
    kill: () => stop("SIGKILL")
  }
  running.add(replica)
  try {
    const [, url, port] = await withDeadline(
      listening,
      60_000,
      () => `serve did not listen within 60 s:\n${started.stdout()}\n${stderr}`
    )
    return Object.assign(replica, { url, port: Number(port) })
  } catch (error) {
    await replica.kill()
    throw error
  }
}

/** Stops every replica still running (for `afterAll`, and `finally` of tests that start their own). */
export const stopAllReplicas = async (): Promise<void> => {
  await Promise.all([...running].map((replica) => replica.kill()))
}

/** `chatauth …args`, failing with its output unless it exits 0. */
export const cli = async (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly input?: string } = {}
): Promise<Result> => {
  const result = await run(args, {
    ...options,
    env: { CHATAUTH_SCRYPT_N: "1024", CHATAUTH_SCRYPT_P: "1", ...options.env }
  })
  if (result.code !== 0) {
    throw new Error(`chatauth ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`)
  }
  return result
}

export type Outcome = Either.Either<ChatAuthResult, ChatAuthClientError>

export interface CallerClient {
  readonly authenticate: (request: ChatAuthRequest.ChatAuthRequest) => Promise<Outcome>
  readonly dispose: () => Promise<void>
}

/**
 * The real client, one attempt per call, its connections made from `localAddress` (any 127.x.y.z on Linux): the
 * client address the server sees, for lockouts and the audit trail.
 */
export const callerClient = (
  baseUrl: string,
  credentials: { readonly username: string; readonly password: string },
  localAddress = "127.0.0.1"
): CallerClient => {
  const runtime = ManagedRuntime.make(
    ChatAuthClient.layer({
      baseUrl,
      username: credentials.username,
      password: Redacted.make(credentials.password),
      retry: false,
      timeout: "20 seconds"
    }).pipe(
      Layer.provide(NodeHttpClient.layerWithoutAgent),
      Layer.provide(NodeHttpClient.makeAgentLayer({ localAddress, keepAlive: true }))
    )
  )
  return {
    authenticate: (request) =>
      runtime.runPromise(Effect.either(Effect.flatMap(ChatAuthClient, (client) => client.authenticate(request)))),
    dispose: () => runtime.dispose()
  }
}

/** One authentication with a throwaway client. */
export const authenticateOnce = async (
  baseUrl: string,
  credentials: { readonly username: string; readonly password: string },
  request: ChatAuthRequest.ChatAuthRequest,
  localAddress?: string
): Promise<Outcome> => {
  const client = callerClient(baseUrl, credentials, localAddress)
  try {
    return await client.authenticate(request)
  } finally {
    await client.dispose()
  }
}

/** The tag of a refusal, or "201". */
export const statusOf = (outcome: Outcome): string => Either.isRight(outcome) ? "201" : outcome.left._tag

export interface RawAnswer {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A raw request over a fresh connection (no keep-alive), bounded by `timeoutMillis`. */
export const rawRequest = (
  url: string,
  options: {
    readonly method?: string
    readonly headers?: Record<string, string>
    readonly body?: string
    readonly localAddress?: string
    readonly timeoutMillis?: number
  } = {}
): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const request = Http.request(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      localAddress: options.localAddress,
      agent: false
    }, (response) => {
      let body = ""
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk))
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
      response.on("error", reject)
    })
    request.setTimeout(options.timeoutMillis ?? 20_000, () => request.destroy(new Error(`no answer from ${url}`)))
    request.on("error", reject)
    request.end(options.body)
  })

export const CHAT_AUTHENTICATE_PATH = "/crmRestApi/resources/11.13.18.05/chatAuthenticate"

/** POST chatAuthenticate with Basic credentials, raw. */
export const rawAuthenticate = (
  baseUrl: string,
  credentials: { readonly username: string; readonly password: string },
  body: Record<string, unknown>,
  options: { readonly frameworkVersion?: number; readonly localAddress?: string; readonly timeoutMillis?: number } = {}
): Promise<RawAnswer> =>
  rawRequest(baseUrl + CHAT_AUTHENTICATE_PATH, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`,
      "content-type": "application/vnd.oracle.adf.resourceitem+json",
      "rest-framework-version": String(options.frameworkVersion ?? 4)
    },
    body: JSON.stringify(body),
    ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    ...(options.timeoutMillis === undefined ? {} : { timeoutMillis: options.timeoutMillis })
  })

export interface Jwk {
  readonly kid: string
  readonly [key: string]: unknown
}

export const jwksOf = async (baseUrl: string): Promise<ReadonlyArray<Jwk>> => {
  const answer = await rawRequest(`${baseUrl}/.well-known/jwks.json`)
  if (answer.status !== 200) throw new Error(`JWKS of ${baseUrl}: ${answer.status} ${answer.body}`)
  return (JSON.parse(answer.body) as { keys: ReadonlyArray<Jwk> }).keys
}

/** The `kid` in a compact JWS's protected header. */
export const kidOf = (jwt: string): string =>
  (JSON.parse(Buffer.from(jwt.split(".")[0], "base64url").toString("utf8")) as { kid: string }).kid

/**
 * Calls `check` until it holds, then resolves with the milliseconds since `since`; rejects once `deadlineMillis`
 * have passed since `since` without it holding (with the last value seen).
 */
export const pollUntil = async <A>(
  check: () => Promise<{ readonly done: boolean; readonly seen: A }>,
  since: number,
  deadlineMillis: number,
  what: string
): Promise<number> => {
  for (;;) {
    const { done, seen } = await check()
    const elapsed = Date.now() - since
    if (done) return elapsed
    if (elapsed > deadlineMillis) {
      throw new Error(`${what}: not within ${deadlineMillis} ms (last seen: ${JSON.stringify(seen)})`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

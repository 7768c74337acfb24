// `pnpm bench`: in one run, on this machine and under the same load,
//   (a) the raw RS256 signing ceiling (node:crypto sign, async, 4 in flight),
//   (b) a minimal fastify + jose server (parse JSON, check Basic against a constant, sign the same token), and the
//       same committing an audit row per token in SQLite before answering (the durability ours has; its row's ratio
//       is to (b) too),
//   (c) node-oidc-provider, configured as a team would for this job (client_credentials, Basic client
//       authentication, a resource indicator, RS256 JWT access tokens of 120 s): the token server people pick
//       instead of writing one,
//   (d) our server as users run it: `chatauth serve --production` (the CLI's bundled executable), on SQLite,
//   (e) the same on PostgreSQL (one replica; a database of its own on BENCH_PG_URL, dropped afterwards),
// each server in its own child process, loaded by autocannon from this process (32 connections, Basic auth).
// The chatAuthenticate servers are loaded with two bodies in turn, on the same process: Oracle's documented example,
// and a body with every attribute of the contract set, as integrators send it (mediaList with several channels and
// errors, customFields holding a JSON object, chatPriority, resumeType, the product and incident ids, a question
// and a browser history of real sizes). node-oidc-provider gets its own token request. Prints req/s, p99, peak RSS,
// the ratios (to the reference on the same body, to node-oidc-provider, to the signing ceiling) and our ready time
// (fresh and existing data directory), and writes the table as JSON (BENCH_JSON, default bench-results.json in the
// working directory). Talks only to 127.0.0.1 and stops by itself.
//
// Soak: BENCH_SOAK_SECONDS=N loads only our SQLite server, with the every-attribute body, for N seconds in windows of
// BENCH_SOAK_WINDOW seconds (default 60) and prints each window's req/s, p99, RSS and CPU per request: a leak shows
// as RSS that keeps climbing, a slow-down as req/s or p99 that drift.
//
// Environment: BENCH_DURATION (seconds per measured run, default 10), BENCH_WARMUP (default 3),
// BENCH_CONNECTIONS (default 32), BENCH_ONLY=ours (skip the ceiling and the reference),
// BENCH_PROFILE=<dir> (run our servers with --cpu-prof: <dir>/sqlite.cpuprofile and <dir>/pg.cpuprofile),
// BENCH_NODE_FLAGS (Node flags of both servers, default none), BENCH_WORKERS=N (also `serve --workers N`, on
// SQLite; its RSS and CPU columns add up the supervisor's and the workers'), BENCH_PG_URL (the server to create the bench database on, default
// postgres://postgres@127.0.0.1:5432/test; BENCH_PG=off skips the PostgreSQL run).
import autocannon from "autocannon"
import { spawn } from "node:child_process"
import { generateKeyPairSync, sign } from "node:crypto"
import * as Fs from "node:fs"
import * as Http from "node:http"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"

const here = Path.dirname(fileURLToPath(import.meta.url))
// The CLI's executable: turbo builds it before this bench (turbo.json).
const CHATAUTH = Path.join(here, "../../cli/dist/chatauth.js")
const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const ONLY_OURS = process.env.BENCH_ONLY === "ours"
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1)
const PROFILE_DIR = process.env.BENCH_PROFILE
// None by default: both servers run as `node` runs them, as users get them.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? "").split(" ").filter(Boolean)
const CALLER = "bench-user:bench-password-123"
const PATH = "/crmRestApi/resources/11.13.18.05/chatAuthenticate"
const fixture = (name) => Fs.readFileSync(Path.join(here, "../../core/test/fixtures", name), "utf8")
// Sent as JSON.stringify writes them (no indentation), as clients send them.
const BODIES = [
  { name: "example", text: JSON.stringify(JSON.parse(fixture("example-request.json"))) },
  { name: "every attribute", text: JSON.stringify(JSON.parse(fixture("all-attributes-request.json"))) }
]
const CHAT_AUTHENTICATE = (body) => ({ path: PATH, body: body.text, contentType: "application/json", status: 201 })
const AUTHORIZATION = `Basic ${Buffer.from(CALLER).toString("base64")}`

const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const WITH_PG = process.env.BENCH_PG !== "off"
const JSON_OUT = process.env.BENCH_JSON ?? "bench-results.json"

// The issue's targets: p99 is compared with the reference's p99 in the same run.
const TARGETS = {
  ratio: 1.0,
  oidcRatio: 1.5,
  ceilingRatio: 0.75,
  rssMb: 150,
  readyMs: 1000,
  freshReadyMs: 1500,
  pgRatio: 0.8
}
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 0)
const SOAK_WINDOW = Number(process.env.BENCH_SOAK_WINDOW ?? 60)

/** Creates a database of its own on the PostgreSQL server; returns its URL and how to drop it. */
const benchDatabase = async () => {
  const name = `chatauth_bench_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: PG_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(PG_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL })
      await client.connect()
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await client.end()
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const get = (port, path) =>
  new Promise((resolve) => {
    const req = Http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode))
    })
    req.on("error", () => resolve(0))
    req.setTimeout(2000, () => req.destroy())
  })

/** One request of `work` (a path, a body, its content type and the status a success has). */
const post = (port, work) =>
  new Promise((resolve) => {
    const req = Http.request({
      host: "127.0.0.1",
      port,
      path: work.path,
      method: "POST",
      agent: false,
      headers: { authorization: AUTHORIZATION, "content-type": work.contentType }
    }, (res) => {
      const chunks = []
      res.on("data", (c) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on("error", (error) => resolve({ status: 0, body: String(error) }))
    req.end(work.body)
  })

/** Reads a /proc/<pid>/status field in MB. */
const procMb = (pid, field) => {
  try {
    const status = Fs.readFileSync(`/proc/${pid}/status`, "utf8")
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)
    return match === null ? 0 : Number(match[1]) / 1024
  } catch {
    return 0
  }
}

/**
 * CPU seconds (user + system) a process has used so far: all its threads, or only its main thread (the event loop,
 * whose time is what the hot route's code costs; signing and hashing run on libuv's pool).
 */
const cpuSeconds = (pid, mainThreadOnly = false) => {
  try {
    const stat = Fs.readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/**
 * CPU seconds used so far by the PostgreSQL server's processes on this machine (0 where /proc does not show them):
 * on a machine that runs the database too, its work per request competes with ours for the same cores.
 */
const databaseCpuSeconds = () => {
  let total = 0
  for (const entry of Fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (Fs.readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "postgres") total += cpuSeconds(entry)
    } catch {
      // Gone meanwhile.
    }
  }
  return total
}

/** `pid` and its descendants (a supervisor and its workers), as /proc lists them now. */
const processTree = (pid) => {
  let children = []
  try {
    children = Fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean)
  } catch {
    // Gone.
  }
  return [pid, ...children.flatMap((child) => processTree(Number(child)))]
}
const sumOverTree = (pid, measure) => processTree(pid).reduce((sum, p) => sum + measure(p), 0)

/** `chatauth serve` on `port`, production mode, the bench's caller created at the first start. */
const serveArgs = (
  port,
  dataDir
) => [CHATAUTH, "serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, "--production"]
/** With BENCH_PROFILE: `--cpu-prof` into that directory, the file named after the store. */
const profile = (store) =>
  PROFILE_DIR === undefined
    ? []
    : ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${store}.cpuprofile`]
const OUR_ENV = { CHATAUTH_BOOTSTRAP_CALLER: CALLER, CHATAUTH_LOG_FORMAT: "json" }

/** Spawns a server and waits for /health/ready to answer 200; returns the child and the time it took. */
const startChild = async (name, args, extraFlags = [], env = {}) => {
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [...NODE_FLAGS, ...extraFlags, ...args(port)], {
    cwd: Path.join(here, ".."),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout.on("data", (d) => (output += d))
  child.stderr.on("data", (d) => (output += d))
  let exited = false
  child.once("exit", () => (exited = true))
  for (;;) {
    if (exited) throw new Error(`${name} exited before it was ready:\n${output}`)
    if ((await get(port, "/health/ready")) === 200) break
    if (performance.now() - started > 60_000) throw new Error(`${name} not ready after 60 s:\n${output}`)
    await sleep(10)
  }
  const readyMs = performance.now() - started
  const rssAtReady = sumOverTree(child.pid, (p) => procMb(p, "VmRSS"))
  return { name, child, port, readyMs, rssAtReady, output: () => output }
}

const stopChild = async ({ child }) => {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once("exit", resolve))
  child.kill("SIGTERM")
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000)
  await exited
  clearTimeout(timer)
}

/**
 * Starts a server (`startChild`'s arguments), loads it with each of `works` in turn (a warm-up each) and stops it:
 * its rows of the table, one per work.
 */
const measure = async (works, ...startArguments) => {
  const server = await startChild(...startArguments)
  try {
    const rows = []
    for (const work of works) rows.push({ ...(await load(server, work)), body: work.name })
    return rows
  } finally {
    await stopChild(server)
  }
}

/** The chatAuthenticate servers' works: each body, the row named after it. */
const eachBody = BODIES.map((body) => ({ ...CHAT_AUTHENTICATE(body), name: body.name }))

// node-oidc-provider's token request: the same caller as its client (Basic), a token for the Channel Server's
// audience (the resource indicator; bench/oidc-provider-serve.js registers it).
const OIDC_AUDIENCE = "https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion"
const OIDC_TOKEN_REQUEST = {
  name: "token request",
  path: "/token",
  body: `grant_type=client_credentials&scope=chat&resource=${encodeURIComponent(OIDC_AUDIENCE)}`,
  contentType: "application/x-www-form-urlencoded",
  status: 200
}

const cannon = (port, work, duration) =>
  new Promise((resolve, reject) => {
    autocannon({
      url: `http://127.0.0.1:${port}${work.path}`,
      method: "POST",
      connections: CONNECTIONS,
      duration,
      headers: { authorization: AUTHORIZATION, "content-type": work.contentType },
      body: work.body
    }, (error, result) => (error ? reject(error) : resolve(result)))
  })

const load = async (server, work, { duration = DURATION, warmup = WARMUP } = {}) => {
  const first = await post(server.port, work)
  if (first.status !== work.status) throw new Error(`${server.name} answered ${first.status}: ${first.body}`)
  if (warmup > 0) await cannon(server.port, work, warmup)
  let peakRss = sumOverTree(server.child.pid, (p) => procMb(p, "VmRSS"))
  const sampler = setInterval(
    () => (peakRss = Math.max(peakRss, sumOverTree(server.child.pid, (p) => procMb(p, "VmRSS")))),
    50
  )
  const cpuBefore = sumOverTree(server.child.pid, (p) => cpuSeconds(p))
  const mainBefore = sumOverTree(server.child.pid, (p) => cpuSeconds(p, true))
  const databaseBefore = databaseCpuSeconds()
  const result = await cannon(server.port, work, duration)
  const cpuUsed = sumOverTree(server.child.pid, (p) => cpuSeconds(p)) - cpuBefore
  const mainUsed = sumOverTree(server.child.pid, (p) => cpuSeconds(p, true)) - mainBefore
  const databaseUsed = databaseCpuSeconds() - databaseBefore
  clearInterval(sampler)
  const hwm = sumOverTree(server.child.pid, (p) => procMb(p, "VmHWM"))
  return {
    name: server.name,
    reqPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    cpuMsPerRequest: (cpuUsed * 1000) / Math.max(1, result.requests.total),
    mainThreadMsPerRequest: (mainUsed * 1000) / Math.max(1, result.requests.total),
    databaseCpuMsPerRequest: (databaseUsed * 1000) / Math.max(1, result.requests.total),
    errors: result.errors + result.timeouts,
    peakRssMb: Math.max(peakRss, hwm),
    rssAtEndMb: sumOverTree(server.child.pid, (p) => procMb(p, "VmRSS")),
    readyMs: server.readyMs,
    rssAtReadyMb: server.rssAtReady
  }
}

/** node:crypto RS256 signing, asynchronous (libuv thread pool), 4 in flight, for `seconds`. */
const signingCeiling = async (seconds) => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const input = Buffer.from(
    "eyJhbGciOiJSUzI1NiJ9." + Buffer.from(JSON.stringify({ sub: "x".repeat(40) })).toString("base64url")
  )
  const signOnce = () =>
    new Promise((resolve, reject) => sign("sha256", input, privateKey, (e, s) => (e ? reject(e) : resolve(s))))
  const until = performance.now() + seconds * 1000
  let count = 0
  const worker = async () => {
    while (performance.now() < until) {
      await signOnce()
      count++
    }
  }
  const t0 = performance.now()
  await Promise.all([worker(), worker(), worker(), worker()])
  return count / ((performance.now() - t0) / 1000)
}

const fmt = (n, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
const mark = (ok) => (ok ? "ok" : "MISSED")

/** BENCH_SOAK_SECONDS: our SQLite server under the every-attribute body for that long, a line per window. */
const soak = async () => {
  const work = eachBody[eachBody.length - 1]
  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-soak-"))
  const server = await startChild("chatauth sqlite", (port) => serveArgs(port, dataDir), [], OUR_ENV)
  const windows = []
  try {
    await cannon(server.port, work, WARMUP)
    console.log(`soak: ${work.name} body, ${SOAK_SECONDS} s in windows of ${SOAK_WINDOW} s\n`)
    console.log(
      ["minute", "req/s", "p50 ms", "p99 ms", "peak RSS MB", "RSS end MB", "CPU ms/req", "non-2xx", "errors"].map((
        title,
        i
      ) => (i === 0 ? title.padEnd(7) : title.padStart(12))).join(" ")
    )
    for (let elapsed = 0; elapsed < SOAK_SECONDS; elapsed += SOAK_WINDOW) {
      const duration = Math.min(SOAK_WINDOW, SOAK_SECONDS - elapsed)
      const row = { ...(await load(server, work, { duration, warmup: 0 })), endsAtSeconds: elapsed + duration }
      windows.push(row)
      console.log(
        [
          fmt((elapsed + duration) / 60, 1).padEnd(7),
          ...[
            fmt(row.reqPerSec),
            fmt(row.p50),
            fmt(row.p99),
            fmt(row.peakRssMb),
            fmt(row.rssAtEndMb),
            fmt(row.cpuMsPerRequest, 2),
            String(row.non2xx),
            String(row.errors)
          ].map((cell) => cell.padStart(12))
        ].join(" ")
      )
    }
  } finally {
    await stopChild(server)
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }
  const first = windows[0]
  const last = windows[windows.length - 1]
  console.log(
    `\nfirst window to last: req/s ${fmt(first.reqPerSec)} -> ${fmt(last.reqPerSec)}, p99 ${fmt(first.p99)} -> ${
      fmt(last.p99)
    } ms, RSS at the end ${fmt(first.rssAtEndMb)} -> ${fmt(last.rssAtEndMb)} MB; peak RSS ${
      fmt(Math.max(...windows.map((w) => w.peakRssMb)))
    } MB`
  )
  Fs.writeFileSync(
    JSON_OUT,
    JSON.stringify({ at: new Date().toISOString(), node: process.version, soakSeconds: SOAK_SECONDS, windows }, null, 2)
  )
  console.log(`results written to ${Path.resolve(JSON_OUT)}`)
}

const main = async () => {
  console.log(
    `node ${process.version}, ${Os.cpus().length} CPUs, load average ${Os.loadavg().map((l) => l.toFixed(1)).join(" ")}`
  )
  console.log(
    `autocannon: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s, Basic auth; POST ${PATH} with ${
      BODIES.map((b) => `the ${b.name} body (${b.text.length} B)`).join(" and ")
    }\n`
  )
  if (SOAK_SECONDS > 0) return soak()
  let ceiling
  let reference = []
  let durableReference = []
  let oidc
  if (!ONLY_OURS) {
    ceiling = await signingCeiling(3)
    console.log(`raw RS256 ceiling (node:crypto async, 4 in flight): ${fmt(ceiling)} signatures/s`)
    reference = await measure(
      eachBody,
      "fastify+jose",
      (port) => [Path.join(here, "fastify-serve.js"), String(port), CALLER]
    )
    // The same, committing an audit row per token before answering, as ours does: what that durability costs.
    const auditDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-reference-"))
    try {
      durableReference = await measure(
        eachBody,
        "fastify+jose+audit",
        (port) => [Path.join(here, "fastify-serve.js"), String(port), CALLER, Path.join(auditDir, "audit.db")]
      )
    } finally {
      Fs.rmSync(auditDir, { recursive: true, force: true })
    }
    ;[oidc] = await measure(
      [OIDC_TOKEN_REQUEST],
      "node-oidc-provider",
      (port) => [Path.join(here, "oidc-provider-serve.js"), String(port), CALLER]
    )
  }

  const dataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-"))
  const ourArgs = (port) => serveArgs(port, dataDir)
  let ours
  let freshReadyMs
  try {
    // First start: a fresh data directory (key and certificate generated, caller hashed).
    const fresh = await startChild("chatauth (fresh data dir)", ourArgs, [], OUR_ENV)
    freshReadyMs = fresh.readyMs
    await stopChild(fresh)
    // Second start on the same data directory: what a restart costs. This one is loaded.
    ours = await measure(eachBody, "chatauth sqlite", ourArgs, profile("sqlite"), OUR_ENV)
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }

  // `chatauth serve --workers N` on SQLite, on the same cores as every other row.
  let withWorkers = []
  if (WORKERS > 1) {
    const workersDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-workers-"))
    try {
      const args = (port) => [...serveArgs(port, workersDir), "--workers", String(WORKERS)]
      withWorkers = await measure(eachBody, `chatauth ${WORKERS} workers`, args, [], OUR_ENV)
    } finally {
      Fs.rmSync(workersDir, { recursive: true, force: true })
    }
  }

  let onPg = []
  if (WITH_PG) {
    const database = await benchDatabase()
    const pgDataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-pg-"))
    try {
      const pgArgs = (port) => [...serveArgs(port, pgDataDir), "--database-url", database.url]
      const fresh = await startChild("chatauth pg (fresh)", pgArgs, [], OUR_ENV)
      await stopChild(fresh)
      onPg = await measure(eachBody, "chatauth pg", pgArgs, profile("pg"), OUR_ENV)
      for (const row of onPg) row.freshReadyMs = fresh.readyMs
    } finally {
      await database.drop()
      Fs.rmSync(pgDataDir, { recursive: true, force: true })
    }
  }

  for (const row of ours) row.freshReadyMs = freshReadyMs
  const rows = [...reference, ...durableReference, oidc, ...ours, ...withWorkers, ...onPg].filter(Boolean)
  // Each row's ratio is to the reference loaded with the same body (node-oidc-provider's has no such reference).
  const referenceFor = (row) => reference.find((r) => r.body === row.body)
  for (const r of rows) {
    const same = referenceFor(r)
    r.ratioToReference = same === undefined ? null : r.reqPerSec / same.reqPerSec
  }
  const columns = [
    ["server", 20, (r) => r.name],
    ["body", 16, (r) => r.body],
    ["req/s", 7, (r) => fmt(r.reqPerSec)],
    ["x ref", 6, (r) => (r.ratioToReference === null ? "-" : fmt(r.ratioToReference, 2))],
    ["p50 ms", 7, (r) => fmt(r.p50)],
    ["p99 ms", 7, (r) => fmt(r.p99)],
    ["peak RSS MB", 12, (r) => fmt(r.peakRssMb)],
    ["RSS ready MB", 13, (r) => fmt(r.rssAtReadyMb)],
    ["ready ms", 9, (r) => fmt(r.readyMs)],
    ["fresh ready ms", 15, (r) => (r.freshReadyMs === undefined ? "-" : fmt(r.freshReadyMs))],
    ["CPU ms/req", 11, (r) => fmt(r.cpuMsPerRequest, 2)],
    ["main ms/req", 12, (r) => fmt(r.mainThreadMsPerRequest, 3)],
    ["db CPU ms/req", 14, (r) => fmt(r.databaseCpuMsPerRequest, 2)],
    ["non-2xx", 8, (r) => String(r.non2xx)],
    ["errors", 7, (r) => String(r.errors)]
  ]
  const line = (cells) => cells.map((cell, i) => (i < 2 ? cell.padEnd(columns[i][1]) : cell.padStart(columns[i][1])))
  console.log("")
  console.log(line(columns.map(([title]) => title)).join(" "))
  for (const r of rows) console.log(line(columns.map(([, , cell]) => cell(r))).join(" "))
  console.log("")

  const perBody = ours.map((row) => {
    const same = referenceFor(row)
    const durable = durableReference.find((r) => r.body === row.body)
    const pg = onPg.find((r) => r.body === row.body)
    return {
      body: row.body,
      ratioToReference: row.ratioToReference,
      ratioToDurableReference: durable === undefined ? null : row.reqPerSec / durable.reqPerSec,
      ratioToOidcProvider: oidc === undefined ? null : row.reqPerSec / oidc.reqPerSec,
      ratioToCeiling: ceiling === undefined ? null : row.reqPerSec / ceiling,
      postgresToSqlite: pg === undefined ? null : pg.reqPerSec / row.reqPerSec,
      p99: row.p99,
      referenceP99: same === undefined ? null : same.p99
    }
  })
  if (ceiling !== undefined) {
    console.log(`raw RS256 ceiling: ${fmt(ceiling)} signatures/s; node-oidc-provider ${fmt(oidc.reqPerSec)} req/s`)
    for (const r of perBody) {
      console.log(
        `${r.body} body: ours ${fmt(r.ratioToReference, 2)}x the reference, ${
          fmt(r.ratioToDurableReference, 2)
        }x the reference with its audit row, ${fmt(r.ratioToOidcProvider, 2)}x node-oidc-provider, ${
          fmt(r.ratioToCeiling, 2)
        } of the ceiling; p99 ${fmt(r.p99)} ms against ${fmt(r.referenceP99)} ms`
      )
    }
  }
  const [bare] = ours
  const checks = [
    ...perBody.flatMap((r) => [
      [
        `${r.body}: throughput / reference`,
        r.ratioToReference,
        (v) => `${fmt(v, 2)}x`,
        (v) => v >= TARGETS.ratio,
        `>= ${TARGETS.ratio}x`
      ],
      [
        `${r.body}: throughput / oidc-provider`,
        r.ratioToOidcProvider,
        (v) => `${fmt(v, 2)}x`,
        (v) => v >= TARGETS.oidcRatio,
        `>= ${TARGETS.oidcRatio}x`
      ],
      [
        `${r.body}: throughput / ceiling`,
        r.ratioToCeiling,
        (v) => fmt(v, 2),
        (v) => v >= TARGETS.ceilingRatio,
        `>= ${TARGETS.ceilingRatio}`
      ],
      [
        `${r.body}: p99`,
        r.p99,
        (v) => `${fmt(v)} ms`,
        (v) => r.referenceP99 === null || v <= r.referenceP99,
        "<= the reference's"
      ],
      [
        `${r.body}: PostgreSQL / SQLite`,
        r.postgresToSqlite,
        (v) => `${fmt(v, 2)}x`,
        (v) => v >= TARGETS.pgRatio,
        `>= ${TARGETS.pgRatio}x`
      ]
    ]),
    [
      "peak RSS (both bodies)",
      Math.max(...ours.map((r) => r.peakRssMb)),
      (v) => `${fmt(v)} MB`,
      (v) => v <= TARGETS.rssMb,
      `<= ${TARGETS.rssMb} MB`
    ],
    [
      "ready, existing data",
      bare.readyMs,
      (v) => `${fmt(v)} ms`,
      (v) => v <= TARGETS.readyMs,
      `<= ${TARGETS.readyMs} ms`
    ],
    [
      "ready, fresh data",
      freshReadyMs,
      (v) => `${fmt(v)} ms`,
      (v) => v <= TARGETS.freshReadyMs,
      `<= ${TARGETS.freshReadyMs} ms`
    ]
  ]
  for (const [what, value, show, ok, target] of checks) {
    if (value === null || value === undefined) continue
    console.log(`${what.padEnd(44)} ${show(value).padStart(10)}  target ${target}: ${mark(ok(value))}`)
  }
  Fs.writeFileSync(
    JSON_OUT,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        node: process.version,
        cpus: Os.cpus().length,
        loadAverage: Os.loadavg(),
        connections: CONNECTIONS,
        durationSeconds: DURATION,
        nodeFlags: NODE_FLAGS,
        bodies: BODIES.map((b) => ({ name: b.name, bytes: b.text.length })),
        rawSigningCeiling: ceiling ?? null,
        freshReadyMs,
        servers: rows,
        ratios: perBody,
        targets: TARGETS
      },
      null,
      2
    )
  )
  console.log(`results written to ${Path.resolve(JSON_OUT)}`)
  for (const r of [...ours, ...onPg]) {
    if (r.non2xx > 0 || r.errors > 0) {
      console.log(`WARNING: ${r.name} (${r.body} body) answered ${r.non2xx} non-2xx and ${r.errors} errors`)
    }
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)

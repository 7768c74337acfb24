// `pnpm bench`: in one run, on this machine and under the same load,
//   (a) the raw RS256 signing ceiling (node:crypto sign, async, 4 in flight),
//   (b) a minimal fastify + jose server (parse JSON, check Basic against a constant, sign the same token), and the
//       same committing an audit row per token in SQLite before answering (the durability ours has; its row's ratio
//       is to (b) too),
//   (c) our server as users run it: `chatauth serve --production` (the CLI's bundled executable), on SQLite,
//   (d) the same on PostgreSQL (one replica; a database of its own on BENCH_PG_URL, dropped afterwards),
// each server in its own child process, loaded by autocannon from this process (32 connections, the documented
// example request, Basic auth). Prints req/s, p99, peak RSS, the ratios, and our ready time (fresh and existing data
// directory), and writes the table as JSON (BENCH_JSON, default bench-results.json in the working directory).
// Talks only to 127.0.0.1 and stops by itself.
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
const BODY = Fs.readFileSync(Path.join(here, "../../core/test/fixtures/example-request.json"), "utf8")
const AUTHORIZATION = `Basic ${Buffer.from(CALLER).toString("base64")}`

const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const WITH_PG = process.env.BENCH_PG !== "off"
const JSON_OUT = process.env.BENCH_JSON ?? "bench-results.json"

// The targets: p99 is compared with the reference's p99 in the same run.
const TARGETS = { ratio: 1.0, rssMb: 150, readyMs: 1000, freshReadyMs: 1500, pgRatio: 0.8 }

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

const post = (port) =>
  new Promise((resolve) => {
    const req = Http.request({
      host: "127.0.0.1",
      port,
      path: PATH,
      method: "POST",
      agent: false,
      headers: { authorization: AUTHORIZATION, "content-type": "application/json" }
    }, (res) => {
      const chunks = []
      res.on("data", (c) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }))
    })
    req.on("error", (error) => resolve({ status: 0, body: String(error) }))
    req.end(BODY)
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

/** Starts a server (`startChild`'s arguments), loads it and stops it: its row of the table. */
const measure = async (...startArguments) => {
  const server = await startChild(...startArguments)
  try {
    return await load(server)
  } finally {
    await stopChild(server)
  }
}

const cannon = (port, duration) =>
  new Promise((resolve, reject) => {
    autocannon({
      url: `http://127.0.0.1:${port}${PATH}`,
      method: "POST",
      connections: CONNECTIONS,
      duration,
      headers: { authorization: AUTHORIZATION, "content-type": "application/json" },
      body: BODY
    }, (error, result) => (error ? reject(error) : resolve(result)))
  })

const load = async (server) => {
  const first = await post(server.port)
  if (first.status !== 201) throw new Error(`${server.name} answered ${first.status}: ${first.body}`)
  await cannon(server.port, WARMUP)
  let peakRss = sumOverTree(server.child.pid, (p) => procMb(p, "VmRSS"))
  const sampler = setInterval(
    () => (peakRss = Math.max(peakRss, sumOverTree(server.child.pid, (p) => procMb(p, "VmRSS")))),
    50
  )
  const cpuBefore = sumOverTree(server.child.pid, (p) => cpuSeconds(p))
  const mainBefore = sumOverTree(server.child.pid, (p) => cpuSeconds(p, true))
  const databaseBefore = databaseCpuSeconds()
  const result = await cannon(server.port, DURATION)
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

const main = async () => {
  console.log(
    `node ${process.version}, ${Os.cpus().length} CPUs, load average ${Os.loadavg().map((l) => l.toFixed(1)).join(" ")}`
  )
  console.log(
    `autocannon: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s, POST ${PATH}, ${BODY.length} B body, Basic auth\n`
  )
  let ceiling
  let reference
  let durableReference
  if (!ONLY_OURS) {
    ceiling = await signingCeiling(3)
    console.log(`raw RS256 ceiling (node:crypto async, 4 in flight): ${fmt(ceiling)} signatures/s`)
    reference = await measure("fastify+jose", (port) => [Path.join(here, "fastify-serve.js"), String(port), CALLER])
    // The same, committing an audit row per token before answering, as ours does: what that durability costs.
    const auditDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-reference-"))
    try {
      durableReference = await measure(
        "fastify+jose+audit",
        (port) => [Path.join(here, "fastify-serve.js"), String(port), CALLER, Path.join(auditDir, "audit.db")]
      )
    } finally {
      Fs.rmSync(auditDir, { recursive: true, force: true })
    }
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
    ours = await measure("chatauth sqlite", ourArgs, profile("sqlite"), OUR_ENV)
  } finally {
    Fs.rmSync(dataDir, { recursive: true, force: true })
  }

  // `chatauth serve --workers N` on SQLite, on the same cores as every other row.
  let withWorkers
  if (WORKERS > 1) {
    const workersDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-workers-"))
    try {
      const args = (port) => [...serveArgs(port, workersDir), "--workers", String(WORKERS)]
      withWorkers = await measure(`chatauth ${WORKERS} workers`, args, [], OUR_ENV)
    } finally {
      Fs.rmSync(workersDir, { recursive: true, force: true })
    }
  }

  let onPg
  if (WITH_PG) {
    const database = await benchDatabase()
    const pgDataDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "chatauth-bench-pg-"))
    try {
      const pgArgs = (port) => [...serveArgs(port, pgDataDir), "--database-url", database.url]
      const fresh = await startChild("chatauth pg (fresh)", pgArgs, [], OUR_ENV)
      await stopChild(fresh)
      onPg = await measure("chatauth pg", pgArgs, profile("pg"), OUR_ENV)
      onPg.freshReadyMs = fresh.readyMs
    } finally {
      await database.drop()
      Fs.rmSync(pgDataDir, { recursive: true, force: true })
    }
  }

  ours.freshReadyMs = freshReadyMs
  const rows = [reference, durableReference, ours, withWorkers, onPg].filter(Boolean)
  for (const r of rows) r.ratioToReference = reference === undefined ? null : r.reqPerSec / reference.reqPerSec
  const columns = [
    ["server", 20, (r) => r.name],
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
  console.log("")
  console.log(columns.map(([title, width], i) => (i === 0 ? title.padEnd(width) : title.padStart(width))).join(" "))
  for (const r of rows) {
    console.log(
      columns.map(([, width, cell], i) => (i === 0 ? cell(r).padEnd(width) : cell(r).padStart(width))).join(" ")
    )
  }
  console.log("")
  if (ceiling !== undefined) {
    console.log(
      `raw RS256 ceiling: ${fmt(ceiling)} signatures/s; ours ${
        fmt(ours.reqPerSec / ceiling, 2)
      }x of it, the reference ${fmt(reference.reqPerSec / ceiling, 2)}x`
    )
    console.log(
      `against the reference that also commits an audit row per token: ours ${
        fmt(ours.reqPerSec / durableReference.reqPerSec, 2)
      }x its throughput, p99 ${fmt(ours.p99)} ms against ${fmt(durableReference.p99)} ms`
    )
  }
  const checks = [
    [
      "throughput, ratio to the reference",
      ours.ratioToReference,
      (v) => `${fmt(v, 2)}x`,
      (v) => v >= TARGETS.ratio,
      `>= ${TARGETS.ratio}x`
    ],
    [
      "p99",
      ours.p99,
      (v) => `${fmt(v)} ms`,
      (v) => reference === undefined || v <= reference.p99,
      "<= the reference's"
    ],
    ["peak RSS", ours.peakRssMb, (v) => `${fmt(v)} MB`, (v) => v <= TARGETS.rssMb, `<= ${TARGETS.rssMb} MB`],
    [
      "ready, existing data",
      ours.readyMs,
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
    ],
    ...(onPg === undefined ? [] : [[
      "PostgreSQL / SQLite throughput",
      onPg.reqPerSec / ours.reqPerSec,
      (v) => `${fmt(v, 2)}x`,
      (v) => v >= TARGETS.pgRatio,
      `>= ${TARGETS.pgRatio}x`
    ]])
  ]
  for (const [what, value, show, ok, target] of checks) {
    if (value === null || value === undefined) continue
    console.log(`${what.padEnd(34)} ${show(value).padStart(10)}  target ${target}: ${mark(ok(value))}`)
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
        rawSigningCeiling: ceiling ?? null,
        freshReadyMs,
        servers: rows,
        ratios: {
          oursToReference: ours.ratioToReference,
          oursToDurableReference: durableReference === undefined ? null : ours.reqPerSec / durableReference.reqPerSec,
          postgresToReference: onPg === undefined ? null : onPg.ratioToReference,
          postgresToSqlite: onPg === undefined ? null : onPg.reqPerSec / ours.reqPerSec
        },
        targets: TARGETS
      },
      null,
      2
    )
  )
  console.log(`results written to ${Path.resolve(JSON_OUT)}`)
  for (const r of [ours, onPg].filter(Boolean)) {
    if (r.non2xx > 0 || r.errors > 0) {
      console.log(`WARNING: ${r.name} answered ${r.non2xx} non-2xx and ${r.errors} errors`)
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

/**
 * `chatauth serve --workers N`: N processes (node:cluster) serving one port and one store, for machines with more
 * cores than one Node main thread can use.
 *
 * The primary process only supervises. It starts the first worker alone: that one does what a start does once (the
 * store's migrations, the signing key, the bootstrap or development caller) and prints the start-up lines. The
 * others start once it is ready, with nothing left to do but listen, and print nothing (their lines would repeat
 * the first's). The workers share the listening socket (node:cluster hands out the connections) and the store,
 * which already serves several replicas: callers, keys, lockouts, assignments and the audit trail are the same in
 * every worker.
 *
 * A worker that dies once serving is replaced, a second later (its open requests are lost; the others go on). One
 * that cannot start ends the whole with 1: its own line says why. SIGTERM or SIGINT to the primary stops every
 * worker gracefully; the primary ends with 0 when they all did.
 *
 * @internal
 */
import type { ServerOptions } from "@chatauth/server/ServerOptions"
import { Effect } from "effect"
import cluster, { type Worker } from "node:cluster"

/** The environment variable that tells a worker its part: `first` (the start-up) or `other`. */
const ROLE_VARIABLE = "CHATAUTH_WORKER_ROLE"

/** This process's part: `undefined` outside a cluster, the primary included. */
export const workerRole = (): "first" | "other" | undefined =>
  cluster.isWorker ? (process.env[ROLE_VARIABLE] === "first" ? "first" : "other") : undefined

/** Where `serve` prints by default: a line on standard output. */
const printLine = (line: string) => {
  process.stdout.write(`${line}\n`)
}

interface ReadyMessage {
  readonly chatauth: "ready"
  readonly url: string
}

const isReady = (message: unknown): message is ReadyMessage =>
  typeof message === "object" && message !== null && (message as { chatauth?: unknown }).chatauth === "ready"

/**
 * A worker's server options: the first worker prints the start-up lines (the others would only repeat them), and
 * nothing once ready, since the supervisor speaks for the whole from then on (stopping, stopped, replacements);
 * every worker tells the supervisor when it is ready.
 */
export const workerOptions = (options: ServerOptions, role: "first" | "other"): ServerOptions => {
  let ready = false
  const print = options.print ?? printLine
  return {
    ...options,
    print: (line) => {
      if (role === "first" && !ready) print(line)
    },
    onReady: (url) => {
      ready = true
      const message: ReadyMessage = { chatauth: "ready", url }
      process.send?.(message)
    }
  }
}

const RESTART_DELAY_MS = 1000

/**
 * Runs `count` workers until they stop: `undefined` when they all stopped on a signal (or on this effect's
 * interruption, which stops them and waits for them), or why the whole could not run.
 */
export const supervise = (
  count: number,
  print: (line: string) => void = printLine
): Effect.Effect<string | undefined> =>
  Effect.async((resume) => {
    const ended = (failure: string | undefined) => resume(Effect.succeed(failure))
    let onEnd = ended
    const alive = new Set<Worker>()
    const ready = new Set<Worker>()
    let stopping = false
    let failure: string | undefined
    let announced = false

    const finishIfDone = () => {
      if (stopping && alive.size === 0) {
        process.off("SIGTERM", stop)
        process.off("SIGINT", stop)
        if (failure === undefined) print("chatauth: stopped")
        onEnd(failure)
      }
    }

    const stop = () => {
      if (!stopping && failure === undefined) print("chatauth: stopping")
      stopping = true
      for (const worker of alive) worker.process.kill("SIGTERM")
      finishIfDone()
    }

    const fork = (role: "first" | "other") => {
      const worker = cluster.fork({ [ROLE_VARIABLE]: role })
      alive.add(worker)
      worker.on("message", (message: unknown) => {
        if (!isReady(message)) return
        ready.add(worker)
        if (role === "first" && !announced) { for (let i = 1; i < count; i++) fork("other") }
        if (!announced && ready.size === count) {
          announced = true
          const pids = [...ready].map((w) => w.process.pid).join(", ")
          print(
            `chatauth: ${count} workers on ${message.url} (processes ${pids}; this one, ${process.pid}, supervises)`
          )
        }
      })
      worker.on("exit", (code, signal) => {
        alive.delete(worker)
        const wasReady = ready.delete(worker)
        if (stopping) return finishIfDone()
        if (!wasReady && !announced) {
          failure = `a worker could not start (exit ${signal ?? code})`
          return stop()
        }
        // Once the whole has started, a worker that ends (or cannot start again) is replaced.
        print(`chatauth: worker ${worker.process.pid} ended (${signal ?? `exit ${code}`}); starting another`)
        setTimeout(() => {
          if (!stopping) fork("other")
        }, RESTART_DELAY_MS)
      })
    }

    process.once("SIGTERM", stop)
    process.once("SIGINT", stop)
    fork("first")
    // Interrupted (the CLI's runtime does so on SIGINT and SIGTERM): the workers stop, and the interruption waits.
    return Effect.async<void>((resumeStop) => {
      onEnd = () => resumeStop(Effect.void)
      stop()
    })
  })

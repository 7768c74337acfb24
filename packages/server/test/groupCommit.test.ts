import { describe, expect, it } from "@effect/vitest"
import { Cause, Deferred, Effect, Exit, Fiber, Option, Scope } from "effect"
import * as GroupCommit from "../src/store/internal/groupCommit.js"
import { firstCallGate } from "./support/firstCallGate.js"

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** A writer that records its batches; the first write waits for `release` (a commit in flight). */
const gatedWriter = Effect.gen(function*() {
  const batches: Array<ReadonlyArray<number>> = []
  const gate = yield* firstCallGate
  const write = (items: ReadonlyArray<number>) =>
    Effect.zipRight(Effect.sync(() => void batches.push(items)), gate.pass)
  return { batches, firstStarted: gate.firstStarted, release: gate.release, write }
})

const queued = (commit: GroupCommit.GroupCommit<number>, count: number) =>
  Effect.gen(function*() {
    while (commit.pending() < count) yield* Effect.yieldNow()
  })

describe("groupCommit", () => {
  it.scoped("with parallel 2 the next batch is written while one commits, and settled only after it", () =>
    Effect.gen(function*() {
      const writer = yield* gatedWriter
      const commit = yield* GroupCommit.make<number>({ linger: 0, parallel: 2, write: writer.write })
      const first = yield* Effect.fork(commit.submit(0))
      yield* Deferred.await(writer.firstStarted)
      const second = yield* Effect.fork(commit.submit(1))
      while (writer.batches.length < 2) yield* Effect.yieldNow()
      expect(writer.batches).toEqual([[0], [1]])
      // The second write has ended; its submitter still waits for the first batch.
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      expect(yield* Fiber.poll(second)).toEqual(Option.none())
      yield* Deferred.succeed(writer.release, undefined)
      expect(yield* Fiber.await(first)).toEqual(Exit.void)
      expect(yield* Fiber.await(second)).toEqual(Exit.void)
    }))

  it.scoped("with parallel 1 the next batch waits for the commit in flight", () =>
    Effect.gen(function*() {
      const writer = yield* gatedWriter
      const commit = yield* GroupCommit.make<number>({ linger: 0, parallel: 1, write: writer.write })
      const first = yield* Effect.fork(commit.submit(0))
      yield* Deferred.await(writer.firstStarted)
      const second = yield* Effect.fork(commit.submit(1))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      expect(writer.batches).toEqual([[0]])
      yield* Deferred.succeed(writer.release, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(writer.batches).toEqual([[0], [1]])
    }))

  it.scoped("what queues while a write is in flight goes into the next write, whole and in order", () =>
    Effect.gen(function*() {
      const writer = yield* gatedWriter
      const commit = yield* GroupCommit.make<number>({ linger: 0, write: writer.write })
      const first = yield* Effect.fork(commit.submit(0))
      yield* Deferred.await(writer.firstStarted)
      const rest = yield* Effect.fork(Effect.forEach(range(1, 50), commit.submit, { concurrency: "unbounded" }))
      yield* queued(commit, 50)
      yield* Deferred.succeed(writer.release, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(rest)
      expect(writer.batches).toEqual([[0], range(1, 50)])
      expect(commit.pending()).toBe(0)
    }))

  it.scoped("batches hold at most maxBatch items and keep the order items were queued in", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<number>> = []
      const commit = yield* GroupCommit.make<number>({
        linger: 0,
        maxBatch: 4,
        write: (items) => Effect.sync(() => void batches.push(items))
      })
      for (const i of range(1, 10)) commit.enqueue(i)
      yield* commit.submit(11)
      expect(batches.flat()).toEqual(range(1, 11))
      expect(batches.every((batch) => batch.length <= 4)).toBe(true)
      expect(batches.length).toBe(3)
    }))

  it.scoped("a submitter is released only once its batch is written", () =>
    Effect.gen(function*() {
      const writer = yield* gatedWriter
      const commit = yield* GroupCommit.make<number>({ linger: 0, write: writer.write })
      const first = yield* Effect.fork(commit.submit(1))
      yield* Deferred.await(writer.firstStarted)
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      expect(first.unsafePoll()).toBe(null)
      yield* Deferred.succeed(writer.release, undefined)
      expect(yield* Fiber.await(first)).toEqual(Exit.void)
    }))

  it.scoped("a failed write fails every submitter of its batch with its defect; later batches are written", () =>
    Effect.gen(function*() {
      const written: Array<ReadonlyArray<number>> = []
      const firstStarted = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      const boom = new Error("the store is down")
      let writes = 0
      const commit = yield* GroupCommit.make<number>({
        linger: 0,
        write: (items) =>
          Effect.gen(function*() {
            writes++
            if (writes === 1) {
              yield* Deferred.succeed(firstStarted, undefined)
              yield* Deferred.await(release)
            }
            if (items.includes(-1)) return yield* Effect.die(boom)
            written.push(items)
          })
      })
      const first = yield* Effect.fork(commit.submit(0))
      yield* Deferred.await(firstStarted)
      const failing = yield* Effect.forEach([1, -1, 2], (i) => Effect.fork(commit.submit(i)))
      commit.enqueue(3)
      yield* queued(commit, 4)
      yield* Deferred.succeed(release, undefined)
      expect(yield* Fiber.await(first)).toEqual(Exit.void)
      for (const fiber of failing) {
        const exit = yield* Fiber.await(fiber)
        expect(Exit.isFailure(exit) && Option.getOrUndefined(Cause.dieOption(exit.cause))).toBe(boom)
      }
      yield* commit.submit(4)
      // The un-awaited item went down with its batch; nothing is retried behind the submitters' backs.
      expect(written).toEqual([[0], [4]])
    }))

  it.scoped("past capacity, enqueue drops the un-awaited items waiting, never a submitted one", () =>
    Effect.gen(function*() {
      const writer = yield* gatedWriter
      const dropped: Array<number> = []
      const commit = yield* GroupCommit.make<number>({
        linger: 0,
        maxBatch: 1,
        capacity: 5,
        write: writer.write,
        onDropped: (count) => dropped.push(count)
      })
      const first = yield* Effect.fork(commit.submit(0))
      yield* Deferred.await(writer.firstStarted)
      const submitted = yield* Effect.fork(Effect.forEach([101, 102], commit.submit, { concurrency: "unbounded" }))
      yield* queued(commit, 2)
      for (const i of [201, 202, 203]) commit.enqueue(i)
      expect(commit.pending()).toBe(5)
      expect(dropped).toEqual([])
      commit.enqueue(204)
      expect(dropped).toEqual([3])
      expect(commit.pending()).toBe(3)
      yield* Deferred.succeed(writer.release, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(submitted)
      yield* commit.submit(300)
      expect(writer.batches.flat()).toEqual([0, 101, 102, 204, 300])
    }))

  it.scoped("closing the scope writes what is queued and releases its submitters", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<number>> = []
      const scope = yield* Scope.make()
      // Under TestClock the linger never ends: only the finalizer can write these.
      const commit = yield* GroupCommit.make<number>({
        linger: "10 millis",
        maxBatch: 2,
        write: (items) => Effect.sync(() => void batches.push(items))
      }).pipe(Scope.extend(scope))
      const submitters = yield* Effect.forEach([1, 2, 3], (i) => Effect.fork(commit.submit(i)))
      yield* queued(commit, 3)
      commit.enqueue(4)
      commit.enqueue(5)
      yield* queued(commit, 5)
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      expect(batches).toEqual([])
      yield* Scope.close(scope, Exit.void)
      for (const fiber of submitters) expect(yield* Fiber.await(fiber)).toEqual(Exit.void)
      expect(batches.flat()).toEqual([1, 2, 3, 4, 5])
      expect(commit.pending()).toBe(0)
    }))
})

describe("groupCommit after its scope closed", () => {
  it.scoped("a submit is written at once (it never waits for a writer that is gone); an enqueue is dropped", () =>
    Effect.gen(function*() {
      const batches: Array<ReadonlyArray<number>> = []
      const dropped: Array<number> = []
      const scope = yield* Scope.make()
      const commit = yield* GroupCommit.make<number>({
        linger: 0,
        write: (items) => Effect.sync(() => void batches.push(items)),
        onDropped: (count) => dropped.push(count)
      }).pipe(Scope.extend(scope))
      yield* commit.submit(1)
      yield* Scope.close(scope, Exit.void)
      const late = yield* Effect.fork(commit.submit(2))
      for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
      expect(late.unsafePoll()).toEqual(Exit.void)
      commit.enqueue(3)
      expect(dropped).toEqual([1])
      expect(batches).toEqual([[1], [2]])
      expect(commit.pending()).toBe(0)
    }))
})

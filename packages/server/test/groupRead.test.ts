import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Option } from "effect"
import * as GroupRead from "../src/store/internal/groupRead.js"
import { firstCallGate } from "./support/firstCallGate.js"

/** A store of `values` whose reads are recorded; the first read waits for `release` (a query in flight). */
const gatedStore = (values: ReadonlyMap<string, number>) =>
  Effect.gen(function*() {
    const reads: Array<ReadonlyArray<string>> = []
    const gate = yield* firstCallGate
    const read = (keys: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        reads.push(keys)
        yield* gate.pass
        if (keys.includes("broken")) return yield* Effect.die(new Error("the store is down"))
        return new Map(keys.flatMap((key) => (values.has(key) ? [[key, values.get(key)!] as const] : [])))
      })
    return { reads, firstStarted: gate.firstStarted, release: gate.release, read }
  })

// A lookup as a fiber waits for it.
const get = <K, V>(group: GroupRead.GroupRead<K, V>, key: K) =>
  Effect.async<Option.Option<V>>((resume) => group.getCallback(key, resume))

const VALUES = new Map([["a", 1], ["b", 2], ["c", 3]])

describe("groupRead", () => {
  it.effect("an idle store reads a lookup at once; those made meanwhile share the next read, each key once", () =>
    Effect.gen(function*() {
      const store = yield* gatedStore(VALUES)
      const group = GroupRead.make({ read: store.read })
      const first = yield* Effect.fork(get(group, "a"))
      yield* Deferred.await(store.firstStarted)
      const rest = yield* Effect.fork(
        Effect.all([get(group, "b"), get(group, "c"), get(group, "b"), get(group, "zz")], { concurrency: "unbounded" })
      )
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      expect(store.reads).toEqual([["a"]])
      yield* Deferred.succeed(store.release, undefined)
      expect(yield* Fiber.join(first)).toEqual(Option.some(1))
      expect(yield* Fiber.join(rest)).toEqual([Option.some(2), Option.some(3), Option.some(2), Option.none()])
      expect(store.reads).toEqual([["a"], ["b", "c", "zz"]])
    }))

  it.effect("reads up to `parallel` batches at once", () =>
    Effect.gen(function*() {
      const store = yield* gatedStore(VALUES)
      const group = GroupRead.make({ read: store.read, parallel: 2 })
      const first = yield* Effect.fork(get(group, "a"))
      yield* Deferred.await(store.firstStarted)
      // The second permit: read at once, although the first read has not ended.
      expect(yield* get(group, "b")).toEqual(Option.some(2))
      expect(store.reads).toEqual([["a"], ["b"]])
      yield* Deferred.succeed(store.release, undefined)
      expect(yield* Fiber.join(first)).toEqual(Option.some(1))
    }))

  it.effect("reads at most `maxBatch` keys at once, those that waited longest first", () =>
    Effect.gen(function*() {
      const store = yield* gatedStore(VALUES)
      const group = GroupRead.make({ read: store.read, maxBatch: 2 })
      const first = yield* Effect.fork(get(group, "a"))
      yield* Deferred.await(store.firstStarted)
      const rest = yield* Effect.fork(
        Effect.all(["c", "d", "e"].map((key) => get(group, key)), { concurrency: "unbounded" })
      )
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      yield* Deferred.succeed(store.release, undefined)
      yield* Fiber.join(first)
      expect(yield* Fiber.join(rest)).toEqual([Option.some(3), Option.none(), Option.none()])
      expect(store.reads).toEqual([["a"], ["c", "d"], ["e"]])
    }))

  it.effect("a failed read fails the lookups of its batch with its defect, and no others", () =>
    Effect.gen(function*() {
      const store = yield* gatedStore(VALUES)
      const group = GroupRead.make({ read: store.read })
      const first = yield* Effect.fork(get(group, "a"))
      yield* Deferred.await(store.firstStarted)
      const failing = yield* Effect.fork(
        Effect.all([get(group, "b"), get(group, "broken")], { concurrency: "unbounded" })
      )
      for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
      yield* Deferred.succeed(store.release, undefined)
      expect(yield* Fiber.join(first)).toEqual(Option.some(1))
      const exit = yield* Fiber.await(failing)
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("the store is down")
      // The store answers again: so does the group.
      expect(yield* get(group, "c")).toEqual(Option.some(3))
    }))
})

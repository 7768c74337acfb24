import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, FastCheck as fc } from "effect"
import { parseFault } from "../src/emulator/FaultAdmin.js"
import * as FaultInjection from "../src/emulator/FaultInjection.js"

const target = fc.constantFrom(...FaultInjection.TARGETS)

const validEntry = target.chain((t) =>
  fc.record({
    target: fc.constant(t),
    count: fc.integer({ min: 1, max: 1000 }),
    fault: fc.oneof(
      fc.record({
        kind: fc.constant("status" as const),
        status: fc.constantFrom(...FaultInjection.allowedStatuses(t))
      }),
      fc.record({ kind: fc.constant("delay" as const), delayMs: fc.integer({ min: 0, max: 120_000 }) }),
      fc.record({ kind: fc.constant("drop" as const) })
    )
  })
)

const wire = (entry: { target: string; count: number; fault: FaultInjection.Fault }) => {
  const { kind, ...rest } = entry.fault
  return { target: entry.target, count: entry.count, ...(kind === "drop" ? { drop: true } : rest) }
}

describe("FaultInjection", () => {
  it("parseFault reads back every valid fault, and never throws on anything else", () => {
    fc.assert(fc.property(validEntry, (entry) => {
      expect(parseFault(wire(entry))).toEqual(Either.right(entry))
    }))
    fc.assert(fc.property(fc.anything(), (junk) => {
      expect(Either.isEither(parseFault(junk))).toBe(true)
    }))
  })

  it.effect("queues faults per target in order and counts them down", () =>
    Effect.gen(function*() {
      const faults = yield* FaultInjection.make
      faults.add({ target: "getMessages", fault: { kind: "status", status: 500 }, count: 2 })
      faults.add({ target: "chatAuthenticate", fault: { kind: "drop" }, count: 1 })
      faults.add({ target: "getMessages", fault: { kind: "delay", delayMs: 5 }, count: 1 })
      expect(faults.take("postMessage")).toBeUndefined()
      expect(faults.take("getMessages")).toEqual({ kind: "status", status: 500 })
      expect(faults.take("getMessages")).toEqual({ kind: "status", status: 500 })
      expect(faults.take("getMessages")).toEqual({ kind: "delay", delayMs: 5 })
      expect(faults.take("getMessages")).toBeUndefined()
      expect(faults.queued()).toEqual([{ target: "chatAuthenticate", fault: { kind: "drop" }, remaining: 1 }])
      faults.clear()
      expect(faults.queued()).toEqual([])
    }))

  it.effect("shifts the emulator's clock, not the real one", () =>
    Effect.gen(function*() {
      const faults = yield* FaultInjection.make
      const real = yield* Clock.currentTimeMillis
      faults.shiftClock(130)
      expect(faults.clock.unsafeCurrentTimeMillis() - (yield* Clock.currentTimeMillis)).toBe(130_000)
      expect(yield* Effect.withClock(Clock.currentTimeMillis, faults.clock)).toBe(real + 130_000)
      faults.shiftClock(-30)
      expect(faults.clockOffsetSeconds()).toBe(100)
      faults.resetClock()
      expect(faults.clock.unsafeCurrentTimeMillis()).toBe(yield* Clock.currentTimeMillis)
    }))
})

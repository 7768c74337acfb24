/**
 * The nesting guard ahead of the routing config's schema: it must agree with the real depth of any JSON text, brackets
 * inside strings included, and turn a file nested 100 000 deep into the usual config error.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, FastCheck } from "effect"
import { nestsDeeperThan } from "../src/config/internal/configIssues.js"
import { decodeRoutingConfig } from "../src/config/RoutingConfig.js"

const depthOf = (value: unknown): number =>
  value !== null && typeof value === "object"
    ? 1 + Math.max(0, ...Object.values(value as Record<string, unknown>).map(depthOf))
    : 0

describe("nestsDeeperThan", () => {
  it("property: agrees with the depth of the value the text encodes", () => {
    FastCheck.assert(
      FastCheck.property(
        FastCheck.jsonValue({ maxDepth: 8 }),
        FastCheck.integer({ min: 0, max: 9 }),
        (value, limit) => {
          const text = JSON.stringify(value, null, 1) ?? "null"
          expect(nestsDeeperThan(text, limit)).toBe(depthOf(value) > limit)
        }
      ),
      { numRuns: 300 }
    )
    expect(nestsDeeperThan(JSON.stringify({ a: "[[[[\"\\\\[{" }), 1)).toBe(false)
  })

  it.effect("a routing config nested 100 000 deep is refused with one issue at the root", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        decodeRoutingConfig(`{"channelServers":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, "deep.json")
      )
      expect(error.issues.map((issue) => ({ ...issue }))).toEqual([
        { path: "$", message: "nested more than 32 levels deep" }
      ])
      expect(error.message).toBe("Invalid routing config deep.json:\n  - $: nested more than 32 levels deep")
    }))
})

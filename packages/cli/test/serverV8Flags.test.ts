import { describe, expect, it } from "@effect/vitest"
import { SERVER_V8_FLAGS, withServerV8Flags } from "../src/internal/serverV8Flags.js"

describe("the server's V8 flags", () => {
  it("are added to a worker's execArgv, before the supervisor's own flags", () => {
    expect(withServerV8Flags(["--enable-source-maps"], undefined)).toEqual([...SERVER_V8_FLAGS, "--enable-source-maps"])
  })

  it("give way to the same flag set by the caller, in execArgv or NODE_OPTIONS, in either spelling", () => {
    expect(withServerV8Flags(["--max-semi-space-size=16"], undefined)).toEqual(["--max-semi-space-size=16"])
    expect(withServerV8Flags([], "--no-warnings --max_semi_space_size=32")).toEqual([])
    expect(withServerV8Flags(["--cpu-prof"], "--max-semi-space-size=8")).toEqual(["--cpu-prof"])
  })
})

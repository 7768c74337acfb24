import { defineConfig } from "vitest/config"
import { testWorkers } from "../../vitest.shared.js"

export default defineConfig({
  test: {
    ...testWorkers({ waitsOnChildren: true }),
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})

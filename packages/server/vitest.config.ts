import { defineConfig } from "vitest/config"
import { testWorkers } from "../../vitest.shared.js"

export default defineConfig({
  test: {
    ...testWorkers(),
    include: ["test/**/*.test.ts"],
    // Creates the run's PostgreSQL database and drops it (and every extra one) at the end; fails without PostgreSQL.
    globalSetup: ["test/support/postgres.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})

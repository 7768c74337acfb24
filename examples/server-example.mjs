// server-example.mjs
import { ChatAuthServer } from "@chatauth/server"
import { Effect, Redacted } from "effect"

// Runs until SIGINT/SIGTERM, then stops gracefully.
Effect.runPromise(ChatAuthServer.serve({
  host: "127.0.0.1",
  port: Number(process.env.PORT ?? 8080),
  dataDir: process.env.DATA_DIR ?? "./.chatauth",
  bootstrapCaller: { username: "portal", password: Redacted.make("change-me-please") }
}))

// Our server, in its own process so that the bench measures its memory alone.
// Usage: node --max-semi-space-size=64 bench/serve.js <port> <dataDir> <user:password> [postgres://…]
import { Effect, Redacted } from "effect"
import { ChatAuthServer, ServerOptions } from "../dist/index.js"

const [port, dataDir, caller, databaseUrl] = process.argv.slice(2)
const program = ChatAuthServer.serve({
  host: "127.0.0.1",
  port: Number(port),
  dataDir,
  database: databaseUrl === undefined ? undefined : { databaseUrl: Redacted.make(databaseUrl) },
  bootstrapCaller: ServerOptions.parseCallerSpec(caller),
  print: () => {}
})
Effect.runPromise(program).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)

// client-effect-example.mjs
import { ChatAuthClient } from "@chatauth/client"
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"

const program = Effect.gen(function*() {
  const client = yield* ChatAuthClient
  const result = yield* client.authenticate({ authUserName: "john.doe@example.com", resumeType: "RESUME" })
  yield* Effect.log(`site ${result.item.chatSiteName}, token until ${result.tokenExpiresAt.toISOString()}`)
}).pipe(
  Effect.catchTag("Unauthorized", (e) => Effect.logError(`refused: ${e.message}`)),
  Effect.catchTag("TooManyRequests", (e) => Effect.logError(`locked out, retry after ${e.retryAfterSeconds} s`))
)

// CHATAUTH_BASE_URL, CHATAUTH_USERNAME, CHATAUTH_PASSWORD (and the optional variables below) from the environment
Effect.runPromise(program.pipe(Effect.provide(ChatAuthClient.layerConfig.pipe(Layer.provide(FetchHttpClient.layer)))))

// verify-example.mjs
import { TokenVerifier } from "@chatauth/core"
import { Effect } from "effect"

const jwt = process.argv[2]
const program = Effect.gen(function*() {
  const verifier = yield* TokenVerifier.TokenVerifier
  const { claims, header } = yield* verifier.verify(jwt, {
    audience: "https://bzndv-chatinteg-vip.dv.lan/engagement/api/consumer/sdi_07_13_17_1643_46-Svcdit-Fusion"
  })
  return `valid: kid ${header.kid}, sub ${claims.sub}, expires ${new Date(claims.exp * 1000).toISOString()}`
}).pipe(
  Effect.provide(TokenVerifier.TokenVerifier.layer({
    jwks: { url: `${process.env.CHATAUTH_BASE_URL ?? "http://127.0.0.1:8080"}/.well-known/jwks.json` }
  })),
  Effect.catchTag("TokenRejected", (rejected) => Effect.succeed(`rejected: ${rejected.reason}`))
)
console.log(await Effect.runPromise(program))

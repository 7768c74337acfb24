// issue-token-example.mjs
import { KeyStore, TokenIssuer } from "@chatauth/core"
import { Effect, Layer } from "effect"

const program = Effect.gen(function*() {
  const issuer = yield* TokenIssuer.TokenIssuer
  const { claims, jwt, kid } = yield* issuer.issue({
    authUserName: "john.doe@example.com",
    domain: "chat-a.example.com",
    chatSiteName: "site-a"
  })
  const jwks = yield* (yield* KeyStore.KeyStore).jwks // publish this for verifiers: public parts only
  return { jwt, kid, claims, jwks }
}).pipe(
  Effect.provide(
    TokenIssuer.TokenIssuer.layer({ ttlSeconds: 120 }).pipe(
      Layer.provideMerge(KeyStore.KeyStore.layerGenerated({ alg: "RS256" })) // RSA-2048 + self-signed X.509
    )
  )
)

const { claims, jwks, jwt, kid } = await Effect.runPromise(program)
console.log(`kid ${kid}, aud ${claims.aud}, ${jwks.keys.length} public key(s), jwt ${jwt.slice(0, 20)}…`)

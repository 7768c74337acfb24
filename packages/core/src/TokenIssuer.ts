/**
 * Issues the chat token (`jwt`) of the chatAuthenticate response, shaped exactly as Oracle's (spec §4):
 * header `{"alg","typ":"JWT","x5t","kid"}`, claims `{"exp","sub","aud","iss","prn","iat"}` in that order.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { KeyStore } from "@chatauth/core/KeyStore"
 * import { TokenIssuer } from "@chatauth/core/TokenIssuer"
 *
 * const program = Effect.gen(function*() {
 *   const issuer = yield* TokenIssuer
 *   const { jwt } = yield* issuer.issue({ authUserName: "jeff", domain: "chat.example.com", chatSiteName: "site1" })
 *   return jwt
 * }).pipe(Effect.provide(TokenIssuer.layer().pipe(Layer.provide(KeyStore.layerGenerated()))))
 * ```
 *
 * @since 0.1.0
 */
import { Config, type ConfigError, Context, Effect, Layer, Schema } from "effect"
import { KeyStore, NoActiveKey, type SigningKey } from "./KeyStore.js"

/**
 * The token's claims, exactly Oracle's set. Times are NumericDate (seconds).
 *
 * @since 0.1.0
 * @category models
 */
export const ChatTokenClaims = Schema.Struct({
  exp: Schema.Number,
  sub: Schema.String,
  aud: Schema.String,
  iss: Schema.String,
  prn: Schema.String,
  iat: Schema.Number
})

/**
 * @since 0.1.0
 * @category models
 */
export type ChatTokenClaims = typeof ChatTokenClaims.Type

/**
 * The audience a Channel Server expects: its consumer API for the chat site.
 *
 * @since 0.1.0
 * @category constructors
 */
export const audienceFor = (domain: string, chatSiteName: string): string =>
  `https://${domain}/engagement/api/consumer/${chatSiteName}`

/**
 * @since 0.1.0
 * @category models
 */
export interface IssueRequest {
  /** becomes `sub` and `prn` */
  readonly authUserName: string
  readonly domain: string
  readonly chatSiteName: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface IssuedToken {
  readonly jwt: string
  readonly kid: string
  readonly claims: ChatTokenClaims
}

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenIssuerOptions {
  /** `iss`, default `"Fusion Apps"` (Oracle's) */
  readonly issuer?: string
  /** `exp - iat`, default 120 (Oracle's) */
  readonly ttlSeconds?: number
}

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_ISSUER = "Fusion Apps"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_TTL_SECONDS = 120

type NodeCrypto = typeof import("node:crypto")

/**
 * What the signer computes once per key rather than once per token: the encoded header and the key in the form
 * node:crypto signs with.
 */
interface PreparedKey {
  readonly key: SigningKey
  readonly headerPrefix: string
  readonly digest: "sha256" | null
  readonly signingKey: import("node:crypto").KeyObject | import("node:crypto").SignKeyObjectInput
}

const prepare = (nodeCrypto: NodeCrypto, key: SigningKey): PreparedKey => {
  const keyObject = nodeCrypto.KeyObject.from(key.privateKey)
  return {
    key,
    // the header's member order is Oracle's; JSON.stringify keeps insertion order
    headerPrefix: Buffer.from(JSON.stringify({ alg: key.alg, typ: "JWT", x5t: key.x5t, kid: key.kid })).toString(
      "base64url"
    ) + ".",
    digest: key.alg === "EdDSA" ? null : "sha256",
    // JWS wants the raw r || s ECDSA signature, not node's default DER encoding
    signingKey: key.alg === "ES256" ? { key: keyObject, dsaEncoding: "ieee-p1363" } : keyObject
  }
}

/** Where a signature's token goes: the token, or the signing failure. */
type Signed = (error: Error | null, token: IssuedToken | undefined) => void

/** A signature in the thread pool: what its callback needs once it is back. */
interface PendingSignature {
  readonly signingInput: string
  readonly claims: ChatTokenClaims
  readonly done: Signed
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: TokenIssuerOptions = {}): Effect.Effect<TokenIssuer.Service, never, KeyStore> =>
  Effect.gen(function*() {
    const store = yield* KeyStore
    // loaded when the service is built, so that importing this module stays free of Node-only modules
    const nodeCrypto: NodeCrypto = yield* Effect.promise(() => import("node:crypto"))
    const issuer = options.issuer ?? DEFAULT_ISSUER
    const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS
    // keys change rarely (rotation), so one cached entry compared by identity is enough
    let prepared: PreparedKey | undefined

    /*
     * The hot path. Measured (bench/run.js) against raw node:crypto signing, the overhead that counts is the main
     * thread's, since signatures run on libuv's thread pool: jose's SignJWT re-validates and re-encodes the header
     * per call, and WebCrypto's `subtle.sign` adds argument normalisation and promise hops. So the header is
     * encoded once per key and the signing input goes to node:crypto's one-shot asynchronous `sign` (thread pool,
     * off the event loop), resumed straight from its callback. The result is an ordinary compact JWS that jose
     * verifies.
     */
    const signWith = (
      key: SigningKey,
      now: number,
      request: IssueRequest,
      done: Signed
    ) => {
      if (prepared === undefined || prepared.key !== key) prepared = prepare(nodeCrypto, key)
      const iat = Math.floor(now / 1000)
      // member order is Oracle's
      const claims: ChatTokenClaims = {
        exp: iat + ttl,
        sub: request.authUserName,
        aud: audienceFor(request.domain, request.chatSiteName),
        iss: issuer,
        prn: request.authUserName,
        iat
      }
      const signingInput = prepared.headerPrefix + Buffer.from(JSON.stringify(claims)).toString("base64url")
      // The signing job's JavaScript object is kept by V8's young-generation collections until a full one (Node
      // sets its `ondone`), with everything its callback reaches. Were that `done`, and through it the caller's
      // request, response and answer, every request would outlive its scavenge and be promoted: measured on the
      // server, scavenges copying 2 MB instead of 0.3 MB and pausing 10 ms instead of 4, and the old generation
      // growing by tens of MB between full collections. So the callback reaches them through this variable only,
      // emptied when it runs.
      let pending: PendingSignature | undefined = { signingInput, claims, done }
      nodeCrypto.sign(
        prepared.digest,
        Buffer.from(signingInput, "latin1"),
        prepared.signingKey,
        (error, signature) => {
          const settled = pending!
          pending = undefined
          if (error !== null) return settled.done(error, undefined)
          settled.done(null, {
            jwt: settled.signingInput + "." + signature.toString("base64url"),
            kid: key.kid,
            claims: settled.claims
          })
        }
      )
    }

    const issue = (request: IssueRequest): Effect.Effect<IssuedToken, NoActiveKey> =>
      Effect.flatMap(
        store.activeKey,
        (key) =>
          Effect.clockWith((clock) =>
            Effect.async<IssuedToken>((resume) =>
              signWith(key, clock.unsafeCurrentTimeMillis(), request, (error, token) =>
                resume(error === null ? Effect.succeed(token!) : Effect.die(error)))
            )
          )
      )

    const clock = yield* Effect.clock
    const issueCallback: TokenIssuer.Service["issueCallback"] = (request, done) => {
      const key = store.activeKeyNow()
      if (key === undefined) return done(new NoActiveKey(), undefined)
      signWith(key, clock.unsafeCurrentTimeMillis(), request, done)
    }
    return { issue, issueCallback }
  })

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace TokenIssuer {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** Signs a token with the store's active key; `iat` is `Clock`'s now in seconds, `exp = iat + ttl`. */
    readonly issue: (request: IssueRequest) => Effect.Effect<IssuedToken, NoActiveKey>
    /**
     * The same token as `issue`, handed to a callback: for a caller that runs outside a fiber (the server's hot
     * route). `error` is `NoActiveKey` when there is no active key, or the signing failure.
     */
    readonly issueCallback: (
      request: IssueRequest,
      done: (error: NoActiveKey | Error | null, token: IssuedToken | undefined) => void
    ) => void
  }
}

/**
 * Configuration read by `TokenIssuer.layerConfig`: `CHATAUTH_TOKEN_ISSUER` (default `"Fusion Apps"`),
 * `CHATAUTH_TOKEN_TTL_SECONDS` (default 120, a positive integer).
 *
 * @since 0.1.0
 * @category config
 */
export const TokenIssuerConfig: Config.Config<Required<TokenIssuerOptions>> = Config.all({
  issuer: Config.nonEmptyString("CHATAUTH_TOKEN_ISSUER").pipe(Config.withDefault(DEFAULT_ISSUER)),
  ttlSeconds: Config.integer("CHATAUTH_TOKEN_TTL_SECONDS").pipe(
    Config.validate({ message: "must be a positive integer", validation: (n) => n > 0 }),
    Config.withDefault(DEFAULT_TTL_SECONDS)
  )
})

/**
 * Issues chat tokens signed by the `KeyStore`'s active key.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { KeyStore } from "@chatauth/core/KeyStore"
 * import { TokenIssuer } from "@chatauth/core/TokenIssuer"
 *
 * const live = TokenIssuer.layerConfig.pipe(Layer.provide(KeyStore.layerGenerated({ kid: "trustservice" })))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class TokenIssuer extends Context.Tag("@chatauth/core/TokenIssuer")<TokenIssuer, TokenIssuer.Service>() {
  /**
   * @since 0.1.0
   */
  static readonly make = make

  /**
   * @since 0.1.0
   */
  static readonly layer = (options: TokenIssuerOptions = {}): Layer.Layer<TokenIssuer, never, KeyStore> =>
    Layer.effect(TokenIssuer, make(options))

  /**
   * @since 0.1.0
   */
  static readonly layerConfig: Layer.Layer<TokenIssuer, ConfigError.ConfigError, KeyStore> = Layer
    .effect(TokenIssuer, Effect.flatMap(TokenIssuerConfig, make))
}

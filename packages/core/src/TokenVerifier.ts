/**
 * Verifies chat tokens the way a Channel Server must (spec §4): signature by a published key, algorithm pinned,
 * `iss`, `aud`, `exp` and `iat` checked with a small clock tolerance, "now" from `Clock`.
 *
 * Hardening, beyond jose's own checks:
 * - the accepted algorithms are pinned (default `["RS256"]`) and can only be asymmetric, so neither `alg: none` nor
 *   an HS256 token keyed with the RSA public key can pass;
 * - keys come only from the configured JWKS: a token carrying a `jwk`, `jku` or `x5u` header (which would let the
 *   token name its own key) is rejected as `malformed`; an `x5c` header is ignored;
 * - `typ` must be `JWT`, and all of `exp`, `iat`, `sub`, `aud`, `iss`, `prn` must be present.
 *
 * A JWKS endpoint that cannot be reached is an infrastructure failure: the effect dies rather than blaming the token.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { TokenVerifier } from "@chatauth/core/TokenVerifier"
 *
 * const check = (bearer: string) =>
 *   Effect.gen(function*() {
 *     const verifier = yield* TokenVerifier
 *     const { claims } = yield* verifier.verify(bearer, {
 *       audience: "https://chat.example.com/engagement/api/consumer/site1"
 *     })
 *     return claims.sub
 *   }).pipe(Effect.provide(TokenVerifier.layer({ jwks: { url: "https://fusion.example.com/jwks.json" } })))
 * ```
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { Clock, Config, ConfigError, Context, Effect, Either, Layer, Option, Schema } from "effect"
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  type JWTVerifyGetKey
} from "jose"
import type { PublicJwk, SigningAlgorithm } from "./KeyStore.js"
import { ChatTokenClaims, DEFAULT_ISSUER } from "./TokenIssuer.js"

/**
 * Why a token was refused.
 *
 * @since 0.1.0
 * @category models
 */
export const RejectionReason = Schema.Literal(
  "expired",
  "not_yet_valid",
  "bad_signature",
  "unknown_key",
  "audience",
  "issuer",
  "algorithm",
  "malformed"
)

/**
 * @since 0.1.0
 * @category models
 */
export type RejectionReason = typeof RejectionReason.Type

/**
 * The token fails validation. A Channel Server answers 403 (spec §4).
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenRejected extends Schema.TaggedError<TokenRejected>()(
  "TokenRejected",
  { reason: RejectionReason, message: Schema.String },
  HttpApiSchema.annotations({ status: 403 })
) {}

/**
 * The configured key source cannot be loaded (file missing or not a JWKS, URL invalid). Raised when the layer is
 * built, never per token.
 *
 * @since 0.1.0
 * @category errors
 */
export class JwksSourceError extends Schema.TaggedError<JwksSourceError>()("JwksSourceError", {
  message: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenHeader {
  readonly alg: string
  readonly typ?: string
  readonly kid?: string
  readonly x5t?: string
  readonly [parameter: string]: unknown
}

/**
 * @since 0.1.0
 * @category models
 */
export interface VerifiedToken {
  readonly header: TokenHeader
  readonly claims: ChatTokenClaims
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RemoteJwks {
  readonly url: string | URL
  /** how long a fetched JWKS is used before refetching, default 600 000 (jose's default) */
  readonly cacheMaxAgeMs?: number
  /** minimum time between two refetches triggered by an unknown `kid`, default 30 000 */
  readonly cooldownMs?: number
  /** fetch timeout, default 5 000 */
  readonly timeoutMs?: number
}

/**
 * A JSON Web Key Set, e.g. `KeyStore`'s `jwks` or a parsed `jwks.json`.
 *
 * @since 0.1.0
 * @category models
 */
export interface JsonWebKeySet {
  readonly keys: ReadonlyArray<PublicJwk | JWK>
}

/**
 * Where the verification keys come from: a JWKS object, a JWKS file (read once, when the layer is built), or a
 * JWKS URL (cached, refetched when a token names an unknown `kid`, at most once per cool-down).
 *
 * @since 0.1.0
 * @category models
 */
export type JwksSource = JsonWebKeySet | { readonly file: string } | RemoteJwks

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenVerifierOptions {
  readonly jwks: JwksSource
  /** accepted `iss`, default `"Fusion Apps"` */
  readonly issuer?: string | ReadonlyArray<string>
  /** accepted `aud` when the call does not pass one; when neither does, `aud` is only required to be present */
  readonly audience?: string | ReadonlyArray<string>
  /** accepted `alg`s, default `["RS256"]`; symmetric algorithms cannot be configured */
  readonly algorithms?: ReadonlyArray<SigningAlgorithm>
  /** tolerated clock skew for `exp` and `iat`, default 30 */
  readonly clockToleranceSeconds?: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface VerifyOptions {
  /** overrides the configured audience, e.g. the Channel Server's own consumer URL for the requested site */
  readonly audience?: string | ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30

const reasonMessages: Record<RejectionReason, string> = {
  expired: "the token has expired",
  not_yet_valid: "the token is not valid yet",
  bad_signature: "the token's signature does not verify",
  unknown_key: "the token was not signed by a known key",
  audience: "the token is not meant for this audience",
  issuer: "the token's issuer is not accepted",
  algorithm: "the token's algorithm is not accepted",
  malformed: "the token is malformed"
}

const reject = (reason: RejectionReason, detail?: string) =>
  Effect.fail(
    new TokenRejected({
      reason,
      message: detail === undefined ? reasonMessages[reason] : `${reasonMessages[reason]}: ${detail}`
    })
  )

/**
 * Translates jose's error `code`s. Anything else (a JWKS fetch failure, an unusable published key) is not the token's
 * fault and becomes a defect.
 */
const translate = (error: unknown): Effect.Effect<never, TokenRejected> => {
  const { claim, code, reason } = (typeof error === "object" && error !== null ? error : {}) as {
    readonly code?: unknown
    readonly claim?: unknown
    readonly reason?: unknown
  }
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return reject("expired")
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      switch (claim) {
        case "iss":
          return reason === "missing" ? reject("malformed", "no \"iss\" claim") : reject("issuer")
        case "aud":
          return reason === "missing" ? reject("malformed", "no \"aud\" claim") : reject("audience")
        case "nbf":
          return reject("not_yet_valid")
        case "typ":
          return reject("malformed", "the \"typ\" header is not \"JWT\"")
        default:
          return reject("malformed", (error as Error).message)
      }
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return reject("bad_signature")
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return reject("unknown_key")
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return reject("algorithm")
    case "ERR_JWS_INVALID":
    case "ERR_JWT_INVALID":
    case "ERR_JOSE_NOT_SUPPORTED":
      return reject("malformed", (error as Error).message)
    default:
      return Effect.die(error)
  }
}

// the signature may be empty so that `alg: none` tokens reach the algorithm check and are reported as such
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

const untrustedKeyHeaders = ["jwk", "jku", "x5u"] as const

/** `undefined` when the first segment is not a base64url JSON object. */
const readHeader = (token: string): Record<string, unknown> | undefined => {
  try {
    return decodeProtectedHeader(token) as Record<string, unknown>
  } catch {
    return undefined
  }
}

const decodeClaims = Schema.decodeUnknownEither(ChatTokenClaims)

const isKeySet = (source: JwksSource): source is JsonWebKeySet => "keys" in source

const localKeys = (jwks: unknown, origin: string): Effect.Effect<JWTVerifyGetKey, JwksSourceError> =>
  Effect.try({
    try: () => createLocalJWKSet(jwks as JSONWebKeySet),
    catch: (cause) => new JwksSourceError({ message: `${origin} is not a JSON Web Key Set: ${String(cause)}` })
  })

const resolveKeys = (source: JwksSource): Effect.Effect<JWTVerifyGetKey, JwksSourceError> => {
  if (isKeySet(source)) return localKeys(source, "the jwks option")
  if ("file" in source) {
    const { file } = source
    return Effect.tryPromise({
      try: async () => {
        // imported here so that importing this module stays free of Node-only modules until a file is configured
        const { readFile } = await import("node:fs/promises")
        return JSON.parse(await readFile(file, "utf8")) as unknown
      },
      catch: (cause) => new JwksSourceError({ message: `cannot read the JWKS file ${file}: ${String(cause)}` })
    }).pipe(Effect.flatMap((jwks) => localKeys(jwks, `the file ${file}`)))
  }
  return Effect.try({
    try: () =>
      createRemoteJWKSet(new URL(source.url), {
        ...(source.cacheMaxAgeMs === undefined ? {} : { cacheMaxAge: source.cacheMaxAgeMs }),
        ...(source.cooldownMs === undefined ? {} : { cooldownDuration: source.cooldownMs }),
        ...(source.timeoutMs === undefined ? {} : { timeoutDuration: source.timeoutMs })
      }),
    catch: (cause) => new JwksSourceError({ message: `invalid JWKS URL ${String(source.url)}: ${String(cause)}` })
  })
}

const isSigningAlgorithm = (alg: string): alg is SigningAlgorithm =>
  alg === "RS256" || alg === "ES256" || alg === "EdDSA"

const REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss", "prn"]

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: TokenVerifierOptions): Effect.Effect<TokenVerifier.Service, JwksSourceError> =>
  Effect.map(resolveKeys(options.jwks), (getKey): TokenVerifier.Service => {
    const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS
    // filtered at run time too: a JavaScript caller could pass "HS256" or "none" past the types
    const algorithms = (options.algorithms ?? ["RS256"]).filter(isSigningAlgorithm)
    const issuer = options.issuer === undefined ? DEFAULT_ISSUER : [
      ...(typeof options.issuer === "string"
        ? [options.issuer]
        : options.issuer)
    ]
    const audienceOf = (audience: string | ReadonlyArray<string> | undefined) =>
      audience === undefined ? undefined : typeof audience === "string" ? audience : [...audience]
    const configuredAudience = audienceOf(options.audience)

    const verify = (token: string, verifyOptions?: VerifyOptions) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        // checked before the signature, so that a token with a corrupted segment reads as malformed, whichever it is
        if (typeof token !== "string" || !COMPACT_JWS.test(token)) {
          return reject("malformed", "not three base64url segments")
        }
        const header = readHeader(token)
        if (header === undefined) return reject("malformed", "the header is not base64url JSON")
        for (const name of untrustedKeyHeaders) {
          if (name in header) return reject("malformed", `the "${name}" header is not accepted`)
        }
        const audience = verifyOptions?.audience === undefined
          ? configuredAudience
          : audienceOf(verifyOptions.audience)
        return Effect.tryPromise({
          try: () =>
            jwtVerify(token, getKey, {
              algorithms,
              issuer,
              ...(audience === undefined ? {} : { audience }),
              typ: "JWT",
              requiredClaims: REQUIRED_CLAIMS,
              clockTolerance: tolerance,
              currentDate: new Date(now)
            }),
          catch: (error) => error
        }).pipe(
          Effect.catchAll(translate),
          Effect.flatMap((result) => {
            const claims = decodeClaims(result.payload)
            if (Either.isLeft(claims)) return reject("malformed", "the claims are not those of a chat token")
            // jose only checks iat against maxTokenAge; a token issued in the future is not valid yet
            if (claims.right.iat > Math.floor(now / 1000) + tolerance) return reject("not_yet_valid")
            return Effect.succeed<VerifiedToken>({
              header: result.protectedHeader as TokenHeader,
              claims: claims.right
            })
          })
        )
      })
    return { verify }
  })

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace TokenVerifier {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    readonly verify: (token: string, options?: VerifyOptions) => Effect.Effect<VerifiedToken, TokenRejected>
  }
}

const optionalInteger = (name: string) =>
  Config.option(
    Config.integer(name).pipe(Config.validate({ message: "must not be negative", validation: (n) => n >= 0 }))
  )

const commaList = (value: string) => value.split(",").map((item) => item.trim()).filter((item) => item.length > 0)

/**
 * Configuration read by `TokenVerifier.layerConfig`:
 *
 * | variable | meaning |
 * |---|---|
 * | `CHATAUTH_JWKS_URL` | JWKS URL (exactly one of URL and file) |
 * | `CHATAUTH_JWKS_FILE` | JWKS file path |
 * | `CHATAUTH_JWKS_CACHE_MAX_AGE_MS` | JWKS cache time, default 600000 |
 * | `CHATAUTH_JWKS_COOLDOWN_MS` | minimum time between refetches on an unknown kid, default 30000 |
 * | `CHATAUTH_TOKEN_ISSUER` | accepted `iss`, default `Fusion Apps` |
 * | `CHATAUTH_TOKEN_AUDIENCE` | accepted `aud`, comma-separated, default: any (only presence is checked) |
 * | `CHATAUTH_TOKEN_ALGORITHMS` | comma-separated among `RS256`, `ES256`, `EdDSA`; default `RS256` |
 * | `CHATAUTH_CLOCK_TOLERANCE_SECONDS` | default 30 |
 *
 * @since 0.1.0
 * @category config
 */
export const TokenVerifierConfig: Config.Config<TokenVerifierOptions> = Config.all({
  url: Config.option(Config.nonEmptyString("CHATAUTH_JWKS_URL")),
  file: Config.option(Config.nonEmptyString("CHATAUTH_JWKS_FILE")),
  cacheMaxAgeMs: optionalInteger("CHATAUTH_JWKS_CACHE_MAX_AGE_MS"),
  cooldownMs: optionalInteger("CHATAUTH_JWKS_COOLDOWN_MS"),
  issuer: Config.nonEmptyString("CHATAUTH_TOKEN_ISSUER").pipe(Config.withDefault(DEFAULT_ISSUER)),
  audience: Config.option(Config.nonEmptyString("CHATAUTH_TOKEN_AUDIENCE")),
  algorithms: Config.string("CHATAUTH_TOKEN_ALGORITHMS").pipe(Config.withDefault("RS256")),
  clockToleranceSeconds: Config.integer("CHATAUTH_CLOCK_TOLERANCE_SECONDS").pipe(
    Config.validate({ message: "must not be negative", validation: (n) => n >= 0 }),
    Config.withDefault(DEFAULT_CLOCK_TOLERANCE_SECONDS)
  )
}).pipe(Config.mapOrFail((config) => {
  const algorithms = commaList(config.algorithms)
  const invalid = algorithms.filter((alg) => !isSigningAlgorithm(alg))
  if (algorithms.length === 0 || invalid.length > 0) {
    return Either.left(
      ConfigError.InvalidData(["CHATAUTH_TOKEN_ALGORITHMS"], "expected a comma-separated list of RS256, ES256, EdDSA")
    )
  }
  let jwks: JwksSource
  if (Option.isSome(config.url) && Option.isSome(config.file)) {
    return Either.left(
      ConfigError.InvalidData(["CHATAUTH_JWKS_URL"], "set CHATAUTH_JWKS_URL or CHATAUTH_JWKS_FILE, not both")
    )
  } else if (Option.isSome(config.url)) {
    jwks = {
      url: config.url.value,
      ...Option.match(config.cacheMaxAgeMs, { onNone: () => ({}), onSome: (cacheMaxAgeMs) => ({ cacheMaxAgeMs }) }),
      ...Option.match(config.cooldownMs, { onNone: () => ({}), onSome: (cooldownMs) => ({ cooldownMs }) })
    }
  } else if (Option.isSome(config.file)) {
    jwks = { file: config.file.value }
  } else {
    return Either.left(ConfigError.MissingData(["CHATAUTH_JWKS_URL"], "set CHATAUTH_JWKS_URL or CHATAUTH_JWKS_FILE"))
  }
  return Either.right<TokenVerifierOptions>({
    jwks,
    issuer: config.issuer,
    ...Option.match(config.audience, { onNone: () => ({}), onSome: (audience) => ({ audience: commaList(audience) }) }),
    algorithms: algorithms as ReadonlyArray<SigningAlgorithm>,
    clockToleranceSeconds: config.clockToleranceSeconds
  })
}))

/**
 * Verifies chat tokens against a JWKS.
 *
 * @example
 * ```ts
 * import { TokenVerifier } from "@chatauth/core/TokenVerifier"
 *
 * const live = TokenVerifier.layer({
 *   jwks: { file: "/etc/chatauth/jwks.json" },
 *   audience: "https://chat.example.com/engagement/api/consumer/site1"
 * })
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class TokenVerifier extends Context.Tag("@chatauth/core/TokenVerifier")<TokenVerifier, TokenVerifier.Service>() {
  /**
   * @since 0.1.0
   */
  static readonly make = make

  /**
   * @since 0.1.0
   */
  static readonly layer = (options: TokenVerifierOptions): Layer.Layer<TokenVerifier, JwksSourceError> =>
    Layer.effect(TokenVerifier, make(options))

  /**
   * @since 0.1.0
   */
  static readonly layerConfig: Layer.Layer<TokenVerifier, JwksSourceError | ConfigError.ConfigError> = Layer.effect(
    TokenVerifier,
    Effect.flatMap(TokenVerifierConfig, make)
  )
}

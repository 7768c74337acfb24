/**
 * Signing keys for chat tokens: generation (with a self-signed X.509 certificate, whose SHA-1 thumbprint is the
 * token header's `x5t`), import and export for persistence, and the in-memory `KeyStore` that holds keys through
 * their rotation states and publishes them as a JWKS.
 *
 * ## Rotation
 *
 * A key lives through three states:
 *
 * 1. `next`: published in the JWKS but not signing yet. Add a new key in this state first, so that verifiers
 *    (which cache the JWKS) learn it before any token signed with it reaches them.
 * 2. `active`: the one key that signs. `activate(kid)` promotes a key; the previously active key becomes
 *    `retired` at that instant (`retiredAt` from `Clock`).
 * 3. `retired`: no longer signing, still published, so that tokens it signed before the switch keep verifying.
 *    `prune(retiredBefore)` removes retired keys once they have been retired for longer than
 *    token TTL + verifier clock tolerance + verifier JWKS cache time.
 *
 * The store only holds state; the server decides the timing (how long a key stays `next` before activation, when
 * to prune) and persists keys with `exportKeyMaterial` / `importKey`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { KeyStore, generateKey } from "@chatauth/core/KeyStore"
 *
 * const rotate = Effect.gen(function*() {
 *   const store = yield* KeyStore
 *   const next = yield* generateKey({ alg: "RS256" })
 *   yield* store.add(next) // published as "next"
 *   // ... wait at least the verifiers' JWKS cache time ...
 *   yield* store.activate(next.kid) // signs from now on; the old key is "retired"
 *   // ... later: drop keys retired before the cut-off
 *   yield* store.prune(Date.now() - 60 * 60 * 1000)
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Layer, Schema } from "effect"
import { calculateJwkThumbprint } from "jose"
import { algorithmParams } from "./internal/algorithms.js"
import { createSelfSigned, parseCertificate } from "./internal/certificate.js"
import { fromPem, toPem } from "./internal/pem.js"

/**
 * The JWS algorithms a key can sign with: RSA-2048 PKCS#1 v1.5 (Oracle's choice), P-256 ECDSA, Ed25519.
 *
 * @since 0.1.0
 * @category models
 */
export const SigningAlgorithm = Schema.Literal("RS256", "ES256", "EdDSA")

/**
 * @since 0.1.0
 * @category models
 */
export type SigningAlgorithm = typeof SigningAlgorithm.Type

/**
 * Where a key is in its rotation: published before use (`next`), signing (`active`), published after use (`retired`).
 *
 * @since 0.1.0
 * @category models
 */
export const KeyState = Schema.Literal("next", "active", "retired")

/**
 * @since 0.1.0
 * @category models
 */
export type KeyState = typeof KeyState.Type

/**
 * What a store persists for a key: the PKCS#8 private key and the certificate as PEM, plus its rotation state.
 *
 * @since 0.1.0
 * @category models
 */
export const KeyMaterial = Schema.Struct({
  kid: Schema.String,
  alg: SigningAlgorithm,
  state: KeyState,
  privateKeyPem: Schema.String,
  certificatePem: Schema.String,
  createdAt: Schema.Number,
  activatedAt: Schema.NullOr(Schema.Number),
  retiredAt: Schema.NullOr(Schema.Number)
})

/**
 * @since 0.1.0
 * @category models
 */
export type KeyMaterial = typeof KeyMaterial.Type

/**
 * A public key as published in the JWKS: never any private member.
 *
 * @since 0.1.0
 * @category models
 */
export interface PublicJwk {
  readonly kty: "RSA" | "EC" | "OKP"
  readonly kid: string
  readonly use: "sig"
  readonly alg: SigningAlgorithm
  readonly n?: string
  readonly e?: string
  readonly crv?: string
  readonly x?: string
  readonly y?: string
  readonly x5c: ReadonlyArray<string>
  readonly x5t: string
}

/**
 * A live key, ready to sign. Immutable: a state change yields a new `SigningKey`.
 *
 * @since 0.1.0
 * @category models
 */
export interface SigningKey {
  readonly kid: string
  readonly alg: SigningAlgorithm
  readonly state: KeyState
  /** epoch milliseconds */
  readonly createdAt: number
  readonly activatedAt: number | null
  readonly retiredAt: number | null
  /** extractable, so that it can be exported for persistence */
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  readonly certificatePem: string
  /** base64url SHA-1 thumbprint of the certificate's DER */
  readonly x5t: string
  /** the certificate's DER, base64 (not base64url) */
  readonly x5c: ReadonlyArray<string>
  readonly publicJwk: PublicJwk
}

/**
 * The store has no `active` key, so nothing can be signed.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoActiveKey extends Schema.TaggedError<NoActiveKey>()("NoActiveKey", {}) {
  override get message(): string {
    return "the key store has no active signing key"
  }
}

/**
 * No key with this `kid` in the store.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownKey extends Schema.TaggedError<UnknownKey>()("UnknownKey", { kid: Schema.String }) {
  override get message(): string {
    return `no key with kid "${this.kid}"`
  }
}

/**
 * A key with this `kid` is already in the store: replacing it silently would break verifiers that cached it.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateKey extends Schema.TaggedError<DuplicateKey>()("DuplicateKey", { kid: Schema.String }) {
  override get message(): string {
    return `a key with kid "${this.kid}" is already in the store`
  }
}

/**
 * Key material that cannot be loaded: unparseable PEM, unsupported algorithm, or a private key that does not match
 * its certificate.
 *
 * @since 0.1.0
 * @category errors
 */
export class KeyImportError extends Schema.TaggedError<KeyImportError>()("KeyImportError", {
  message: Schema.String
}) {}

/**
 * @since 0.1.0
 * @category models
 */
export interface GenerateKeyOptions {
  /** default `"RS256"` (RSA-2048) */
  readonly alg?: SigningAlgorithm
  /** default: the RFC 7638 SHA-256 thumbprint of the public key */
  readonly kid?: string
  /** certificate subject, default `"CN=chatauth"` */
  readonly subject?: string
  /** certificate validity, default 365 */
  readonly validityDays?: number
  /** default `"next"` */
  readonly state?: KeyState
}

const base64url = (bytes: ArrayBuffer | Uint8Array): string =>
  Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString("base64url")

const publicMembers = (jwk: JsonWebKey): Pick<PublicJwk, "n" | "e" | "crv" | "x" | "y"> => {
  // picked member by member: a spread of an exported key could carry private members along
  switch (jwk.kty) {
    case "RSA":
      return { n: jwk.n!, e: jwk.e! }
    case "EC":
      return { crv: jwk.crv!, x: jwk.x!, y: jwk.y! }
    default:
      return { crv: jwk.crv!, x: jwk.x! }
  }
}

const sameMembers = (
  a: Pick<PublicJwk, "n" | "e" | "crv" | "x" | "y">,
  b: Pick<PublicJwk, "n" | "e" | "crv" | "x" | "y">
) => a.n === b.n && a.e === b.e && a.crv === b.crv && a.x === b.x && a.y === b.y

interface KeyParts {
  readonly alg: SigningAlgorithm
  readonly kid: string | undefined
  readonly state: KeyState
  readonly createdAt: number
  readonly activatedAt: number | null
  readonly retiredAt: number | null
  readonly privateKey: CryptoKey
  readonly publicKey: CryptoKey
  readonly certificateDer: Uint8Array<ArrayBuffer>
  readonly certificatePem: string
}

const assemble = async (parts: KeyParts): Promise<SigningKey> => {
  const exported = await crypto.subtle.exportKey("jwk", parts.publicKey)
  const members = publicMembers(exported)
  const kty = algorithmParams[parts.alg].kty
  const kid = parts.kid ?? await calculateJwkThumbprint({ kty, ...members }, "sha256")
  const x5t = base64url(await crypto.subtle.digest("SHA-1", parts.certificateDer))
  const x5c = [Buffer.from(parts.certificateDer).toString("base64")]
  const publicJwk: PublicJwk = { kty, kid, use: "sig", alg: parts.alg, ...members, x5c, x5t }
  return {
    kid,
    alg: parts.alg,
    state: parts.state,
    createdAt: parts.createdAt,
    activatedAt: parts.activatedAt,
    retiredAt: parts.retiredAt,
    privateKey: parts.privateKey,
    publicKey: parts.publicKey,
    certificatePem: parts.certificatePem,
    x5t,
    x5c,
    publicJwk
  }
}

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * Generates a key pair and a self-signed certificate for it. Time (`createdAt`, certificate validity) comes from
 * `Clock`.
 *
 * @example
 * ```ts
 * import { generateKey } from "@chatauth/core/KeyStore"
 *
 * const key = generateKey({ alg: "RS256", kid: "trustservice", state: "active" })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const generateKey = (options: GenerateKeyOptions = {}): Effect.Effect<SigningKey> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.promise(async () => {
      const alg = options.alg ?? "RS256"
      const state = options.state ?? "next"
      const keys =
        (await crypto.subtle.generateKey(algorithmParams[alg].generate, true, ["sign", "verify"])) as CryptoKeyPair
      const certificate = await createSelfSigned({
        alg,
        keys,
        subject: options.subject ?? "CN=chatauth",
        notBefore: new Date(now),
        notAfter: new Date(now + (options.validityDays ?? 365) * DAY_MS)
      })
      return assemble({
        alg,
        kid: options.kid,
        state,
        createdAt: now,
        activatedAt: state === "active" ? now : null,
        retiredAt: state === "retired" ? now : null,
        privateKey: keys.privateKey,
        publicKey: keys.publicKey,
        certificateDer: certificate.der,
        certificatePem: certificate.pem
      })
    }))

const loadPrivateKey = async (alg: SigningAlgorithm, privateKeyPem: string): Promise<CryptoKey | string> => {
  const der = fromPem("PRIVATE KEY", privateKeyPem)
  if (der === undefined) return "the private key is not a PKCS#8 PEM (\"BEGIN PRIVATE KEY\")"
  try {
    return await crypto.subtle.importKey("pkcs8", der, algorithmParams[alg].import, true, ["sign"])
  } catch (cause) {
    return `the private key is not a valid ${alg} key: ${String(cause)}`
  }
}

const load = (input: {
  readonly privateKeyPem: string
  readonly certificatePem: string
  readonly alg: SigningAlgorithm | undefined
  readonly kid: string | undefined
  readonly state: KeyState
  readonly createdAt: number
  readonly activatedAt: number | null
  readonly retiredAt: number | null
}): Effect.Effect<SigningKey, KeyImportError> =>
  Effect.flatMap(
    Effect.tryPromise({
      try: () => parseCertificate(input.certificatePem),
      catch: (cause) => new KeyImportError({ message: `the certificate cannot be parsed: ${String(cause)}` })
    }),
    (certificate) =>
      Effect.tryPromise({
        try: async (): Promise<SigningKey | string> => {
          if (certificate.alg === undefined || certificate.publicKey === undefined) {
            return "the certificate's key is not RSA, P-256 or Ed25519"
          }
          if (input.alg !== undefined && input.alg !== certificate.alg) {
            return `the certificate holds a ${certificate.alg} key, not ${input.alg}`
          }
          const privateKey = await loadPrivateKey(certificate.alg, input.privateKeyPem)
          if (typeof privateKey === "string") return privateKey
          // WebCrypto cannot derive a public key from a private one, but the private JWK carries the public members
          const fromPrivate = publicMembers(await crypto.subtle.exportKey("jwk", privateKey))
          const fromCertificate = publicMembers(await crypto.subtle.exportKey("jwk", certificate.publicKey))
          if (!sameMembers(fromPrivate, fromCertificate)) {
            return "the private key does not match the certificate's public key"
          }
          return assemble({
            alg: certificate.alg,
            kid: input.kid,
            state: input.state,
            createdAt: input.createdAt,
            activatedAt: input.activatedAt,
            retiredAt: input.retiredAt,
            privateKey,
            publicKey: certificate.publicKey,
            certificateDer: certificate.der,
            certificatePem: input.certificatePem
          })
        },
        catch: (cause) => new KeyImportError({ message: String(cause) })
      }).pipe(
        Effect.flatMap((result) =>
          typeof result === "string" ? Effect.fail(new KeyImportError({ message: result })) : Effect.succeed(result)
        )
      )
  )

/**
 * Loads persisted key material, checking that the private key matches the certificate and the stated algorithm.
 *
 * @since 0.1.0
 * @category constructors
 */
export const importKey = (material: KeyMaterial): Effect.Effect<SigningKey, KeyImportError> =>
  load({ ...material, alg: material.alg })

/**
 * Loads a PKCS#8 private key and its certificate from PEM (e.g. a key issued outside this project), checking that
 * they match. The algorithm follows from the certificate; the key comes in as `next` unless stated.
 *
 * @since 0.1.0
 * @category constructors
 */
export const importPem = (input: {
  readonly privateKeyPem: string
  readonly certificatePem: string
  readonly kid?: string
  readonly state?: KeyState
}): Effect.Effect<SigningKey, KeyImportError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const state = input.state ?? "next"
    return load({
      privateKeyPem: input.privateKeyPem,
      certificatePem: input.certificatePem,
      alg: undefined,
      kid: input.kid,
      state,
      createdAt: now,
      activatedAt: state === "active" ? now : null,
      retiredAt: state === "retired" ? now : null
    })
  })

/**
 * The persistable form of a key (PKCS#8 PEM private key).
 *
 * @since 0.1.0
 * @category conversions
 */
export const exportKeyMaterial = (key: SigningKey): Effect.Effect<KeyMaterial> =>
  Effect.promise(async () => ({
    kid: key.kid,
    alg: key.alg,
    state: key.state,
    privateKeyPem: toPem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", key.privateKey)),
    certificatePem: key.certificatePem,
    createdAt: key.createdAt,
    activatedAt: key.activatedAt,
    retiredAt: key.retiredAt
  }))

/**
 * The key's public JWK, with its certificate (`x5c`, `x5t`); never private members.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toPublicJwk = (key: SigningKey): PublicJwk => key.publicJwk

const withState = (key: SigningKey, state: KeyState, now: number): SigningKey => ({
  ...key,
  state,
  activatedAt: state === "active" ? now : key.activatedAt,
  retiredAt: state === "retired" ? now : state === "active" ? null : key.retiredAt
})

const stateOrder: Record<KeyState, number> = { active: 0, next: 1, retired: 2 }

const makeUnsafe = (initial: Iterable<SigningKey>, now: number): KeyStore.Service | DuplicateKey => {
  const byKid = new Map<string, SigningKey>()
  const noActiveKey = Effect.fail(new NoActiveKey())
  // the hot path reads a prebuilt effect: no lookup, no allocation per call
  let current: Effect.Effect<SigningKey, NoActiveKey> = noActiveKey
  let activeNow: SigningKey | undefined
  let snapshot: ReadonlyArray<SigningKey> = []
  let published: { readonly keys: ReadonlyArray<PublicJwk> } = { keys: [] }

  const refresh = () => {
    // A total order (state, then age, then kid): replicas that learnt of the same keys in different orders publish
    // the same JWKS, byte for byte, and so the same ETag.
    snapshot = Array.from(byKid.values()).sort((a, b) =>
      stateOrder[a.state] - stateOrder[b.state] || a.createdAt - b.createdAt ||
      (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)
    )
    published = { keys: snapshot.map((key) => key.publicJwk) }
    const active = snapshot.find((key) => key.state === "active")
    current = active === undefined ? noActiveKey : Effect.succeed(active)
    activeNow = active
  }

  const retireActive = (except: string, at: number) => {
    for (const key of byKid.values()) {
      if (key.state === "active" && key.kid !== except) byKid.set(key.kid, withState(key, "retired", at))
    }
  }

  const insert = (key: SigningKey, at: number): DuplicateKey | SigningKey => {
    if (byKid.has(key.kid)) return new DuplicateKey({ kid: key.kid })
    if (key.state === "active") retireActive(key.kid, at)
    const stored = key.state === "active" && key.activatedAt === null ? withState(key, "active", at) : key
    byKid.set(key.kid, stored)
    return stored
  }

  for (const key of initial) {
    const result = insert(key, now)
    if (result instanceof DuplicateKey) return result
  }
  refresh()

  const lookup = (kid: string): Effect.Effect<SigningKey, UnknownKey> =>
    Effect.suspend(() => {
      const key = byKid.get(kid)
      return key === undefined ? Effect.fail(new UnknownKey({ kid })) : Effect.succeed(key)
    })

  const transition = (kid: string, state: KeyState) =>
    Effect.flatMap(Clock.currentTimeMillis, (at) =>
      Effect.suspend(() => {
        const key = byKid.get(kid)
        if (key === undefined) return Effect.fail(new UnknownKey({ kid }))
        if (key.state === state) return Effect.succeed(key)
        if (state === "active") retireActive(kid, at)
        const updated = withState(key, state, at)
        byKid.set(kid, updated)
        refresh()
        return Effect.succeed(updated)
      }))

  return {
    activeKey: Effect.suspend(() => current),
    activeKeyNow: () => activeNow,
    keys: Effect.sync(() => snapshot),
    get: lookup,
    jwks: Effect.sync(() => published),
    add: (key) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        Effect.suspend(() => {
          const result = insert(key, at)
          if (result instanceof DuplicateKey) return Effect.fail(result)
          refresh()
          return Effect.succeed(result)
        })),
    activate: (kid) => transition(kid, "active"),
    retire: (kid) => transition(kid, "retired"),
    remove: (kid) =>
      Effect.suspend(() => {
        const key = byKid.get(kid)
        if (key === undefined) return Effect.fail(new UnknownKey({ kid }))
        byKid.delete(kid)
        refresh()
        return Effect.succeed(key)
      }),
    prune: (retiredBefore) =>
      Effect.sync(() => {
        const removed: Array<SigningKey> = []
        for (const key of byKid.values()) {
          if (key.state === "retired" && key.retiredAt !== null && key.retiredAt < retiredBefore) removed.push(key)
        }
        for (const key of removed) byKid.delete(key.kid)
        if (removed.length > 0) refresh()
        return removed
      })
  }
}

/**
 * Builds an in-memory store from keys, added in order (an `active` key retires the `active` key added before it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (keys: Iterable<SigningKey> = []): Effect.Effect<KeyStore.Service, DuplicateKey> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const result = makeUnsafe(keys, now)
    return result instanceof DuplicateKey ? Effect.fail(result) : Effect.succeed(result)
  })

/**
 * @since 0.1.0
 * @category models
 */
export declare namespace KeyStore {
  /**
   * @since 0.1.0
   * @category models
   */
  export interface Service {
    /** The signing key. Hot path: returns a prebuilt effect. */
    readonly activeKey: Effect.Effect<SigningKey, NoActiveKey>
    /** The signing key, synchronously (`undefined` when there is none): for callers that run outside a fiber. */
    readonly activeKeyNow: () => SigningKey | undefined
    /** All keys: active first, then next, then retired. */
    readonly keys: Effect.Effect<ReadonlyArray<SigningKey>>
    readonly get: (kid: string) => Effect.Effect<SigningKey, UnknownKey>
    /** The public keys of every state (next, active, retired). */
    readonly jwks: Effect.Effect<{ readonly keys: ReadonlyArray<PublicJwk> }>
    /** Adds a key in its own state (`generateKey` and `importPem` default to `next`); an `active` key retires the current one. */
    readonly add: (key: SigningKey) => Effect.Effect<SigningKey, DuplicateKey>
    /** Makes a key the signing key; the previous active key becomes `retired` now. */
    readonly activate: (kid: string) => Effect.Effect<SigningKey, UnknownKey>
    /** Stops a key from signing, keeps it published. Retiring the active key leaves the store without one. */
    readonly retire: (kid: string) => Effect.Effect<SigningKey, UnknownKey>
    /** Unpublishes a key at once, whatever its state (e.g. a compromised key). */
    readonly remove: (kid: string) => Effect.Effect<SigningKey, UnknownKey>
    /** Removes the keys retired before `retiredBefore` (epoch ms) and returns them. */
    readonly prune: (retiredBefore: number) => Effect.Effect<ReadonlyArray<SigningKey>>
  }
}

/**
 * The in-memory key store. At most one key is `active` at any time.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { KeyStore } from "@chatauth/core/KeyStore"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* KeyStore
 *   return yield* store.jwks
 * }).pipe(Effect.provide(KeyStore.layerGenerated()))
 * ```
 *
 * @since 0.1.0
 * @category services
 */
export class KeyStore extends Context.Tag("@chatauth/core/KeyStore")<KeyStore, KeyStore.Service>() {
  /**
   * @since 0.1.0
   */
  static readonly make = make

  /**
   * A store holding the given keys (e.g. loaded with `importKey` from persistence).
   *
   * @since 0.1.0
   */
  static readonly layer = (keys: Iterable<SigningKey>): Layer.Layer<KeyStore, DuplicateKey> =>
    Layer.effect(KeyStore, make(keys))

  /**
   * A store holding one freshly generated `active` key: for tests, demos and single-process deployments that
   * accept a new key at every start.
   *
   * @since 0.1.0
   */
  static readonly layerGenerated = (options: Omit<GenerateKeyOptions, "state"> = {}): Layer.Layer<KeyStore> =>
    Layer.effect(
      KeyStore,
      Effect.flatMap(generateKey({ ...options, state: "active" }), (key) => Effect.orDie(make([key])))
    )
}

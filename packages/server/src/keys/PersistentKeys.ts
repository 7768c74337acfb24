/**
 * Signing keys that survive restarts, and their rotation.
 *
 * The layer loads every key from the `Store` into core's in-memory `KeyStore` (which the token issuer and the JWKS
 * read) and provides both. With no active key it generates one (RS256 unless told), persists it and activates it.
 * Every change goes to the store before the call returns, so a restart finds the same keys in the same states and
 * a token signed before it still verifies after it. Private keys are sealed here (AES-256-GCM under
 * `keyEncryptionSecret`) before the store sees them; keys stored in clear before a secret was set are sealed at
 * the next start.
 *
 * Replicas sharing a store publish one JWKS: each change is written with a row of the change feed, and every
 * replica reloads its keys when the feed brings it. A rotation or activation decided here (by the schedule or the
 * CLI) runs under the store's key lock and re-reads the keys first, so two replicas never rotate the same period.
 *
 * Rotation follows core's key states: `rotate()` publishes a new key as `next`; after at least the verifiers' JWKS
 * cache time `promoteNext()` makes it `active` (the old active key becomes `retired`); `prune()` removes retired
 * keys once `retention` has passed, where retention = token TTL + verifier clock tolerance + verifier JWKS cache
 * time (defaults 120 + 30 + 600 s): by then no token it signed is still acceptable and no verifier still needs it.
 *
 * With `rotationInterval` set (`CHATAUTH_KEY_ROTATION_HOURS`, off by default) a fiber in the layer's scope does
 * this on its own: `publishLead` (default: the JWKS cache time) before the active key is `rotationInterval` old it
 * publishes a `next` key, then activates it once it has been published for `publishLead`. The schedule is computed
 * from the persisted timestamps, so restarts neither reset nor skip it, and carried out by exactly one replica.
 * Retired keys are pruned every minute.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { TokenIssuer } from "@chatauth/core/TokenIssuer"
 * import { PersistentKeys } from "@chatauth/server/PersistentKeys"
 * import { SqliteStore } from "@chatauth/server/SqliteStore"
 *
 * const Keys = PersistentKeys.layer({ alg: "RS256" }).pipe(Layer.provide(SqliteStore.layer({ dataDir: "./.chatauth" })))
 * const Issuer = TokenIssuer.layer().pipe(Layer.provide(Keys))
 *
 * const rotateNow = Effect.gen(function*() {
 *   const keys = yield* PersistentKeys
 *   const next = yield* keys.rotate()
 *   return next.kid
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { KeyImportError, KeyMaterial, SigningAlgorithm, SigningKey } from "@chatauth/core/KeyStore"
import {
  DuplicateKey,
  exportKeyMaterial,
  generateKey,
  importKey,
  importPem as importPemKey,
  KeyStore,
  UnknownKey
} from "@chatauth/core/KeyStore"
import type { Redacted, Scope } from "effect"
import { Clock, Config, Context, Duration, Effect, Layer, Option, Schema } from "effect"
import { ChangeFeed } from "../store/ChangeFeed.js"
import type { KeyStateChange } from "../store/Store.js"
import { Store } from "../store/Store.js"
import { isSealed, makeSealer } from "./internal/keyEncryption.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface PersistentKeysOptions {
  /** Algorithm of generated keys (default RS256). */
  readonly alg?: SigningAlgorithm | undefined
  /** Lifetime of issued tokens (default 120 s). */
  readonly tokenTtl?: Duration.DurationInput | undefined
  /** Clock skew verifiers tolerate (default 30 s). */
  readonly clockTolerance?: Duration.DurationInput | undefined
  /** How long verifiers cache the JWKS (default 600 s). */
  readonly jwksCacheTime?: Duration.DurationInput | undefined
  /** Automatic rotation period; undefined (default) turns automatic rotation off. */
  readonly rotationInterval?: Duration.DurationInput | undefined
  /** How long a new key is published before it signs (default: `jwksCacheTime`). */
  readonly publishLead?: Duration.DurationInput | undefined
  /** How often retired keys past retention are pruned in the background (default 60 s). */
  readonly pruneInterval?: Duration.DurationInput | undefined
  /** When set, private keys are sealed at rest with a key derived from it (`CHATAUTH_KEY_ENCRYPTION_SECRET`). */
  readonly keyEncryptionSecret?: Redacted.Redacted<string> | undefined
  /** Generate and activate a key when the store has none (default true; the CLI's listing passes false). */
  readonly generateIfMissing?: boolean | undefined
}

/**
 * There is no `next` key to promote.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoNextKey extends Schema.TaggedError<NoNextKey>()("NoNextKey", {}) {
  override get message(): string {
    return "there is no next key to activate"
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface PersistentKeysService {
  /** Generates a key and publishes it as `next` (it does not sign yet). */
  readonly rotate: (options?: { readonly alg?: SigningAlgorithm | undefined }) => Effect.Effect<SigningKey>
  /** Makes the key the signing key; the previous active key becomes `retired`. Both are persisted. */
  readonly activate: (kid: string) => Effect.Effect<SigningKey, UnknownKey>
  /** Activates the most recent `next` key. */
  readonly promoteNext: () => Effect.Effect<SigningKey, NoNextKey>
  /**
   * Removes retired keys retired more than `retention` before `now` (default: `Clock`'s now) from the store and the
   * JWKS; returns their ids.
   */
  readonly prune: (now?: number) => Effect.Effect<ReadonlyArray<string>>
  /** Unpublishes a key at once, whatever its state (e.g. a compromised key). */
  readonly remove: (kid: string) => Effect.Effect<SigningKey, UnknownKey>
  /**
   * Imports an operator-supplied PKCS#8 private key and its certificate, as `next` (default) or straight `active`.
   */
  readonly importPem: (input: {
    readonly privateKeyPem: string
    readonly certificatePem: string
    readonly kid?: string | undefined
    readonly state?: "next" | "active" | undefined
  }) => Effect.Effect<SigningKey, KeyImportError | DuplicateKey>
  /** Reads key changes made elsewhere in the store (also done whenever the change feed brings one). */
  readonly reload: Effect.Effect<void>
  /** TTL + clock tolerance + JWKS cache time. */
  readonly retention: Duration.Duration
  /** How long a `next` key is published before the schedule activates it. */
  readonly publishLead: Duration.Duration
}

const sameState = (a: KeyMaterial, key: SigningKey) =>
  a.state === key.state && a.activatedAt === key.activatedAt && a.retiredAt === key.retiredAt

/**
 * Loads the keys and builds both services. Needs a scope for the background fibers.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: PersistentKeysOptions = {}
): Effect.Effect<
  { readonly keys: PersistentKeysService; readonly keyStore: KeyStore.Service },
  never,
  Store | ChangeFeed | Scope.Scope
> =>
  Effect.gen(function*() {
    const store = yield* Store
    const feed = yield* ChangeFeed
    const alg = options.alg ?? "RS256"
    const jwksCacheTime = Duration.decode(options.jwksCacheTime ?? Duration.seconds(600))
    const retention = Duration.sum(
      Duration.sum(
        Duration.decode(options.tokenTtl ?? Duration.seconds(120)),
        options.clockTolerance ?? Duration.seconds(30)
      ),
      jwksCacheTime
    )
    const publishLead = Duration.decode(options.publishLead ?? jwksCacheTime)
    const lock = yield* Effect.makeSemaphore(1)
    const sealer = makeSealer(options.keyEncryptionSecret)
    const openMaterial = (material: KeyMaterial) =>
      Effect.try({
        try: (): KeyMaterial => ({ ...material, privateKeyPem: sealer.open(material.privateKeyPem) }),
        catch: (error) => error as Error
      })
    const load = (material: KeyMaterial) =>
      Effect.flatMap(
        Effect.orDieWith(openMaterial(material), (error) => new Error(`Stored key ${material.kid}: ${error.message}`)),
        (opened) =>
          importKey(opened).pipe(
            Effect.orDieWith((error) => new Error(`Stored key ${material.kid} cannot be loaded: ${error.message}`))
          )
      )

    // What the store holds, by kid (states only matter here: the private key is never rewritten).
    const persisted = new Map<string, KeyMaterial>()
    const materials = yield* store.keys.list()
    const loaded: Array<SigningKey> = []
    for (const material of materials) {
      loaded.push(yield* load(material))
      persisted.set(material.kid, material)
      if (options.keyEncryptionSecret !== undefined && !isSealed(material.privateKeyPem)) {
        yield* store.keys.replacePrivateKey(material.kid, sealer.seal(material.privateKeyPem))
        yield* Effect.logInfo("Sealed a stored private key").pipe(Effect.annotateLogs("kid", material.kid))
      }
    }
    const keyStore = yield* KeyStore.make(loaded).pipe(Effect.orDie)

    // Writes what the in-memory key store changed: new keys (sealed), then every state change in one transaction.
    const sync = Effect.gen(function*() {
      const changes: Array<KeyStateChange> = []
      for (const key of yield* keyStore.keys) {
        const stored = persisted.get(key.kid)
        if (stored === undefined) {
          const material = yield* exportKeyMaterial(key)
          yield* store.keys.insert({ ...material, privateKeyPem: sealer.seal(material.privateKeyPem) })
          persisted.set(key.kid, material)
        } else if (!sameState(stored, key)) {
          changes.push({ kid: key.kid, state: key.state, activatedAt: key.activatedAt, retiredAt: key.retiredAt })
        }
      }
      yield* store.keys.setStates(changes)
      for (const change of changes) {
        const stored = persisted.get(change.kid)!
        persisted.set(change.kid, { ...stored, ...change })
      }
    })

    // Brings the store's view in (a change by the CLI or another replica). The store's active key is applied first,
    // so the signing key is replaced in one step and there is never a moment without one.
    const applyStored = Effect.gen(function*() {
      const stored = yield* store.keys.list()
      const ordered = [...stored].sort((a, b) => Number(b.state === "active") - Number(a.state === "active"))
      for (const material of ordered) {
        const current = yield* Effect.option(keyStore.get(material.kid))
        if (Option.isNone(current)) {
          const imported = yield* Effect.either(
            Effect.flatMap(Effect.mapError(openMaterial(material), (e) => ({ message: e.message })), importKey)
          )
          if (imported._tag === "Left") {
            yield* Effect.logWarning("A stored signing key cannot be loaded; it is left out").pipe(
              Effect.annotateLogs({ kid: material.kid, reason: imported.left.message })
            )
            continue
          }
          yield* Effect.ignore(keyStore.add(imported.right))
        } else if (current.value.state !== material.state) {
          if (material.state === "active") yield* Effect.ignore(keyStore.activate(material.kid))
          else if (material.state === "retired") yield* Effect.ignore(keyStore.retire(material.kid))
          else continue
        } else {
          continue
        }
        persisted.set(material.kid, material)
        yield* Effect.logInfo("Loaded a signing key change from the store").pipe(
          Effect.annotateLogs({ kid: material.kid, state: material.state })
        )
      }
      const storedKids = new Set(stored.map((material) => material.kid))
      for (const key of yield* keyStore.keys) {
        if (storedKids.has(key.kid) || key.state === "active") continue
        yield* Effect.ignore(keyStore.remove(key.kid))
        persisted.delete(key.kid)
      }
    })

    const reload = lock.withPermits(1)(Effect.uninterruptible(applyStored))

    // A change decided here: under the store's key lock, on the store's latest view, then written back.
    const decided = <A, E>(effect: Effect.Effect<A, E>) =>
      lock.withPermits(1)(Effect.uninterruptible(
        store.keys.exclusive(Effect.zipRight(applyStored, Effect.zipLeft(effect, sync)))
      ))

    const add = (key: SigningKey) => decided(keyStore.add(key))

    if (Option.isNone(yield* Effect.option(keyStore.activeKey)) && options.generateIfMissing !== false) {
      const key = yield* generateKey({ alg, state: "active" })
      const created = yield* decided(Effect.gen(function*() {
        // Another replica may have created the first key while we generated ours.
        if (Option.isSome(yield* Effect.option(keyStore.activeKey))) return false
        yield* keyStore.add(key)
        return true
      })).pipe(Effect.orDie)
      if (created) {
        const used = yield* store.audit.list({ limit: 1, outcome: "issued" })
        if (materials.length > 0 || used.length > 0) {
          yield* Effect.logWarning(
            "The store had no active signing key, so a new one was generated: tokens signed by the keys that are " +
              "gone can no longer be verified (unknown_key)"
          ).pipe(Effect.annotateLogs({ kid: key.kid, alg, storedKeys: materials.length }))
        } else {
          yield* Effect.logInfo("Generated a new active signing key").pipe(Effect.annotateLogs({ kid: key.kid, alg }))
        }
      }
    } else if (options.generateIfMissing !== false) {
      // Loading may itself have changed states (two active rows after an interrupted activation).
      yield* lock.withPermits(1)(sync)
    }

    const rotate: PersistentKeysService["rotate"] = (rotateOptions) =>
      Effect.flatMap(generateKey({ alg: rotateOptions?.alg ?? alg, state: "next" }), (key) =>
        add(key).pipe(
          Effect.orDie,
          Effect.tap((added) =>
            Effect.logInfo("Published a next signing key").pipe(Effect.annotateLogs("kid", added.kid))
          )
        ))

    const activate: PersistentKeysService["activate"] = (kid) =>
      decided(keyStore.activate(kid)).pipe(
        Effect.tap(() => Effect.logInfo("Activated a signing key").pipe(Effect.annotateLogs("kid", kid)))
      )

    const newestNext = Effect.map(keyStore.keys, (keys) =>
      Option.fromNullable(
        keys.filter((key) => key.state === "next").sort((a, b) => b.createdAt - a.createdAt)[0]
      ))

    const promoteNext: PersistentKeysService["promoteNext"] = () =>
      Effect.flatMap(
        newestNext,
        Option.match({
          onNone: () => Effect.fail(new NoNextKey()),
          onSome: (key) => Effect.orDie(activate(key.kid))
        })
      )

    const prune: PersistentKeysService["prune"] = (now) =>
      Effect.flatMap(now === undefined ? Clock.currentTimeMillis : Effect.succeed(now), (at) =>
        lock.withPermits(1)(Effect.uninterruptible(
          Effect.gen(function*() {
            const removed = yield* keyStore.prune(at - Duration.toMillis(retention))
            for (const key of removed) {
              yield* store.keys.remove(key.kid)
              persisted.delete(key.kid)
            }
            if (removed.length > 0) {
              yield* Effect.logInfo("Pruned retired signing keys").pipe(
                Effect.annotateLogs(
                  "kids",
                  removed.map((key) =>
                    key.kid
                  ).join(",")
                )
              )
            }
            return removed.map((key) => key.kid)
          })
        )))

    const remove: PersistentKeysService["remove"] = (kid) =>
      lock.withPermits(1)(Effect.uninterruptible(
        Effect.tap(keyStore.remove(kid), () =>
          Effect.zipRight(
            store.keys.remove(kid),
            Effect.sync(() => persisted.delete(kid))
          ))
      ))

    const importPem: PersistentKeysService["importPem"] = (input) =>
      Effect.flatMap(
        importPemKey({
          privateKeyPem: input.privateKeyPem,
          certificatePem: input.certificatePem,
          state: input.state ?? "next",
          ...(input.kid === undefined ? {} : { kid: input.kid })
        }),
        add
      )

    yield* feed.subscribe("keys", () => reload)

    const service: PersistentKeysService = {
      rotate,
      activate,
      promoteNext,
      prune,
      remove,
      importPem,
      reload,
      retention,
      publishLead
    }

    if (options.generateIfMissing === false) return { keys: service, keyStore }

    yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(
        Effect.sleep(options.pruneInterval ?? Duration.minutes(1)),
        prune().pipe(Effect.catchAllDefect((defect) => Effect.logWarning("Pruning keys failed", defect)))
      ))
    )

    if (options.rotationInterval !== undefined) {
      const interval = Duration.toMillis(options.rotationInterval)
      const lead = Duration.toMillis(publishLead)
      const waitUntil = (at: number) =>
        Effect.flatMap(
          Clock.currentTimeMillis,
          (now) => at > now ? Effect.sleep(Duration.millis(Math.min(at - now, 60_000))) : Effect.void
        )
      const activeSince = Effect.map(
        Effect.option(keyStore.activeKey),
        (active) => Option.isSome(active) ? active.value.activatedAt ?? active.value.createdAt : 0
      )
      // Each step re-decides under the key lock on the store's view: whichever replica gets there first rotates,
      // the others find the work done. Sleeps are capped so a change elsewhere is seen within a minute.
      const step = Effect.gen(function*() {
        const next = yield* newestNext
        const now = yield* Clock.currentTimeMillis
        if (Option.isSome(next)) {
          if (now < next.value.createdAt + lead) return yield* waitUntil(next.value.createdAt + lead)
          yield* decided(Effect.gen(function*() {
            const still = yield* newestNext
            if (Option.isSome(still) && (yield* Clock.currentTimeMillis) >= still.value.createdAt + lead) {
              yield* keyStore.activate(still.value.kid)
              yield* Effect.logInfo("Activated a signing key (scheduled)").pipe(
                Effect.annotateLogs("kid", still.value.kid)
              )
            }
          })).pipe(Effect.ignore)
          return
        }
        const due = (yield* activeSince) + interval - lead
        if (now < due) return yield* waitUntil(due)
        const key = yield* generateKey({ alg, state: "next" })
        yield* decided(Effect.gen(function*() {
          if (Option.isSome(yield* newestNext)) return
          const now = yield* Clock.currentTimeMillis
          if (now < (yield* activeSince) + interval - lead) return
          // Dated when it is published, not when its generation began (seconds earlier on a loaded machine): the
          // publish lead before it signs counts from here.
          yield* keyStore.add({ ...key, createdAt: now })
          yield* Effect.logInfo("Published a next signing key (scheduled)").pipe(Effect.annotateLogs("kid", key.kid))
        })).pipe(Effect.ignore)
      })
      yield* Effect.forkScoped(Effect.forever(
        step.pipe(Effect.catchAllDefect((defect) =>
          Effect.zipRight(Effect.logWarning("Key rotation failed; retrying", defect), Effect.sleep("5 seconds"))
        ))
      ))
    }

    return { keys: service, keyStore }
  })

/**
 * Provides `PersistentKeys` and core's `KeyStore` (for `TokenIssuer` and the JWKS), loaded from the `Store`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: PersistentKeysOptions = {}
): Layer.Layer<PersistentKeys | KeyStore, never, Store | ChangeFeed> =>
  Layer.scopedContext(
    Effect.map(
      make(options),
      ({ keyStore, keys }) => Context.make(PersistentKeys, keys).pipe(Context.add(KeyStore, keyStore))
    )
  )

const nonNegative = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must not be negative", validation: (n) => n >= 0 }),
    Config.withDefault(fallback)
  )

/**
 * The options read from the environment:
 *
 * | variable | default |
 * |---|---|
 * | `CHATAUTH_SIGNING_ALG` | `RS256` (or `ES256`, `EdDSA`) |
 * | `CHATAUTH_KEY_ENCRYPTION_SECRET` | unset: private keys stored in clear |
 * | `CHATAUTH_CLOCK_TOLERANCE_SECONDS` | 30 |
 * | `CHATAUTH_JWKS_CACHE_SECONDS` | 600 |
 * | `CHATAUTH_KEY_ROTATION_HOURS` | unset: no automatic rotation |
 * | `CHATAUTH_KEY_PUBLISH_LEAD_SECONDS` | `CHATAUTH_JWKS_CACHE_SECONDS` |
 *
 * The token lifetime is not read here: the server's configuration reads it once and passes it as `tokenTtl`.
 *
 * @since 0.1.0
 * @category config
 */
export const optionsConfig: Config.Config<PersistentKeysOptions> = Config.all({
  alg: Config.literal("RS256", "ES256", "EdDSA")("CHATAUTH_SIGNING_ALG").pipe(Config.withDefault("RS256" as const)),
  secret: Config.option(Config.redacted("CHATAUTH_KEY_ENCRYPTION_SECRET")),
  tolerance: nonNegative("CHATAUTH_CLOCK_TOLERANCE_SECONDS", 30),
  jwksCache: nonNegative("CHATAUTH_JWKS_CACHE_SECONDS", 600),
  rotationHours: Config.option(
    Config.number("CHATAUTH_KEY_ROTATION_HOURS").pipe(
      Config.validate({ message: "must be a positive number", validation: (n) => n > 0 })
    )
  ),
  lead: Config.option(
    Config.integer("CHATAUTH_KEY_PUBLISH_LEAD_SECONDS").pipe(
      Config.validate({ message: "must not be negative", validation: (n) => n >= 0 })
    )
  )
}).pipe(Config.map((c): PersistentKeysOptions => ({
  alg: c.alg,
  keyEncryptionSecret: Option.getOrUndefined(c.secret),
  clockTolerance: Duration.seconds(c.tolerance),
  jwksCacheTime: Duration.seconds(c.jwksCache),
  rotationInterval: Option.match(c.rotationHours, {
    onNone: () => undefined,
    onSome: (hours) => Duration.millis(Math.round(hours * 3_600_000))
  }),
  publishLead: Duration.seconds(Option.getOrElse(c.lead, () => c.jwksCache))
})))

/**
 * Persistent signing keys and their rotation. `PersistentKeys.layer(options)` needs the `Store` and the
 * `ChangeFeed`, and also provides core's `KeyStore`.
 *
 * @since 0.1.0
 * @category services
 */
export class PersistentKeys extends Context.Tag("@chatauth/server/PersistentKeys")<
  PersistentKeys,
  PersistentKeysService
>() {
  /**
   * @since 0.1.0
   */
  static readonly make = make
  /**
   * @since 0.1.0
   */
  static readonly layer = layer
}

/**
 * Routing of chats to Channel Server sites and pools.
 *
 * New chats spread over the configured sites by weight and over each site's pools by pool weight, with smooth
 * weighted round-robin (exact proportions over every cycle, interleaved picks). Rules in the config pin matching
 * requests to a subset of sites. `resumeType: "RESUME"` sends a user back to their last site and pool while that
 * assignment is fresh and the site and pool are still configured. Assignments are kept in an {@link AssignmentStore}
 * so they survive restarts.
 *
 * Decisions:
 * - Every routed request records its assignment, including chats without `resumeType`: a later RESUME then returns
 *   to wherever the user's latest chat went, whatever that chat asked for.
 * - A resumed assignment is recorded again with the current time, so the window slides while the user keeps
 *   resuming (the conversation is still active on that site).
 * - RESUME takes precedence over rules: the conversation lives on the site it started on. A site or pool removed
 *   from the config is no longer resumable; the request is routed anew.
 * - A resume window of 0 disables resuming.
 *
 * @since 0.1.0
 */
import type { FileSystem } from "@effect/platform"
import type { ConfigError } from "effect"
import { Config, Context, Effect, Exit, Layer, Option } from "effect"
import type { ChannelServer, Pool, RoutingConfig, RoutingConfigError } from "../config/RoutingConfig.js"
import { loadRoutingConfig } from "../config/RoutingConfig.js"
import { Journal } from "../store/Journal.js"
import { Store } from "../store/Store.js"
import { smoothWeightedRoundRobin } from "./internal/smoothWeightedRoundRobin.js"

/**
 * The default resume window: 30 minutes.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultResumeWindowSeconds = 30 * 60

/**
 * An assignment as persisted: where `authUserName` was last routed, and when (epoch milliseconds).
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredAssignment {
  readonly authUserName: string
  readonly chatSiteName: string
  readonly domain: string
  readonly poolId: string
  readonly assignedAt: number
}

/**
 * Persistence of users' last assignments. The `Store` and its `Journal` fill it ({@link AssignmentStore.layerFromStore}:
 * shared by every replica, written with the audit rows of the same requests); {@link AssignmentStore.layerMemory}
 * keeps them in memory.
 * Failures are defects (the store is broken), never business errors.
 *
 * Each operation is written once, in its callback form (`findCallback`, `recordNow`), which the route calls without a
 * fiber; `find` and `record` are the same operations as Effects ({@link AssignmentStore.make} derives them).
 *
 * @since 0.1.0
 * @category services
 */
export class AssignmentStore extends Context.Tag("@chatauth/server/AssignmentStore")<AssignmentStore, {
  /** The user's last assignment, if any. */
  readonly find: (authUserName: string) => Effect.Effect<Option.Option<StoredAssignment>>
  /** Records (replaces) the user's last assignment. */
  readonly record: (assignment: StoredAssignment) => Effect.Effect<void>
  /** `find` with a callback, called at once when the store can answer now (memory, SQLite). */
  readonly findCallback: (
    authUserName: string,
    done: (exit: Exit.Exit<Option.Option<StoredAssignment>>) => void
  ) => void
  /** `record`, synchronously. */
  readonly recordNow: (assignment: StoredAssignment) => void
}>() {
  /**
   * A store from its two operations in callback form.
   *
   * @since 0.3.0
   * @category constructors
   */
  static make(operations: {
    readonly findCallback: AssignmentStore["Type"]["findCallback"]
    readonly recordNow: AssignmentStore["Type"]["recordNow"]
  }): AssignmentStore["Type"] {
    const { findCallback, recordNow } = operations
    return AssignmentStore.of({
      find: (authUserName) => Effect.async((resume) => findCallback(authUserName, resume)),
      record: (assignment) => Effect.sync(() => recordNow(assignment)),
      findCallback,
      recordNow
    })
  }

  /**
   * An in-memory store, for tests and for running without persistence. It keeps the most recently assigned
   * `maxEntries` users (default 100,000) so memory stays bounded under a stream of distinct user names.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerMemory(options?: { readonly maxEntries?: number | undefined }): Layer.Layer<AssignmentStore> {
    return Layer.sync(AssignmentStore, () => makeMemory(options?.maxEntries ?? 100_000))
  }

  /**
   * Assignments in the server's `Store`, recorded through the `Journal` (group commit) and read back from it until
   * committed.
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerFromStore: Layer.Layer<AssignmentStore, never, Store | Journal> = Layer.effect(
    AssignmentStore,
    Effect.gen(function*() {
      const store = yield* Store
      const journal = yield* Journal
      return AssignmentStore.make({
        findCallback: (authUserName, done) => {
          const pending = journal.pendingAssignment(authUserName)
          if (Option.isSome(pending)) return done(Exit.succeed(pending))
          store.assignments.findCallback(authUserName, done)
        },
        recordNow: (assignment) => journal.recordAssignment(assignment)
      })
    })
  )
}

const makeMemory = (maxEntries: number): AssignmentStore["Type"] => {
  // A Map iterates in insertion order: deleting before setting moves a user to the end, so the first key is always
  // the least recently assigned one.
  const entries = new Map<string, StoredAssignment>()
  return AssignmentStore.make({
    findCallback: (authUserName, done) => done(Exit.succeed(Option.fromNullable(entries.get(authUserName)))),
    recordNow: (assignment) => {
      entries.delete(assignment.authUserName)
      entries.set(assignment.authUserName, assignment)
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!)
    }
  })
}

/**
 * What the router needs from a chatAuthenticate request.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouteRequest {
  readonly authUserName: string
  readonly resumeType?: "RESUME" | "DO_NOT_RESUME" | null | undefined
  readonly queueId?: string | null | undefined
  readonly interfaceId?: string | null | undefined
  readonly stripeCode?: string | null | undefined
  readonly applicationClassification?: string | null | undefined
}

/**
 * Where a chat goes. `resumed` is true when it returns to the user's previous site and pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface Assignment {
  readonly chatSiteName: string
  readonly domain: string
  readonly poolId: string
  readonly resumed: boolean
}

/**
 * Options of {@link Router.layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface RouterOptions {
  /** Overrides the config file's `resumeWindowSeconds`; default 1800. 0 disables resuming. */
  readonly resumeWindowSeconds?: number | undefined
}

/**
 * The router service.
 *
 * @since 0.1.0
 * @category services
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { AssignmentStore, Router } from "@chatauth/server/Router"
 * import { defaultRoutingConfig } from "@chatauth/server/RoutingConfig"
 *
 * const program = Effect.gen(function*() {
 *   const router = yield* Router
 *   const { chatSiteName, domain, poolId } = yield* router.route({ authUserName: "jane", resumeType: "RESUME" })
 *   return `https://${domain}/engagement/api/consumer/${chatSiteName}/v1/requestEngagement?pool=${poolId}`
 * }).pipe(
 *   Effect.provide(Router.layer(defaultRoutingConfig).pipe(Layer.provide(AssignmentStore.layerMemory())))
 * )
 * ```
 */
export class Router extends Context.Tag("@chatauth/server/Router")<Router, {
  /** Decides where the chat goes and records it. */
  readonly route: (request: RouteRequest) => Effect.Effect<Assignment>
  /**
   * `route` with a callback: `done` is called at once when the previous assignment is known now (memory; SQLite; no
   * RESUME), or when the store's read answers (PostgreSQL).
   */
  readonly routeCallback: (request: RouteRequest, done: (exit: Exit.Exit<Assignment>) => void) => void
}>() {
  /**
   * A router over a decoded config.
   *
   * @since 0.1.0
   * @category layers
   */
  static layer(config: RoutingConfig, options?: RouterOptions): Layer.Layer<Router, never, AssignmentStore> {
    return Layer.effect(Router, makeRouter(config, options))
  }

  /**
   * A router over the config file at `path` (the default single site without a path). A bad file fails the layer,
   * so the server refuses to start.
   *
   * @since 0.1.0
   * @category layers
   */
  static layerFile(
    path: string | undefined,
    options?: RouterOptions
  ): Layer.Layer<Router, RoutingConfigError, AssignmentStore | FileSystem.FileSystem> {
    return Layer.unwrapEffect(Effect.map(loadRoutingConfig(path), (config) => Router.layer(config, options)))
  }

  /**
   * A router configured from `CHATAUTH_CONFIG` (path of the routing config file; unset or empty: the
   * default site) and `CHATAUTH_RESUME_WINDOW_SECONDS` (overrides the file's `resumeWindowSeconds`).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerConfig: Layer.Layer<
    Router,
    ConfigError.ConfigError | RoutingConfigError,
    AssignmentStore | FileSystem.FileSystem
  > = Layer.unwrapEffect(
    Effect.gen(function*() {
      const path = yield* Config.option(Config.string("CHATAUTH_CONFIG"))
      const window = yield* Config.option(
        Config.integer("CHATAUTH_RESUME_WINDOW_SECONDS").pipe(
          Config.validate({ message: "must be a whole number of seconds, 0 or more", validation: (n) => n >= 0 })
        )
      )
      return Router.layerFile(
        Option.getOrUndefined(Option.filter(path, (p) => p.trim() !== "")),
        { resumeWindowSeconds: Option.getOrUndefined(window) }
      )
    })
  )
}

interface SiteState {
  readonly site: ChannelServer
  readonly pools: ReadonlyMap<string, Pool>
  readonly nextPool: () => Pool
}

type MatchKey = "queueId" | "interfaceId" | "stripeCode" | "applicationClassification"

interface CompiledRule {
  readonly criteria: ReadonlyArray<readonly [MatchKey, ReadonlyArray<string>]>
  readonly nextSite: () => SiteState
}

const matches = (rule: CompiledRule, request: RouteRequest): boolean => {
  for (const [key, values] of rule.criteria) {
    const value = request[key]
    if (value === null || value === undefined || !values.includes(value)) return false
  }
  return true
}

/**
 * Builds a router over `config`. Exposed for tests and custom wiring; {@link Router.layer} is the usual entry.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeRouter = (
  config: RoutingConfig,
  options?: RouterOptions
): Effect.Effect<Router["Type"], never, AssignmentStore> =>
  Effect.gen(function*() {
    const store = yield* AssignmentStore
    const windowSeconds = options?.resumeWindowSeconds ?? config.resumeWindowSeconds ?? defaultResumeWindowSeconds
    if (!Number.isFinite(windowSeconds) || windowSeconds < 0) {
      return yield* Effect.dieMessage(`resumeWindowSeconds must be 0 or more, got ${windowSeconds}`)
    }
    const windowMillis = windowSeconds * 1000

    const sites = new Map<string, SiteState>()
    for (const site of config.channelServers) {
      sites.set(site.chatSiteName, {
        site,
        pools: new Map(site.pools.map((pool) => [pool.id, pool])),
        // Pools have one balancer per site, shared by rule-pinned and general traffic, so a site's pools stay
        // evenly loaded whichever way requests reach it.
        nextPool: smoothWeightedRoundRobin(site.pools.map((pool) => ({ item: pool, weight: pool.weight })))
      })
    }
    const balance = (names: Iterable<string>) =>
      smoothWeightedRoundRobin(
        [...new Set(names)].map((name) => sites.get(name)!).map((state) => ({ item: state, weight: state.site.weight }))
      )
    const nextSite = balance(sites.keys())
    const rules: ReadonlyArray<CompiledRule> = config.rules.flatMap((rule) => {
      const known = rule.sites.filter((name) => sites.has(name))
      // The schema rejects unknown sites; this guards configs built in code without decoding.
      if (known.length === 0) return []
      return [{
        criteria: (Object.entries(rule.match) as Array<[MatchKey, ReadonlyArray<string> | undefined]>)
          .filter((entry): entry is [MatchKey, ReadonlyArray<string>] => entry[1] !== undefined),
        nextSite: balance(known)
      }]
    })

    const pickSite = (request: RouteRequest): SiteState => {
      for (const rule of rules) {
        if (matches(rule, request)) return rule.nextSite()
      }
      return nextSite()
    }

    // RESUME returns to the previous site and pool while they exist and the window runs; anything else is balanced
    // anew (which advances the balancers).
    const decide = (request: RouteRequest, previous: Option.Option<StoredAssignment>, now: number) => {
      if (Option.isSome(previous) && now - previous.value.assignedAt < windowMillis) {
        const state = sites.get(previous.value.chatSiteName)
        // The domain comes from the current config: a site keeps its identity (name) when its host moves.
        if (state !== undefined && state.pools.has(previous.value.poolId)) {
          return { site: state.site, poolId: previous.value.poolId, resumed: true }
        }
      }
      const state = pickSite(request)
      return { site: state.site, poolId: state.nextPool().id, resumed: false }
    }

    const clock = yield* Effect.clock
    // Decides once the previous assignment is known, and records the decision.
    const decideNow = (request: RouteRequest, previous: Option.Option<StoredAssignment>): Assignment => {
      const now = clock.unsafeCurrentTimeMillis()
      const { poolId, resumed, site } = decide(request, previous, now)
      store.recordNow({
        authUserName: request.authUserName,
        chatSiteName: site.chatSiteName,
        domain: site.domain,
        poolId,
        assignedAt: now
      })
      return { chatSiteName: site.chatSiteName, domain: site.domain, poolId, resumed }
    }

    const routeCallback = (request: RouteRequest, done: (exit: Exit.Exit<Assignment>) => void): void => {
      if (request.resumeType !== "RESUME" || windowMillis === 0) {
        return done(Exit.succeed(decideNow(request, Option.none())))
      }
      store.findCallback(
        request.authUserName,
        (exit) => done(Exit.map(exit, (previous) => decideNow(request, previous)))
      )
    }

    return Router.of({
      routeCallback,
      route: (request) => Effect.async<Assignment>((resume) => routeCallback(request, resume))
    })
  })

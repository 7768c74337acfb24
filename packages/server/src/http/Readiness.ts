/**
 * Whether the server is ready to serve: `starting` until the store, keys and listener are up, `ready` while it
 * serves, `stopping` once a shutdown has begun (so load balancers drain it before connections close).
 *
 * @example
 * import { Readiness } from "@chatauth/server"
 * import { Effect, Ref } from "effect"
 *
 * const isReady = Effect.flatMap(Readiness.Readiness, (state) => Effect.map(Ref.get(state), (s) => s === "ready"))
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Ref } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export type ReadinessState = "starting" | "ready" | "stopping"

/**
 * @since 0.1.0
 * @category services
 */
export class Readiness extends Context.Tag("@chatauth/server/Readiness")<Readiness, Ref.Ref<ReadinessState>>() {
  /** @since 0.1.0 */
  static readonly layer: Layer.Layer<Readiness> = Layer.effect(Readiness, Ref.make<ReadinessState>("starting"))
  /** @since 0.1.0 */
  static readonly set = (state: ReadinessState) => Effect.flatMap(Readiness, (ref) => Ref.set(ref, state))
}

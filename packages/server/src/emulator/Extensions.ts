import { KeyStore } from "@chatauth/core"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { type Context, Duration, Effect } from "effect"
import { CallerAuth } from "../auth/CallerAuth.js"
import { loadRoutingConfig } from "../config/RoutingConfig.js"
import type { FrontendHooks } from "../http/NodeFrontend.js"
import * as ChannelServerEmulator from "./ChannelServerEmulator.js"
import { chatAuthenticateFault, makeAdmin } from "./FaultAdmin.js"
import * as FaultInjection from "./FaultInjection.js"

/**
 * What the extensions are built from: the members of the server's options they read.
 */
export interface ExtensionOptions {
  /** Serve the Channel Server emulator on `/engagement/`. */
  readonly channelServer?: boolean | undefined
  /** Serve the fault injection admin and wrap chatAuthenticate with its faults. */
  readonly faults?: boolean | undefined
  readonly realm?: string | undefined
  readonly routingConfigPath?: string | undefined
  readonly tokenIssuer?: string | undefined
  readonly keys?: { readonly clockTolerance?: Duration.DurationInput | undefined } | undefined
}

/**
 * The listener's hooks for what `--channel-server` and `--faults` turn on; none when both are off, so that the
 * server then runs exactly as without them.
 */
export const makeHooks = (
  options: ExtensionOptions,
  context: Context.Context<KeyStore.KeyStore | CallerAuth>
): Effect.Effect<FrontendHooks, { readonly message: string }> =>
  Effect.gen(function*() {
    if (options.channelServer !== true && options.faults !== true) return {}
    const faults = options.faults === true ? yield* FaultInjection.make : undefined
    const admin = faults === undefined
      ? undefined
      : makeAdmin(faults, yield* Effect.provide(CallerAuth, context), options.realm ?? "chatauth")
    let emulator: ChannelServerEmulator.ChannelServerEmulatorService | undefined
    if (options.channelServer === true) {
      const config = yield* loadRoutingConfig(options.routingConfigPath).pipe(Effect.provide(NodeContext.layer))
      const tolerance = options.keys?.clockTolerance
      emulator = yield* ChannelServerEmulator.make({
        config,
        issuer: options.tokenIssuer,
        clockToleranceSeconds: tolerance === undefined ? undefined : Duration.toSeconds(tolerance),
        faults
      }).pipe(Effect.provide(context))
    }
    return {
      route: (path) => {
        if (emulator !== undefined && path.startsWith("/engagement/")) return emulator.handle
        return admin?.(path)
      },
      chatAuthenticate: faults === undefined ? undefined : chatAuthenticateFault(faults)
    }
  })

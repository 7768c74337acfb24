/**
 * The conformance kit's model: what an endpoint is, the settings and keys the cases are judged with, what a case
 * may use, and what it finds.
 */
import type { JsonWebKeySet } from "@chatauth/core/TokenVerifier"
import type { Effect } from "effect"
import type { Credentials, Exchange, WireRequest } from "./wire.js"

/** What an endpoint is: this project's server, or anything else (an Oracle pod, a proxy, a fake). */
export type EndpointKind = "chatauth" | "pod"

/** The settings the cases are judged with. */
export interface Settings {
  readonly issuer: string
  readonly tokenTtlSeconds: number
  readonly clockToleranceSeconds: number
  readonly audienceDomain: string | undefined
  readonly lockout: boolean
}

/** The keys the token's signature is verified with, or why there are none. */
export type Keys =
  | { readonly _tag: "Found"; readonly url: string; readonly jwks: JsonWebKeySet }
  | { readonly _tag: "Missing"; readonly reason: string }
  | { readonly _tag: "Unusable"; readonly reason: string }

/** What a case may use: the endpoint's answers (each request sent once), its keys, throwaway credentials. */
export interface CaseContext {
  readonly kind: EndpointKind
  readonly settings: Settings
  readonly exchange: (request: WireRequest) => Effect.Effect<Exchange>
  readonly keys: Effect.Effect<Keys>
  /** A caller name that does not exist, with some password. */
  readonly unknownCaller: Credentials
  /** The caller's own name with a password that is not its own. */
  readonly wrongPassword: Credentials
  /** Another name that does not exist, for the lockout. */
  readonly lockoutCaller: Credentials
}

/** What a case found: nothing wrong, every deviation, or why it was not run. */
export type Outcome =
  | { readonly _tag: "Pass" }
  | { readonly _tag: "Fail"; readonly messages: ReadonlyArray<string> }
  | { readonly _tag: "Skip"; readonly reason: string }

/** A case of the catalogue: what it is for the docs, when it is not run, and how it judges. */
export interface CaseDefinition {
  readonly id: string
  readonly title: string
  readonly sends: string
  readonly expects: string
  /** Where the rule comes from: the contract's section and its source (Oracle, a sample, a decision of ours). */
  readonly rule: string
  /** When the case is not run, in words; `undefined` when it always runs. */
  readonly skipped?: string
  /** Why the case is not run against this endpoint, decided before it sends anything. */
  readonly skipReason?: (kind: EndpointKind, settings: Settings) => string | undefined
  readonly run: (context: CaseContext) => Effect.Effect<Outcome>
}

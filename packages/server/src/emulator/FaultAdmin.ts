import { STATUS_TITLES } from "@chatauth/core/Resource"
import { Duration, Effect, Either } from "effect"
import type { CallerAuthService } from "../auth/CallerAuth.js"
import { parseBasicAuthorization, type WireRequest, type WireResponse } from "../issue/ChatAuthenticateHandler.js"
import {
  ADMIN_PATHS,
  ADMIN_PRIVILEGE,
  allowedStatuses,
  type Fault,
  type FaultInjectionService,
  type FaultTarget,
  TARGETS
} from "./FaultInjection.js"
import { header, json, readJsonObject, refusal } from "./internal/wire.js"

const MAX_COUNT = 1000
const MAX_DELAY_MS = 120_000
const MAX_SHIFT_SECONDS = 10 * 365 * 24 * 3600

const isTarget = (value: unknown): value is FaultTarget => TARGETS.includes(value as FaultTarget)

const integerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max

/** One fault entry of a POST body, checked; the error names what is wrong. */
export const parseFault = (
  entry: unknown
): Either.Either<{ readonly target: FaultTarget; readonly fault: Fault; readonly count: number }, string> => {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
    return Either.left("a fault must be a JSON object")
  }
  const { count = 1, delayMs, drop, retryAfterSeconds, status, target, ...rest } = entry as Record<string, unknown>
  const unknown = Object.keys(rest)
  if (unknown.length > 0) return Either.left(`unknown member ${JSON.stringify(unknown[0])}`)
  if (!isTarget(target)) return Either.left(`target must be one of ${TARGETS.join(", ")}`)
  if (!integerIn(count, 1, MAX_COUNT)) return Either.left(`count must be an integer from 1 to ${MAX_COUNT}`)
  const kinds = [status !== undefined, delayMs !== undefined, drop !== undefined].filter(Boolean).length
  if (kinds !== 1) return Either.left("give exactly one of status, delayMs, drop")
  if (retryAfterSeconds !== undefined && (status === undefined || !integerIn(retryAfterSeconds, 0, 86_400))) {
    return Either.left("retryAfterSeconds goes with a status, as an integer from 0 to 86400")
  }
  if (status !== undefined) {
    const allowed = allowedStatuses(target)
    if (!allowed.includes(status as number)) {
      return Either.left(`status for ${target} must be one of ${allowed.join(", ")}`)
    }
    return Either.right({
      target,
      count,
      fault: {
        kind: "status",
        status: status as number,
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds: retryAfterSeconds as number })
      }
    })
  }
  if (delayMs !== undefined) {
    if (!integerIn(delayMs, 0, MAX_DELAY_MS)) return Either.left(`delayMs must be an integer from 0 to ${MAX_DELAY_MS}`)
    return Either.right({ target, count, fault: { kind: "delay", delayMs } })
  }
  if (drop !== true) return Either.left("drop must be true")
  return Either.right({ target, count, fault: { kind: "drop" } })
}

const state = (faults: FaultInjectionService) => ({
  faults: faults.queued().map(({ fault, remaining, target }) => ({ target, ...fault, remaining })),
  clockOffsetSeconds: faults.clockOffsetSeconds()
})

/**
 * The admin endpoints, behind Basic authentication of a caller with `CHATAUTH_ADMIN`:
 * `GET|POST|DELETE /chatauth/faults` (list, queue, clear) and `GET|POST|DELETE /chatauth/clock` (read, shift, reset).
 */
export const makeAdmin = (
  faults: FaultInjectionService,
  callers: CallerAuthService,
  realm: string
) => {
  const unauthorized = refusal(401, "send the Basic credentials of a caller with the CHATAUTH_ADMIN privilege", {
    headers: { "www-authenticate": `Basic realm="${realm}", charset="UTF-8"` }
  })

  const authorize = (request: WireRequest): Effect.Effect<WireResponse | undefined> => {
    const credentials = parseBasicAuthorization(header(request, "authorization"))
    if (credentials === undefined) return Effect.succeed(unauthorized)
    return Effect.match(callers.authenticate({ ...credentials, clientAddress: request.clientAddress }), {
      onFailure: (refused) =>
        refused.reason === "locked"
          ? refusal(429, "too many failed authentications", {
            headers: { "retry-after": String(refused.retryAfterSeconds ?? 1) }
          })
          : unauthorized,
      onSuccess: (caller) =>
        caller.privileges.includes(ADMIN_PRIVILEGE) ? undefined : refusal(403, `the caller lacks ${ADMIN_PRIVILEGE}`)
    })
  }

  const faultsRoute = (request: WireRequest): Effect.Effect<WireResponse> => {
    switch (request.method) {
      case "GET":
        return Effect.succeed(json(200, state(faults)))
      case "DELETE":
        faults.clear()
        return Effect.succeed(json(200, state(faults)))
      case "POST":
        return Effect.map(readJsonObject(request), (body) => {
          if (Either.isLeft(body)) return body.left
          const entries: ReadonlyArray<unknown> = Array.isArray(body.right.faults) ? body.right.faults : [body.right]
          // all or none: a refused entry queues nothing
          const parsed = Either.all(
            entries.map((entry, i) => Either.mapLeft(parseFault(entry), (problem) => `fault ${i + 1}: ${problem}`))
          )
          if (Either.isLeft(parsed)) return refusal(400, parsed.left)
          parsed.right.forEach(faults.add)
          return json(201, state(faults))
        })
      default:
        return Effect.succeed(refusal(405, "GET, POST or DELETE", { headers: { allow: "GET, POST, DELETE" } }))
    }
  }

  const clockRoute = (request: WireRequest): Effect.Effect<WireResponse> => {
    switch (request.method) {
      case "GET":
        return Effect.succeed(json(200, state(faults)))
      case "DELETE":
        faults.resetClock()
        return Effect.succeed(json(200, state(faults)))
      case "POST":
        return Effect.map(readJsonObject(request), (body) => {
          if (Either.isLeft(body)) return body.left
          const { advanceSeconds, offsetSeconds } = body.right
          if ((advanceSeconds === undefined) === (offsetSeconds === undefined)) {
            return refusal(400, "give advanceSeconds (relative) or offsetSeconds (absolute)")
          }
          const seconds = advanceSeconds ?? offsetSeconds
          if (!integerIn(seconds, -MAX_SHIFT_SECONDS, MAX_SHIFT_SECONDS)) {
            return refusal(400, "the shift must be an integer number of seconds, at most ten years either way")
          }
          if (offsetSeconds !== undefined) faults.resetClock()
          faults.shiftClock(seconds)
          return json(200, state(faults))
        })
      default:
        return Effect.succeed(refusal(405, "GET, POST or DELETE", { headers: { allow: "GET, POST, DELETE" } }))
    }
  }

  return (path: string) => {
    const route = path === ADMIN_PATHS.faults ? faultsRoute : path === ADMIN_PATHS.clock ? clockRoute : undefined
    if (route === undefined) return undefined
    return (request: WireRequest): Effect.Effect<WireResponse> =>
      Effect.flatMap(authorize(request), (refused) => refused === undefined ? route(request) : Effect.succeed(refused))
  }
}

/** An injected chatAuthenticate refusal, in Oracle's error format (JSON: framework version 4). */
const injectedError = (status: number, retryAfterSeconds: number | undefined): WireResponse => {
  const title = STATUS_TITLES[status] ?? "Error"
  const body = {
    title,
    status: String(status),
    "o:errorDetails": [{ detail: `${title} (injected fault)`, "o:errorCode": "CHATAUTH-INJECTED-FAULT" }]
  }
  return {
    status,
    headers: {
      "content-type": "application/vnd.oracle.adf.error+json",
      "cache-control": "no-store",
      ...(retryAfterSeconds === undefined && status !== 429 ? {} : { "retry-after": String(retryAfterSeconds ?? 1) })
    },
    body: JSON.stringify(body),
    // the request's body was not read
    close: true
  }
}

/** Wraps each chatAuthenticate call: the next queued fault, if any, answers instead of (or delays) the handler. */
export const chatAuthenticateFault =
  (faults: FaultInjectionService) =>
  (handling: Effect.Effect<WireResponse>, drop: () => void): Effect.Effect<WireResponse> => {
    const fault = faults.take("chatAuthenticate")
    if (fault === undefined) return handling
    switch (fault.kind) {
      case "status":
        return Effect.succeed(injectedError(fault.status, fault.retryAfterSeconds))
      case "delay":
        return Effect.zipRight(Effect.sleep(Duration.millis(fault.delayMs)), handling)
      case "drop":
        return Effect.zipRight(Effect.sync(drop), Effect.never)
    }
  }

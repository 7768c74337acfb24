import { Clock, Duration, Effect, Schedule } from "effect"
import { type ChatAuthClientError, isTransientError } from "../ChatAuthClientError.js"

/** The retry policy with every default filled in. */
export interface RetryPolicy {
  readonly maxAttempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
  readonly budgetMs: number
}

const retryAfterMillis = (error: ChatAuthClientError): number | undefined =>
  error._tag === "TooManyRequests" && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : undefined

/** What a schedule needs to know of an error type: whether it is worth another attempt, and how long to wait. */
export interface RetryClassifier<E> {
  readonly isTransient: (error: E) => boolean
  readonly retryAfterMillis: (error: E) => number | undefined
}

/**
 * Exponential backoff with jitter, within a budget that counts from `startedAt` (Clock time, ms).
 *
 * - jitter after the cap ("equal jitter": half to all of the capped delay), so concurrent clients spread out and no
 *   wait exceeds `maxDelayMs`;
 * - a 429 waits at least its `Retry-After`; one whose `Retry-After` ends after the budget is not retried at all,
 *   since the server has said when it will answer and it is too late for us;
 * - no wait ends after the budget, and no attempt starts once it is spent.
 */
export const scheduleFor = <E>(
  policy: RetryPolicy,
  startedAt: number,
  classifier: RetryClassifier<E>
): Schedule.Schedule<readonly [E, number], E> => {
  const remaining = Effect.map(Clock.currentTimeMillis, (now) => startedAt + policy.budgetMs - now)
  const backoff: Schedule.Schedule<Duration.Duration, E> = Schedule.exponential(
    Duration.millis(policy.baseDelayMs),
    2
  ).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(policy.maxDelayMs))),
    Schedule.jitteredWith({ min: 0.5, max: 1 })
  )
  return Schedule.passthrough(backoff).pipe(
    Schedule.intersect(Schedule.recurs(Math.max(0, policy.maxAttempts - 1))),
    Schedule.whileInput(classifier.isTransient),
    Schedule.whileInputEffect((error) =>
      Effect.map(remaining, (left) => {
        if (left <= 0) return false
        const wait = classifier.retryAfterMillis(error)
        return wait === undefined || wait <= left
      })
    ),
    Schedule.modifyDelayEffect(([error], delay) =>
      Effect.map(remaining, (left) => {
        const wait = classifier.retryAfterMillis(error)
        const wanted = wait === undefined ? Duration.toMillis(delay) : Math.max(wait, Duration.toMillis(delay))
        return Duration.millis(Math.max(0, Math.min(wanted, left)))
      })
    )
  )
}

/** The chatAuthenticate client's schedule. */
export const schedule = (
  policy: RetryPolicy,
  startedAt: number
): Schedule.Schedule<readonly [ChatAuthClientError, number], ChatAuthClientError> =>
  scheduleFor(policy, startedAt, { isTransient: isTransientError, retryAfterMillis })

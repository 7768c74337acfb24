/**
 * Counts failures per key (a user name or a client address) in a fixed window that starts at the first failure,
 * and locks the key once the threshold is reached. Plain synchronous state: callers read the time from `Clock`
 * and pass it in, so `TestClock` drives it.
 *
 * Memory is bounded: when `maxKeys` is reached, idle entries are swept, then the oldest are dropped (an attacker
 * spraying addresses can at worst make us forget old counts, never grow the process).
 *
 * @internal
 */
export interface FailureTracker {
  /** Milliseconds left on the key's lock, 0 when not locked. */
  readonly lockedFor: (key: string, now: number) => number
  /** Records one failure; returns true when this failure started a lock. */
  readonly fail: (key: string, now: number) => boolean
  readonly reset: (key: string) => void
  readonly size: () => number
}

interface Entry {
  failures: number
  windowStart: number
  lockedUntil: number
}

/** @internal */
export const makeFailureTracker = (options: {
  readonly threshold: number
  readonly windowMillis: number
  readonly lockoutMillis: number
  readonly maxKeys: number
}): FailureTracker => {
  const entries = new Map<string, Entry>()

  const sweep = (now: number) => {
    for (const [key, entry] of entries) {
      if (entry.lockedUntil <= now && now - entry.windowStart >= options.windowMillis) entries.delete(key)
    }
    while (entries.size >= options.maxKeys) {
      const oldest = entries.keys().next()
      if (oldest.done) break
      entries.delete(oldest.value)
    }
  }

  return {
    lockedFor: (key, now) => {
      const entry = entries.get(key)
      return entry === undefined || entry.lockedUntil <= now ? 0 : entry.lockedUntil - now
    },
    fail: (key, now) => {
      let entry = entries.get(key)
      if (entry !== undefined && entry.lockedUntil > now) return false
      if (entry === undefined || now - entry.windowStart >= options.windowMillis) {
        if (entry === undefined && entries.size >= options.maxKeys) sweep(now)
        entry = { failures: 0, windowStart: now, lockedUntil: 0 }
        entries.set(key, entry)
      }
      entry.failures++
      if (entry.failures >= options.threshold) {
        entry.lockedUntil = now + options.lockoutMillis
        entry.failures = 0
        entry.windowStart = now
        return true
      }
      return false
    },
    reset: (key) => {
      entries.delete(key)
    },
    size: () => entries.size
  }
}

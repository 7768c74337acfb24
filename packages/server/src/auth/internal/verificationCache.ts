/**
 * Remembers successful credential checks for a short time so the slow hash runs once per TTL, not per request.
 *
 * Keyed by an HMAC of the presented user name and password under a random per-process key: the cache never holds
 * a password or anything that could be tested offline against one. Entries remember their user name so a password
 * change, a privilege change or a removal can drop them. Bounded: the oldest entry goes first.
 *
 * @internal
 */
import { createHmac, randomBytes } from "node:crypto"

/** @internal */
export interface CachedCaller {
  readonly username: string
  readonly privileges: ReadonlyArray<string>
}

interface Entry {
  readonly caller: CachedCaller
  readonly expiresAt: number
}

/** @internal */
export interface VerificationCache {
  readonly keyOf: (username: string, password: string) => string
  readonly get: (key: string, now: number) => CachedCaller | undefined
  readonly set: (key: string, caller: CachedCaller, now: number) => void
  readonly invalidate: (username: string) => void
  readonly size: () => number
}

/** @internal */
export const makeVerificationCache = (options: {
  readonly ttlMillis: number
  readonly maxEntries: number
}): VerificationCache => {
  const secret = randomBytes(32)
  const entries = new Map<string, Entry>()
  const enabled = options.ttlMillis > 0 && options.maxEntries > 0
  return {
    keyOf: (username, password) =>
      // The length prefix keeps ("ab", "c") and ("a", "bc") apart.
      createHmac("sha256", secret).update(`${username.length}:${username}\u0000${password}`, "utf8").digest("base64"),
    get: (key, now) => {
      if (!enabled) return undefined
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (entry.expiresAt <= now) {
        entries.delete(key)
        return undefined
      }
      return entry.caller
    },
    set: (key, caller, now) => {
      if (!enabled) return
      entries.delete(key)
      while (entries.size >= options.maxEntries) {
        const oldest = entries.keys().next()
        if (oldest.done) break
        entries.delete(oldest.value)
      }
      entries.set(key, { caller, expiresAt: now + options.ttlMillis })
    },
    invalidate: (username) => {
      for (const [key, entry] of entries) {
        if (entry.caller.username === username) entries.delete(key)
      }
    },
    size: () => entries.size
  }
}

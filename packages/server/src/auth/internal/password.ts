import { Effect } from "effect"
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto"

/** @internal */
export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/**
 * N=2^13, r=8, p=10: one of OWASP's equally strong scrypt settings (2^17/8/1, 2^16/8/2, 2^15/8/3, 2^14/8/5,
 * 2^13/8/10), the one that needs least memory: 8 MiB a hash, its ten lanes run one after another in the same
 * memory. A check a server runs at the first request of each caller would otherwise take 32 MiB or more of the
 * process's peak memory.
 *
 * @internal
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 8192, r: 8, p: 10 }

const KEY_LENGTH = 32
const SALT_LENGTH = 16

// Bounds on parameters read back from a stored hash: a corrupted or hostile row must not make us allocate
// gigabytes or spin for minutes.
const MAX_N = 1 << 20
const MAX_R = 32
const MAX_P = 16

/** @internal */
export const validParams = ({ N, p, r }: ScryptParams): boolean =>
  Number.isInteger(N) && N >= 2 && N <= MAX_N && (N & (N - 1)) === 0 &&
  Number.isInteger(r) && r >= 1 && r <= MAX_R &&
  Number.isInteger(p) && p >= 1 && p <= MAX_P

// Node refuses scrypt when 128·N·r exceeds `maxmem` (default 32 MiB, exactly our default's need): leave headroom.
const maxmem = ({ N, p, r }: ScryptParams): number => 128 * r * (N + p + 2) + 1024 * 1024

const derive = (password: string, salt: Buffer, params: ScryptParams, length: number) =>
  Effect.async<Buffer>((resume) => {
    scrypt(
      Buffer.from(password, "utf8"),
      salt,
      length,
      { N: params.N, r: params.r, p: params.p, maxmem: maxmem(params) },
      (error, key) => resume(error ? Effect.die(error) : Effect.succeed(key))
    )
  })

// The stored form: self-describing, so that a hash keeps verifying after the defaults change.
const format = (params: ScryptParams, salt: Buffer, key: Buffer): string =>
  `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64url")}$${key.toString("base64url")}`

/** @internal */
export const hash = (password: string, params: ScryptParams = DEFAULT_SCRYPT): Effect.Effect<string> =>
  Effect.suspend(() => {
    const salt = randomBytes(SALT_LENGTH)
    return Effect.map(
      derive(password, salt, params, KEY_LENGTH),
      (key) => format(params, salt, key)
    )
  })

/**
 * A stored hash no password matches, with these parameters: verifying against it costs one scrypt run, as against a
 * real one. Its key is random bytes rather than a derived key (a match would take guessing 256 random bits), so it
 * is made without running scrypt: for an unknown user's check, without a 32 MiB scrypt run at every start.
 *
 * @internal
 */
export const unmatchable = (params: ScryptParams = DEFAULT_SCRYPT): string =>
  format(params, randomBytes(SALT_LENGTH), randomBytes(KEY_LENGTH))

interface Parsed {
  readonly params: ScryptParams
  readonly salt: Buffer
  readonly key: Buffer
}

const parse = (stored: string): Parsed | undefined => {
  const parts = stored.split("$")
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined
  const params = { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) }
  if (!validParams(params)) return undefined
  const salt = Buffer.from(parts[4]!, "base64url")
  const key = Buffer.from(parts[5]!, "base64url")
  if (salt.length < 8 || key.length < 16 || key.length > 128) return undefined
  return { params, salt, key }
}

/** @internal */
export const verify = (password: string, stored: string): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    const parsed = parse(stored)
    if (parsed === undefined) return Effect.succeed(false)
    return Effect.map(
      derive(password, parsed.salt, parsed.params, parsed.key.length),
      (derived) => timingSafeEqual(derived, parsed.key)
    )
  })

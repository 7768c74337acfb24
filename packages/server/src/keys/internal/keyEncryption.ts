import { Redacted } from "effect"
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto"

const PREFIX = "enc:v1:"

/**
 * Seals private keys at rest with AES-256-GCM. The key is derived with HKDF so the operator's secret can be any
 * string; a random IV per value; the `enc:v1:` prefix makes sealed and plain values distinguishable, so a store
 * created without a secret can be given one later (values are sealed as they are rewritten).
 *
 * @internal
 */
export interface KeySealer {
  readonly seal: (plaintext: string) => string
  readonly open: (stored: string) => string
}

/** @internal */
export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX)

/** @internal */
export const makeSealer = (secret: Redacted.Redacted<string> | undefined): KeySealer => {
  if (secret === undefined) {
    return {
      seal: (plaintext) => plaintext,
      open: (stored) => {
        if (isSealed(stored)) {
          throw new Error(
            "A stored private key is encrypted but no CHATAUTH_KEY_ENCRYPTION_SECRET was given"
          )
        }
        return stored
      }
    }
  }
  const key = Buffer.from(
    hkdfSync("sha256", Buffer.from(Redacted.value(secret), "utf8"), "chatauth", "private-key-encryption/v1", 32)
  )
  return {
    seal: (plaintext) => {
      const iv = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", key, iv)
      const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
      const tag = cipher.getAuthTag()
      return `${PREFIX}${iv.toString("base64url")}:${tag.toString("base64url")}:${body.toString("base64url")}`
    },
    open: (stored) => {
      if (!isSealed(stored)) return stored
      const [iv, tag, body] = stored.slice(PREFIX.length).split(":")
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv ?? "", "base64url"))
      decipher.setAuthTag(Buffer.from(tag ?? "", "base64url"))
      try {
        return Buffer.concat([decipher.update(Buffer.from(body ?? "", "base64url")), decipher.final()]).toString("utf8")
      } catch {
        throw new Error("A stored private key cannot be decrypted: wrong CHATAUTH_KEY_ENCRYPTION_SECRET?")
      }
    }
  }
}

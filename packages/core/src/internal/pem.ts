/**
 * PEM armour (RFC 7468) around DER bytes.
 *
 * @internal
 */

/** @internal */
export const toPem = (label: string, der: ArrayBuffer | Uint8Array): string => {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64")
  const lines: Array<string> = []
  for (let i = 0; i < base64.length; i += 64) {
    lines.push(base64.slice(i, i + 64))
  }
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`
}

/**
 * The DER bytes of the first block with the given label, or `undefined` when there is none.
 *
 * @internal
 */
export const fromPem = (label: string, pem: string): Uint8Array<ArrayBuffer> | undefined => {
  const begin = `-----BEGIN ${label}-----`
  const end = `-----END ${label}-----`
  const start = pem.indexOf(begin)
  if (start === -1) return undefined
  const stop = pem.indexOf(end, start + begin.length)
  if (stop === -1) return undefined
  const body = pem.slice(start + begin.length, stop).replace(/\s+/g, "")
  if (body.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined
  return new Uint8Array(Buffer.from(body, "base64"))
}

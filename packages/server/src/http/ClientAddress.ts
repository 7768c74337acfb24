/**
 * The client's address behind proxies: which `X-Forwarded-For` entry to believe.
 *
 * Each proxy appends the address of whoever connected to it, so the list grows from left (claimed by the client
 * itself, forgeable) to right (written by the proxy nearest to us). The client is therefore the right-most entry
 * that was not written by a proxy we trust; everything to its left is whatever the client chose to send. Three
 * policies:
 *
 * - `none`: `X-Forwarded-For` is ignored; the socket's peer is the client.
 * - `hops`: exactly `n` proxies stand in front; the client is the `n`-th entry from the right (the left-most when
 *   there are fewer). `CHATAUTH_TRUST_PROXY=true` is one hop: the direct peer is the proxy.
 * - `addresses`: the proxies are the listed addresses and ranges. The header is read only when the socket's peer is
 *   one of them; entries are skipped from the right while they are trusted proxies, and the first that is not is the
 *   client (an entry that is not an address ends the walk at the proxy that passed it on).
 *
 * @since 0.2.0
 */
import * as Net from "node:net"

/**
 * @since 0.2.0
 * @category models
 */
export type ProxyTrust =
  | { readonly _tag: "none" }
  | { readonly _tag: "hops"; readonly hops: number }
  | { readonly _tag: "addresses"; readonly proxies: Net.BlockList }

/**
 * @since 0.2.0
 * @category constructors
 */
export const none: ProxyTrust = { _tag: "none" }

/**
 * @since 0.2.0
 * @category constructors
 */
export const hops = (count: number): ProxyTrust => count <= 0 ? none : { _tag: "hops", hops: count }

const familyOf = (address: string): "ipv4" | "ipv6" | undefined => {
  const version = Net.isIP(address)
  return version === 4 ? "ipv4" : version === 6 ? "ipv6" : undefined
}

/**
 * Parses a comma-separated list of addresses and CIDR ranges, IPv4 or IPv6 (`127.0.0.1/8, ::1, 10.0.0.0/8`). Returns
 * the first entry that is neither, as an error message.
 *
 * @since 0.2.0
 * @category parsing
 */
export const parseTrustedProxies = (list: string): { readonly trust: ProxyTrust } | { readonly error: string } => {
  const proxies = new Net.BlockList()
  const entries = list.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
  if (entries.length === 0) return { error: "must list at least one address or range" }
  for (const entry of entries) {
    const slash = entry.indexOf("/")
    const address = slash === -1 ? entry : entry.slice(0, slash)
    const family = familyOf(address)
    if (family === undefined) return { error: `${JSON.stringify(entry)} is not an IPv4 or IPv6 address or range` }
    if (slash === -1) {
      proxies.addAddress(address, family)
      continue
    }
    const prefixText = entry.slice(slash + 1)
    const prefix = Number(prefixText)
    if (!/^\d{1,3}$/.test(prefixText) || prefix > (family === "ipv4" ? 32 : 128)) {
      return { error: `${JSON.stringify(entry)} has an invalid prefix length` }
    }
    proxies.addSubnet(address, prefix, family)
  }
  return { trust: { _tag: "addresses", proxies } }
}

/**
 * An `X-Forwarded-For` entry as an address: brackets and a port are dropped (`[::1]:443`, `192.0.2.1:80`); anything
 * else that is not an IP address is `undefined`.
 *
 * @since 0.2.0
 * @category parsing
 */
export const parseForwardedAddress = (entry: string): string | undefined => {
  let text = entry.trim()
  if (text.startsWith("[")) {
    const end = text.indexOf("]")
    if (end === -1) return undefined
    const rest = text.slice(end + 1)
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return undefined
    text = text.slice(1, end)
  } else if (/^[\d.]+:\d{1,5}$/.test(text)) {
    text = text.slice(0, text.indexOf(":"))
  }
  return familyOf(text) === undefined ? undefined : text
}

const isTrusted = (proxies: Net.BlockList, address: string): boolean => {
  const family = familyOf(address)
  return family !== undefined && proxies.check(address, family)
}

const entriesOf = (header: string | ReadonlyArray<string> | undefined): Array<string> => {
  const joined = typeof header === "string" ? header : header === undefined ? "" : header.join(",")
  return joined.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
}

/**
 * The client's address: the socket's peer, or the `X-Forwarded-For` entry the policy believes.
 *
 * @since 0.2.0
 * @category resolution
 */
export const clientAddress = (
  trust: ProxyTrust,
  peer: string | undefined,
  forwardedFor: string | ReadonlyArray<string> | undefined
): string => {
  const direct = peer ?? "unknown"
  if (trust._tag === "none" || forwardedFor === undefined) return direct
  const entries = entriesOf(forwardedFor)
  if (trust._tag === "hops") {
    if (entries.length === 0) return direct
    const entry = entries[Math.max(0, entries.length - trust.hops)]
    return parseForwardedAddress(entry) ?? direct
  }
  if (peer === undefined || !isTrusted(trust.proxies, peer)) return direct
  let client = peer
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = parseForwardedAddress(entries[i])
    if (address === undefined) return client
    client = address
    if (!isTrusted(trust.proxies, address)) return client
  }
  return client
}

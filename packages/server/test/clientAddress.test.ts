/**
 * Which `X-Forwarded-For` entry is the client: properties over generated proxy chains and forged prefixes.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { clientAddress, hops, none, parseForwardedAddress, parseTrustedProxies } from "../src/http/ClientAddress.js"

const trustOf = (list: string) => {
  const parsed = parseTrustedProxies(list)
  if ("error" in parsed) throw new Error(parsed.error)
  return parsed.trust
}

const ipv4 = FastCheck.ipV4()
const ipv6 = FastCheck.ipV6()
// Public-looking addresses, never in the trusted ranges below.
const outside = FastCheck.tuple(FastCheck.integer({ min: 1, max: 9 }), FastCheck.nat(255), FastCheck.nat(255))
  .map(([a, b, c]) => `${a}.${b}.${c}.${(a * 7 + b) % 254 + 1}`)
const inside = FastCheck.tuple(FastCheck.nat(255), FastCheck.nat(255), FastCheck.nat(255))
  .map(([a, b, c]) => `10.${a}.${b}.${c}`)
const forged = FastCheck.array(FastCheck.oneof(ipv4, ipv6, FastCheck.string({ maxLength: 20 })), { maxLength: 6 })
  .map((entries) => entries.map((entry) => entry.replace(/,/g, "")))

const TRUSTED = "127.0.0.1/8, ::1, 10.0.0.0/8, fd00::/8"

describe("trusted proxies by address", () => {
  it("property: the client is the right-most untrusted entry, whatever the client put to its left", () => {
    FastCheck.assert(
      FastCheck.property(
        forged,
        outside,
        FastCheck.array(inside, { maxLength: 4 }),
        inside,
        (claimed, client, chain, peer) => {
          const header = [...claimed, client, ...chain].join(", ")
          expect(clientAddress(trustOf(TRUSTED), peer, header)).toBe(client)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("property: from a peer that is not a trusted proxy, the header is ignored", () => {
    FastCheck.assert(
      FastCheck.property(forged, outside, (claimed, peer) => {
        expect(clientAddress(trustOf(TRUSTED), peer, claimed.join(","))).toBe(peer)
      }),
      { numRuns: 300 }
    )
  })

  it("matches IPv4, IPv6, ranges, and IPv4-mapped IPv6 peers", () => {
    const trust = trustOf(TRUSTED)
    expect(clientAddress(trust, "::ffff:127.0.0.1", "203.0.113.9")).toBe("203.0.113.9")
    expect(clientAddress(trust, "::1", "2001:db8::1, fd12::3")).toBe("2001:db8::1")
    expect(clientAddress(trust, "127.0.0.1", "[2001:db8::7]:443")).toBe("2001:db8::7")
    expect(clientAddress(trust, "127.0.0.1", "198.51.100.4:8080")).toBe("198.51.100.4")
    expect(clientAddress(trust, "127.0.0.1", undefined)).toBe("127.0.0.1")
    expect(clientAddress(trust, "127.0.0.1", ["198.51.100.1", "10.1.1.1"])).toBe("198.51.100.1")
    // Every entry a trusted proxy: the left-most; garbage ends the walk at the proxy that passed it on.
    expect(clientAddress(trust, "127.0.0.1", "10.0.0.1, 10.0.0.2")).toBe("10.0.0.1")
    expect(clientAddress(trust, "127.0.0.1", "evil, 10.0.0.2")).toBe("10.0.0.2")
  })

  it("refuses what is not an address or a range, naming it", () => {
    expect(parseTrustedProxies("10.0.0.0/33")).toEqual({ error: "\"10.0.0.0/33\" has an invalid prefix length" })
    expect(parseTrustedProxies("::1/129")).toMatchObject({ error: expect.stringContaining("::1/129") })
    expect(parseTrustedProxies("proxy.local")).toMatchObject({ error: expect.stringContaining("proxy.local") })
    expect(parseTrustedProxies(" , ")).toMatchObject({ error: expect.any(String) })
    expect(parseTrustedProxies("10.0.0.0/x")).toMatchObject({ error: expect.any(String) })
  })

  it("property: a generated CIDR range holds exactly the addresses under its prefix", () => {
    const toInt = (address: string) => address.split(".").reduce((n, part) => n * 256 + Number(part), 0)
    FastCheck.assert(
      FastCheck.property(ipv4, FastCheck.integer({ min: 0, max: 32 }), ipv4, (base, prefix, probe) => {
        const trust = trustOf(`${base}/${prefix}`)
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
        const within = ((toInt(base) & mask) >>> 0) === ((toInt(probe) & mask) >>> 0)
        // A trusted peer lets the header through; an untrusted one does not.
        expect(clientAddress(trust, probe, "192.0.2.200") === "192.0.2.200").toBe(within || probe === "192.0.2.200")
      }),
      { numRuns: 300 }
    )
  })
})

describe("trusted proxies by count", () => {
  it("property: with n hops the client is the n-th entry from the right, whatever came before it", () => {
    FastCheck.assert(
      FastCheck.property(
        forged,
        FastCheck.oneof(ipv4, ipv6),
        FastCheck.array(ipv4, { maxLength: 4 }),
        ipv4,
        (claimed, client, proxies, peer) => {
          const header = [...claimed, client, ...proxies].join(",")
          expect(clientAddress(hops(proxies.length + 1), peer, header)).toBe(client)
        }
      ),
      { numRuns: 300 }
    )
  })

  it("no policy, or zero hops: the peer", () => {
    expect(clientAddress(none, "192.0.2.1", "198.51.100.1")).toBe("192.0.2.1")
    expect(clientAddress(hops(0), "192.0.2.1", "198.51.100.1")).toBe("192.0.2.1")
    expect(clientAddress(hops(1), "192.0.2.1", "junk")).toBe("192.0.2.1")
    expect(clientAddress(hops(3), "192.0.2.1", "198.51.100.1")).toBe("198.51.100.1")
  })
})

describe("X-Forwarded-For entries", () => {
  it("property: an address reads back as itself, with or without a port", () => {
    FastCheck.assert(
      FastCheck.property(ipv4, ipv6, FastCheck.integer({ min: 1, max: 65535 }), (v4, v6, port) => {
        expect(parseForwardedAddress(` ${v4} `)).toBe(v4)
        expect(parseForwardedAddress(`${v4}:${port}`)).toBe(v4)
        expect(parseForwardedAddress(v6)).toBe(v6)
        expect(parseForwardedAddress(`[${v6}]:${port}`)).toBe(v6)
      }),
      { numRuns: 300 }
    )
    expect(parseForwardedAddress("unknown")).toBeUndefined()
    expect(parseForwardedAddress("[::1")).toBeUndefined()
    expect(parseForwardedAddress("[::1]x")).toBeUndefined()
  })
})

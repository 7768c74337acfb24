/**
 * X.509 certificates for signing keys: created (self-signed) through @peculiar/x509, parsed with Node's own
 * `X509Certificate`.
 *
 * The library and its `reflect-metadata` prerequisite are imported lazily, here only, so that importing
 * `@chatauth/core` has no global side effect: `reflect-metadata` patches the global `Reflect`. Parsing does without
 * them: a server loading its stored keys at start then loads neither (a few hundred milliseconds of its start-up).
 *
 * @internal
 */
import type { SigningAlgorithm } from "../KeyStore.js"
import { algorithmParams } from "./algorithms.js"

const loadX509 = async () => {
  await import("reflect-metadata")
  const x509 = await import("@peculiar/x509")
  // The package is CommonJS: Node names its exports, but the CLI's bundle, where it is a chunk of its own, hands it
  // over as the default export only.
  return "X509CertificateGenerator" in x509 ? x509 : (x509 as unknown as { readonly default: typeof x509 }).default
}

/** @internal */
export interface GeneratedCertificate {
  readonly der: Uint8Array<ArrayBuffer>
  readonly pem: string
}

/** @internal */
export const createSelfSigned = async (options: {
  readonly alg: SigningAlgorithm
  readonly keys: CryptoKeyPair
  readonly subject: string
  readonly notBefore: Date
  readonly notAfter: Date
}): Promise<GeneratedCertificate> => {
  const x509 = await loadX509()
  const params = algorithmParams[options.alg]
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: options.subject,
      keys: options.keys,
      notBefore: options.notBefore,
      notAfter: options.notAfter,
      signingAlgorithm: options.alg === "RS256" ? params.generate : params.sign,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)
      ]
    },
    // passing the provider explicitly avoids mutating @peculiar/x509's global provider registry
    globalThis.crypto
  )
  return { der: new Uint8Array(certificate.rawData), pem: certificate.toString("pem") }
}

/** @internal */
export interface ParsedCertificate {
  readonly der: Uint8Array<ArrayBuffer>
  readonly alg: SigningAlgorithm | undefined
  readonly publicKey: CryptoKey | undefined
}

// The JWS algorithm a certificate's public key implies (by Node's key type), or `undefined` for other keys.
const algorithmOfNodeKey = (
  key: import("node:crypto").KeyObject
): SigningAlgorithm | undefined => {
  switch (key.asymmetricKeyType) {
    case "rsa":
    case "rsa-pss":
      return "RS256"
    case "ec":
      return key.asymmetricKeyDetails?.namedCurve === "prime256v1" ? "ES256" : undefined
    case "ed25519":
      return "EdDSA"
    default:
      return undefined
  }
}

/**
 * Parses the first certificate of a PEM string. Rejects when it is not a certificate.
 *
 * @internal
 */
export const parseCertificate = async (pem: string): Promise<ParsedCertificate> => {
  const { X509Certificate } = await import("node:crypto")
  const certificate = new X509Certificate(pem)
  const der = new Uint8Array(certificate.raw)
  const alg = algorithmOfNodeKey(certificate.publicKey)
  if (alg === undefined) return { der, alg, publicKey: undefined }
  const spki = certificate.publicKey.export({ type: "spki", format: "der" })
  const publicKey = await crypto.subtle.importKey("spki", spki, algorithmParams[alg].import, true, ["verify"])
  return { der, alg, publicKey }
}

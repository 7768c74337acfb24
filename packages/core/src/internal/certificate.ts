/**
 * Self-signed X.509 certificates for signing keys, through @peculiar/x509.
 *
 * The library and its `reflect-metadata` prerequisite are imported lazily, here only, so that importing
 * `@chatauth/core` has no global side effect: `reflect-metadata` patches the global `Reflect`.
 *
 * @internal
 */
import type { SigningAlgorithm } from "../KeyStore.js"
import { algorithmOfKey, algorithmParams } from "./algorithms.js"

const loadX509 = async () => {
  await import("reflect-metadata")
  return await import("@peculiar/x509")
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

/**
 * Parses the first certificate of a PEM string. Rejects when it is not a certificate.
 *
 * @internal
 */
export const parseCertificate = async (pem: string): Promise<ParsedCertificate> => {
  const x509 = await loadX509()
  const certificate = new x509.X509Certificate(pem)
  const der = new Uint8Array(certificate.rawData)
  const keyAlgorithm = certificate.publicKey.algorithm as KeyAlgorithm
  const alg = algorithmOfKey(keyAlgorithm)
  if (alg === undefined) return { der, alg, publicKey: undefined }
  const publicKey = await certificate.publicKey.export(algorithmParams[alg].import, ["verify"], globalThis.crypto)
  return { der, alg, publicKey }
}

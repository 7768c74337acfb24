/**
 * WebCrypto parameters for the JWS algorithms this project signs with.
 *
 * @internal
 */
import type { SigningAlgorithm } from "../KeyStore.js"

/** @internal */
export interface AlgorithmParams {
  readonly generate: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm
  readonly import: RsaHashedImportParams | EcKeyImportParams | Algorithm
  // ECDSA needs the hash at signing time; RSA and Ed25519 carry it in the key
  readonly sign: Algorithm | EcdsaParams
  readonly kty: "RSA" | "EC" | "OKP"
}

const rsa: AlgorithmParams = {
  generate: {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256"
  },
  import: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  sign: { name: "RSASSA-PKCS1-v1_5" },
  kty: "RSA"
}

const ec: AlgorithmParams = {
  generate: { name: "ECDSA", namedCurve: "P-256" },
  import: { name: "ECDSA", namedCurve: "P-256" },
  sign: { name: "ECDSA", hash: "SHA-256" },
  kty: "EC"
}

const ed: AlgorithmParams = {
  generate: { name: "Ed25519" },
  import: { name: "Ed25519" },
  sign: { name: "Ed25519" },
  kty: "OKP"
}

/** @internal */
export const algorithmParams: Readonly<Record<SigningAlgorithm, AlgorithmParams>> = {
  RS256: rsa,
  ES256: ec,
  EdDSA: ed
}

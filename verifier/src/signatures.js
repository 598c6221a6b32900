// Signature checks for the four algorithms sandan signs with (traceability.signing.algorithms).
// Every algorithm carries a 64-byte raw signature as base64url; keys are base64url of the raw
// Ed25519 key or of a SEC1 point (65 bytes, 33 compressed also accepted). DER is refused.
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';

import { b64urlDecode } from './encoding.js';
import { sm2PublicKey, sm2Verify } from './sm2.js';

export const ALGORITHMS = ['Ed25519', 'ES256', 'ES256K', 'SM2'];
const SIGNATURE_LENGTH = 64;

function checkPoint(alg, point) {
  if (point.length !== 33 && point.length !== 65) {
    throw new Error(`${alg} public key must be a 65- or 33-byte SEC1 point`);
  }
}

const VERIFIERS = {
  Ed25519: {
    load(raw) {
      if (raw.length !== 32) throw new Error('Ed25519 public key must be 32 raw bytes');
      ed25519.Point.fromBytes(raw); // throws for bytes that are no point
      return raw;
    },
    // zip215: false is RFC 8032's strict rule (canonical S and encodings), as OpenSSL applies it.
    verify: (sig, msg, key) => ed25519.verify(sig, msg, key, { zip215: false }),
  },
  ES256: {
    load(raw) {
      checkPoint('ES256', raw);
      p256.Point.fromBytes(raw).assertValidity();
      return raw;
    },
    // sandan refuses high-S P-256 signatures at submission, but documents anchored before
    // that rule may carry either s, and (r, n - s) proves what (r, s) does: both verify here.
    verify: (sig, msg, key) => p256.verify(sig, msg, key, { prehash: true, lowS: false, format: 'compact' }),
  },
  ES256K: {
    load(raw) {
      checkPoint('ES256K', raw);
      secp256k1.Point.fromBytes(raw).assertValidity();
      return raw;
    },
    // sandan requires low-S on secp256k1, as Ethereum does.
    verify: (sig, msg, key) => secp256k1.verify(sig, msg, key, { prehash: true, lowS: true, format: 'compact' }),
  },
  SM2: {
    load(raw) {
      sm2PublicKey(raw);
      return raw;
    },
    verify: (sig, msg, key) => sm2Verify(sig, msg, key),
  },
};

/** Decode and check a base64url public key; throws naming what is wrong. */
export function loadPublicKey(alg, publicKeyText) {
  const verifier = VERIFIERS[alg];
  if (verifier === undefined) throw new Error(`unknown algorithm ${JSON.stringify(alg)}`);
  let raw;
  try {
    raw = b64urlDecode(publicKeyText);
  } catch (error) {
    throw new Error(`invalid ${alg} public key: ${error.message}`);
  }
  try {
    return verifier.load(raw);
  } catch (error) {
    throw new Error(`invalid ${alg} public key: ${error.message}`);
  }
}

/** Decode a base64url signature, which must be exactly 64 raw bytes. */
export function decodeSignature(signatureText) {
  const bytes = b64urlDecode(signatureText);
  if (bytes.length !== SIGNATURE_LENGTH) {
    throw new Error(
      `signature must be ${SIGNATURE_LENGTH} raw bytes (r‖s for ECDSA/SM2, DER is not accepted), got ${bytes.length}`,
    );
  }
  return bytes;
}

/**
 * Tell whether `signatureText` signs `message` (bytes) under the base64url key of `alg`.
 * A malformed key or signature throws; a well-formed signature that does not verify is false.
 */
export function verifySignature(alg, publicKeyText, signatureText, message) {
  const key = loadPublicKey(alg, publicKeyText);
  const signature = decodeSignature(signatureText);
  try {
    return VERIFIERS[alg].verify(signature, message, key) === true;
  } catch {
    return false; // r or s out of range, and the like: a signature that does not verify
  }
}

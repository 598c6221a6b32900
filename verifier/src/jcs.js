// RFC 8785 canonical JSON, the bytes sandan signs and hashes (traceability.canonical).
//
// No extra "safe integer" rule here, unlike the Python side: after JSON.parse a float such as
// 1e21 (which sandan accepts) and the integer 10**21 (which it refuses to sign) are the same
// number, so the refusal cannot be reproduced; a value sandan never signed fails its hash.
import canonicalize from 'canonicalize';

import { toHex, utf8 } from './encoding.js';
import { sha256, sm3 } from './hashes.js';

/** Canonical UTF-8 bytes; throws for NaN, infinities and lone surrogates. */
export function canonicalBytes(value) {
  return utf8(canonicalize(value));
}

/** The hash function of each digest profile a zone may choose (traceability.digests). */
export const DIGEST_PROFILES = { sha256, sm3 };

/**
 * The content hash of the canonical bytes, lowercase hex without 0x: sha256, or sm3 in a
 * zone of the SM3 profile.
 */
export function contentHashHex(value, profile = 'sha256') {
  const digest = DIGEST_PROFILES[profile];
  if (digest === undefined) throw new Error(`unknown digest profile ${JSON.stringify(profile)}`);
  return toHex(digest(canonicalBytes(value)));
}

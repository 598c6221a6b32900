// RFC 8785 canonical JSON, the bytes sandan signs and hashes (traceability.canonical).
//
// No extra "safe integer" rule here, unlike the Python side: after JSON.parse a float such as
// 1e21 (which sandan accepts) and the integer 10**21 (which it refuses to sign) are the same
// number, so the refusal cannot be reproduced; a value sandan never signed fails its hash.
import canonicalize from 'canonicalize';

import { toHex, utf8 } from './encoding.js';
import { sha256 } from './hashes.js';

/** Canonical UTF-8 bytes; throws for NaN, infinities and lone surrogates. */
export function canonicalBytes(value) {
  return utf8(canonicalize(value));
}

/** sha256 of the canonical bytes as lowercase hex without 0x (sandan's content hash). */
export function contentHashHex(value) {
  return toHex(sha256(canonicalBytes(value)));
}

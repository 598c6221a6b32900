// The three hash functions the checks need, each from one pinned library.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sm3 as smCryptoSm3 } from 'sm-crypto/src/sm2/sm3.js';

import { toHex, utf8 } from './encoding.js';

export function sha256(bytes) {
  return nobleSha256(bytes);
}

export function keccak256(bytes) {
  return keccak_256(bytes);
}

/** keccak256 of the UTF-8 text, 0x-prefixed: partyId, keyHash and publicKeyHash of the spec. */
export function keccakText(text) {
  return `0x${toHex(keccak_256(utf8(text)))}`;
}

export function sm3(bytes) {
  // sm-crypto's core takes an array of bytes and returns one; its string API would
  // re-encode text itself, which is not what gets signed here.
  return Uint8Array.from(smCryptoSm3(Array.from(bytes)));
}

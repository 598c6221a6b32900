// OpenZeppelin StandardMerkleTree over bytes32 values (traceability.merkle): leaf =
// keccak256(keccak256(value)), inner node = keccak256 of the sorted pair.
import { concatBytes, fromHex, toHex } from './encoding.js';
import { keccak256 } from './hashes.js';

function word(text, what) {
  const bytes = fromHex(text);
  if (bytes.length !== 32) throw new Error(`${what}: expected 32 bytes, got ${bytes.length}`);
  return bytes;
}

function compare(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

export function leafHash(valueHex) {
  return keccak256(keccak256(word(valueHex, 'value')));
}

/** The root (hex, no 0x) that `proofHex` leads to from value `valueHex` (MerkleProof.processProof). */
export function processProof(valueHex, proofHex) {
  let node = leafHash(valueHex);
  proofHex.forEach((siblingHex, index) => {
    const sibling = word(siblingHex, `proof[${index}]`);
    node = keccak256(compare(node, sibling) < 0 ? concatBytes(node, sibling) : concatBytes(sibling, node));
  });
  return toHex(node);
}

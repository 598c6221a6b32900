// The identity rules of spec/trust.md: role bits, algorithm numbers, which roles may sign
// which document type, and the PartyRegistry signer rule.
import { keccakText } from './hashes.js';

/** Role index = position here (traceability.Role order); mask bit = 1 << index. */
export const ROLES = [
  'platform', 'payment', 'logistics', 'customs', 'bank', 'producer', 'inspector', 'warehouse', 'regulator',
];

/** PartyRegistry KeyAlgorithm enum. */
export const KEY_ALGORITHM = { Ed25519: 1, ES256: 2, ES256K: 3, SM2: 4 };

/** traceability.signing.parties.SIGNABLE_DOC_TYPES. */
export const SIGNABLE_DOC_TYPES = {
  platform: ['order', 'inventory', 'return', 'export-return'],
  payment: ['payment'],
  logistics: ['waybill', 'epcis-event'],
  customs: ['release'],
  bank: ['settlement', 'financing'],
  producer: ['epcis-event'],
  inspector: ['epcis-event'],
  warehouse: ['epcis-event'],
  regulator: [],
};

/** The document kind of each CEB message type (traceability.trade.models.DOCUMENT_MODELS). */
export const MESSAGE_KINDS = {
  CEB311: 'order', CEB411: 'payment', CEB511: 'waybill', CEB621: 'inventory',
  CEB303: 'order', CEB403: 'payment', CEB505: 'waybill', CEB603: 'inventory',
};

/** traceability.trade.signers.SIGNER_FIELDS: the fields that may name a document's signer. */
export const SIGNER_FIELDS = {
  order: ['ebpCode', 'ebcCode'],
  payment: ['payCode', 'ebcCode', 'ebpCode'],
  waybill: ['logisticsCode'],
  inventory: ['ebcCode', 'ebpCode', 'agentCode'],
};

export function rolesOfMask(mask) {
  return ROLES.filter((_, index) => (BigInt(mask) >> BigInt(index)) & 1n);
}

export function rolesAllowedToSign(docType) {
  return ROLES.filter((role) => SIGNABLE_DOC_TYPES[role].includes(docType));
}

/** Which of the three signer checks (named as `sandan verify` names them) each failure belongs to. */
export const SIGNER_CHECKS = ['signer registered', 'key valid when anchored', "signer's role"];
const SIGNER_CHECK_OF = {
  'key registered': SIGNER_CHECKS[0],
  party: SIGNER_CHECKS[0],
  'public key': SIGNER_CHECKS[0],
  algorithm: SIGNER_CHECKS[0],
  'key valid before anchoring': SIGNER_CHECKS[1],
  'key not revoked': SIGNER_CHECKS[1],
  role: SIGNER_CHECKS[2],
};

/**
 * Apply the verifier rule to `signer` (a decoded SignerView) for a document anchored in
 * `block`, signed with `publicKey` ({keyId, party, alg, publicKey}) and of `docType`.
 * Returns the list of failures, each {what, expected, found}; empty means the rule holds.
 */
export function signerRuleFailures(signer, { publicKey, block, docType }) {
  const failures = [];
  const fail = (what, expected, found) =>
    failures.push({ what, check: SIGNER_CHECK_OF[what], expected: String(expected), found: String(found) });
  const anchored = BigInt(block);
  if (signer.validFromBlock === 0n) {
    fail('key registered', `key ${publicKey.keyId} in the PartyRegistry`, 'no such key');
    return failures;
  }
  const partyId = keccakText(publicKey.party);
  if (signer.partyId.toLowerCase() !== partyId) fail('party', `${publicKey.party} (${partyId})`, signer.partyId);
  const keyHash = keccakText(publicKey.publicKey);
  if (signer.publicKeyHash.toLowerCase() !== keyHash) fail('public key', keyHash, signer.publicKeyHash);
  const alg = KEY_ALGORITHM[publicKey.alg];
  if (signer.alg !== alg) fail('algorithm', `${publicKey.alg} (${alg})`, signer.alg);
  if (!(signer.validFromBlock < anchored)) {
    fail('key valid before anchoring', `registered before block ${anchored}`, `valid from block ${signer.validFromBlock}`);
  }
  if (signer.revokedFromBlock !== 0n && !(anchored < signer.revokedFromBlock)) {
    fail('key not revoked', `not revoked at block ${anchored}`, `revoked from block ${signer.revokedFromBlock}`);
  }
  const allowed = rolesAllowedToSign(docType);
  const held = rolesOfMask(signer.rolesAtBlock);
  if (!held.some((role) => allowed.includes(role))) {
    fail('role', `one of ${allowed.join(', ') || 'none'} for ${docType}`, held.length ? held.join(', ') : 'no role');
  }
  return failures;
}

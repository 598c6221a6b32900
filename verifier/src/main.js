// Entry of the one bundle the page (and `sandan verifier-page`) ships. The same file runs
// under node for the unit tests, where there is no document and only the API is exposed.
import { PARTY_REGISTRY_ABI, TRACE_REGISTRY_ABI, TRADE_REGISTRY_ABI } from './abi.js';
import { BUNDLE_FORMAT, verifyBundle } from './bundle.js';
import { b64urlDecode, b64urlEncode, fromHex, toHex, utf8 } from './encoding.js';
import { keccak256, keccakText, sha256, sm3 } from './hashes.js';
import { canonicalBytes, contentHashHex } from './jcs.js';
import { LOT_FORMAT, verifyLot } from './lot.js';
import { leafHash, processProof } from './merkle.js';
import { readReceipts } from './receipts.js';
import { OUTCOME, Report } from './report.js';
import { ChainUnreachable, RpcClient } from './rpc.js';
import { KEY_ALGORITHM, MESSAGE_KINDS, ROLES, SIGNABLE_DOC_TYPES, SIGNER_FIELDS, signerRuleFailures } from './rules.js';
import { ALGORITHMS, loadPublicKey, verifySignature } from './signatures.js';
import { sm2Z } from './sm2.js';
import { TrustRoots, parseRegistryList, parseTrustFile } from './trust.js';
import { materialKind, startPage } from './ui.js';

globalThis.sandanVerifier = Object.freeze({
  ALGORITHMS, BUNDLE_FORMAT, KEY_ALGORITHM, LOT_FORMAT, MESSAGE_KINDS, OUTCOME, ROLES, SIGNABLE_DOC_TYPES, SIGNER_FIELDS, PARTY_REGISTRY_ABI, TRACE_REGISTRY_ABI, TRADE_REGISTRY_ABI,
  ChainUnreachable, Report, RpcClient, TrustRoots,
  b64urlDecode, b64urlEncode, canonicalBytes, contentHashHex, fromHex, keccak256, keccakText, leafHash, loadPublicKey,
  materialKind, parseRegistryList, parseTrustFile, processProof, readReceipts, sha256, signerRuleFailures, sm2Z, sm3, toHex, utf8,
  verifyBundle, verifyLot, verifySignature,
});

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => startPage(document, window));
  else startPage(document, window);
}

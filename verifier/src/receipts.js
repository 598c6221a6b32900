// The optional customsReceipts section of a bundle, checked as `sandan verify` checks it
// (api/verify/receipts_check.py, docs/receipts.md): each receipt's content hash is recomputed
// from its payload with the bundle's digest profile and must be anchored in the trusted
// TradeRegistry under the root and block the bundle states, one verifyDocument call each in
// the batch of round 2. A receipt is customs' message received over its API key, not signed by
// customs' key: the check proves sandan anchored exactly this receipt; the release itself is
// the chain's ("released by customs"). A bundle without the section is checked as before.
import { TRADE_REGISTRY_ABI, decodeCall, ethCall } from './abi.js';
import { word } from './encoding.js';
import { contentHashHex } from './jcs.js';

export const RECEIPTS_GROUP = 'receipts';
export const RECEIPTS_CHECK = 'customs receipts anchored';

function object(value, where) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where}: expected an object`);
  }
  return value;
}

function block(value, where) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${where}: expected a non-negative integer, found ${JSON.stringify(value)}`);
  return value;
}

function hex32(value, where) {
  try {
    return word(value);
  } catch {
    throw new Error(`${where}: expected 32 bytes of hex, found ${JSON.stringify(value)}`);
  }
}

/**
 * The receipts of the section, each with its recomputed hash (0x-hex) and what the bundle
 * claims; null when the bundle has no section. Throws for a malformed section: like
 * `sandan verify`, which refuses such a bundle, nothing of it is asked on chain.
 */
export function readReceipts(bundle, profile) {
  const section = bundle.customsReceipts;
  if (section === undefined || section === null) return null;
  const entries = object(section, 'customsReceipts').receipts;
  if (!Array.isArray(entries)) throw new Error('customsReceipts.receipts: expected a list');
  return entries.map((entry, index) => {
    const where = `customsReceipts.receipts[${index}]`;
    const item = object(entry, where);
    const anchor = object(item.anchor, `${where}.anchor`);
    if (!Array.isArray(anchor.proof)) throw new Error(`${where}.anchor.proof: expected a list`);
    const payload = object(item.payload, `${where}.payload`);
    return {
      label: `${where} (${item.messageType ?? 'None'})`,
      digest: `0x${contentHashHex(payload, profile)}`,
      claimed: hex32(item.contentHash, `${where}.contentHash`),
      root: hex32(anchor.root, `${where}.anchor.root`),
      block: block(anchor.blockNumber, `${where}.anchor.blockNumber`),
      proof: anchor.proof.map((p) => hex32(p, `${where}.anchor.proof`)),
    };
  });
}

/**
 * Plan one verifyDocument call per receipt through `push(name, request)` and create the
 * pending check; the returned function settles it from the batch's answers (null when the
 * bundle has no receipts, so no check is listed, as in `sandan verify`).
 */
export function planReceiptChecks(report, bundle, profile, tradeRegistry, push) {
  let receipts;
  let malformed = null;
  try {
    receipts = readReceipts(bundle, profile);
  } catch (error) {
    malformed = error.message;
  }
  if (malformed === null && (receipts === null || receipts.length === 0)) return null;
  const check = report.start(RECEIPTS_GROUP, RECEIPTS_CHECK);
  if (malformed !== null) {
    check.fail('well-formed input', malformed);
    return null;
  }
  // The recomputed hash is what is asked about: a claimed hash is believed nowhere.
  receipts.forEach((receipt, i) => push(`receipt${i}`, ethCall(TRADE_REGISTRY_ABI, tradeRegistry, 'verifyDocument', [receipt.digest, receipt.proof])));
  addRelationNote(report, bundle.customsReceipts);
  return (answers, at) => {
    const wrong = [];
    for (const [i, receipt] of receipts.entries()) {
      const answer = answers[at[`receipt${i}`]];
      if (answer?.error) {
        return check.fail('an answer from the TradeRegistry', `verifyDocument: ${answer.error.message ?? JSON.stringify(answer.error)}`);
      }
      const result = decodeCall(TRADE_REGISTRY_ABI, 'verifyDocument', answer.result);
      const anchored = receipt.digest === receipt.claimed
        && result.anchored
        && result.root.toLowerCase() === receipt.root
        && Number(result.blockNumber) === receipt.block;
      if (!anchored) wrong.push(receipt.label);
    }
    return check.expect(
      wrong.length === 0,
      "every receipt's recomputed hash anchored under its stated root and block",
      wrong.length === 0
        ? `${receipts.length} customs receipts, each its payload's hash, anchored as stated`
        : `not anchored as stated: ${wrong.join(', ')}`,
    );
  };
}

/** What the bundle says of the receipts beside the chain release: said, not checked here. */
function addRelationNote(report, section) {
  const release = section.release;
  if (release === null || typeof release !== 'object') return;
  const status = release.receiptStatus ? `${release.receiptStatus} ${release.receiptStatusText ?? ''}`.trim() : 'none';
  const named = release.disagreement ? `names a disagreement: ${release.disagreement}` : 'names no disagreement';
  report.note(
    RECEIPTS_GROUP,
    `The release this page checks is the chain's ("released by customs"); the receipts are customs' messages anchored by sandan, not signed by customs' key. The bundle states the deciding receipt's status (${status}) and ${named}.`,
  );
}

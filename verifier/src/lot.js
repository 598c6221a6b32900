// The checks of a lot's "sandan-lot/1" verification material (spec/trust.md "Lot verification
// material"): per event its envelope signature, that the envelope carries the event, the
// TraceRegistry anchoring and the PartyRegistry signer rule for docType "epcis-event".
import { PARTY_REGISTRY_ABI, TRACE_REGISTRY_ABI, decodeCall, ethCall } from './abi.js';
import { askAndSettle, checkChainAndTrust, checkReceipt, nodeChainId, receiptRequests, resultOf, signerChecks } from './chain.js';
import { toHex, word } from './encoding.js';
import { keccakText } from './hashes.js';
import { canonicalBytes, contentHashHex } from './jcs.js';
import { processProof } from './merkle.js';
import { verifySignature } from './signatures.js';

export const LOT_FORMAT = 'sandan-lot/1';
const DOC_TYPE = 'epcis-event';

function attempt(check, action) {
  try {
    return action();
  } catch (error) {
    check.fail('well-formed input', error.message);
    return undefined;
  }
}

function sameJson(a, b) {
  return toHex(canonicalBytes(a)) === toHex(canonicalBytes(b));
}

/**
 * Whether the signed document carries `event` under `context`: an EPCISDocument lists it in
 * its eventList under the document's @context, or the document is the event itself (no
 * context). Returns what was found, as `sandan verify-lot` words it, or null when it does.
 */
function notCarried(document, event, context) {
  const isList = document?.type === 'EPCISDocument';
  const events = isList ? document?.epcisBody?.eventList ?? [] : [document];
  const signedContext = isList ? document['@context'] ?? null : null;
  if (!Array.isArray(events) || !events.some((item) => sameJson(item, event))) return 'an event the envelope does not hold';
  if (!sameJson(signedContext, context ?? null)) return "the event, under a context other than the signed document's";
  return null;
}

function eventLabel(item, index) {
  const event = item?.event ?? {};
  const step = typeof event.bizStep === 'string' ? event.bizStep.replace(/^.*[:/]/, '') : '';
  return `event[${index}] ${event.type ?? '?'}${step ? ` ${step}` : ''}`;
}

/** Check each distinct envelope once: hash and signature. Returns hash → ok. */
function checkEnvelopes(report, envelopes) {
  const verdicts = new Map();
  for (const [hash, item] of Object.entries(envelopes ?? {})) {
    const label = `envelope ${hash.slice(0, 12)}…`;
    const envelope = item?.envelope;
    const key = item?.publicKey;
    const hashCheck = report.start(label, 'envelope hash');
    const digest = attempt(hashCheck, () => contentHashHex(envelope.payload));
    const hashed = digest !== undefined && hashCheck.expect(digest === hash, `envelopeHash ${hash}`, `recomputed ${digest}`);
    const keyCheck = report.start(label, "key is the envelope's");
    const keyed = attempt(keyCheck, () => keyCheck.expect(
      key.keyId === envelope.payload.keyId && key.party === envelope.payload.party && key.alg === envelope.alg && envelope.payload.docType === DOC_TYPE,
      `key ${envelope.payload.keyId} of ${envelope.payload.party}, ${envelope.alg}, docType ${DOC_TYPE}`,
      `key ${key.keyId} of ${key.party}, ${key.alg}, docType ${envelope.payload.docType}`,
    ));
    const signature = report.start(label, 'signature');
    const signed = attempt(signature, () => {
      const ok = verifySignature(key.alg, key.publicKey, envelope.signature, canonicalBytes(envelope.payload));
      return signature.expect(ok, `a valid ${key.alg} signature by key ${key.keyId}`, ok ? `${key.alg} by ${key.party}` : 'the signature does not verify');
    });
    verdicts.set(hash, Boolean(hashed && keyed && signed));
  }
  return verdicts;
}

function checkEventLocally(report, material, item, index) {
  const label = eventLabel(item, index);
  const found = { label, item, chainable: false };
  const signed = report.start(label, 'signed envelope carries the event');
  const envelope = item?.envelopeHash ? material.envelopes?.[item.envelopeHash] : undefined;
  if (!item?.envelopeHash) signed.fail('an event signed by its party', 'the event was captured without a signed envelope');
  else if (!envelope) signed.fail(`envelope ${item.envelopeHash}`, 'not in the material');
  else {
    attempt(signed, () => {
      const missing = notCarried(envelope.envelope.payload.document, item.event, item.context);
      signed.expect(missing === null, `the event as signed in envelope ${item.envelopeHash.slice(0, 12)}`, missing ?? 'the event and its context as signed');
    });
  }
  found.envelope = envelope;
  report.note(label, 'The CBV 2.0 event hash is recomputed only by `sandan verify-lot`.');
  const proof = report.start(label, 'Merkle proof');
  if (!item?.anchor) {
    proof.fail('an anchored event', 'not anchored yet');
    return found;
  }
  found.chainable = attempt(proof, () => {
    const { anchor } = item;
    if (!Number.isInteger(anchor.blockNumber) || !Array.isArray(anchor.proof)) throw new Error('anchor needs a blockNumber and a proof');
    [anchor.root, anchor.batchId, item.eventHash].forEach(word);
    const root = processProof(item.eventHash, anchor.proof);
    proof.expect(root === String(anchor.root).toLowerCase(), `root ${anchor.root}`, `proof leads to ${root}`);
    return true;
  }) === true;
  return found;
}

function planReads(material, events, registries) {
  const calls = [];
  const at = {};
  events.forEach((ev, i) => {
    const { anchor, eventHash } = ev.item;
    at[`event${i}`] = calls.length;
    calls.push(ethCall(TRACE_REGISTRY_ABI, registries.traceRegistry, 'verifyEvent', [word(eventHash), anchor.proof.map(word)]));
    if (ev.envelope?.publicKey) {
      at[`signer${i}`] = calls.length;
      calls.push(ethCall(PARTY_REGISTRY_ABI, registries.partyRegistry, 'signerAt', [keccakText(ev.envelope.publicKey.keyId), BigInt(anchor.blockNumber)]));
    }
  });
  const receipts = receiptRequests(events.map((ev) => ev.item.anchor.txHash));
  const first = calls.length;
  calls.push(...receipts.calls);
  return { calls, at, receiptOf: (hash) => first + (receipts.index.get(String(hash).toLowerCase()) ?? NaN) };
}

/** Create the pending on-chain checks of one event; the returned function settles them. */
function checkEventOnChain(report, material, ev, i, plan, registries) {
  const { label, item } = ev;
  const { anchor } = item;
  const anchored = report.start(label, 'anchored on chain');
  const transaction = report.start(label, 'anchor transaction');
  const publicKey = ev.envelope?.publicKey;
  const settleSigner = publicKey ? signerChecks(report, label, { publicKey, block: anchor.blockNumber, docType: DOC_TYPE }) : null;
  const lotId = word(material.lotId);
  return (answers) => {
    const result = attempt(anchored, () => decodeCall(TRACE_REGISTRY_ABI, 'verifyEvent', resultOf(answers[plan.at[`event${i}`]], 'verifyEvent')));
    if (result !== undefined) {
      // An event of an input lot (a harvest packed into this lot) was anchored under that
      // lot's id, so the batch's lot is shown, not required to be this one (as verify-lot).
      const other = result.lotId === lotId ? '' : ` (anchored for lot ${result.lotId.slice(2)})`;
      anchored.expect(
        result.anchored && result.root.slice(2) === String(anchor.root).toLowerCase() && Number(result.blockNumber) === anchor.blockNumber,
        `root ${anchor.root} in block ${anchor.blockNumber}`,
        result.anchored ? `root ${result.root.slice(2)} in block ${result.blockNumber}${other}` : 'the proof leads to a root the registry never anchored',
      );
      if (result.recalled) report.recalled = true;
    }
    checkReceipt(transaction, answers[plan.receiptOf(anchor.txHash)]?.result, {
      block: anchor.blockNumber, registry: registries.traceRegistry, abi: TRACE_REGISTRY_ABI, eventName: 'LotBatchAnchored',
      args: { root: word(anchor.root), batchId: word(anchor.batchId) },
    });
    if (settleSigner) settleSigner(answers[plan.at[`signer${i}`]]);
  };
}

/** The verification material of a resolver answer, or the material itself. */
export function lotMaterial(data) {
  return data?.verification?.format === LOT_FORMAT ? data.verification : data;
}

/** Verify a lot's material against the node behind `rpc`, trusting only `trust`. */
export async function verifyLot(data, { rpc, trust, report }) {
  const material = lotMaterial(data);
  if (!report.start('lot', 'format').expect(material?.format === LOT_FORMAT, LOT_FORMAT, material?.format)) return report;
  const chain = material.chain ?? {};
  const items = Array.isArray(material.events) ? material.events : [];
  report.start('lot', 'events present').expect(items.length > 0, 'at least one event', `${items.length} events`);
  const envelopeOk = checkEnvelopes(report, material.envelopes);
  const events = items.map((item, i) => checkEventLocally(report, material, item, i));
  events.forEach((ev) => {
    if (ev.item?.envelopeHash && envelopeOk.get(ev.item.envelopeHash) === false) {
      report.start(ev.label, 'envelope verified').fail(`envelope ${ev.item.envelopeHash} verified`, 'its checks failed (see above)');
    }
  });
  const chainCheck = report.start('chain', 'chain id');
  let nodeChain;
  try {
    nodeChain = await nodeChainId(rpc);
  } catch (error) {
    report.unreachable = error.message;
    report.skipPending('not asked: the chain is unreachable');
    return report;
  }
  const registries = { traceRegistry: chain.traceRegistry, partyRegistry: chain.partyRegistry };
  const usable = checkChainAndTrust(report, {
    chainCheck, chain, nodeChain, trust, registries: [['trace registry', chain.traceRegistry], ['party registry', chain.partyRegistry]],
  });
  const chainable = events.filter((ev) => ev.chainable);
  const reads = report.start('chain', 'chain reads');
  if (!usable) return reads.skip('not asked: a registry is not trusted or the chain differs'), report;
  const plan = attempt(reads, () => planReads(material, chainable, registries));
  if (plan === undefined) return report;
  const pending = attempt(reads, () => chainable.map((ev, i) => checkEventOnChain(report, material, ev, i, plan, registries)));
  if (pending === undefined) {
    report.skipPending('not asked: the material is malformed');
    return report;
  }
  return askAndSettle(report, reads, rpc, plan, pending);
}

// Every check of `sandan verify` on a "sandan-bundle/4" that a browser can run (docs/trust.md
// "Bundle format", "Verifier rule", "Trust roots"), in two rounds of chain reads.
import {
  DOCUMENT_STATUS, PARTY_REGISTRY_ABI, TRADE_REGISTRY_ABI, TRADE_STATE, decodeCall, ethCall, maskIncludes, registryEvents,
} from './abi.js';
import { askAndSettle, checkChainAndTrust, checkReceipt, nodeChainId, receiptRequests, resultOf, signerChecks } from './chain.js';
import { toHex, utf8, word } from './encoding.js';
import { keccakText, sha256 } from './hashes.js';
import { DIGEST_PROFILES, canonicalBytes, contentHashHex } from './jcs.js';
import { processProof } from './merkle.js';
import { planReceiptChecks } from './receipts.js';
import { MESSAGE_KINDS, SIGNER_FIELDS } from './rules.js';
import { decodeSignature, verifySignature } from './signatures.js';

export const BUNDLE_FORMAT = 'sandan-bundle/4';
// Format 3 is format 4 before zones could choose SM3: its hashes are all SHA-256.
const FORMAT_3 = 'sandan-bundle/3';

function attempt(check, action) {
  try {
    return action();
  } catch (error) {
    check.fail('well-formed input', error.message);
    return undefined;
  }
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Local checks of one document: envelope, key, content hash, signature, proof. */
function checkDocumentLocally(report, entry, index, profile) {
  const label = `document[${index}] ${entry?.messageType ?? '?'}`;
  const doc = { label, entry, ok: false };
  const envelope = entry?.envelope;
  const shape = report.start(label, 'envelope');
  if (!isObject(envelope) || !isObject(envelope.payload) || !isObject(entry.publicKey) || !isObject(entry.anchor)) {
    shape.fail('envelope, publicKey and anchor objects', 'missing');
    return doc;
  }
  const xml = envelope.source === 'ceb-xml';
  const payload = envelope.payload;
  const key = entry.publicKey;
  if (!attempt(shape, () => (decodeSignature(envelope.signature), shape.pass(xml ? `CEB XML, ${envelope.alg}` : envelope.alg)))) {
    return doc;
  }
  report
    .start(label, 'key is the envelope\'s')
    .expect(
      key.keyId === payload.keyId && key.party === payload.party && key.alg === envelope.alg,
      `key ${payload.keyId} of ${payload.party}, ${envelope.alg}`,
      `key ${key.keyId} of ${key.party}, ${key.alg}`,
    );
  const kind = MESSAGE_KINDS[entry.messageType];
  report
    .start(label, 'document type')
    .expect(kind !== undefined && payload.docType === kind, `docType ${kind ?? `of a known CEB message type, not ${entry.messageType}`}`, `docType ${payload.docType}`);
  const hashCheck = report.start(label, 'content hash');
  const digest = attempt(hashCheck, () => contentHashHex(payload, profile));
  if (digest !== undefined) hashCheck.expect(digest === entry.contentHash, `contentHash ${entry.contentHash}`, `${profile}(JCS(payload)) = ${digest}`);
  const signatureCheck = report.start(label, 'signature');
  const signed = xml ? utf8(String(entry.sourceXml ?? '')) : undefined;
  attempt(signatureCheck, () => {
    // A JSON envelope's signature covers the same RFC 8785 bytes the content hash is taken over.
    const message = xml ? signed : canonicalBytes(payload);
    const ok = verifySignature(key.alg, key.publicKey, envelope.signature, message);
    const over = xml ? ' over the XML bytes' : '';
    signatureCheck.expect(ok, `a valid ${key.alg} signature by key ${key.keyId}${over}`, ok ? `${key.alg} by ${key.party}${over}` : `the signature does not verify${over}`);
  });
  const fields = SIGNER_FIELDS[kind] ?? [];
  const document = isObject(payload.document) ? payload.document : {};
  report
    .start(label, 'signer named in the document')
    .expect(
      fields.some((f) => document[f] === payload.party),
      `one of ${fields.join(', ') || '(no signer field)'} = ${payload.party}`,
      fields.filter((f) => f in document).map((f) => `${f}=${document[f]}`).join(', ') || `no ${fields.join(' / ') || 'signer field'} in a ${entry.messageType}`,
    );
  if (xml) report.note(label, 'Rebuilding the payload from the CEB XML is done only by `sandan verify`.');
  report.note(label, 'The CEB schema of the document is checked only by `sandan verify`.');
  const proofCheck = report.start(label, 'Merkle proof');
  // Only a document whose anchor is readable is asked about on chain.
  doc.ok = attempt(proofCheck, () => {
    const { anchor } = entry;
    if (!Number.isInteger(anchor.blockNumber) || !Array.isArray(anchor.proof)) throw new Error('anchor needs a blockNumber and a proof');
    [anchor.root, anchor.batchId, entry.contentHash].forEach(word);
    const root = processProof(entry.contentHash, anchor.proof);
    proofCheck.expect(root === String(anchor.root).toLowerCase(), `root ${anchor.root}`, `proof leads to ${root}`);
    return true;
  }) === true;
  return doc;
}

/** sha256 of "<ebpCode>/<orderNo>": the trade id every registry call of the trade names. */
function tradeIdOf(bundle) {
  return toHex(sha256(utf8(`${bundle.ebpCode}/${bundle.orderNo}`)));
}

function checkTradeId(report, bundle) {
  const key = `${bundle.ebpCode}/${bundle.orderNo}`;
  const digest = tradeIdOf(bundle);
  const orders = (Array.isArray(bundle.documents) ? bundle.documents : []).filter((d) => MESSAGE_KINDS[d?.messageType] === 'order');
  const named = orders.map((d) => `${d.envelope?.payload?.document?.ebpCode}/${d.envelope?.payload?.document?.orderNo}`);
  const check = report.start('trade', 'trade id');
  if (digest !== bundle.tradeId) return check.fail(`sha256(${key}) = ${digest}`, `tradeId ${bundle.tradeId}`);
  return check.expect(
    orders.length > 0 && named.every((n) => n === key),
    `an order naming ${key}`,
    orders.length ? `orders name ${named.join(', ')}` : 'no order in the bundle',
  );
}

function checkVerdictLocally(report, bundle, profile) {
  const entry = bundle.verdict;
  const check = report.start('verdict', 'verdict hash');
  if (!isObject(entry) || !isObject(entry.verdict)) return check.fail('a verdict object', 'missing');
  const digest = attempt(check, () => contentHashHex(entry.verdict, profile));
  if (digest === undefined) return false;
  const ok = check.expect(digest === entry.verdictHash, `verdictHash ${entry.verdictHash}`, `${profile}(JCS(verdict)) = ${digest}`);
  report
    .start('verdict', 'verdict is of this trade')
    .expect(
      entry.verdict.tradeId === bundle.tradeId,
      `tradeId ${bundle.tradeId}`,
      `verdict names ${entry.verdict.tradeId}`,
    );
  // The verdict commits to the hash of every document it judged; release, settlement and
  // financing name the verdict on chain, so they name exactly these documents.
  const documents = Array.isArray(bundle.documents) ? bundle.documents : [];
  const inBundle = Object.fromEntries(documents.map((d) => [d?.envelope?.payload?.docType, d?.contentHash]));
  const judged = isObject(entry.verdict.documents) ? entry.verdict.documents : {};
  const describe = (named) => Object.entries(named).map(([kind, digest]) => `${kind} ${digest}`).join(', ') || 'none';
  report
    .start('verdict', 'documents named by the verdict')
    .expect(
      Object.keys(inBundle).length === documents.length
        && Object.keys(judged).length === documents.length
        && Object.entries(inBundle).every(([kind, digest]) => judged[kind] === digest),
      describe(inBundle),
      describe(judged),
    );
  report.note('verdict', 'Verdict hash checked against the chain; the verdict itself is recomputed only by `sandan verify`.');
  return ok;
}

function uint(value, what) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what}: expected a non-negative integer, found ${JSON.stringify(value)}`);
  return value;
}

function bool(value, what) {
  if (typeof value !== 'boolean') throw new Error(`${what}: expected true or false, found ${JSON.stringify(value)}`);
  return value;
}

function list(value, what) {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
}

/** The chain calls of round 2 and how to read each answer back. */
function planChainReads(report, bundle, docs, { tradeRegistry, partyRegistry }, profile) {
  const calls = [];
  const at = {};
  const push = (name, request) => {
    at[name] = calls.length;
    calls.push(request);
  };
  docs.forEach((doc, i) => {
    const { entry } = doc;
    push(`doc${i}`, ethCall(TRADE_REGISTRY_ABI, tradeRegistry, 'verifyDocument', [word(entry.contentHash), entry.anchor.proof.map(word)]));
    push(`signer${i}`, ethCall(PARTY_REGISTRY_ABI, partyRegistry, 'signerAt', [keccakText(entry.publicKey.keyId), BigInt(entry.anchor.blockNumber)]));
  });
  // The leaf is the bundle's, with the trade id recomputed from the order it names.
  const { verdict, settlement } = bundle;
  if (!isObject(verdict)) throw new Error('verdict: expected an object');
  word(verdict.root);
  const leaf = {
    batch: BigInt(uint(verdict.batch, 'verdict.batch')),
    position: uint(verdict.position, 'verdict.position'),
    tradeId: word(tradeIdOf(bundle)),
    verdictHash: word(verdict.verdictHash),
    matched: bool(verdict.matched, 'verdict.matched'),
  };
  push('verdict', ethCall(TRADE_REGISTRY_ABI, tradeRegistry, 'verifyVerdict', [leaf, list(verdict.proof, 'verdict.proof').map(word)]));
  if (isObject(settlement)) {
    push('settlement', ethCall(TRADE_REGISTRY_ABI, tradeRegistry, 'verifySettlement', [
      uint(settlement.settlementId, 'settlement.settlementId'), leaf.position, word(settlement.settlementRef),
      list(settlement.proof, 'settlement.proof').map(word),
    ]));
  }
  const steps = [bundle.verdict, bundle.release, bundle.settlement, bundle.financing];
  const receipts = receiptRequests([...docs.map((d) => d.entry.anchor.txHash), ...steps.map((s) => s?.txHash)]);
  const first = calls.length;
  calls.push(...receipts.calls);
  const receiptOf = (hash) => {
    const i = receipts.index.get(String(hash).toLowerCase());
    return i === undefined ? undefined : first + i;
  };
  // Last, once nothing above can throw: its check is then always settled.
  const settleReceipts = planReceiptChecks(report, bundle, profile, tradeRegistry, push);
  return { calls, at, receiptOf, settleReceipts };
}

/** Create the pending on-chain checks of one document; the returned function settles them. */
function checkDocumentOnChain(report, doc, i, plan, registries) {
  const { entry, label } = doc;
  const anchor = entry.anchor;
  const anchored = report.start(label, 'anchored on chain');
  const status = report.start(label, 'not revoked or superseded');
  const transaction = report.start(label, 'anchor transaction');
  const settleSigner = signerChecks(report, label, {
    publicKey: entry.publicKey, block: anchor.blockNumber, docType: entry.envelope.payload.docType,
  });
  return (answers) => {
    const result = attempt(anchored, () => decodeCall(TRADE_REGISTRY_ABI, 'verifyDocument', resultOf(answers[plan.at[`doc${i}`]], 'verifyDocument')));
    if (result === undefined) status.skip('verifyDocument gave no answer');
    else {
      const root = result.root.slice(2);
      const found = result.anchored ? `root ${root} in block ${result.blockNumber}` : 'the proof leads to a root the registry never anchored';
      anchored.expect(
        result.anchored && root === String(anchor.root).toLowerCase() && Number(result.blockNumber) === anchor.blockNumber,
        `root ${anchor.root} in block ${anchor.blockNumber}`,
        found,
      );
      const name = DOCUMENT_STATUS[result.status] ?? `status ${result.status}`;
      status.expect(result.status === 0, 'active', result.status === 2 ? `superseded by ${result.successor.slice(2)}` : name);
    }
    checkReceipt(transaction, answers[plan.receiptOf(anchor.txHash)]?.result, {
      block: anchor.blockNumber,
      registry: registries.tradeRegistry,
      abi: TRADE_REGISTRY_ABI,
      eventName: 'BatchAnchored',
      args: { root: word(anchor.root), batchId: word(anchor.batchId) },
    });
    settleSigner(answers[plan.at[`signer${i}`]]);
  };
}

/** Create the pending checks of the trade's verdict and steps; the returned function settles them. */
function checkTradeOnChain(report, bundle, plan, registries) {
  const verdict = bundle.verdict;
  const onChain = report.start('verdict', 'verdict on chain');
  const matched = report.start('verdict', 'trade matched on chain', { verdict: true });
  const verdictTx = report.start('verdict', 'verdict transaction');
  const steps = [
    ['release', bundle.release, 'released by customs', 'release transaction'],
    ['settlement', bundle.settlement, 'settlement confirmed', 'settlement transaction'],
    ['financing', bundle.financing, 'financing registered', 'financing transaction'],
  ]
    .filter(([, step]) => step !== null && step !== undefined)
    .map(([group, step, state, tx]) => ({ group, step, state: report.start(group, state), tx: report.start(group, tx) }));
  const at = { batch: BigInt(verdict.batch), position: verdict.position, root: word(verdict.root) };
  return (answers) => {
    const chain = attempt(onChain, () => decodeCall(TRADE_REGISTRY_ABI, 'verifyVerdict', resultOf(answers[plan.at.verdict], 'verifyVerdict')));
    const receipt = (step) => answers[plan.receiptOf(step.txHash)]?.result;
    // Only a transaction that succeeded in the block the bundle names vouches for anything.
    const events = (step, eventName) => {
      const found = receipt(step);
      const mined = found && BigInt(found.status ?? '0x0') === 1n && Number(BigInt(found.blockNumber)) === step.blockNumber;
      return mined ? registryEvents(TRADE_REGISTRY_ABI, registries.tradeRegistry, found).filter((e) => e.eventName === eventName) : [];
    };
    const common = { registry: registries.tradeRegistry, abi: TRADE_REGISTRY_ABI };
    checkReceipt(verdictTx, receipt(verdict), {
      ...common, block: verdict.blockNumber, eventName: 'VerdictBatchRecorded', args: { batch: at.batch, root: at.root },
    });
    if (chain === undefined) {
      matched.skip('verifyVerdict gave no answer');
      for (const { state } of steps) state.skip('verifyVerdict gave no answer');
    } else {
      const state = TRADE_STATE[chain.state] ?? `state ${chain.state}`;
      const recorded = events(verdict, 'VerdictBatchRecorded').some((e) => e.args.batch === at.batch && e.args.root.toLowerCase() === at.root);
      const failures = verdictFailures(chain, verdict, at, state, recorded);
      const where = `position ${verdict.position} of verdict batch ${verdict.batch}`;
      onChain.expect(
        failures.length === 0,
        `verdict ${verdict.verdictHash} (${verdict.verdict?.status}) at ${where}, root ${verdict.root}, recorded in block ${verdict.blockNumber} and not superseded`,
        failures.length ? failures.join('; ') : `${where} (${state}) in block ${chain.blockNumber}`,
      );
      matched.expect(
        chain.anchored && verdict.matched && verdict.verdict?.status === 'match',
        'a matched verdict',
        `verdict status ${verdict.verdict?.status}, recorded as ${verdict.matched ? 'a match' : 'a mismatch'}, state ${state}`,
      );
      const context = { chain, state, at, settled: plan.at.settlement === undefined ? false : decodeCall(TRADE_REGISTRY_ABI, 'verifySettlement', resultOf(answers[plan.at.settlement], 'verifySettlement')) };
      for (const { group, step, state: check } of steps) {
        const rule = STEP_RULES[group];
        const stepEvents = events(step, rule.event);
        const failed = rule.failures(context, step, stepEvents);
        check.expect(failed.length === 0, rule.expected(at, step), failed.length ? failed.join('; ') : rule.passed(step));
      }
    }
    for (const { group, step, tx } of steps) {
      const rule = STEP_RULES[group];
      checkReceipt(tx, receipt(step), { ...common, block: step.blockNumber, eventName: rule.event, args: rule.args(at, step) });
    }
  };
}

/** Why `verifyVerdict`'s answer is not the bundle's verdict (none when it is). */
function verdictFailures(chain, verdict, at, state, recorded) {
  const failures = [];
  if (!chain.anchored) failures.push(`the leaf and its proof lead to no root of verdict batch ${verdict.batch}`);
  else if (chain.root.toLowerCase() !== at.root) failures.push(`the batch's root is ${hex(chain.root)}`);
  else if (Number(chain.blockNumber) !== verdict.blockNumber) failures.push(`recorded in block ${chain.blockNumber}`);
  // The browser cannot rerun the matcher: the verdict's own status is what its hash commits to.
  if (verdict.matched !== (verdict.verdict?.status === 'match')) failures.push(`the leaf records a ${verdict.matched ? 'match' : 'mismatch'}, the verdict is a ${verdict.verdict?.status}`);
  if (state === 'superseded') failures.push('superseded: a later verdict of this trade replaced it');
  if (!recorded) failures.push(`the verdict transaction records no verdict batch ${verdict.batch}`);
  return failures;
}

const hex = (value) => value.slice(2).toLowerCase();

/** What the events of a step's receipt selected, for a failed check. */
function selections(eventName, events, position) {
  if (events.length === 0) return [`the transaction holds no ${eventName} of this registry`];
  return events.map((e) => `${eventName} of verdict batch ${e.args.batch}, ${maskIncludes(e.args.mask, position) ? '' : 'not '}position ${position}`);
}

/** What verifyVerdict (and verifySettlement) must say, and which event each step's receipt must carry. */
const STEP_RULES = {
  release: {
    event: 'TradesReleased',
    args: (at) => ({ batch: at.batch }),
    expected: (at) => `state released or settled, and a TradesReleased of verdict batch ${at.batch} selecting position ${at.position}`,
    passed: (step) => `released in block ${step.blockNumber}`,
    failures: ({ state, at }, _step, events) => {
      const failed = ['released', 'settled'].includes(state) ? [] : [`state ${state}`];
      if (!events.some((e) => e.args.batch === at.batch && maskIncludes(e.args.mask, at.position))) failed.push(...selections('TradesReleased', events, at.position));
      return failed;
    },
  },
  settlement: {
    event: 'SettlementsConfirmed',
    args: (at, step) => ({ settlementId: step.settlementId, batch: at.batch }),
    expected: (at, step) => `state settled; settlement ${step.settlementId} settled position ${at.position} under ${step.settlementRef} (verifySettlement); its SettlementsConfirmed of verdict batch ${at.batch} selecting position ${at.position}`,
    passed: (step) => `settlement ${step.settlementId} under ${step.settlementRef}`,
    failures: ({ state, at, settled }, step, events) => {
      const failed = state === 'settled' ? [] : [`state ${state}`];
      if (!settled) failed.push(`verifySettlement: not settlement ${step.settlementId}'s reference of position ${at.position}`);
      const named = events.some((e) => e.args.settlementId === step.settlementId && e.args.batch === at.batch && maskIncludes(e.args.mask, at.position));
      if (!named) failed.push(...selections('SettlementsConfirmed', events, at.position));
      return failed;
    },
  },
  financing: {
    event: 'FinancingRegistered',
    args: (at, step) => ({ financingId: step.financingId, batch: at.batch, termsHash: word(step.termsHash) }),
    expected: (at, step) => `financing ${step.financingId} of position ${at.position} on terms ${step.termsHash} in block ${step.blockNumber}, and its FinancingRegistered`,
    passed: (step) => `financing ${step.financingId} in block ${step.blockNumber}`,
    failures: ({ chain, at }, step, events) => {
      const { financing } = chain;
      const failed = [];
      if (chain.financingId !== step.financingId) failed.push(chain.financingId ? `open financing ${chain.financingId}` : 'no open financing');
      else if (hex(financing.termsHash) !== step.termsHash || Number(financing.blockNumber) !== step.blockNumber || financing.verdictBatch !== at.batch) {
        failed.push(`financing ${chain.financingId} on terms ${hex(financing.termsHash)} in block ${financing.blockNumber} of verdict batch ${financing.verdictBatch}`);
      }
      const named = events.some((e) => e.args.financingId === step.financingId && e.args.batch === at.batch && hex(e.args.termsHash) === step.termsHash && maskIncludes(e.args.mask, at.position));
      if (!named) failed.push(...selections('FinancingRegistered', events, at.position));
      return failed;
    },
  },
};

/**
 * Verify `bundle` against the node behind `rpc`, trusting only `trust`; fills `report`.
 * A node that cannot be asked sets report.unreachable instead of failing checks.
 */
export async function verifyBundle(bundle, { rpc, trust, report }) {
  const format = report.start('bundle', 'format');
  const known = bundle?.format === BUNDLE_FORMAT || bundle?.format === FORMAT_3;
  if (!format.expect(known, BUNDLE_FORMAT, `unsupported bundle format ${JSON.stringify(bundle?.format)}`)) return report;
  // Said by the bundle, not believed: every hash is recomputed with it and must then be the
  // one anchored, so a wrong profile only fails a genuine bundle, never passes a forgery.
  const profile = bundle.format === FORMAT_3 ? 'sha256' : bundle.digestProfile;
  const profileCheck = report.start('bundle', 'digest profile');
  if (!profileCheck.expect(Object.hasOwn(DIGEST_PROFILES, profile), Object.keys(DIGEST_PROFILES).join(' or '), `digestProfile ${JSON.stringify(profile)}`)) return report;
  const chain = isObject(bundle.chain) ? bundle.chain : {};
  const documents = Array.isArray(bundle.documents) ? bundle.documents : [];
  const docs = documents.map((entry, i) => checkDocumentLocally(report, entry, i, profile)).filter((d) => d.ok);
  report.start('bundle', 'documents present').expect(docs.length > 0 && docs.length === documents.length,
    `${documents.length || 'some'} readable documents`, `${docs.length} readable`);
  checkTradeId(report, bundle);
  checkVerdictLocally(report, bundle, profile);
  const chainCheck = report.start('chain', 'chain id');
  let nodeChain;
  try {
    nodeChain = await nodeChainId(rpc);
  } catch (error) {
    report.unreachable = error.message;
    report.skipPending('not asked: the chain is unreachable');
    return report;
  }
  const registries = { tradeRegistry: chain.tradeRegistry, partyRegistry: chain.partyRegistry };
  const usable = checkChainAndTrust(report, {
    chainCheck, chain, nodeChain, trust, registries: [['trade registry', chain.tradeRegistry], ['party registry', chain.partyRegistry]],
  });
  if (!usable) {
    report.start('chain', 'chain reads').skip('not asked: a registry is not trusted or the chain differs');
    return report;
  }
  const reads = report.start('chain', 'chain reads');
  const plan = attempt(reads, () => planChainReads(report, bundle, docs, registries, profile));
  if (plan === undefined) return report;
  const pending = attempt(reads, () => [
    ...docs.map((doc, i) => checkDocumentOnChain(report, doc, i, plan, registries)),
    checkTradeOnChain(report, bundle, plan, registries),
    ...(plan.settleReceipts ? [(answers) => plan.settleReceipts(answers, plan.at)] : []),
  ]);
  if (pending === undefined) {
    report.skipPending('not asked: the bundle is malformed');
    return report;
  }
  return askAndSettle(report, reads, rpc, plan, pending);
}

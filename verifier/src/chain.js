// Checks shared by the trade and lot verifiers: the node's chain id against the material's,
// the trust roots, and transaction receipts against the registry events they must carry.
import { PARTY_REGISTRY_ABI, decodeCall, registryEvents } from './abi.js';
import { ChainUnreachable } from './rpc.js';
import { SIGNER_CHECKS, rolesOfMask, signerRuleFailures } from './rules.js';

/** Ask the node its chain id (round 1); a node that cannot answer is "chain unreachable". */
export async function nodeChainId(rpc) {
  const [answer] = await rpc.batch([{ method: 'eth_chainId', params: [] }]);
  if (answer.error || typeof answer.result !== 'string') {
    throw new ChainUnreachable(`eth_chainId failed: ${answer.error?.message ?? 'no result'}`);
  }
  return Number(BigInt(answer.result));
}

/**
 * Check the chain id and that every registry is trusted; returns true when chain reads of
 * these registries mean anything.
 */
export function checkChainAndTrust(report, { chainCheck, chain, nodeChain, trust, registries }) {
  const sameChain = chainCheck.expect(chain.chainId === nodeChain, `bundle's chain ${chain.chainId}`, `node is chain ${nodeChain}`);
  let trusted = true;
  for (const [name, address] of registries) {
    const check = report.start('chain', `${name} trusted`);
    const by = typeof address === 'string' ? trust.trusts(address, nodeChain) : null;
    trusted = check.expect(by !== null, `a registry you trust on chain ${nodeChain}`, by
      ? `${address} (${by})`
      : `registry ${address} is not a trusted registry`) && trusted;
  }
  return sameChain && trusted;
}

/** eth_getTransactionReceipt request for each distinct transaction hash. */
export function receiptRequests(txHashes) {
  const distinct = [...new Set(txHashes.filter((h) => typeof h === 'string').map((h) => h.toLowerCase()))];
  return {
    calls: distinct.map((hash) => ({ method: 'eth_getTransactionReceipt', params: [hash] })),
    index: new Map(distinct.map((hash, i) => [hash, i])),
  };
}

/**
 * A transaction of the bundle: mined with status 1 in `block`, with a log from `registry`
 * of `eventName` whose arguments include `args` (compared as lowercase text).
 */
export function checkReceipt(check, receipt, { block, registry, abi, eventName, args }) {
  if (receipt === null || receipt === undefined) return check.fail(`a transaction mined in block ${block}`, 'no such transaction on this chain');
  const mined = Number(BigInt(receipt.blockNumber));
  if (BigInt(receipt.status ?? '0x0') !== 1n) return check.fail('status 1 (success)', `status ${receipt.status}`);
  if (mined !== block) return check.fail(`mined in block ${block}`, `mined in block ${mined}`);
  const wanted = Object.entries(args).map(([key, value]) => [key, String(value).toLowerCase()]);
  const describe = `${eventName}(${wanted.map(([k, v]) => `${k}=${v}`).join(', ')}) from ${registry}`;
  const events = registryEvents(abi, registry, receipt);
  const match = events.find(
    (event) =>
      event.eventName === eventName && wanted.every(([key, value]) => String(event.args[key]).toLowerCase() === value),
  );
  if (match) return check.pass(`${eventName} in block ${mined}`);
  const seen = events.map((e) => e.eventName).join(', ') || 'no event of the registry';
  return check.fail(describe, `transaction in block ${mined} has ${seen}`);
}

/** The `result` of a batch answer, or a thrown error naming the failed call. */
export function resultOf(answer, what) {
  if (answer.error) throw new Error(`${what}: ${answer.error.message ?? JSON.stringify(answer.error)}`);
  return answer.result;
}

/** Run each settle function; a malformed field fails the checks it left pending. */
export function settleAll(report, settlers, answers) {
  for (const settle of settlers) {
    try {
      settle(answers);
    } catch (error) {
      for (const check of report.checks) if (check.status === 'pending') check.fail('well-formed input', error.message);
    }
  }
}

/**
 * Create the three pending signer checks of a signed item (`signer registered`, `key valid
 * when anchored`, `signer's role`); the returned function settles them from signerAt's answer.
 */
/** Send the planned reads in one batch and settle every pending check with its answer;
 * an unreachable node leaves them all pending, named as not asked. */
export async function askAndSettle(report, reads, rpc, plan, pending) {
  let answers;
  try {
    answers = await rpc.batch(plan.calls);
  } catch (error) {
    report.unreachable = error.message;
    report.skipPending('not asked: the chain is unreachable');
    return report;
  }
  reads.pass(`${plan.calls.length} calls in one batch`);
  settleAll(report, pending, answers);
  return report;
}

export function signerChecks(report, label, { publicKey, block, docType }) {
  const checks = SIGNER_CHECKS.map((name) => report.start(label, name));
  return (answer) => {
    let signer;
    try {
      signer = decodeCall(PARTY_REGISTRY_ABI, 'signerAt', resultOf(answer, 'signerAt'));
    } catch (error) {
      return checks.forEach((check) => check.fail('an answer from the PartyRegistry', error.message));
    }
    const failures = signerRuleFailures(signer, { publicKey, block, docType });
    if (failures.some((f) => f.what === 'key registered')) {
      checks[0].fail(failures[0].expected, failures[0].found);
      return checks.slice(1).forEach((check) => check.skip('the key is not registered'));
    }
    const passed = [
      `key ${publicKey.keyId} of ${publicKey.party} (${publicKey.alg})`,
      `valid from block ${signer.validFromBlock}${signer.revokedFromBlock ? `, revoked from block ${signer.revokedFromBlock}` : ''}; anchored in block ${block}`,
      `${publicKey.party} held ${rolesOfMask(signer.rolesAtBlock).join(', ')} in block ${block}`,
    ];
    return checks.forEach((check, i) => {
      const mine = failures.filter((f) => f.check === check.name);
      if (mine.length === 0) check.pass(passed[i]);
      else check.fail(mine.map((f) => `${f.what}: ${f.expected}`).join('; '), mine.map((f) => `${f.what}: ${f.found}`).join('; '));
    });
  };
}

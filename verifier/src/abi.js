// The registry calls and events the verifier reads, as human-readable ABI (spec/trust.md,
// contracts/interfaces/*.sol), encoded and decoded by viem.
import { decodeEventLog, decodeFunctionResult, encodeFunctionData, parseAbi } from 'viem';

export const TRADE_REGISTRY_ABI = parseAbi([
  'struct DocumentCheck { bytes32 root; bool anchored; uint64 blockNumber; address anchorer; uint32 leafCount; uint8 status; bytes32 successor; uint64 statusBlock; }',
  'struct VerdictLeaf { uint64 batch; uint32 position; bytes32 tradeId; bytes32 verdictHash; bool matched; }',
  'struct Financing { address bank; uint64 blockNumber; uint64 verdictBatch; uint32 count; bytes32 termsHash; }',
  'struct VerdictCheck { bytes32 root; bool anchored; uint64 blockNumber; address anchorer; uint8 state; uint32 financingId; Financing financing; }',
  'function verifyDocument(bytes32 documentHash, bytes32[] proof) view returns (DocumentCheck)',
  'function verifyVerdict(VerdictLeaf leaf, bytes32[] proof) view returns (VerdictCheck)',
  'function verifySettlement(uint32 settlementId, uint32 position, bytes32 settlementRef, bytes32[] proof) view returns (bool)',
  'event BatchAnchored(bytes32 indexed root, bytes32 indexed batchId, address indexed anchorer, uint32 leafCount)',
  'event VerdictBatchRecorded(uint64 indexed batch, bytes32 indexed root, address indexed anchorer, uint32 count)',
  'event TradesReleased(uint64 indexed batch, address indexed customs, uint256[] mask)',
  'event SettlementsConfirmed(uint32 indexed settlementId, uint64 indexed batch, address indexed bank, bytes32 root, uint256[] mask)',
  'event FinancingRegistered(uint32 indexed financingId, uint64 indexed batch, address indexed bank, bytes32 termsHash, uint256[] mask)',
]);

export const PARTY_REGISTRY_ABI = parseAbi([
  'struct SignerView { bytes32 partyId; uint8 alg; bytes32 publicKeyHash; uint64 validFromBlock; uint64 revokedFromBlock; uint256 rolesAtBlock; }',
  'function signerAt(bytes32 keyHash, uint64 blockNumber) view returns (SignerView)',
]);

export const TRACE_REGISTRY_ABI = parseAbi([
  'struct EventCheck { bytes32 root; bool anchored; bytes32 lotId; uint64 blockNumber; address anchorer; uint32 eventCount; bool recalled; }',
  'function verifyEvent(bytes32 eventHash, bytes32[] proof) view returns (EventCheck)',
  'event LotBatchAnchored(bytes32 indexed lotId, bytes32 indexed root, bytes32 indexed batchId, address anchorer, uint32 eventCount)',
]);

/** ITradeRegistry.DocumentStatus and TradeState, by index. */
export const DOCUMENT_STATUS = ['active', 'revoked', 'superseded'];
export const TRADE_STATE = ['none', 'mismatched', 'matched', 'released', 'settled', 'superseded'];

/** A JSON-RPC eth_call request for `functionName(args)` on `to`, at the latest block. */
export function ethCall(abi, to, functionName, args) {
  return { method: 'eth_call', params: [{ to, data: encodeFunctionData({ abi, functionName, args }) }, 'latest'] };
}

/** Decode an eth_call result; an empty result means no such contract answered. */
export function decodeCall(abi, functionName, data) {
  if (data === '0x') throw new Error('no contract answered at that address');
  return decodeFunctionResult({ abi, functionName, data });
}

/** Whether bit `position % 256` of word `position / 256` of a uint256[] position mask is set. */
export function maskIncludes(mask, position) {
  const word = Math.floor(position / 256);
  return word < mask.length && ((BigInt(mask[word]) >> BigInt(position % 256)) & 1n) === 1n;
}

/** The decoded events of `receipt` emitted by `address` that this ABI knows. */
export function registryEvents(abi, address, receipt) {
  const events = [];
  for (const log of receipt.logs ?? []) {
    if (String(log.address).toLowerCase() !== address.toLowerCase()) continue;
    try {
      events.push(decodeEventLog({ abi, data: log.data, topics: log.topics }));
    } catch {
      // another event of the same contract (RoleGranted, ...): not one of ours
    }
  }
  return events;
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev External interface of {TraceRegistry}: Merkle roots of EPCIS event hashes per lot,
 * and lot recalls.
 *
 * A lot id is a hash of the lot's GTIN and lot number computed off-chain, so the registry
 * never learns product data. This file is the single source of truth for the registry's
 * types, errors and events.
 */
interface ITraceRegistry {
    /// @dev A batch of event hashes anchored for one lot. `blockNumber` is zero when unknown.
    struct LotBatch {
        bytes32 lotId;
        address anchorer;
        uint32 eventCount;
        uint64 blockNumber;
    }

    /// @dev Status of a lot. `reasonHash` is the keccak256 of the last recall or clearance reason.
    struct LotStatus {
        bool recalled;
        uint32 batchCount;
        uint64 lastAnchoredBlock;
        uint64 statusBlock;
        bytes32 reasonHash;
    }

    /// @dev Everything a verifier needs about one event, from one call.
    struct EventCheck {
        bytes32 root;
        bool anchored;
        bytes32 lotId;
        uint64 blockNumber;
        address anchorer;
        uint32 eventCount;
        bool recalled;
    }

    /**
     * @dev A lot id is zero.
     */
    error TraceRegistryZeroLotId();

    /**
     * @dev The Merkle root is zero.
     * @param lotId Lot the batch was for.
     */
    error TraceRegistryZeroRoot(bytes32 lotId);

    /**
     * @dev A batch declares no events.
     * @param lotId Lot the batch was for.
     * @param root Merkle root of the batch.
     */
    error TraceRegistryZeroEventCount(bytes32 lotId, bytes32 root);

    /**
     * @dev The root was anchored before; a root is anchored once.
     * @param root Merkle root of the batch.
     * @param lotId Lot it was anchored for.
     */
    error TraceRegistryRootAlreadyAnchored(bytes32 root, bytes32 lotId);

    /**
     * @dev The reason given for a recall or its clearance is empty.
     * @param lotId Lot concerned.
     */
    error TraceRegistryEmptyReason(bytes32 lotId);

    /**
     * @dev The lot is already under recall.
     * @param lotId Lot concerned.
     * @param recalledBlock Block in which the recall was recorded.
     */
    error TraceRegistryLotAlreadyRecalled(bytes32 lotId, uint64 recalledBlock);

    /**
     * @dev The lot is not under recall, so there is nothing to clear.
     * @param lotId Lot concerned.
     */
    error TraceRegistryLotNotRecalled(bytes32 lotId);

    /**
     * @dev Emitted when a Merkle root of `eventCount` event hashes of lot `lotId` is anchored.
     */
    event LotBatchAnchored(
        bytes32 indexed lotId, bytes32 indexed root, bytes32 indexed batchId, address anchorer, uint32 eventCount
    );

    /**
     * @dev Emitted when an inspector recalls a lot, with the reason.
     */
    event LotRecalled(bytes32 indexed lotId, address indexed inspector, string reason);

    /**
     * @dev Emitted when an inspector clears a lot's recall, with the reason.
     */
    event LotRecallCleared(bytes32 indexed lotId, address indexed inspector, string reason);

    /**
     * @dev Anchors the Merkle `root` of `eventCount` EPCIS event hashes of lot `lotId`.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `lotId`, `root` and `eventCount` are not zero;
     * - `root` was never anchored.
     *
     * Emits a {LotBatchAnchored} event.
     */
    function anchorLotBatch(bytes32 lotId, bytes32 root, uint32 eventCount, bytes32 batchId) external;

    /**
     * @dev Puts lot `lotId` under recall, recording `reason`. A lot can be recalled before
     * any of its events is anchored: a recall must never wait for bookkeeping.
     *
     * Requirements:
     *
     * - the caller has `INSPECTOR_ROLE`;
     * - `lotId` is not zero and `reason` is not empty;
     * - the lot is not under recall.
     *
     * Emits a {LotRecalled} event.
     */
    function recallLot(bytes32 lotId, string calldata reason) external;

    /**
     * @dev Lifts the recall of lot `lotId`, recording `reason`.
     *
     * Requirements:
     *
     * - the caller has `INSPECTOR_ROLE`;
     * - `reason` is not empty;
     * - the lot is under recall.
     *
     * Emits a {LotRecallCleared} event.
     */
    function clearRecall(bytes32 lotId, string calldata reason) external;

    /**
     * @dev Returns the batch anchored under `root`; all fields are zero when there is none.
     */
    function lotBatchOf(bytes32 root) external view returns (LotBatch memory);

    /**
     * @dev Returns the status of lot `lotId`; all fields are zero for an unknown lot.
     */
    function lotStatus(bytes32 lotId) external view returns (LotStatus memory);

    /**
     * @dev Settles an event in one call: computes the root from `eventHash` and `proof`
     * (OpenZeppelin leaf encoding, sorted pairs) and returns that root's lot, its anchoring
     * and whether the lot is recalled. `anchored` is false for a wrong proof or an unknown root.
     */
    function verifyEvent(bytes32 eventHash, bytes32[] calldata proof) external view returns (EventCheck memory);
}

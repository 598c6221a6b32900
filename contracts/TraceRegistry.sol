// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITraceRegistry} from "./interfaces/ITraceRegistry.sol";
import {StandardLeaf} from "./utils/StandardLeaf.sol";

/**
 * @dev Anchors Merkle roots of EPCIS event hashes per lot (farm to consumer) and records
 * lot recalls by inspectors.
 */
contract TraceRegistry is ITraceRegistry, AccessControl {
    /// @dev Role of the sandan service account: anchors event batches.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @dev Role of inspection authorities: recall lots and clear recalls.
    bytes32 public constant INSPECTOR_ROLE = keccak256("INSPECTOR_ROLE");

    mapping(bytes32 root => LotBatch) private _batches;
    mapping(bytes32 lotId => LotStatus) private _lots;

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to the deployer, who then grants the working roles.
    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    /// @inheritdoc ITraceRegistry
    function anchorLotBatch(bytes32 lotId, bytes32 root, uint32 eventCount, bytes32 batchId)
        external
        onlyRole(ANCHORER_ROLE)
    {
        if (lotId == bytes32(0)) revert TraceRegistryZeroLotId();
        if (root == bytes32(0)) revert TraceRegistryZeroRoot(lotId);
        if (eventCount == 0) revert TraceRegistryZeroEventCount(lotId, root);
        LotBatch storage existing = _batches[root];
        if (existing.blockNumber != 0) revert TraceRegistryRootAlreadyAnchored(root, existing.lotId);
        _batches[root] = LotBatch(lotId, msg.sender, eventCount, uint64(block.number));
        LotStatus storage lot = _lots[lotId];
        lot.batchCount += 1;
        lot.lastAnchoredBlock = uint64(block.number);
        emit LotBatchAnchored(lotId, root, batchId, msg.sender, eventCount);
    }

    /// @inheritdoc ITraceRegistry
    function recallLot(bytes32 lotId, string calldata reason) external onlyRole(INSPECTOR_ROLE) {
        if (lotId == bytes32(0)) revert TraceRegistryZeroLotId();
        if (bytes(reason).length == 0) revert TraceRegistryEmptyReason(lotId);
        LotStatus storage lot = _lots[lotId];
        if (lot.recalled) revert TraceRegistryLotAlreadyRecalled(lotId, lot.statusBlock);
        _setRecall(lot, true, reason);
        emit LotRecalled(lotId, msg.sender, reason);
    }

    /// @inheritdoc ITraceRegistry
    function clearRecall(bytes32 lotId, string calldata reason) external onlyRole(INSPECTOR_ROLE) {
        if (bytes(reason).length == 0) revert TraceRegistryEmptyReason(lotId);
        LotStatus storage lot = _lots[lotId];
        if (!lot.recalled) revert TraceRegistryLotNotRecalled(lotId);
        _setRecall(lot, false, reason);
        emit LotRecallCleared(lotId, msg.sender, reason);
    }

    /// @inheritdoc ITraceRegistry
    function lotBatchOf(bytes32 root) external view returns (LotBatch memory) {
        return _batches[root];
    }

    /// @inheritdoc ITraceRegistry
    function lotStatus(bytes32 lotId) external view returns (LotStatus memory) {
        return _lots[lotId];
    }

    /// @inheritdoc ITraceRegistry
    function verifyEvent(bytes32 eventHash, bytes32[] calldata proof) external view returns (EventCheck memory check) {
        check.root = MerkleProof.processProofCalldata(proof, StandardLeaf.hash(eventHash));
        LotBatch storage batch = _batches[check.root];
        check.blockNumber = batch.blockNumber;
        check.anchored = check.blockNumber != 0;
        check.lotId = batch.lotId;
        check.anchorer = batch.anchorer;
        check.eventCount = batch.eventCount;
        check.recalled = check.anchored && _lots[batch.lotId].recalled;
    }

    function _setRecall(LotStatus storage lot, bool recalled, string calldata reason) private {
        lot.recalled = recalled;
        lot.statusBlock = uint64(block.number);
        lot.reasonHash = keccak256(bytes(reason));
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITradeRegistry} from "./interfaces/ITradeRegistry.sol";
import {StandardLeaf} from "./utils/StandardLeaf.sol";

/**
 * @dev Anchors Merkle roots of signed trade documents and tracks each trade from match
 * verdict to release and settlement, with financing that cannot be registered twice.
 *
 * Storage is packed for cost: a batch is one slot (anchorer, leaf count, block), so
 * anchoring a batch of any size costs about the same. Batch ids only travel in events.
 */
contract TradeRegistry is ITradeRegistry, AccessControl {
    /// @dev Role of the sandan service account: anchors batches, revokes documents, records verdicts.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @dev Role of customs: releases matched trades.
    bytes32 public constant CUSTOMS_ROLE = keccak256("CUSTOMS_ROLE");
    /// @dev Role of banks: confirm settlement, register and discharge financing.
    bytes32 public constant BANK_ROLE = keccak256("BANK_ROLE");

    struct DocumentEntry {
        DocumentStatus status;
        uint64 statusBlock;
        bytes32 successor;
    }

    struct TradeEntry {
        bytes32 verdictHash;
        bool matched;
        uint32 verdictCount;
        uint64 verdictBlock;
        uint64 releasedBlock;
        uint64 settledBlock;
        bytes32 settlementRef;
        address financier;
        uint64 financedBlock;
        bytes32 financingTerms;
    }

    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 documentHash => DocumentEntry) private _documents;
    mapping(bytes32 tradeId => TradeEntry) private _trades;

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to the deployer, who then grants the working roles.
    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function anchorBatch(bytes32 root, uint32 leafCount, bytes32 batchId) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert TradeRegistryZeroRoot();
        if (leafCount == 0) revert TradeRegistryZeroLeafCount(root);
        if (_batches[root].blockNumber != 0) revert TradeRegistryRootAlreadyAnchored(root);
        _batches[root] = Batch(msg.sender, leafCount, uint64(block.number));
        emit BatchAnchored(root, batchId, msg.sender, leafCount);
    }

    /// @inheritdoc ITradeRegistry
    function revokeDocument(bytes32 documentHash, string calldata reason) external onlyRole(ANCHORER_ROLE) {
        _requireActive(documentHash);
        if (bytes(reason).length == 0) revert TradeRegistryEmptyReason(documentHash);
        DocumentEntry storage entry = _documents[documentHash];
        entry.status = DocumentStatus.Revoked;
        entry.statusBlock = uint64(block.number);
        emit DocumentRevoked(documentHash, msg.sender, reason);
    }

    /// @inheritdoc ITradeRegistry
    function supersedeDocument(bytes32 oldHash, bytes32 newHash, string calldata reason)
        external
        onlyRole(ANCHORER_ROLE)
    {
        _requireActive(oldHash);
        _requireActive(newHash);
        if (oldHash == newHash) revert TradeRegistrySelfSupersession(oldHash);
        if (bytes(reason).length == 0) revert TradeRegistryEmptyReason(oldHash);
        _documents[oldHash] = DocumentEntry(DocumentStatus.Superseded, uint64(block.number), newHash);
        emit DocumentSuperseded(oldHash, newHash, msg.sender, reason);
    }

    /// @inheritdoc ITradeRegistry
    function recordVerdict(bytes32 tradeId, bytes32 verdictHash, bool matched) external onlyRole(ANCHORER_ROLE) {
        _recordVerdict(tradeId, verdictHash, matched);
    }

    /// @inheritdoc ITradeRegistry
    function recordVerdicts(bytes32[] calldata tradeIds, bytes32[] calldata verdictHashes, bool[] calldata matched)
        external
        onlyRole(ANCHORER_ROLE)
    {
        uint256 count = tradeIds.length;
        if (verdictHashes.length != count) revert TradeRegistryLengthMismatch(count, verdictHashes.length);
        if (matched.length != count) revert TradeRegistryLengthMismatch(count, matched.length);
        for (uint256 i = 0; i < count; ++i) {
            _recordVerdict(tradeIds[i], verdictHashes[i], matched[i]);
        }
    }

    /// @inheritdoc ITradeRegistry
    function release(bytes32 tradeId) external onlyRole(CUSTOMS_ROLE) {
        _release(tradeId);
    }

    /// @inheritdoc ITradeRegistry
    function releaseBatch(bytes32[] calldata tradeIds) external onlyRole(CUSTOMS_ROLE) {
        for (uint256 i = 0; i < tradeIds.length; ++i) {
            _release(tradeIds[i]);
        }
    }

    /// @inheritdoc ITradeRegistry
    function confirmSettlement(bytes32 tradeId, bytes32 settlementRef) external onlyRole(BANK_ROLE) {
        if (settlementRef == bytes32(0)) revert TradeRegistryZeroSettlementRef(tradeId);
        TradeEntry storage trade = _trades[tradeId];
        if (trade.releasedBlock == 0) revert TradeRegistryTradeNotReleased(tradeId);
        if (trade.settledBlock != 0) revert TradeRegistrySettlementAlreadyConfirmed(tradeId, trade.settlementRef);
        trade.settledBlock = uint64(block.number);
        trade.settlementRef = settlementRef;
        emit SettlementConfirmed(tradeId, settlementRef, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function registerFinancing(bytes32 tradeId, bytes32 termsHash) external onlyRole(BANK_ROLE) {
        if (termsHash == bytes32(0)) revert TradeRegistryZeroTermsHash(tradeId);
        TradeEntry storage trade = _requireKnownTrade(tradeId);
        if (trade.financier != address(0)) revert TradeRegistryAlreadyFinanced(tradeId, trade.financier);
        if (!trade.matched) revert TradeRegistryTradeNotMatched(tradeId, trade.verdictHash);
        trade.financier = msg.sender;
        trade.financedBlock = uint64(block.number);
        trade.financingTerms = termsHash;
        emit FinancingRegistered(tradeId, msg.sender, termsHash);
    }

    /// @inheritdoc ITradeRegistry
    function dischargeFinancing(bytes32 tradeId) external {
        TradeEntry storage trade = _trades[tradeId];
        address financier = trade.financier;
        if (financier == address(0)) revert TradeRegistryNotFinanced(tradeId);
        if (financier != msg.sender) revert TradeRegistryNotFinancier(tradeId, financier, msg.sender);
        trade.financier = address(0);
        trade.financedBlock = 0;
        trade.financingTerms = bytes32(0);
        emit FinancingDischarged(tradeId, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function batchOf(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc ITradeRegistry
    function documentStatus(bytes32 documentHash)
        external
        view
        returns (DocumentStatus status, bytes32 successor, uint64 statusBlock)
    {
        DocumentEntry storage entry = _documents[documentHash];
        return (entry.status, entry.successor, entry.statusBlock);
    }

    /// @inheritdoc ITradeRegistry
    function verifyDocument(bytes32 documentHash, bytes32[] calldata proof)
        external
        view
        returns (DocumentCheck memory check)
    {
        check.root = MerkleProof.processProofCalldata(proof, StandardLeaf.hash(documentHash));
        Batch storage batch = _batches[check.root];
        check.blockNumber = batch.blockNumber;
        check.anchored = check.blockNumber != 0;
        check.anchorer = batch.anchorer;
        check.leafCount = batch.leafCount;
        DocumentEntry storage entry = _documents[documentHash];
        check.status = entry.status;
        check.successor = entry.successor;
        check.statusBlock = entry.statusBlock;
    }

    /// @inheritdoc ITradeRegistry
    function tradeOf(bytes32 tradeId) external view returns (TradeRecord memory record) {
        TradeEntry storage trade = _trades[tradeId];
        record.state = _stateOf(trade);
        record.verdictHash = trade.verdictHash;
        record.matched = trade.matched;
        record.verdictCount = trade.verdictCount;
        record.verdictBlock = trade.verdictBlock;
        record.releasedBlock = trade.releasedBlock;
        record.settledBlock = trade.settledBlock;
        record.settlementRef = trade.settlementRef;
        record.financier = trade.financier;
        record.financedBlock = trade.financedBlock;
        record.financingTerms = trade.financingTerms;
    }

    function _recordVerdict(bytes32 tradeId, bytes32 verdictHash, bool matched) private {
        if (tradeId == bytes32(0)) revert TradeRegistryZeroTradeId();
        if (verdictHash == bytes32(0)) revert TradeRegistryZeroVerdictHash(tradeId);
        TradeEntry storage trade = _trades[tradeId];
        if (trade.releasedBlock != 0) revert TradeRegistryTradeAlreadyReleased(tradeId, trade.releasedBlock);
        uint32 verdictCount = trade.verdictCount + 1;
        trade.verdictHash = verdictHash;
        trade.matched = matched;
        trade.verdictCount = verdictCount;
        trade.verdictBlock = uint64(block.number);
        emit VerdictRecorded(tradeId, verdictHash, matched, verdictCount);
    }

    function _release(bytes32 tradeId) private {
        TradeEntry storage trade = _requireKnownTrade(tradeId);
        if (trade.releasedBlock != 0) revert TradeRegistryTradeAlreadyReleased(tradeId, trade.releasedBlock);
        if (!trade.matched) revert TradeRegistryTradeNotMatched(tradeId, trade.verdictHash);
        trade.releasedBlock = uint64(block.number);
        emit TradeReleased(tradeId, msg.sender);
    }

    function _requireKnownTrade(bytes32 tradeId) private view returns (TradeEntry storage trade) {
        trade = _trades[tradeId];
        if (trade.verdictCount == 0) revert TradeRegistryUnknownTrade(tradeId);
    }

    function _requireActive(bytes32 documentHash) private view {
        if (documentHash == bytes32(0)) revert TradeRegistryZeroDocumentHash();
        DocumentEntry storage entry = _documents[documentHash];
        if (entry.status == DocumentStatus.Revoked) revert TradeRegistryDocumentAlreadyRevoked(documentHash);
        if (entry.status == DocumentStatus.Superseded) {
            revert TradeRegistryDocumentAlreadySuperseded(documentHash, entry.successor);
        }
    }

    function _stateOf(TradeEntry storage trade) private view returns (TradeState) {
        if (trade.verdictCount == 0) return TradeState.None;
        if (trade.settledBlock != 0) return TradeState.Settled;
        if (trade.releasedBlock != 0) return TradeState.Released;
        return trade.matched ? TradeState.Matched : TradeState.Mismatched;
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITradeRegistry} from "./interfaces/ITradeRegistry.sol";
import {StandardLeaf} from "./utils/StandardLeaf.sol";

/**
 * @dev Anchors Merkle roots of signed trade documents and tracks each trade from match
 * verdict to release and settlement, with financing that cannot be registered twice.
 *
 * Storage is packed for cost: a batch is one slot (anchorer, leaf count, block), so
 * anchoring a batch of any size costs about the same. Batch ids only travel in events.
 *
 * Customs and banks may keep their keys to themselves: each of their writes also exists as a
 * `...WithSig` function that anyone relays with the party's EIP-712 {Authorization}, one nonce
 * per signer, so the party's account needs neither ether nor a node.
 */
contract TradeRegistry is ITradeRegistry, AccessControl, EIP712, Nonces {
    /// @dev Role of the sandan service account: anchors batches, revokes documents, records verdicts.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");
    /// @dev Role of customs: releases matched trades.
    bytes32 public constant CUSTOMS_ROLE = keccak256("CUSTOMS_ROLE");
    /// @dev Role of banks: confirm settlement, register and discharge financing.
    bytes32 public constant BANK_ROLE = keccak256("BANK_ROLE");

    /// @dev EIP-712 type hash of {Authorization}.
    bytes32 private constant _AUTHORIZATION_TYPEHASH =
        keccak256("Authorization(uint8 action,bytes32 tradesRoot,bytes32 data,uint256 nonce,uint256 deadline)");

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
    constructor() EIP712("sandan TradeRegistry", "1") {
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
    function release(bytes32 tradeId, bytes32 verdictHash) external onlyRole(CUSTOMS_ROLE) {
        _release(tradeId, verdictHash, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function releaseBatch(bytes32[] calldata tradeIds, bytes32[] calldata verdictHashes)
        external
        onlyRole(CUSTOMS_ROLE)
    {
        uint256 count = tradeIds.length;
        if (verdictHashes.length != count) revert TradeRegistryLengthMismatch(count, verdictHashes.length);
        for (uint256 i = 0; i < count; ++i) {
            _release(tradeIds[i], verdictHashes[i], msg.sender);
        }
    }

    /// @inheritdoc ITradeRegistry
    function confirmSettlement(bytes32 tradeId, bytes32 verdictHash, bytes32 settlementRef)
        external
        onlyRole(BANK_ROLE)
    {
        _confirmSettlement(tradeId, verdictHash, settlementRef, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function registerFinancing(bytes32 tradeId, bytes32 verdictHash, bytes32 termsHash)
        external
        onlyRole(BANK_ROLE)
    {
        _registerFinancing(tradeId, verdictHash, termsHash, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function dischargeFinancing(bytes32 tradeId) external {
        _dischargeFinancing(tradeId, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function releaseWithSig(
        address signer,
        bytes32[] calldata tradeIds,
        bytes32[] calldata verdictHashes,
        bool[] calldata proofFlags,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 tradesRoot = _tradesRoot(tradeIds, verdictHashes, proofFlags);
        _authorize(signer, AuthorizationAction.Release, tradesRoot, bytes32(0), nonce, deadline, signature);
        _checkRole(CUSTOMS_ROLE, signer);
        for (uint256 i = 0; i < tradeIds.length; ++i) {
            _release(tradeIds[i], verdictHashes[i], signer);
        }
    }

    /// @inheritdoc ITradeRegistry
    function confirmSettlementWithSig(
        address signer,
        bytes32 tradeId,
        bytes32 verdictHash,
        bytes32 settlementRef,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 tradesRoot = StandardLeaf.hash(_tradeVerdictKey(tradeId, verdictHash));
        _authorize(signer, AuthorizationAction.ConfirmSettlement, tradesRoot, settlementRef, nonce, deadline, signature);
        _checkRole(BANK_ROLE, signer);
        _confirmSettlement(tradeId, verdictHash, settlementRef, signer);
    }

    /// @inheritdoc ITradeRegistry
    function registerFinancingWithSig(
        address signer,
        bytes32 tradeId,
        bytes32 verdictHash,
        bytes32 termsHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 tradesRoot = StandardLeaf.hash(_tradeVerdictKey(tradeId, verdictHash));
        _authorize(signer, AuthorizationAction.RegisterFinancing, tradesRoot, termsHash, nonce, deadline, signature);
        _checkRole(BANK_ROLE, signer);
        _registerFinancing(tradeId, verdictHash, termsHash, signer);
    }

    /// @inheritdoc ITradeRegistry
    function dischargeFinancingWithSig(
        address signer,
        bytes32 tradeId,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external {
        bytes32 tradesRoot = StandardLeaf.hash(tradeId);
        _authorize(signer, AuthorizationAction.DischargeFinancing, tradesRoot, bytes32(0), nonce, deadline, signature);
        _dischargeFinancing(tradeId, signer);
    }

    /// @inheritdoc ITradeRegistry
    function tradeVerdictKey(bytes32 tradeId, bytes32 verdictHash) external pure returns (bytes32) {
        return _tradeVerdictKey(tradeId, verdictHash);
    }

    /// @inheritdoc ITradeRegistry
    function nonces(address owner) public view override(ITradeRegistry, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    /// @inheritdoc ITradeRegistry
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
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
        if (trade.financier != address(0)) revert TradeRegistryTradeFinanced(tradeId, trade.financier);
        uint32 verdictCount = trade.verdictCount + 1;
        trade.verdictHash = verdictHash;
        trade.matched = matched;
        trade.verdictCount = verdictCount;
        trade.verdictBlock = uint64(block.number);
        emit VerdictRecorded(tradeId, verdictHash, matched, verdictCount);
    }

    function _release(bytes32 tradeId, bytes32 verdictHash, address customs) private {
        TradeEntry storage trade = _requireKnownTrade(tradeId);
        if (trade.releasedBlock != 0) revert TradeRegistryTradeAlreadyReleased(tradeId, trade.releasedBlock);
        _requireVerdict(trade, tradeId, verdictHash);
        if (!trade.matched) revert TradeRegistryTradeNotMatched(tradeId, trade.verdictHash);
        trade.releasedBlock = uint64(block.number);
        emit TradeReleased(tradeId, verdictHash, customs);
    }

    function _confirmSettlement(bytes32 tradeId, bytes32 verdictHash, bytes32 settlementRef, address bank) private {
        if (settlementRef == bytes32(0)) revert TradeRegistryZeroSettlementRef(tradeId);
        TradeEntry storage trade = _trades[tradeId];
        if (trade.releasedBlock == 0) revert TradeRegistryTradeNotReleased(tradeId);
        if (trade.settledBlock != 0) revert TradeRegistrySettlementAlreadyConfirmed(tradeId, trade.settlementRef);
        // A released trade's verdict is final, so this names the verdict customs released on.
        _requireVerdict(trade, tradeId, verdictHash);
        trade.settledBlock = uint64(block.number);
        trade.settlementRef = settlementRef;
        emit SettlementConfirmed(tradeId, verdictHash, settlementRef, bank);
    }

    function _registerFinancing(bytes32 tradeId, bytes32 verdictHash, bytes32 termsHash, address financier)
        private
    {
        if (termsHash == bytes32(0)) revert TradeRegistryZeroTermsHash(tradeId);
        TradeEntry storage trade = _requireKnownTrade(tradeId);
        if (trade.financier != address(0)) revert TradeRegistryAlreadyFinanced(tradeId, trade.financier);
        _requireVerdict(trade, tradeId, verdictHash);
        if (!trade.matched) revert TradeRegistryTradeNotMatched(tradeId, trade.verdictHash);
        trade.financier = financier;
        trade.financedBlock = uint64(block.number);
        trade.financingTerms = termsHash;
        emit FinancingRegistered(tradeId, verdictHash, financier, termsHash);
    }

    function _requireVerdict(TradeEntry storage trade, bytes32 tradeId, bytes32 verdictHash) private view {
        if (trade.verdictHash != verdictHash) revert TradeRegistryVerdictChanged(tradeId, trade.verdictHash, verdictHash);
    }

    function _dischargeFinancing(bytes32 tradeId, address caller) private {
        TradeEntry storage trade = _trades[tradeId];
        address financier = trade.financier;
        if (financier == address(0)) revert TradeRegistryNotFinanced(tradeId);
        if (financier != caller) revert TradeRegistryNotFinancier(tradeId, financier, caller);
        trade.financier = address(0);
        trade.financedBlock = 0;
        trade.financingTerms = bytes32(0);
        emit FinancingDischarged(tradeId, caller);
    }

    /// @dev Checks `signature` of `signer` over the {Authorization} and consumes its nonce.
    function _authorize(
        address signer,
        AuthorizationAction action,
        bytes32 tradesRoot,
        bytes32 data,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert TradeRegistryExpiredAuthorization(deadline);
        bytes32 structHash = keccak256(abi.encode(_AUTHORIZATION_TYPEHASH, action, tradesRoot, data, nonce, deadline));
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (error != ECDSA.RecoverError.NoError || recovered != signer) {
            revert TradeRegistryInvalidSigner(recovered, signer);
        }
        _useCheckedNonce(signer, nonce);
    }

    /// @dev The root that the pairs of `tradeIds` and `verdictHashes` alone rebuild along
    /// `proofFlags`: with no proof hashes allowed, a relayer can submit the whole signed set only,
    /// never a subset of it, and never another verdict than the one signed.
    function _tradesRoot(bytes32[] calldata tradeIds, bytes32[] calldata verdictHashes, bool[] calldata proofFlags)
        private
        pure
        returns (bytes32)
    {
        uint256 count = tradeIds.length;
        if (verdictHashes.length != count) revert TradeRegistryLengthMismatch(count, verdictHashes.length);
        bytes32[] memory leaves = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            leaves[i] = StandardLeaf.hash(_tradeVerdictKey(tradeIds[i], verdictHashes[i]));
        }
        return MerkleProof.processMultiProof(new bytes32[](0), proofFlags, leaves);
    }

    function _tradeVerdictKey(bytes32 tradeId, bytes32 verdictHash) private pure returns (bytes32) {
        return keccak256(abi.encode(tradeId, verdictHash));
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

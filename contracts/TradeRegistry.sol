// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ITradeLifecycleGuard, ITradeRegistry} from "./interfaces/ITradeRegistry.sol";
import {OrderedMerkle} from "./utils/OrderedMerkle.sol";
import {PositionMask} from "./utils/PositionMask.sol";
import {StandardLeaf} from "./utils/StandardLeaf.sol";

/**
 * @dev Anchors Merkle roots of signed trade documents and tracks trades from match verdict to
 * release and settlement, with financing that cannot be registered twice.
 *
 * Storage is packed for cost, because a national peak is thousands of trades a second on one
 * chain: a document batch is one slot (anchorer, leaf count, block); a verdict batch is two
 * slots however many verdicts it holds; a trade's state is one nibble of a word shared by 64
 * trades of its batch, and its financing id 32 bits of a word shared by 8. A trade therefore
 * never costs a fresh storage slot of its own, and each state change of a batch of 1,000
 * trades is a few dozen storage writes (see {ITradeRegistry} for the layout and
 * docs/chain-cost.md for the figures).
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
    /// @dev Role of the regulator: lists parties on the negative list and lifts listings, as customs may.
    bytes32 public constant REGULATOR_ROLE = keccak256("REGULATOR_ROLE");

    /// @inheritdoc ITradeRegistry
    uint256 public constant MAX_VERDICTS_PER_BATCH = 4096;
    /// @inheritdoc ITradeRegistry
    uint256 public constant MAX_PARTIES_PER_TRADE = 4;

    /// @dev EIP-712 type hash of {Authorization}.
    bytes32 private constant _AUTHORIZATION_TYPEHASH =
        keccak256("Authorization(uint8 action,bytes32 subject,bytes32 data,uint256 nonce,uint256 deadline)");
    /// @dev EIP-712 type hash of {ReleasePolicy}.
    bytes32 private constant _RELEASE_POLICY_TYPEHASH = keccak256(
        "ReleasePolicy(uint8 grades,uint8 modes,uint64 maxValue,uint64 validFrom,uint64 validUntil,bytes32 salt)"
    );
    /// @dev The grades a policy may name (low, medium) and the modes (9610, 9710, 9810, 1210).
    uint8 private constant _POLICY_GRADES = 0x03;
    uint8 private constant _POLICY_MODES = 0x0f;

    // The four state bits of a position, in its nibble.
    uint256 private constant _MATCHED = 1;
    uint256 private constant _RELEASED = 2;
    uint256 private constant _SETTLED = 4;
    uint256 private constant _SUPERSEDED = 8;

    struct DocumentEntry {
        DocumentStatus status;
        uint64 statusBlock;
        bytes32 successor;
    }

    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 documentHash => DocumentEntry) private _documents;

    uint64 private _verdictBatchCount;
    uint32 private _settlementCount;
    uint32 private _financingCount;
    mapping(uint64 batch => VerdictBatch) private _verdictBatches;
    /// @dev Key `batch << 32 | position / 64`: the state nibbles of 64 positions.
    mapping(uint256 key => uint256 nibbles) private _states;
    /// @dev Key `batch << 32 | position / 8`: the open financing ids of 8 positions, 32 bits each.
    mapping(uint256 key => uint256 ids) private _financingIds;
    mapping(uint32 settlementId => Settlement) private _settlements;
    mapping(uint32 financingId => Financing) private _financings;
    mapping(bytes32 partyId => Listing) private _listings;
    mapping(bytes32 policyId => PolicyRecord) private _policies;
    mapping(bytes32 decisionsRoot => PolicyRelease) private _policyReleases;
    /// @inheritdoc ITradeRegistry
    address public lifecycleRegistry;

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to the deployer, who then grants the working roles.
    constructor() EIP712("sandan TradeRegistry", "2") {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function setLifecycleRegistry(address registry) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (lifecycleRegistry != address(0)) revert TradeRegistryLifecycleRegistryAlreadySet(lifecycleRegistry);
        // A guard that follows another trade registry would answer for other trades.
        if (registry == address(0) || ITradeLifecycleGuard(registry).tradeRegistry() != address(this)) {
            revert TradeRegistryInvalidLifecycleRegistry(registry);
        }
        lifecycleRegistry = registry;
        emit LifecycleRegistrySet(registry, msg.sender);
    }

    // Documents -------------------------------------------------------------------------

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

    // Verdicts --------------------------------------------------------------------------

    /// @inheritdoc ITradeRegistry
    function recordVerdictBatch(
        uint64 expectedBatch,
        bytes32[] calldata tradeIds,
        bytes32[] calldata verdictHashes,
        uint256[] calldata matchedMask,
        Supersession[] calldata supersessions,
        PartyLists calldata parties
    ) external onlyRole(ANCHORER_ROLE) returns (uint64 batch) {
        uint256 count = tradeIds.length;
        if (count == 0 || count > MAX_VERDICTS_PER_BATCH) revert TradeRegistryVerdictCount(count);
        if (verdictHashes.length != count) revert TradeRegistryLengthMismatch(count, verdictHashes.length);
        batch = ++_verdictBatchCount;
        // A resend of a batch whose first transaction was still pending names the same
        // number, so the later of the two reverts instead of recording the verdicts twice.
        if (batch != expectedBatch) revert TradeRegistryVerdictBatchNumber(expectedBatch, batch);
        // An all-mismatch batch may pass an empty mask; any other mask is held to the batch's size.
        if (matchedMask.length != 0) _requireInRange(batch, matchedMask, uint32(count));

        _requireWellFormed(parties, count);

        bytes32 root = _verdictRoot(batch, tradeIds, verdictHashes, matchedMask);
        _verdictBatches[batch] =
            VerdictBatch(root, msg.sender, uint32(count), uint64(block.number), _partiesHash(parties));
        for (uint256 g = 0; g < matchedMask.length * 4; ++g) {
            uint256 bits = PositionMask.group(matchedMask, g);
            if (bits != 0) _states[_stateKey(batch, g)] = PositionMask.spread(bits) * _MATCHED;
        }
        emit VerdictBatchRecorded(batch, root, msg.sender, uint32(count));

        for (uint256 s = 0; s < supersessions.length; ++s) {
            _supersede(batch, tradeIds, supersessions[s]);
        }
    }

    // Negative list ----------------------------------------------------------------------

    /// @inheritdoc ITradeRegistry
    function listParty(bytes32 partyId, uint64 since, uint64 until, string calldata reason) external {
        _requireSupervisor();
        if (partyId == bytes32(0)) revert TradeRegistryZeroPartyId();
        if (bytes(reason).length == 0) revert TradeRegistryEmptyListingReason(partyId);
        uint64 start = since == 0 ? uint64(block.timestamp) : since;
        if (until <= start || until <= block.timestamp) revert TradeRegistryInvalidListingPeriod(partyId, since, until);
        _listings[partyId] = Listing(start, until);
        emit PartyListed(partyId, msg.sender, start, until, reason);
    }

    /// @inheritdoc ITradeRegistry
    function liftListing(bytes32 partyId, string calldata reason) external {
        _requireSupervisor();
        if (bytes(reason).length == 0) revert TradeRegistryEmptyListingReason(partyId);
        if (_listings[partyId].until <= block.timestamp) revert TradeRegistryPartyNotListed(partyId);
        delete _listings[partyId];
        emit PartyListingLifted(partyId, msg.sender, reason);
    }

    // Standing release policies -----------------------------------------------------------

    /// @inheritdoc ITradeRegistry
    function adoptReleasePolicy(ReleasePolicy calldata policy, address signer, bytes calldata signature)
        external
        returns (bytes32 policyId)
    {
        policyId = _releasePolicyId(policy);
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecover(policyId, signature);
        if (error != ECDSA.RecoverError.NoError || recovered != signer) {
            revert TradeRegistryInvalidPolicySigner(recovered, signer);
        }
        _checkRole(CUSTOMS_ROLE, signer);
        if (policy.grades == 0 || policy.grades & ~_POLICY_GRADES != 0) revert TradeRegistryPolicyGrades(policy.grades);
        if (policy.modes == 0 || policy.modes & ~_POLICY_MODES != 0) revert TradeRegistryPolicyModes(policy.modes);
        if (policy.validUntil <= policy.validFrom || policy.validUntil <= block.timestamp) {
            revert TradeRegistryPolicyPeriod(policy.validFrom, policy.validUntil);
        }
        if (_policies[policyId].signer != address(0)) revert TradeRegistryPolicyAlreadyAdopted(policyId);
        _policies[policyId] = PolicyRecord(
            signer, policy.grades, policy.modes, policy.validFrom, policy.maxValue, policy.validUntil, false
        );
        emit ReleasePolicyAdopted(
            policyId, signer, msg.sender, policy.grades, policy.modes, policy.maxValue, policy.validFrom, policy.validUntil
        );
    }

    /// @inheritdoc ITradeRegistry
    function revokeReleasePolicy(bytes32 policyId) external {
        _revokeReleasePolicy(policyId, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function revokeReleasePolicyWithSig(bytes32 policyId, SignedBy calldata by) external {
        _authorize(by, AuthorizationAction.RevokeReleasePolicy, policyId, bytes32(0));
        _revokeReleasePolicy(policyId, by.signer);
    }

    /// @inheritdoc ITradeRegistry
    function releaseTradesUnderPolicy(
        uint64 batch,
        uint256[] calldata mask,
        PolicyDecisions calldata decisions,
        PartyLists calldata parties
    ) external onlyRole(ANCHORER_ROLE) returns (bytes32 decisionsRoot) {
        bytes32 policyId = decisions.policyId;
        PolicyRecord memory policy = _policies[policyId];
        if (policy.signer == address(0)) revert TradeRegistryUnknownPolicy(policyId);
        if (!_policyInForce(policy)) revert TradeRegistryPolicyNotInForce(policyId);
        // A policy is customs' as long as its signer is: a signer who lost the role takes
        // its policies with it.
        _checkRole(CUSTOMS_ROLE, policy.signer);
        _releaseTrades(batch, mask, policy.signer);
        if (_verdictBatches[batch].root != decisions.verdictRoot) {
            revert TradeRegistryVerdictRootMismatch(batch, decisions.verdictRoot);
        }
        decisionsRoot = decisions.decisionsRoot;
        if (decisionsRoot == bytes32(0) || _policyReleases[decisionsRoot].blockNumber != 0) {
            revert TradeRegistryInvalidDecisionsRoot(decisionsRoot);
        }
        uint32 count = _checkFacts(batch, mask, policy, decisions);
        bytes32 factsHash = keccak256(decisions.facts);
        _policyReleases[decisionsRoot] = PolicyRelease(batch, uint64(block.number), count, factsHash);
        _requireUnlisted(batch, mask, parties);
        emit TradesReleasedUnderPolicy(batch, policyId, decisionsRoot, factsHash, msg.sender, mask);
    }

    // Release, settlement, financing --------------------------------------------------

    /// @inheritdoc ITradeRegistry
    function releaseTrades(uint64 batch, uint256[] calldata mask, PartyLists calldata parties)
        external
        onlyRole(CUSTOMS_ROLE)
    {
        // The state checks come first, so a wrong batch or mask gets its own error; any revert
        // undoes the release.
        _releaseTrades(batch, mask, msg.sender);
        _requireUnlisted(batch, mask, parties);
    }

    /// @inheritdoc ITradeRegistry
    function confirmSettlements(uint64 batch, uint256[] calldata mask, bytes32[] calldata references)
        external
        onlyRole(BANK_ROLE)
        returns (uint32)
    {
        return _confirmSettlements(batch, mask, references, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function registerFinancing(uint64 batch, uint256[] calldata mask, bytes32 termsHash, PartyLists calldata parties)
        external
        onlyRole(BANK_ROLE)
        returns (uint32 financingId)
    {
        financingId = _registerFinancing(batch, mask, termsHash, msg.sender);
        _requireUnlisted(batch, mask, parties);
    }

    /// @inheritdoc ITradeRegistry
    function dischargeFinancing(uint32 financingId, uint256[] calldata mask) external {
        _dischargeFinancing(financingId, mask, msg.sender);
    }

    /// @inheritdoc ITradeRegistry
    function releaseTradesWithSig(
        uint64 batch,
        uint256[] calldata mask,
        PartyLists calldata parties,
        SignedBy calldata by
    ) external {
        // The party lists need no signature: the batch committed to them, and they are checked
        // against that commitment.
        _authorize(by, AuthorizationAction.Release, _selectionSubject(batch, mask), bytes32(0));
        _checkRole(CUSTOMS_ROLE, by.signer);
        _releaseTrades(batch, mask, by.signer);
        _requireUnlisted(batch, mask, parties);
    }

    /// @inheritdoc ITradeRegistry
    function confirmSettlementsWithSig(
        uint64 batch,
        uint256[] calldata mask,
        bytes32[] calldata references,
        SignedBy calldata by
    ) external returns (uint32) {
        bytes32 data = keccak256(abi.encodePacked(references));
        _authorize(by, AuthorizationAction.ConfirmSettlement, _selectionSubject(batch, mask), data);
        _checkRole(BANK_ROLE, by.signer);
        return _confirmSettlements(batch, mask, references, by.signer);
    }

    /// @inheritdoc ITradeRegistry
    function registerFinancingWithSig(
        uint64 batch,
        uint256[] calldata mask,
        bytes32 termsHash,
        PartyLists calldata parties,
        SignedBy calldata by
    ) external returns (uint32 financingId) {
        _authorize(by, AuthorizationAction.RegisterFinancing, _selectionSubject(batch, mask), termsHash);
        _checkRole(BANK_ROLE, by.signer);
        financingId = _registerFinancing(batch, mask, termsHash, by.signer);
        _requireUnlisted(batch, mask, parties);
    }

    /// @inheritdoc ITradeRegistry
    function dischargeFinancingWithSig(uint32 financingId, uint256[] calldata mask, SignedBy calldata by) external {
        _authorize(by, AuthorizationAction.DischargeFinancing, _dischargeSubject(financingId, mask), bytes32(0));
        _dischargeFinancing(financingId, mask, by.signer);
    }

    // Views -----------------------------------------------------------------------------

    /// @inheritdoc ITradeRegistry
    function selectionSubject(uint64 batch, uint256[] calldata mask) external view returns (bytes32) {
        return _selectionSubject(batch, mask);
    }

    /// @inheritdoc ITradeRegistry
    function dischargeSubject(uint32 financingId, uint256[] calldata mask) external pure returns (bytes32) {
        return _dischargeSubject(financingId, mask);
    }

    /// @inheritdoc ITradeRegistry
    function verdictLeaf(VerdictLeaf calldata leaf) external pure returns (bytes32) {
        return _verdictLeaf(leaf.batch, leaf.position, leaf.tradeId, leaf.verdictHash, leaf.matched);
    }

    /// @inheritdoc ITradeRegistry
    function partiesHash(PartyLists calldata parties) external pure returns (bytes32) {
        return _partiesHash(parties);
    }

    /// @inheritdoc ITradeRegistry
    function listingOf(bytes32 partyId) external view returns (Listing memory listing, bool active) {
        listing = _listings[partyId];
        active = _inForce(listing);
    }

    /// @inheritdoc ITradeRegistry
    function releasePolicyId(ReleasePolicy calldata policy) external view returns (bytes32) {
        return _releasePolicyId(policy);
    }

    /// @inheritdoc ITradeRegistry
    function releasePolicyOf(bytes32 policyId) external view returns (PolicyRecord memory record, bool inForce) {
        record = _policies[policyId];
        inForce = record.signer != address(0) && _policyInForce(record) && hasRole(CUSTOMS_ROLE, record.signer);
    }

    /// @inheritdoc ITradeRegistry
    function policyReleaseOf(bytes32 decisionsRoot) external view returns (PolicyRelease memory) {
        return _policyReleases[decisionsRoot];
    }

    /// @inheritdoc ITradeRegistry
    function decisionLeaf(uint64 batch, uint32 position, uint8 grade, uint8 mode, uint48 value, bytes32 inputsHash)
        external
        pure
        returns (bytes32)
    {
        return keccak256(bytes.concat(keccak256(abi.encode(batch, position, grade, mode, value, inputsHash))));
    }

    /// @inheritdoc ITradeRegistry
    function settlementLeaf(uint64 batch, uint32 position, bytes32 settlementRef) external pure returns (bytes32) {
        return _settlementLeaf(batch, position, settlementRef);
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
    function verdictBatchCount() external view returns (uint64) {
        return _verdictBatchCount;
    }

    /// @inheritdoc ITradeRegistry
    function verdictBatchOf(uint64 batch) external view returns (VerdictBatch memory) {
        return _verdictBatches[batch];
    }

    /// @inheritdoc ITradeRegistry
    function tradeAt(uint64 batch, uint32 position) external view returns (TradeState state, uint32 financingId) {
        if (position >= _verdictBatches[batch].count) return (TradeState.None, 0);
        return (_stateAt(batch, position), _financingAt(batch, position));
    }

    /// @inheritdoc ITradeRegistry
    function verifyVerdict(VerdictLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (VerdictCheck memory check)
    {
        bytes32 hashed = _verdictLeaf(leaf.batch, leaf.position, leaf.tradeId, leaf.verdictHash, leaf.matched);
        check.root = MerkleProof.processProofCalldata(proof, hashed);
        VerdictBatch storage batch = _verdictBatches[leaf.batch];
        check.anchored = batch.blockNumber != 0 && batch.root == check.root && leaf.position < batch.count;
        if (!check.anchored) return check;
        check.blockNumber = batch.blockNumber;
        check.anchorer = batch.anchorer;
        check.state = _stateAt(leaf.batch, leaf.position);
        check.financingId = _financingAt(leaf.batch, leaf.position);
        if (check.financingId != 0) check.financing = _financings[check.financingId];
    }

    /// @inheritdoc ITradeRegistry
    function settlementOf(uint32 settlementId) external view returns (Settlement memory) {
        return _settlements[settlementId];
    }

    /// @inheritdoc ITradeRegistry
    function financingOf(uint32 financingId) external view returns (Financing memory) {
        return _financings[financingId];
    }

    /// @inheritdoc ITradeRegistry
    function verifySettlement(uint32 settlementId, uint32 position, bytes32 settlementRef, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        Settlement storage settlement = _settlements[settlementId];
        if (settlement.blockNumber == 0) return false;
        uint64 batch = settlement.verdictBatch;
        bytes32 leaf = _settlementLeaf(batch, position, settlementRef);
        if (MerkleProof.processProofCalldata(proof, leaf) != settlement.root) return false;
        return position < _verdictBatches[batch].count && _nibbleAt(batch, position) & _SETTLED != 0;
    }

    // Internals -------------------------------------------------------------------------

    /// @dev Builds verdict batch `batch`'s leaves from the calldata, each at its index, and
    /// returns their ordered root.
    function _verdictRoot(
        uint64 batch,
        bytes32[] calldata tradeIds,
        bytes32[] calldata verdictHashes,
        uint256[] calldata matchedMask
    ) private pure returns (bytes32) {
        uint256 count = tradeIds.length;
        bytes32[] memory nodes = new bytes32[](count);
        uint256 word = 0;
        for (uint256 i = 0; i < count; ++i) {
            bytes32 tradeId = tradeIds[i];
            bytes32 verdictHash = verdictHashes[i];
            if (tradeId == bytes32(0)) revert TradeRegistryZeroTradeId(i);
            if (verdictHash == bytes32(0)) revert TradeRegistryZeroVerdictHash(i);
            // One mask word serves 256 verdicts: read it when a new word starts.
            if (i % 256 == 0) word = i / 256 < matchedMask.length ? matchedMask[i / 256] : 0;
            // The leaf as {_verdictLeaf} hashes it, written straight into `nodes[i]`.
            assembly ("memory-safe") {
                let ptr := mload(0x40)
                mstore(ptr, batch)
                mstore(add(ptr, 0x20), i)
                mstore(add(ptr, 0x40), tradeId)
                mstore(add(ptr, 0x60), verdictHash)
                mstore(add(ptr, 0x80), and(shr(mod(i, 256), word), 1))
                mstore(0x00, keccak256(ptr, 0xa0))
                mstore(add(add(nodes, 0x20), shl(5, i)), keccak256(0x00, 0x20))
            }
        }
        return OrderedMerkle.root(nodes);
    }

    /// @dev Checks that `parties` has one 8-byte slot group per verdict, non-zero party ids
    /// and slots within the party table, so that a release can always read them.
    function _requireWellFormed(PartyLists calldata parties, uint256 count) private pure {
        uint256 expected = count * 8;
        if (parties.slots.length != expected) revert TradeRegistryPartySlotsLength(expected, parties.slots.length);
        uint256 size = parties.parties.length;
        for (uint256 k = 0; k < size; ++k) {
            if (parties.parties[k] == bytes32(0)) revert TradeRegistryZeroPartyId();
        }
        // Four verdicts' slots in one 32-byte word: a slot is out of range when any of its 16
        // lanes exceeds the table's size.
        for (uint256 i = 0; i < count; i += 4) {
            uint256 word = _slotWord(parties.slots, i * 8);
            for (uint256 lane = 0; word != 0; ++lane) {
                uint256 slot = word >> 240;
                if (slot > size) revert TradeRegistryInvalidPartySlot(i + lane / 4, slot);
                word <<= 16;
            }
        }
    }

    /// @dev Checks that `parties` are the lists batch `batch` committed to, and that no party of
    /// a position selected by `mask` is listed now. The per-trade walk happens only when one of
    /// the batch's parties is listed: otherwise the check is a hash and one read per party.
    function _requireUnlisted(uint64 batch, uint256[] calldata mask, PartyLists calldata parties) private view {
        if (_partiesHash(parties) != _verdictBatches[batch].partiesHash) revert TradeRegistryPartyListsMismatch(batch);
        uint256 size = parties.parties.length;
        bool[] memory listed = new bool[](size + 1);
        bool any = false;
        for (uint256 k = 0; k < size; ++k) {
            if (_inForce(_listings[parties.parties[k]])) (listed[k + 1], any) = (true, true);
        }
        if (!any) return;
        for (uint256 w = 0; w < mask.length; ++w) {
            uint256 bits = mask[w];
            for (uint256 i = 0; bits != 0; ++i) {
                if (bits & 1 == 1) _requireUnlistedAt(batch, uint32(w * 256 + i), parties, listed);
                bits >>= 1;
            }
        }
    }

    function _requireUnlistedAt(uint64 batch, uint32 position, PartyLists calldata parties, bool[] memory listed)
        private
        pure
    {
        uint256 group = _slotWord(parties.slots, uint256(position) * 8) >> 192;
        for (uint256 lane = 0; lane < MAX_PARTIES_PER_TRADE; ++lane) {
            uint256 slot = (group >> (48 - 16 * lane)) & 0xffff;
            if (listed[slot]) revert TradeRegistryPartyListed(parties.parties[slot - 1], batch, position);
        }
    }

    /// @dev The 32 bytes of `slots` from `offset`, zero-padded past the end.
    function _slotWord(bytes calldata slots, uint256 offset) private pure returns (uint256 word) {
        assembly ("memory-safe") {
            word := calldataload(add(slots.offset, offset))
        }
        uint256 left = slots.length - offset;
        if (left < 32) word &= ~(type(uint256).max >> (8 * left));
    }

    function _partiesHash(PartyLists calldata parties) private pure returns (bytes32) {
        return keccak256(abi.encode(parties.parties, parties.slots));
    }

    function _inForce(Listing memory listing) private view returns (bool) {
        return listing.since <= block.timestamp && block.timestamp < listing.until;
    }

    /// @dev Reverts unless the caller is customs or the regulator; the error names the
    /// regulator's role, the one made for this.
    function _requireSupervisor() private view {
        if (!hasRole(CUSTOMS_ROLE, msg.sender)) _checkRole(REGULATOR_ROLE);
    }

    function _releasePolicyId(ReleasePolicy calldata policy) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    _RELEASE_POLICY_TYPEHASH,
                    policy.grades,
                    policy.modes,
                    policy.maxValue,
                    policy.validFrom,
                    policy.validUntil,
                    policy.salt
                )
            )
        );
    }

    function _policyInForce(PolicyRecord memory policy) private view returns (bool) {
        return !policy.revoked && policy.validFrom <= block.timestamp && block.timestamp < policy.validUntil;
    }

    function _revokeReleasePolicy(bytes32 policyId, address by) private {
        PolicyRecord storage policy = _policies[policyId];
        if (policy.signer == address(0)) revert TradeRegistryUnknownPolicy(policyId);
        if (by != policy.signer && !hasRole(CUSTOMS_ROLE, by)) revert TradeRegistryNotPolicyRevoker(policyId, by);
        if (policy.revoked) revert TradeRegistryPolicyNotInForce(policyId);
        policy.revoked = true;
        emit ReleasePolicyRevoked(policyId, by);
    }

    /// @dev Checks the fact of each position of `mask` (8 bytes each, in position order)
    /// against `policy`; returns how many positions there are.
    function _checkFacts(
        uint64 batch,
        uint256[] calldata mask,
        PolicyRecord memory policy,
        PolicyDecisions calldata decisions
    ) private pure returns (uint32) {
        uint256 count = 0;
        for (uint256 w = 0; w < mask.length; ++w) {
            count += PositionMask.popcount(mask[w]);
        }
        bytes calldata facts = decisions.facts;
        if (facts.length != 8 * count) revert TradeRegistryDecisionCount(count, facts.length);
        uint256 k = 0;
        for (uint256 w = 0; w < mask.length; ++w) {
            uint256 word = mask[w];
            for (uint256 i = 0; word != 0; ++i) {
                if (word & 1 == 1) {
                    if (!_withinPolicy(policy, uint64(bytes8(facts[8 * k:8 * k + 8])))) {
                        revert TradeRegistryOutsidePolicy(decisions.policyId, batch, uint32(w * 256 + i));
                    }
                    ++k;
                }
                word >>= 1;
            }
        }
        return uint32(count);
    }

    function _withinPolicy(PolicyRecord memory policy, uint256 fact) private pure returns (bool) {
        uint256 grade = fact >> 56;
        uint256 mode = (fact >> 48) & 0xff;
        uint256 value = fact & 0xffffffffffff;
        return (uint256(policy.grades) >> grade) & 1 == 1 && (uint256(policy.modes) >> mode) & 1 == 1
            && value <= policy.maxValue;
    }

    function _supersede(uint64 batch, bytes32[] calldata tradeIds, Supersession calldata s) private {
        VerdictBatch storage earlier = _verdictBatches[s.batch];
        if (s.index >= tradeIds.length || s.batch == 0 || s.batch >= batch || s.position >= earlier.count) {
            revert TradeRegistryInvalidSupersession(s.index, s.batch, s.position);
        }
        bytes32 leaf = _verdictLeaf(s.batch, s.position, tradeIds[s.index], s.verdictHash, s.matched);
        if (MerkleProof.processProofCalldata(s.proof, leaf) != earlier.root) {
            revert TradeRegistryInvalidSupersession(s.index, s.batch, s.position);
        }
        uint256 nibble = _nibbleAt(s.batch, s.position);
        if (nibble & _SUPERSEDED != 0) revert TradeRegistryTradeSuperseded(s.batch, s.position);
        if (nibble & _RELEASED != 0) revert TradeRegistryTradeAlreadyReleased(s.batch, s.position);
        uint32 financingId = _financingAt(s.batch, s.position);
        if (financingId != 0) revert TradeRegistryTradeFinanced(s.batch, s.position, financingId);
        _states[_stateKey(s.batch, s.position / 64)] |= _SUPERSEDED << (4 * (s.position % 64));
        emit VerdictSuperseded(s.batch, s.position, batch, s.index);
    }

    function _releaseTrades(uint64 batch, uint256[] calldata mask, address customs) private {
        uint256 groups = _requireSelection(batch, mask);
        for (uint256 g = 0; g < groups; ++g) {
            uint256 bits = PositionMask.group(mask, g);
            if (bits == 0) continue;
            uint256 selected = PositionMask.spread(bits);
            uint256 key = _stateKey(batch, g);
            uint256 state = _states[key];
            _requireNone(selected & ~state, batch, g, TradeRegistryTradeNotMatched.selector);
            _requireNone(selected & (state >> 3), batch, g, TradeRegistryTradeSuperseded.selector);
            _requireNone(selected & (state >> 1), batch, g, TradeRegistryTradeAlreadyReleased.selector);
            _states[key] = state | (selected * _RELEASED);
        }
        _requireNotBlocked(batch, mask, false);
        emit TradesReleased(batch, customs, mask);
    }

    function _confirmSettlements(uint64 batch, uint256[] calldata mask, bytes32[] calldata references, address bank)
        private
        returns (uint32 settlementId)
    {
        uint256 groups = _requireSelection(batch, mask);
        uint256 selectedCount = 0;
        for (uint256 w = 0; w < mask.length; ++w) {
            selectedCount += PositionMask.popcount(mask[w]);
        }
        if (references.length != selectedCount) revert TradeRegistryReferenceCount(selectedCount, references.length);

        bytes32[] memory nodes = new bytes32[](selectedCount);
        uint256 k = 0;
        for (uint256 g = 0; g < groups; ++g) {
            uint256 bits = PositionMask.group(mask, g);
            if (bits == 0) continue;
            _settleGroup(batch, g, bits);
            k = _settlementLeaves(batch, g, bits, references, nodes, k);
        }
        _requireNotBlocked(batch, mask, false);
        bytes32 root = OrderedMerkle.root(nodes);
        settlementId = ++_settlementCount;
        _settlements[settlementId] = Settlement(root, bank, uint32(selectedCount), uint64(block.number), batch);
        emit SettlementsConfirmed(settlementId, batch, bank, root, mask);
    }

    /// @dev Marks the positions `bits` of group `g` settled, each of them released and not yet settled.
    function _settleGroup(uint64 batch, uint256 g, uint256 bits) private {
        uint256 selected = PositionMask.spread(bits);
        uint256 key = _stateKey(batch, g);
        uint256 state = _states[key];
        _requireNone(selected & ~(state >> 1), batch, g, TradeRegistryTradeNotReleased.selector);
        _requireNone(selected & (state >> 2), batch, g, TradeRegistrySettlementAlreadyConfirmed.selector);
        _states[key] = state | (selected * _SETTLED);
    }

    /// @dev Writes the settlement leaves of the positions `bits` of group `g` into `nodes` from
    /// index `k` on, with the references from the same index; returns the next index.
    function _settlementLeaves(
        uint64 batch,
        uint256 g,
        uint256 bits,
        bytes32[] calldata references,
        bytes32[] memory nodes,
        uint256 k
    ) private pure returns (uint256) {
        for (uint256 i = 0; bits != 0; ++i) {
            if (bits & 1 == 1) {
                uint32 position = uint32(g * 64 + i);
                bytes32 settlementRef = references[k];
                if (settlementRef == bytes32(0)) revert TradeRegistryZeroSettlementRef(batch, position);
                nodes[k++] = _settlementLeaf(batch, position, settlementRef);
            }
            bits >>= 1;
        }
        return k;
    }

    function _registerFinancing(uint64 batch, uint256[] calldata mask, bytes32 termsHash, address bank)
        private
        returns (uint32 financingId)
    {
        if (termsHash == bytes32(0)) revert TradeRegistryZeroTermsHash();
        uint256 groups = _requireSelection(batch, mask);
        financingId = ++_financingCount;
        uint256 financed = 0;
        for (uint256 g = 0; g < groups; ++g) {
            uint256 bits = PositionMask.group(mask, g);
            if (bits == 0) continue;
            uint256 selected = PositionMask.spread(bits);
            uint256 state = _states[_stateKey(batch, g)];
            _requireNone(selected & ~state, batch, g, TradeRegistryTradeNotMatched.selector);
            _requireNone(selected & (state >> 3), batch, g, TradeRegistryTradeSuperseded.selector);
            financed += _setFinancing(batch, g, bits, 0, financingId);
        }
        _requireNotBlocked(batch, mask, true);
        _financings[financingId] = Financing(bank, uint64(block.number), batch, uint32(financed), termsHash);
        emit FinancingRegistered(financingId, batch, bank, termsHash, mask);
    }

    function _dischargeFinancing(uint32 financingId, uint256[] calldata mask, address caller) private {
        Financing storage financing = _financings[financingId];
        if (financing.blockNumber == 0) revert TradeRegistryUnknownFinancing(financingId);
        if (financing.bank != caller) revert TradeRegistryNotFinancier(financingId, financing.bank, caller);
        uint64 batch = financing.verdictBatch;
        uint256 groups = _requireSelection(batch, mask);
        for (uint256 g = 0; g < groups; ++g) {
            uint256 bits = PositionMask.group(mask, g);
            if (bits != 0) _setFinancing(batch, g, bits, financingId, 0);
        }
        emit FinancingDischarged(financingId, batch, caller, mask);
    }

    /// @dev Moves the positions `bits` of 64-position group `g` from financing `from` to `to`
    /// (zero: none), one storage word per 8 positions; returns how many positions moved.
    function _setFinancing(uint64 batch, uint256 g, uint256 bits, uint32 from, uint32 to)
        private
        returns (uint256 moved)
    {
        for (uint256 word = 0; word < 8 && bits != 0; ++word) {
            uint256 octet = bits & 0xff;
            bits >>= 8;
            if (octet == 0) continue;
            uint256 key = (uint256(batch) << 32) | (g * 8 + word);
            uint256 ids = _financingIds[key];
            for (uint256 slot = 0; slot < 8; ++slot) {
                if ((octet >> slot) & 1 == 0) continue;
                uint32 current = uint32(ids >> (32 * slot));
                if (current != from) _revertFinancing(batch, uint32(g * 64 + word * 8 + slot), from, current);
                ids = (ids & ~(uint256(type(uint32).max) << (32 * slot))) | (uint256(to) << (32 * slot));
                ++moved;
            }
            _financingIds[key] = ids;
        }
    }

    function _revertFinancing(uint64 batch, uint32 position, uint32 expected, uint32 current) private pure {
        if (expected == 0) revert TradeRegistryTradeFinanced(batch, position, current);
        revert TradeRegistryNotFinanced(expected, batch, position);
    }

    /// @dev Asks the {lifecycleRegistry}, once for the whole selection, whether a selected
    /// position was cancelled or, when `financing`, is under a typed financing there.
    function _requireNotBlocked(uint64 batch, uint256[] calldata mask, bool financing) private view {
        address guard = lifecycleRegistry;
        if (guard == address(0)) return;
        (uint256 cancelled, uint256 financed) = ITradeLifecycleGuard(guard).blockedIn(batch, mask);
        if (cancelled != type(uint256).max) revert TradeRegistryTradeCancelled(batch, uint32(cancelled));
        if (financing && financed != type(uint256).max) {
            revert TradeRegistryTradeTypedFinanced(batch, uint32(financed));
        }
    }

    /// @dev Reverts with error `selector(batch, position)` at the first position of group `g`
    /// whose nibble in `failed` is set; `failed` keeps only each nibble's low bit.
    function _requireNone(uint256 failed, uint64 batch, uint256 g, bytes4 selector) private pure {
        failed &= 0x1111111111111111111111111111111111111111111111111111111111111111;
        if (failed == 0) return;
        uint32 position = uint32(g * 64 + PositionMask.firstNibble(failed));
        bytes memory data = abi.encodeWithSelector(selector, batch, position);
        assembly ("memory-safe") {
            revert(add(data, 0x20), mload(data))
        }
    }

    /// @dev Checks that `mask` selects at least one position, all in `batch`; returns the number
    /// of 64-position groups the mask spans.
    function _requireSelection(uint64 batch, uint256[] calldata mask) private view returns (uint256 groups) {
        uint32 count = _verdictBatches[batch].count;
        if (count == 0) revert TradeRegistryUnknownVerdictBatch(batch);
        _requireInRange(batch, mask, count);
        bool any = false;
        for (uint256 w = 0; w < mask.length && !any; ++w) {
            any = mask[w] != 0;
        }
        if (!any) revert TradeRegistryEmptySelection();
        groups = (uint256(count) + 63) / 64;
        if (groups > mask.length * 4) groups = mask.length * 4;
    }

    function _requireInRange(uint64 batch, uint256[] calldata mask, uint32 count) private pure {
        uint256 words = (uint256(count) + 255) / 256;
        if (mask.length == 0 || mask.length > words) revert TradeRegistrySelectionOutOfRange(batch, count);
        uint256 tail = uint256(count) % 256;
        if (mask.length == words && tail != 0 && mask[words - 1] >> tail != 0) {
            revert TradeRegistrySelectionOutOfRange(batch, count);
        }
    }

    /// @dev Checks `by.signature` of `by.signer` over the {Authorization} and consumes its nonce.
    function _authorize(SignedBy calldata by, AuthorizationAction action, bytes32 subject, bytes32 data) private {
        if (block.timestamp > by.deadline) revert TradeRegistryExpiredAuthorization(by.deadline);
        bytes32 structHash =
            keccak256(abi.encode(_AUTHORIZATION_TYPEHASH, action, subject, data, by.nonce, by.deadline));
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecover(_hashTypedDataV4(structHash), by.signature);
        if (error != ECDSA.RecoverError.NoError || recovered != by.signer) {
            revert TradeRegistryInvalidSigner(recovered, by.signer);
        }
        _useCheckedNonce(by.signer, by.nonce);
    }

    function _selectionSubject(uint64 batch, uint256[] calldata mask) private view returns (bytes32) {
        return keccak256(abi.encode(batch, _verdictBatches[batch].root, keccak256(abi.encodePacked(mask))));
    }

    function _dischargeSubject(uint32 financingId, uint256[] calldata mask) private pure returns (bytes32) {
        return keccak256(abi.encode(financingId, keccak256(abi.encodePacked(mask))));
    }

    /// @dev `keccak256(bytes.concat(keccak256(abi.encode(batch, position, tradeId, verdictHash,
    /// matched))))`, hashed in scratch memory: `abi.encode` would allocate for every leaf, and
    /// memory grows quadratically in cost over a batch of thousands.
    function _verdictLeaf(uint64 batch, uint32 position, bytes32 tradeId, bytes32 verdictHash, bool matched)
        private
        pure
        returns (bytes32 leaf)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, batch)
            mstore(add(ptr, 0x20), position)
            mstore(add(ptr, 0x40), tradeId)
            mstore(add(ptr, 0x60), verdictHash)
            mstore(add(ptr, 0x80), matched)
            mstore(0x00, keccak256(ptr, 0xa0))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @dev `keccak256(bytes.concat(keccak256(abi.encode(batch, position, settlementRef))))`,
    /// hashed in scratch memory as {_verdictLeaf} is.
    function _settlementLeaf(uint64 batch, uint32 position, bytes32 settlementRef)
        private
        pure
        returns (bytes32 leaf)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, batch)
            mstore(add(ptr, 0x20), position)
            mstore(add(ptr, 0x40), settlementRef)
            mstore(0x00, keccak256(ptr, 0x60))
            leaf := keccak256(0x00, 0x20)
        }
    }

    function _stateKey(uint64 batch, uint256 group) private pure returns (uint256) {
        return (uint256(batch) << 32) | group;
    }

    function _nibbleAt(uint64 batch, uint32 position) private view returns (uint256) {
        return (_states[_stateKey(batch, position / 64)] >> (4 * (position % 64))) & 0xf;
    }

    function _financingAt(uint64 batch, uint32 position) private view returns (uint32) {
        return uint32(_financingIds[(uint256(batch) << 32) | (position / 8)] >> (32 * (position % 8)));
    }

    function _stateAt(uint64 batch, uint32 position) private view returns (TradeState) {
        uint256 nibble = _nibbleAt(batch, position);
        if (nibble & _SUPERSEDED != 0) return TradeState.Superseded;
        if (nibble & _SETTLED != 0) return TradeState.Settled;
        if (nibble & _RELEASED != 0) return TradeState.Released;
        return nibble & _MATCHED != 0 ? TradeState.Matched : TradeState.Mismatched;
    }

    function _requireActive(bytes32 documentHash) private view {
        if (documentHash == bytes32(0)) revert TradeRegistryZeroDocumentHash();
        DocumentEntry storage entry = _documents[documentHash];
        if (entry.status == DocumentStatus.Revoked) revert TradeRegistryDocumentAlreadyRevoked(documentHash);
        if (entry.status == DocumentStatus.Superseded) {
            revert TradeRegistryDocumentAlreadySuperseded(documentHash, entry.successor);
        }
    }
}

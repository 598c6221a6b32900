// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev External interface of {TradeRegistry}: Merkle roots of signed trade documents
 * (orders, payments, waybills, inventories), their revocation or supersession, and the
 * trade state machine verdict → release → settlement, with financing on the side.
 *
 * Trades live in verdict batches, not in a slot each. A verdict batch is one transaction of
 * up to {MAX_VERDICTS_PER_BATCH} match verdicts; the registry numbers it (1, 2, …), computes its
 * Merkle root itself from the calldata and gives each verdict a position, its index in the
 * call. A trade's on-chain record is the pair (verdict batch, position): four state bits
 * (matched, released, settled, superseded) packed 64 to a storage word, and a financing id
 * packed 8 to a word. Release, settlement and financing name positions as a bitmask (bit `i`
 * of word `w` is position `256 * w + i`), so a batch of 1,000 trades changes state with a
 * few dozen storage writes instead of 1,000 fresh slots.
 *
 * The verdict leaf of position `p` in batch `b` is OpenZeppelin's StandardMerkleTree leaf of
 * `(uint64 b, uint32 p, bytes32 tradeId, bytes32 verdictHash, bool matched)`; the verdict
 * hash commits to the hashes of the documents the verdict matched. The batch tree is
 * ordered: leaves in position order, adjacent nodes hashed as sorted pairs, an odd last node
 * carried up unchanged; so OpenZeppelin's `MerkleProof.verify` checks a leaf against the root,
 * and since the registry built each leaf with its own position, no leaf can claim another.
 *
 * Release, settlement and financing can also be relayed by anyone with the acting party's
 * EIP-712 signature (domain name "sandan TradeRegistry", version "2") over the typed struct
 *
 *     Authorization(uint8 action,bytes32 subject,bytes32 data,uint256 nonce,uint256 deadline)
 *
 * where `action` is an {AuthorizationAction}, `subject` the {selectionSubject} of the verdict
 * batch and mask (for a discharge, the {dischargeSubject} of the financing and mask), `data`
 * the `keccak256` of the packed settlement references, the financing terms hash, or zero,
 * `nonce` the signer's current {nonces} value and `deadline` the last valid `block.timestamp`.
 * The subject includes the batch's root, so a signature names the exact trades and verdicts.
 *
 * The negative list: customs (`CUSTOMS_ROLE`) or the regulator (`REGULATOR_ROLE`) lists a
 * party (`partyId = keccak256(bytes(code))`, as in the PartyRegistry) for a period of block
 * timestamps, `since <= block.timestamp < until`, and may lift the listing early; it expires
 * by itself. A verdict batch commits to the parties that signed each trade's documents as
 * {PartyLists} (the hash in {VerdictBatch-partiesHash}); release and financing pass those
 * lists back, the registry checks them against the hash and refuses any selected trade with
 * a listed party ({TradeRegistryPartyListed}).
 *
 * Standing release policies (graded release): customs signs, off chain, an EIP-712
 *
 *     ReleasePolicy(uint8 grades,uint8 modes,uint64 maxValue,uint64 validFrom,uint64 validUntil,bytes32 salt)
 *
 * (same domain), which anyone may bring on chain with {adoptReleasePolicy}; its id is the
 * EIP-712 digest. The anchorer may then release matched trades under it
 * ({releaseTradesUnderPolicy}), stating for each its risk grade, customs mode and customs
 * value and the hash of the inputs the grade was computed from; the registry refuses any
 * trade outside the policy's terms, any policy outside its period or revoked, and any whose
 * signer no longer holds `CUSTOMS_ROLE`, and it commits the decisions under a Merkle root so
 * each can be re-checked. A policy never covers high-risk trades.
 *
 * The life after release (declared values, returns, customs' cancellation, FX settlement,
 * typed financing) lives in a LifecycleRegistry that follows this registry. Once the admin
 * names it ({setLifecycleRegistry}, once), this registry asks it about the selected positions,
 * with one {ITradeLifecycleGuard-blockedIn} call per action: a position customs cancelled there
 * is neither released, settled nor financed here ({TradeRegistryTradeCancelled}), and one under a
 * live typed financing there cannot be financed here ({TradeRegistryTradeTypedFinanced}), so
 * at most one financing is live per trade across both registries (the LifecycleRegistry
 * refuses a typed financing and a cancellation while one registered here is undischarged).
 *
 * This file is the single source of truth for the registry's types, errors and events.
 */
interface ITradeRegistry {
    /// @dev Lifecycle of a document hash. `Active` is the default for any hash.
    enum DocumentStatus {
        Active,
        Revoked,
        Superseded
    }

    /// @dev Where a verdict position stands. `None` means no such position (or a wrong proof).
    /// `Superseded` means a later verdict of the same trade replaced this one.
    enum TradeState {
        None,
        Mismatched,
        Matched,
        Released,
        Settled,
        Superseded
    }

    /// @dev What an {Authorization} lets a relayer do. `None` is never signed.
    enum AuthorizationAction {
        None,
        Release,
        ConfirmSettlement,
        RegisterFinancing,
        DischargeFinancing,
        RevokeReleasePolicy
    }

    /// @dev An anchored document batch. `blockNumber` is zero when the root was never anchored.
    struct Batch {
        address anchorer;
        uint32 leafCount;
        uint64 blockNumber;
    }

    /// @dev Everything a verifier needs about one document, from one call.
    struct DocumentCheck {
        bytes32 root;
        bool anchored;
        uint64 blockNumber;
        address anchorer;
        uint32 leafCount;
        DocumentStatus status;
        bytes32 successor;
        uint64 statusBlock;
    }

    /// @dev A recorded verdict batch. `blockNumber` is zero when there is no such batch.
    /// `partiesHash` is the {partiesHash} of the batch's {PartyLists}.
    struct VerdictBatch {
        bytes32 root;
        address anchorer;
        uint32 count;
        uint64 blockNumber;
        bytes32 partiesHash;
    }

    /// @dev Who signed the documents of each trade of a verdict batch. `parties` lists the
    /// batch's distinct party ids once each; `slots` holds {MAX_PARTIES_PER_TRADE} big-endian
    /// uint16 per verdict, in position order (8 bytes a trade), each a 1-based index into
    /// `parties` or 0 for none. A party id costs its 32 bytes once per batch, a trade 8 bytes.
    struct PartyLists {
        bytes32[] parties;
        bytes slots;
    }

    /// @dev A party's negative-list entry: listed while `since <= block.timestamp < until`.
    /// `until` is zero when the party was never listed or its listing was lifted.
    struct Listing {
        uint64 since;
        uint64 until;
    }

    /// @dev The data of one verdict leaf: what a bundle carries and a verifier re-hashes.
    struct VerdictLeaf {
        uint64 batch;
        uint32 position;
        bytes32 tradeId;
        bytes32 verdictHash;
        bool matched;
    }

    /// @dev A new verdict (index `index` of the batch being recorded) replacing the trade's
    /// earlier verdict at (`batch`, `position`), proven by that verdict's leaf data and proof.
    struct Supersession {
        uint32 index;
        uint64 batch;
        uint32 position;
        bytes32 verdictHash;
        bool matched;
        bytes32[] proof;
    }

    /// @dev One settlement call: the root of its `(verdict batch, position, settlementRef)` leaves.
    struct Settlement {
        bytes32 root;
        address bank;
        uint32 count;
        uint64 blockNumber;
        uint64 verdictBatch;
    }

    /// @dev One financing call: the bank, the terms it lent on and where.
    struct Financing {
        address bank;
        uint64 blockNumber;
        uint64 verdictBatch;
        uint32 count;
        bytes32 termsHash;
    }

    /// @dev Who relays a `...WithSig` call: the acting party and its signature over the
    /// {Authorization} (with that authorization's nonce and deadline).
    struct SignedBy {
        address signer;
        uint256 nonce;
        uint256 deadline;
        bytes signature;
    }

    /// @dev What customs signs to let sandan release on its behalf (EIP-712 `ReleasePolicy`):
    /// matched trades whose grade is in `grades` (bit 0 low, bit 1 medium; high never), whose
    /// customs mode is in `modes` (bit 0 9610, bit 1 9710, bit 2 9810, bit 3 1210) and whose
    /// customs value is at most `maxValue` fen, while `validFrom <= block.timestamp <
    /// validUntil`. `salt` tells apart two policies with the same terms.
    struct ReleasePolicy {
        uint8 grades;
        uint8 modes;
        uint64 maxValue;
        uint64 validFrom;
        uint64 validUntil;
        bytes32 salt;
    }

    /// @dev An adopted {ReleasePolicy} and who signed it. `signer` is zero for an unknown id.
    struct PolicyRecord {
        address signer;
        uint8 grades;
        uint8 modes;
        uint64 validFrom;
        uint64 maxValue;
        uint64 validUntil;
        bool revoked;
    }

    /// @dev What a {releaseTradesUnderPolicy} call states: the policy; the root of the verdict
    /// batch the positions are read in (so a batch the chain renumbered after a reorg cannot
    /// release other trades); per selected position, in position order, 8 bytes of `facts`
    /// (grade uint8: 0 low, 1 medium, 2 high; mode uint8: 0 9610, 1 9710, 2 9810, 3 1210;
    /// customs value in fen, uint48; big-endian), which the registry checks against the
    /// policy; and the anchorer's `decisionsRoot`, the ordered Merkle root of the positions'
    /// {decisionLeaf}s (facts and the hash of each grade's inputs), which it commits.
    struct PolicyDecisions {
        bytes32 policyId;
        bytes32 verdictRoot;
        bytes facts;
        bytes32 decisionsRoot;
    }

    /// @dev One {releaseTradesUnderPolicy} call, under its decisions root: `factsHash` is the
    /// `keccak256` of the facts it checked. `blockNumber` is zero when no release has that root.
    struct PolicyRelease {
        uint64 verdictBatch;
        uint64 blockNumber;
        uint32 count;
        bytes32 factsHash;
    }

    /// @dev Everything a verifier needs about one verdict leaf, from one call.
    struct VerdictCheck {
        bytes32 root;
        bool anchored;
        uint64 blockNumber;
        address anchorer;
        TradeState state;
        uint32 financingId;
        Financing financing;
    }

    /**
     * @dev The Merkle root is zero.
     */
    error TradeRegistryZeroRoot();

    /**
     * @dev A batch declares no leaves.
     * @param root Merkle root of the batch.
     */
    error TradeRegistryZeroLeafCount(bytes32 root);

    /**
     * @dev The root was anchored before; a root is anchored once.
     * @param root Merkle root of the batch.
     */
    error TradeRegistryRootAlreadyAnchored(bytes32 root);

    /**
     * @dev A document hash is zero.
     */
    error TradeRegistryZeroDocumentHash();

    /**
     * @dev The reason given for a revocation or supersession is empty.
     * @param documentHash Hash of the document concerned.
     */
    error TradeRegistryEmptyReason(bytes32 documentHash);

    /**
     * @dev The document was revoked before.
     * @param documentHash Hash of the revoked document.
     */
    error TradeRegistryDocumentAlreadyRevoked(bytes32 documentHash);

    /**
     * @dev The document was superseded before.
     * @param documentHash Hash of the superseded document.
     * @param successor Hash of the document that replaced it.
     */
    error TradeRegistryDocumentAlreadySuperseded(bytes32 documentHash, bytes32 successor);

    /**
     * @dev A document cannot supersede itself.
     * @param documentHash Hash given as both the old and the new document.
     */
    error TradeRegistrySelfSupersession(bytes32 documentHash);

    /**
     * @dev A verdict batch holds no verdict, or more than {MAX_VERDICTS_PER_BATCH}.
     * @param count Verdicts given.
     */
    error TradeRegistryVerdictCount(uint256 count);

    /**
     * @dev The batch would get number `actual`, not the `expected` one its sender named (it
     * was recorded already, or another batch came first).
     */
    error TradeRegistryVerdictBatchNumber(uint64 expected, uint64 actual);

    /**
     * @dev The trade id of verdict `index` is zero.
     */
    error TradeRegistryZeroTradeId(uint256 index);

    /**
     * @dev The verdict hash of verdict `index` is zero.
     */
    error TradeRegistryZeroVerdictHash(uint256 index);

    /**
     * @dev A bitmask is longer than its batch needs, or sets bits past the batch's last position.
     * @param batch Verdict batch the mask is for.
     * @param count Positions in that batch.
     */
    error TradeRegistrySelectionOutOfRange(uint64 batch, uint32 count);

    /**
     * @dev A bitmask selects no position.
     */
    error TradeRegistryEmptySelection();

    /**
     * @dev No verdict batch has this number.
     */
    error TradeRegistryUnknownVerdictBatch(uint64 batch);

    /**
     * @dev A supersession does not prove the trade's earlier verdict, or names the batch being
     * recorded or a later one.
     * @param index Verdict of the new batch that claimed to supersede.
     * @param batch Verdict batch of the claimed earlier verdict.
     * @param position Its position.
     */
    error TradeRegistryInvalidSupersession(uint256 index, uint64 batch, uint32 position);

    /**
     * @dev The position's verdict is a mismatch (or there is no such position).
     */
    error TradeRegistryTradeNotMatched(uint64 batch, uint32 position);

    /**
     * @dev The position's verdict was replaced by a later verdict of the same trade.
     */
    error TradeRegistryTradeSuperseded(uint64 batch, uint32 position);

    /**
     * @dev The position was released before: its verdict is final and it is released once.
     */
    error TradeRegistryTradeAlreadyReleased(uint64 batch, uint32 position);

    /**
     * @dev Settlement needs a released position.
     */
    error TradeRegistryTradeNotReleased(uint64 batch, uint32 position);

    /**
     * @dev Settlement of the position was confirmed before.
     */
    error TradeRegistrySettlementAlreadyConfirmed(uint64 batch, uint32 position);

    /**
     * @dev A settlement reference is zero.
     */
    error TradeRegistryZeroSettlementRef(uint64 batch, uint32 position);

    /**
     * @dev The settlement references are not one per selected position.
     * @param expected Positions selected.
     * @param actual References given.
     */
    error TradeRegistryReferenceCount(uint256 expected, uint256 actual);

    /**
     * @dev A financing terms hash is zero.
     */
    error TradeRegistryZeroTermsHash();

    /**
     * @dev The position carries a financing that was not discharged, whoever asks for another;
     * nor can a financed verdict be superseded.
     * @param financingId The open financing.
     */
    error TradeRegistryTradeFinanced(uint64 batch, uint32 position, uint32 financingId);

    /**
     * @dev The position is not under financing `financingId`.
     */
    error TradeRegistryNotFinanced(uint32 financingId, uint64 batch, uint32 position);

    /**
     * @dev No financing has this number.
     */
    error TradeRegistryUnknownFinancing(uint32 financingId);

    /**
     * @dev Only the bank that registered a financing can discharge it.
     * @param financingId Financing concerned.
     * @param bank Bank holding the financing.
     * @param caller Account that tried to discharge it.
     */
    error TradeRegistryNotFinancier(uint32 financingId, address bank, address caller);

    /**
     * @dev Parallel arrays of a batch call differ in length.
     * @param expected Length of the first array.
     * @param actual Length of the array that differs.
     */
    error TradeRegistryLengthMismatch(uint256 expected, uint256 actual);

    /**
     * @dev The authorization's deadline has passed.
     * @param deadline Last `block.timestamp` at which the authorization was valid.
     */
    error TradeRegistryExpiredAuthorization(uint256 deadline);

    /**
     * @dev The signature is malformed or was not made by `signer` over the authorization
     * the call describes (other trades, data, nonce or deadline).
     * @param recovered Address recovered from the signature (zero when malformed).
     * @param signer Address the relayer named as the signer.
     */
    error TradeRegistryInvalidSigner(address recovered, address signer);

    /**
     * @dev A party id is zero (in a listing or in a batch's {PartyLists}).
     */
    error TradeRegistryZeroPartyId();

    /**
     * @dev A listing or a lifting gives no reason.
     * @param partyId Party concerned.
     */
    error TradeRegistryEmptyListingReason(bytes32 partyId);

    /**
     * @dev A listing's period is empty or already over: `until` must be after both `since`
     * and the current block's timestamp.
     * @param partyId Party concerned.
     * @param since Start given (0: now).
     * @param until End given.
     */
    error TradeRegistryInvalidListingPeriod(bytes32 partyId, uint64 since, uint64 until);

    /**
     * @dev The party has no listing in force or to come: nothing to lift.
     * @param partyId Party concerned.
     */
    error TradeRegistryPartyNotListed(bytes32 partyId);

    /**
     * @dev A party on the negative list signed a document of the trade at (`batch`,
     * `position`): it cannot be released or financed while the listing lasts.
     * @param partyId The listed party.
     * @param batch Verdict batch of the trade.
     * @param position Its position.
     */
    error TradeRegistryPartyListed(bytes32 partyId, uint64 batch, uint32 position);

    /**
     * @dev The party lists given are not those verdict batch `batch` committed to.
     * @param batch Verdict batch concerned.
     */
    error TradeRegistryPartyListsMismatch(uint64 batch);

    /**
     * @dev A batch's party slots are not {MAX_PARTIES_PER_TRADE} uint16 per verdict.
     * @param expected Bytes expected (8 per verdict).
     * @param actual Bytes given.
     */
    error TradeRegistryPartySlotsLength(uint256 expected, uint256 actual);

    /**
     * @dev A party slot of verdict `index` points past the batch's party table.
     * @param index Verdict concerned.
     * @param slot The slot's value.
     */
    error TradeRegistryInvalidPartySlot(uint256 index, uint256 slot);

    /**
     * @dev The {ReleasePolicy} signature is not `signer`'s.
     */
    error TradeRegistryInvalidPolicySigner(address recovered, address signer);
    /**
     * @dev A policy's `grades` is empty or names a grade other than low and medium: high-risk
     * trades are never released under a policy.
     */
    error TradeRegistryPolicyGrades(uint8 grades);
    /**
     * @dev A policy's `modes` is empty or names a bit beyond the four customs modes.
     */
    error TradeRegistryPolicyModes(uint8 modes);
    /**
     * @dev A policy's period is empty, or already over.
     */
    error TradeRegistryPolicyPeriod(uint64 validFrom, uint64 validUntil);
    /**
     * @dev The policy was adopted already.
     */
    error TradeRegistryPolicyAlreadyAdopted(bytes32 policyId);
    /**
     * @dev No policy was adopted under this id.
     */
    error TradeRegistryUnknownPolicy(bytes32 policyId);
    /**
     * @dev The policy was revoked, or `block.timestamp` is outside its period.
     */
    error TradeRegistryPolicyNotInForce(bytes32 policyId);
    /**
     * @dev Only the policy's signer or customs may revoke it.
     */
    error TradeRegistryNotPolicyRevoker(bytes32 policyId, address caller);
    /**
     * @dev The verdict batch's root is not the one the policy release names.
     */
    error TradeRegistryVerdictRootMismatch(uint64 batch, bytes32 root);
    /**
     * @dev The facts of a policy release are not 8 bytes for each selected position.
     */
    error TradeRegistryDecisionCount(uint256 expected, uint256 factsLength);
    /**
     * @dev A policy release names no decisions root, or one already used.
     */
    error TradeRegistryInvalidDecisionsRoot(bytes32 decisionsRoot);
    /**
     * @dev A selected position's stated grade, mode or value is outside the policy.
     */
    error TradeRegistryOutsidePolicy(bytes32 policyId, uint64 batch, uint32 position);

    /**
     * @dev The lifecycle registry is already set, to `current`; it is set once.
     */
    error TradeRegistryLifecycleRegistryAlreadySet(address current);

    /**
     * @dev `registry` is the zero address or does not follow this trade registry (its
     * {ITradeLifecycleGuard-tradeRegistry} is another).
     */
    error TradeRegistryInvalidLifecycleRegistry(address registry);

    /**
     * @dev Customs cancelled the position's inventory in the {lifecycleRegistry}: it can be
     * neither released, settled nor financed.
     */
    error TradeRegistryTradeCancelled(uint64 batch, uint32 position);

    /**
     * @dev The position is under a live typed financing in the {lifecycleRegistry}: a second
     * financing waits until that one is closed.
     */
    error TradeRegistryTradeTypedFinanced(uint64 batch, uint32 position);

    /**
     * @dev Emitted when the admin names the lifecycle registry this registry consults.
     */
    event LifecycleRegistrySet(address indexed registry, address indexed admin);

    /**
     * @dev Emitted when a Merkle root of `leafCount` document hashes is anchored.
     */
    event BatchAnchored(bytes32 indexed root, bytes32 indexed batchId, address indexed anchorer, uint32 leafCount);

    /**
     * @dev Emitted when a document hash is revoked, with the reason.
     */
    event DocumentRevoked(bytes32 indexed documentHash, address indexed revoker, string reason);

    /**
     * @dev Emitted when document `oldHash` is replaced by `newHash`, with the reason.
     */
    event DocumentSuperseded(bytes32 indexed oldHash, bytes32 indexed newHash, address indexed anchorer, string reason);

    /**
     * @dev Emitted when verdict batch `batch` of `count` verdicts is recorded under `root`.
     */
    event VerdictBatchRecorded(uint64 indexed batch, bytes32 indexed root, address indexed anchorer, uint32 count);

    /**
     * @dev Emitted when the verdict at (`batch`, `position`) is replaced by the verdict at
     * (`newBatch`, `newPosition`) of the same trade.
     */
    event VerdictSuperseded(uint64 indexed batch, uint32 position, uint64 indexed newBatch, uint32 newPosition);

    /**
     * @dev Emitted when customs releases the positions of `mask` in verdict batch `batch`.
     */
    event TradesReleased(uint64 indexed batch, address indexed customs, uint256[] mask);

    /**
     * @dev Emitted when a bank confirms the settlement of the positions of `mask`; `root` is
     * the {settlementLeaf} tree of their references.
     */
    event SettlementsConfirmed(
        uint32 indexed settlementId, uint64 indexed batch, address indexed bank, bytes32 root, uint256[] mask
    );

    /**
     * @dev Emitted when a bank registers financing of the positions of `mask` on `termsHash`.
     */
    event FinancingRegistered(
        uint32 indexed financingId, uint64 indexed batch, address indexed bank, bytes32 termsHash, uint256[] mask
    );

    /**
     * @dev Emitted when the financing bank discharges its financing of the positions of `mask`.
     */
    event FinancingDischarged(uint32 indexed financingId, uint64 indexed batch, address indexed bank, uint256[] mask);

    /**
     * @dev Emitted when customs or the regulator `by` lists party `partyId` from `since` until
     * `until` (block timestamps), with the reason.
     */
    event PartyListed(bytes32 indexed partyId, address indexed by, uint64 since, uint64 until, string reason);

    /**
     * @dev Emitted when customs or the regulator `by` lifts the listing of `partyId` early.
     */
    event PartyListingLifted(bytes32 indexed partyId, address indexed by, string reason);

    /**
     * @dev Customs' policy `policyId`, signed by `signer`, was brought on chain by `by`.
     */
    event ReleasePolicyAdopted(
        bytes32 indexed policyId,
        address indexed signer,
        address indexed by,
        uint8 grades,
        uint8 modes,
        uint64 maxValue,
        uint64 validFrom,
        uint64 validUntil
    );

    /**
     * @dev Policy `policyId` was revoked by `by` (its signer, or customs).
     */
    event ReleasePolicyRevoked(bytes32 indexed policyId, address indexed by);

    /**
     * @dev The positions of `mask` in verdict batch `batch` were released under policy `policyId`
     * by `relayer`, on the facts whose `keccak256` is `factsHash`; `decisionsRoot` is the
     * anchorer's ordered Merkle root of their {decisionLeaf}s, in position order. A
     * {TradesReleased} event naming the policy's signer as customs comes with it.
     */
    event TradesReleasedUnderPolicy(
        uint64 indexed batch,
        bytes32 indexed policyId,
        bytes32 indexed decisionsRoot,
        bytes32 factsHash,
        address relayer,
        uint256[] mask
    );

    /**
     * @dev Anchors the Merkle `root` of a batch of `leafCount` document hashes.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `root` and `leafCount` are not zero;
     * - `root` was never anchored.
     *
     * Emits a {BatchAnchored} event.
     */
    function anchorBatch(bytes32 root, uint32 leafCount, bytes32 batchId) external;

    /**
     * @dev Revokes `documentHash`, recording `reason` in the event.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `documentHash` is not zero and `reason` is not empty;
     * - the document is neither revoked nor superseded.
     *
     * Emits a {DocumentRevoked} event.
     */
    function revokeDocument(bytes32 documentHash, string calldata reason) external;

    /**
     * @dev Marks `oldHash` as superseded by `newHash`, recording `reason` in the event.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - neither hash is zero, they differ and `reason` is not empty;
     * - neither `oldHash` nor `newHash` is revoked or superseded (so no cycle can form).
     *
     * Emits a {DocumentSuperseded} event.
     */
    function supersedeDocument(bytes32 oldHash, bytes32 newHash, string calldata reason) external;

    /**
     * @dev Records a verdict batch: verdict `i` says that trade `tradeIds[i]` was judged as
     * `verdictHashes[i]`, a match when bit `i` of `matchedMask` is set. Returns the batch's
     * number; verdict `i` is at position `i`. Each supersession replaces the trade's earlier
     * verdict, which must be neither released nor financed.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - 1 to {MAX_VERDICTS_PER_BATCH} verdicts, with no zero trade id or verdict hash;
     * - `matchedMask` sets no bit past the last verdict;
     * - each supersession proves the earlier verdict of the same trade id in an earlier batch;
     * - `expectedBatch` is the number the batch gets ({verdictBatchCount} + 1): a sender that
     *   resends a batch it may already have sent names the same number, so the chain records
     *   it once;
     * - `parties` holds 8 bytes of slots per verdict, each slot 0 or an index into its
     *   non-zero party ids (the batch stores their {partiesHash}; release and financing are
     *   checked against the parties named here).
     *
     * Emits a {VerdictBatchRecorded} event, and a {VerdictSuperseded} event per supersession.
     */
    function recordVerdictBatch(
        uint64 expectedBatch,
        bytes32[] calldata tradeIds,
        bytes32[] calldata verdictHashes,
        uint256[] calldata matchedMask,
        Supersession[] calldata supersessions,
        PartyLists calldata parties
    ) external returns (uint64 batch);

    /**
     * @dev Puts party `partyId` on the negative list from `since` (zero: this block's
     * timestamp) until `until`, both block timestamps in seconds; a listing already there is
     * replaced. From then on no trade whose documents the party signed is released or financed
     * until the listing ends (by itself at `until`, or by {liftListing}).
     *
     * Requirements:
     *
     * - the caller has `CUSTOMS_ROLE` or `REGULATOR_ROLE` (else `AccessControlUnauthorizedAccount`
     *   naming `REGULATOR_ROLE`);
     * - `partyId` is not zero and `reason` is not empty;
     * - `until` is after `since` and after the current block's timestamp.
     *
     * Emits a {PartyListed} event.
     */
    function listParty(bytes32 partyId, uint64 since, uint64 until, string calldata reason) external;

    /**
     * @dev Lifts the listing of `partyId` before it ends.
     *
     * Requirements:
     *
     * - the caller has `CUSTOMS_ROLE` or `REGULATOR_ROLE`;
     * - `reason` is not empty;
     * - the party has a listing in force or to come.
     *
     * Emits a {PartyListingLifted} event.
     */
    function liftListing(bytes32 partyId, string calldata reason) external;

    /**
     * @dev Names the LifecycleRegistry this registry consults before a release, a settlement
     * and a financing (see the contract's description). Until it is set nothing is consulted,
     * so a deployment sets it right after deploying the LifecycleRegistry.
     *
     * Requirements:
     *
     * - the caller has `DEFAULT_ADMIN_ROLE`;
     * - no lifecycle registry was set before ({TradeRegistryLifecycleRegistryAlreadySet});
     * - `registry` is not zero and its {ITradeLifecycleGuard-tradeRegistry} is this registry.
     *
     * Emits a {LifecycleRegistrySet} event.
     */
    function setLifecycleRegistry(address registry) external;

    /**
     * @dev The LifecycleRegistry set by {setLifecycleRegistry}; zero until then.
     */
    function lifecycleRegistry() external view returns (address);

    /**
     * @dev Releases (customs clearance, 放行) the positions of `mask` in verdict batch `batch`.
     * Each verdict commits to the hashes of the documents it matched, so a release names exactly
     * the documents it cleared, and no later verdict can inherit it.
     *
     * Requirements:
     *
     * - the caller has `CUSTOMS_ROLE`;
     * - `mask` selects at least one position, all within the batch;
     * - each position is a match, not superseded and not released;
     * - no position was cancelled in the {lifecycleRegistry} ({TradeRegistryTradeCancelled});
     * - `parties` are the {PartyLists} the batch committed to, and no party of a selected
     *   position is listed now ({TradeRegistryPartyListed}).
     *
     * Emits a {TradesReleased} event.
     */
    function releaseTrades(uint64 batch, uint256[] calldata mask, PartyLists calldata parties) external;

    /**
     * @dev Confirms the settlement of the released positions of `mask`, the `k`-th selected
     * position (in position order) under bank reference `references[k]`. Returns the
     * settlement's number.
     *
     * Requirements:
     *
     * - the caller has `BANK_ROLE`;
     * - one non-zero reference per selected position;
     * - each position was released and its settlement was not confirmed;
     * - no position was cancelled in the {lifecycleRegistry} ({TradeRegistryTradeCancelled}).
     *
     * Emits a {SettlementsConfirmed} event.
     */
    function confirmSettlements(uint64 batch, uint256[] calldata mask, bytes32[] calldata references)
        external
        returns (uint32 settlementId);

    /**
     * @dev Registers the caller's financing of the positions of `mask` on the terms hashed as
     * `termsHash`. A financed verdict cannot be superseded until the financing is discharged.
     * Returns the financing's number.
     *
     * Requirements:
     *
     * - the caller has `BANK_ROLE`;
     * - `termsHash` is not zero;
     * - each position is a match and not superseded;
     * - no earlier financing of a position is still undischarged, whoever registered it;
     * - no position was cancelled ({TradeRegistryTradeCancelled}) or is under a live typed
     *   financing ({TradeRegistryTradeTypedFinanced}) in the {lifecycleRegistry};
     * - `parties` are the {PartyLists} the batch committed to, and no party of a selected
     *   position is listed now ({TradeRegistryPartyListed}).
     *
     * Emits a {FinancingRegistered} event.
     */
    function registerFinancing(uint64 batch, uint256[] calldata mask, bytes32 termsHash, PartyLists calldata parties)
        external
        returns (uint32 financingId);

    /**
     * @dev Discharges financing `financingId` of the positions of `mask`, so they can be
     * financed again.
     *
     * Requirements:
     *
     * - the caller is the bank that registered the financing (even if its `BANK_ROLE` was
     *   revoked since: giving up a claim must never be blocked);
     * - each position is under that financing.
     *
     * Emits a {FinancingDischarged} event.
     */
    function dischargeFinancing(uint32 financingId, uint256[] calldata mask) external;

    /**
     * @dev {releaseTrades} on behalf of `by.signer`, who signed an {Authorization} with action
     * `Release` over the {selectionSubject} of `batch` and `mask`.
     *
     * Requirements:
     *
     * - `block.timestamp` is not after `by.deadline`;
     * - `by.signature` is `by.signer`'s over this subject, `by.nonce` and `by.deadline`;
     * - `by.nonce` is the signer's current nonce (it is then used up);
     * - the signer has `CUSTOMS_ROLE`;
     * - the positions meet the requirements of {releaseTrades}.
     *
     * Emits a {TradesReleased} event naming the signer as customs.
     */
    function releaseTradesWithSig(
        uint64 batch,
        uint256[] calldata mask,
        PartyLists calldata parties,
        SignedBy calldata by
    ) external;

    /**
     * @dev {confirmSettlements} on behalf of `by.signer`, who signed an {Authorization} with action
     * `ConfirmSettlement` over the {selectionSubject} and `keccak256(abi.encodePacked(references))`.
     *
     * Requirements: as {releaseTradesWithSig}, with `BANK_ROLE` and those of {confirmSettlements}.
     *
     * Emits a {SettlementsConfirmed} event naming the signer as the bank.
     */
    function confirmSettlementsWithSig(
        uint64 batch,
        uint256[] calldata mask,
        bytes32[] calldata references,
        SignedBy calldata by
    ) external returns (uint32 settlementId);

    /**
     * @dev {registerFinancing} on behalf of `by.signer`, who signed an {Authorization} with action
     * `RegisterFinancing` over the {selectionSubject} and `termsHash`.
     *
     * Requirements: as {releaseTradesWithSig}, with `BANK_ROLE` and those of {registerFinancing}.
     *
     * Emits a {FinancingRegistered} event naming the signer as the bank.
     */
    function registerFinancingWithSig(
        uint64 batch,
        uint256[] calldata mask,
        bytes32 termsHash,
        PartyLists calldata parties,
        SignedBy calldata by
    ) external returns (uint32 financingId);

    /**
     * @dev {dischargeFinancing} on behalf of `by.signer`, who signed an {Authorization} with action
     * `DischargeFinancing` over the {dischargeSubject} of `financingId` and `mask`.
     *
     * Requirements: as {releaseTradesWithSig} (no role needed, as for {dischargeFinancing}), and
     * those of {dischargeFinancing} with the signer as the caller.
     *
     * Emits a {FinancingDischarged} event.
     */
    function dischargeFinancingWithSig(uint32 financingId, uint256[] calldata mask, SignedBy calldata by) external;

    /**
     * @dev Brings customs' signed standing release policy on chain; anyone may relay it.
     * Returns its id, the EIP-712 digest of `policy`.
     *
     * Requirements:
     *
     * - `signature` is `signer`'s over `policy`, and `signer` has `CUSTOMS_ROLE`;
     * - `grades` names low and/or medium only, `modes` one or more of the four modes;
     * - `validFrom < validUntil` and `validUntil` is in the future;
     * - the policy was not adopted before.
     *
     * Emits a {ReleasePolicyAdopted} event.
     */
    function adoptReleasePolicy(ReleasePolicy calldata policy, address signer, bytes calldata signature)
        external
        returns (bytes32 policyId);

    /**
     * @dev Revokes a policy for good. The caller is its signer or has `CUSTOMS_ROLE`.
     *
     * Emits a {ReleasePolicyRevoked} event.
     */
    function revokeReleasePolicy(bytes32 policyId) external;

    /**
     * @dev {revokeReleasePolicy} on behalf of `by.signer`, who signed an {Authorization} with
     * action `RevokeReleasePolicy`, subject `policyId` and zero data.
     */
    function revokeReleasePolicyWithSig(bytes32 policyId, SignedBy calldata by) external;

    /**
     * @dev Releases the positions of `mask` in `batch` on customs' behalf, under policy
     * `decisions.policyId`, with the facts and inputs hashes of {PolicyDecisions}. Returns the
     * decisions root.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `decisions.verdictRoot` is the batch's root;
     * - the policy was adopted, is not revoked, is in its period, and its signer still has
     *   `CUSTOMS_ROLE`;
     * - one fact per selected position, each within the policy ({TradeRegistryOutsidePolicy});
     * - `decisions.decisionsRoot` is not zero and not used before;
     * - the positions meet the requirements of {releaseTrades}.
     *
     * Emits a {TradesReleased} event naming the policy's signer as customs, and a
     * {TradesReleasedUnderPolicy} event.
     */
    function releaseTradesUnderPolicy(
        uint64 batch,
        uint256[] calldata mask,
        PolicyDecisions calldata decisions,
        PartyLists calldata parties
    ) external returns (bytes32 decisionsRoot);

    /**
     * @dev Returns the id {adoptReleasePolicy} gives `policy`: its EIP-712 digest.
     */
    function releasePolicyId(ReleasePolicy calldata policy) external view returns (bytes32);

    /**
     * @dev Returns an adopted policy, and whether it is in force now (adopted, not revoked, in
     * its period, its signer still customs).
     */
    function releasePolicyOf(bytes32 policyId) external view returns (PolicyRecord memory record, bool inForce);

    /**
     * @dev Returns the policy release whose decisions root is `decisionsRoot`.
     */
    function policyReleaseOf(bytes32 decisionsRoot) external view returns (PolicyRelease memory);

    /**
     * @dev Returns the decision leaf of one position released under a policy, as the anchorer
     * builds its decisions root: `keccak256(bytes.concat(keccak256(abi.encode(batch, position,
     * grade, mode, value, inputsHash))))`, OpenZeppelin's StandardMerkleTree leaf of
     * `(uint64, uint32, uint8, uint8, uint48, bytes32)`. A re-checker proves a trade's
     * decision with it and checks its facts against those the registry checked.
     */
    function decisionLeaf(uint64 batch, uint32 position, uint8 grade, uint8 mode, uint48 value, bytes32 inputsHash)
        external
        pure
        returns (bytes32);

    /**
     * @dev Returns the most verdicts one {recordVerdictBatch} takes (its tree is built in memory).
     */
    function MAX_VERDICTS_PER_BATCH() external view returns (uint256);

    /**
     * @dev Returns how many parties a verdict's {PartyLists} slots name at most (one per document kind).
     */
    function MAX_PARTIES_PER_TRADE() external view returns (uint256);

    /**
     * @dev Returns `keccak256(abi.encode(parties.parties, parties.slots))`: what a verdict batch
     * stores of its {PartyLists}.
     */
    function partiesHash(PartyLists calldata parties) external pure returns (bytes32);

    /**
     * @dev Returns the listing of `partyId` and whether it is in force at this block.
     */
    function listingOf(bytes32 partyId) external view returns (Listing memory listing, bool active);

    /**
     * @dev Returns `keccak256(abi.encode(batch, root, keccak256(abi.encodePacked(mask))))` with
     * `root` the verdict batch's root: what a release, settlement or financing authorization signs.
     */
    function selectionSubject(uint64 batch, uint256[] calldata mask) external view returns (bytes32);

    /**
     * @dev Returns `keccak256(abi.encode(financingId, keccak256(abi.encodePacked(mask))))`: what a
     * discharge authorization signs.
     */
    function dischargeSubject(uint32 financingId, uint256[] calldata mask) external pure returns (bytes32);

    /**
     * @dev Returns the leaf hash of a verdict: the StandardMerkleTree leaf of
     * `(uint64 batch, uint32 position, bytes32 tradeId, bytes32 verdictHash, bool matched)`.
     */
    function verdictLeaf(VerdictLeaf calldata leaf) external pure returns (bytes32);

    /**
     * @dev Returns the leaf hash of a settlement reference: the StandardMerkleTree leaf of
     * `(uint64 batch, uint32 position, bytes32 settlementRef)`.
     */
    function settlementLeaf(uint64 batch, uint32 position, bytes32 settlementRef) external pure returns (bytes32);

    /**
     * @dev Returns the nonce the next {Authorization} of `owner` must carry.
     */
    function nonces(address owner) external view returns (uint256);

    /**
     * @dev Returns the EIP-712 domain separator of this registry on this chain.
     */
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /**
     * @dev Returns the document batch anchored under `root`; all fields are zero when there is none.
     */
    function batchOf(bytes32 root) external view returns (Batch memory);

    /**
     * @dev Returns the revocation or supersession status of `documentHash`, its successor and the block.
     */
    function documentStatus(bytes32 documentHash)
        external
        view
        returns (DocumentStatus status, bytes32 successor, uint64 statusBlock);

    /**
     * @dev Settles a document in one call: computes the root from `documentHash` and `proof`
     * (OpenZeppelin leaf encoding, sorted pairs) and returns that root's anchoring and the
     * document's status. `anchored` is false for a wrong proof or an unknown root.
     */
    function verifyDocument(bytes32 documentHash, bytes32[] calldata proof)
        external
        view
        returns (DocumentCheck memory);

    /**
     * @dev Returns the number of verdict batches recorded so far (the last batch's number).
     */
    function verdictBatchCount() external view returns (uint64);

    /**
     * @dev Returns verdict batch `batch`; all fields are zero when there is none.
     */
    function verdictBatchOf(uint64 batch) external view returns (VerdictBatch memory);

    /**
     * @dev Returns the state and financing of the position, without a proof of which trade it is.
     */
    function tradeAt(uint64 batch, uint32 position) external view returns (TradeState state, uint32 financingId);

    /**
     * @dev Settles a trade's verdict in one call: checks `leaf` against its batch's root along
     * `proof` and returns the batch's anchoring, the position's state and open financing.
     * `anchored` is false and `state` is `None` for a wrong proof or an unknown batch.
     */
    function verifyVerdict(VerdictLeaf calldata leaf, bytes32[] calldata proof)
        external
        view
        returns (VerdictCheck memory);

    /**
     * @dev Returns settlement `settlementId`; all fields are zero when there is none.
     */
    function settlementOf(uint32 settlementId) external view returns (Settlement memory);

    /**
     * @dev Returns financing `financingId`; all fields are zero when there is none.
     */
    function financingOf(uint32 financingId) external view returns (Financing memory);

    /**
     * @dev Returns whether settlement `settlementId` settled position `position` of its verdict
     * batch under `reference`: the leaf is in its root along `proof` and the position is settled.
     */
    function verifySettlement(uint32 settlementId, uint32 position, bytes32 settlementRef, bytes32[] calldata proof)
        external
        view
        returns (bool);
}

/**
 * @dev What {ITradeRegistry} asks of the LifecycleRegistry it consults (see
 * {ITradeRegistry-setLifecycleRegistry}).
 */
interface ITradeLifecycleGuard {
    /**
     * @dev Returns the trade registry this registry follows for roles and trade states.
     */
    function tradeRegistry() external view returns (address);

    /**
     * @dev Returns the first position selected by `mask` (bit `i` of word `w` is position
     * `256 * w + i`) of verdict batch `batch` that customs cancelled, and the first under a
     * live typed financing; each is `type(uint256).max` when there is none. One storage read
     * per mask word and kind: cancelled and financed positions are bitmasks of the same layout.
     */
    function blockedIn(uint64 batch, uint256[] calldata mask)
        external
        view
        returns (uint256 firstCancelled, uint256 firstFinanced);
}

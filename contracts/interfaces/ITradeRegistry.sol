// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev External interface of {TradeRegistry}: Merkle roots of signed trade documents
 * (orders, payments, waybills, inventories), their revocation or supersession, and the
 * per-trade state machine verdict → release → settlement, with financing on the side.
 *
 * Release, settlement and financing can also be relayed by anyone with the acting party's
 * EIP-712 signature (domain name "sandan TradeRegistry", version "1") over the typed struct
 *
 *     Authorization(uint8 action,bytes32 tradesRoot,bytes32 data,uint256 nonce,uint256 deadline)
 *
 * where `action` is an {AuthorizationAction}, `tradesRoot` the OpenZeppelin StandardMerkleTree
 * root of the trade ids (`bytes32` leaves; for one trade its leaf hash), `data` the settlement
 * reference or financing terms hash (zero for release and discharge), `nonce` the signer's
 * current {nonces} value and `deadline` the last valid `block.timestamp`.
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

    /// @dev Where a trade stands. `None` means no verdict was ever recorded.
    enum TradeState {
        None,
        Mismatched,
        Matched,
        Released,
        Settled
    }

    /// @dev What an {Authorization} lets a relayer do. `None` is never signed.
    enum AuthorizationAction {
        None,
        Release,
        ConfirmSettlement,
        RegisterFinancing,
        DischargeFinancing
    }

    /// @dev An anchored batch. `blockNumber` is zero when the root was never anchored.
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

    /// @dev Full record of a trade. Block numbers are zero for steps not taken.
    struct TradeRecord {
        TradeState state;
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
     * @dev A trade id is zero.
     */
    error TradeRegistryZeroTradeId();

    /**
     * @dev A verdict hash is zero.
     * @param tradeId Trade the verdict was for.
     */
    error TradeRegistryZeroVerdictHash(bytes32 tradeId);

    /**
     * @dev No verdict was ever recorded for the trade.
     * @param tradeId Unknown trade.
     */
    error TradeRegistryUnknownTrade(bytes32 tradeId);

    /**
     * @dev The trade's current verdict is a mismatch.
     * @param tradeId Trade concerned.
     * @param verdictHash Hash of the current (mismatched) verdict.
     */
    error TradeRegistryTradeNotMatched(bytes32 tradeId, bytes32 verdictHash);

    /**
     * @dev The trade was released before, so its verdict is final and it cannot be released again.
     * @param tradeId Trade concerned.
     * @param releasedBlock Block in which it was released.
     */
    error TradeRegistryTradeAlreadyReleased(bytes32 tradeId, uint64 releasedBlock);

    /**
     * @dev A release, settlement or financing names a verdict that is not the trade's current one.
     * @param tradeId Trade concerned.
     * @param verdictHash The trade's current verdict.
     * @param claimed The verdict the call was judged on.
     */
    error TradeRegistryVerdictChanged(bytes32 tradeId, bytes32 verdictHash, bytes32 claimed);

    /**
     * @dev The trade is financed on its current verdict: no new verdict until it is discharged.
     * @param tradeId Trade concerned.
     * @param financier The bank whose financing is open.
     */
    error TradeRegistryTradeFinanced(bytes32 tradeId, address financier);

    /**
     * @dev Settlement needs a released trade.
     * @param tradeId Trade concerned.
     */
    error TradeRegistryTradeNotReleased(bytes32 tradeId);

    /**
     * @dev A settlement reference is zero.
     * @param tradeId Trade concerned.
     */
    error TradeRegistryZeroSettlementRef(bytes32 tradeId);

    /**
     * @dev Settlement of the trade was confirmed before.
     * @param tradeId Trade concerned.
     * @param settlementRef Reference recorded by the first confirmation.
     */
    error TradeRegistrySettlementAlreadyConfirmed(bytes32 tradeId, bytes32 settlementRef);

    /**
     * @dev A financing terms hash is zero.
     * @param tradeId Trade concerned.
     */
    error TradeRegistryZeroTermsHash(bytes32 tradeId);

    /**
     * @dev The trade carries a financing that was not discharged, whoever asks for another.
     * @param tradeId Trade concerned.
     * @param financier Bank holding the current financing.
     */
    error TradeRegistryAlreadyFinanced(bytes32 tradeId, address financier);

    /**
     * @dev The trade carries no financing to discharge.
     * @param tradeId Trade concerned.
     */
    error TradeRegistryNotFinanced(bytes32 tradeId);

    /**
     * @dev Only the bank that registered a financing can discharge it.
     * @param tradeId Trade concerned.
     * @param financier Bank holding the financing.
     * @param caller Account that tried to discharge it.
     */
    error TradeRegistryNotFinancier(bytes32 tradeId, address financier, address caller);

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
     * @dev Emitted when a match verdict is recorded; `verdictCount` counts the trade's verdicts so far.
     */
    event VerdictRecorded(bytes32 indexed tradeId, bytes32 indexed verdictHash, bool matched, uint32 verdictCount);

    /**
     * @dev Emitted when customs releases a matched trade.
     */
    event TradeReleased(bytes32 indexed tradeId, bytes32 indexed verdictHash, address indexed customs);

    /**
     * @dev Emitted when a bank confirms the settlement of a released trade.
     */
    event SettlementConfirmed(
        bytes32 indexed tradeId, bytes32 indexed verdictHash, bytes32 indexed settlementRef, address bank
    );

    /**
     * @dev Emitted when a bank registers financing of a matched trade.
     */
    event FinancingRegistered(
        bytes32 indexed tradeId, bytes32 indexed verdictHash, address indexed financier, bytes32 termsHash
    );

    /**
     * @dev Emitted when the financing bank discharges its financing of a trade.
     */
    event FinancingDischarged(bytes32 indexed tradeId, address indexed financier);

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
     * @dev Records the match verdict of trade `tradeId`; a newer verdict replaces an older one.
     *
     * Requirements:
     *
     * - the caller has `ANCHORER_ROLE`;
     * - `tradeId` and `verdictHash` are not zero;
     * - the trade was not released, and is not financed: a bank lent on the verdict it named,
     *   which must stay the trade's verdict until the financing is discharged.
     *
     * Emits a {VerdictRecorded} event.
     */
    function recordVerdict(bytes32 tradeId, bytes32 verdictHash, bool matched) external;

    /**
     * @dev Records several verdicts in one transaction, as {recordVerdict} does for each.
     *
     * Requirements:
     *
     * - the three arrays have the same length;
     * - each entry meets the requirements of {recordVerdict}.
     *
     * Emits a {VerdictRecorded} event per entry.
     */
    function recordVerdicts(bytes32[] calldata tradeIds, bytes32[] calldata verdictHashes, bool[] calldata matched)
        external;

    /**
     * @dev Releases trade `tradeId` (customs clearance, 放行) on the verdict `verdictHash`
     * customs judged. The verdict commits to the hashes of the documents it matched, so a
     * release names exactly the documents it cleared, and no later version can inherit it.
     *
     * Requirements:
     *
     * - the caller has `CUSTOMS_ROLE`;
     * - the trade has a verdict, it is a match, it is `verdictHash`, and the trade was not
     *   released.
     *
     * Emits a {TradeReleased} event.
     */
    function release(bytes32 tradeId, bytes32 verdictHash) external;

    /**
     * @dev Releases several trades in one transaction, as {release} does for each pair of
     * `tradeIds[i]` and `verdictHashes[i]`.
     *
     * Requirements:
     *
     * - the two arrays have the same length;
     * - each trade meets the requirements of {release}.
     *
     * Emits a {TradeReleased} event per trade.
     */
    function releaseBatch(bytes32[] calldata tradeIds, bytes32[] calldata verdictHashes) external;

    /**
     * @dev Confirms the settlement of released trade `tradeId`, released on the verdict
     * `verdictHash`, under bank reference `settlementRef`.
     *
     * Requirements:
     *
     * - the caller has `BANK_ROLE`;
     * - `settlementRef` is not zero;
     * - the trade was released on `verdictHash` and its settlement was not confirmed.
     *
     * Emits a {SettlementConfirmed} event.
     */
    function confirmSettlement(bytes32 tradeId, bytes32 verdictHash, bytes32 settlementRef) external;

    /**
     * @dev Registers the caller's financing of trade `tradeId`, judged on the verdict
     * `verdictHash`, on the terms hashed as `termsHash`. The verdict cannot change until the
     * financing is discharged (see {recordVerdict}).
     *
     * Requirements:
     *
     * - the caller has `BANK_ROLE`;
     * - `termsHash` is not zero;
     * - the trade's current verdict is `verdictHash` and a match;
     * - no earlier financing of the trade is still undischarged, whoever registered it.
     *
     * Emits a {FinancingRegistered} event.
     */
    function registerFinancing(bytes32 tradeId, bytes32 verdictHash, bytes32 termsHash) external;

    /**
     * @dev Discharges the financing of trade `tradeId`, so the trade can be financed again.
     *
     * Requirements:
     *
     * - the caller is the bank that registered the financing (even if its `BANK_ROLE` was
     *   revoked since: giving up a claim must never be blocked).
     *
     * Emits a {FinancingDischarged} event.
     */
    function dischargeFinancing(bytes32 tradeId) external;

    /**
     * @dev Releases the trades `tradeIds` on the verdicts `verdictHashes` on behalf of `signer`,
     * who signed an {Authorization} with action `Release` over the StandardMerkleTree root of
     * their {tradeVerdictKey}s. The leaves, in the order of `tradeIds`, must rebuild that root
     * along `proofFlags` with no proof hashes (OpenZeppelin `MerkleProof.processMultiProof` with
     * an empty proof): the call covers exactly the signed set.
     *
     * Requirements:
     *
     * - `block.timestamp` is not after `deadline`;
     * - `signature` is `signer`'s, over these trades, `nonce` and `deadline`;
     * - `nonce` is `signer`'s current nonce (it is then used up);
     * - `signer` has `CUSTOMS_ROLE`;
     * - each trade meets the requirements of {release}.
     *
     * Emits a {TradeReleased} event per trade, naming `signer` as customs.
     */
    function releaseWithSig(
        address signer,
        bytes32[] calldata tradeIds,
        bytes32[] calldata verdictHashes,
        bool[] calldata proofFlags,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @dev Confirms the settlement of trade `tradeId`, released on `verdictHash`, under
     * `settlementRef` on behalf of `signer`, who signed an {Authorization} with action
     * `ConfirmSettlement` whose `tradesRoot` is the leaf of the trade's {tradeVerdictKey}.
     *
     * Requirements:
     *
     * - `block.timestamp` is not after `deadline`;
     * - `signature` is `signer`'s, over this trade and verdict, `settlementRef`, `nonce` and
     *   `deadline`;
     * - `nonce` is `signer`'s current nonce (it is then used up);
     * - `signer` has `BANK_ROLE`;
     * - the trade meets the requirements of {confirmSettlement}.
     *
     * Emits a {SettlementConfirmed} event naming `signer` as the bank.
     */
    function confirmSettlementWithSig(
        address signer,
        bytes32 tradeId,
        bytes32 verdictHash,
        bytes32 settlementRef,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @dev Registers `signer`'s financing of trade `tradeId`, judged on `verdictHash`, on the
     * terms hashed as `termsHash`; `signer` signed an {Authorization} with action
     * `RegisterFinancing` whose `tradesRoot` is the leaf of the trade's {tradeVerdictKey}.
     *
     * Requirements:
     *
     * - `block.timestamp` is not after `deadline`;
     * - `signature` is `signer`'s, over this trade and verdict, `termsHash`, `nonce` and
     *   `deadline`;
     * - `nonce` is `signer`'s current nonce (it is then used up);
     * - `signer` has `BANK_ROLE`;
     * - the trade meets the requirements of {registerFinancing}.
     *
     * Emits a {FinancingRegistered} event naming `signer` as the financier.
     */
    function registerFinancingWithSig(
        address signer,
        bytes32 tradeId,
        bytes32 verdictHash,
        bytes32 termsHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @dev Discharges `signer`'s financing of trade `tradeId`; `signer` signed an {Authorization}
     * with action `DischargeFinancing`.
     *
     * Requirements:
     *
     * - `block.timestamp` is not after `deadline`;
     * - `signature` is `signer`'s, over this trade, `nonce` and `deadline`;
     * - `nonce` is `signer`'s current nonce (it is then used up);
     * - `signer` is the bank that registered the financing (no role needed, as for
     *   {dischargeFinancing}: giving up a claim must never be blocked).
     *
     * Emits a {FinancingDischarged} event.
     */
    function dischargeFinancingWithSig(
        address signer,
        bytes32 tradeId,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /**
     * @dev Returns `keccak256(abi.encode(tradeId, verdictHash))`: the value whose StandardMerkleTree
     * leaf a release, settlement or financing {Authorization} signs, so the signature names the
     * verdict (and through it the documents) it was judged on.
     */
    function tradeVerdictKey(bytes32 tradeId, bytes32 verdictHash) external pure returns (bytes32);

    /**
     * @dev Returns the nonce the next {Authorization} of `owner` must carry.
     */
    function nonces(address owner) external view returns (uint256);

    /**
     * @dev Returns the EIP-712 domain separator of this registry on this chain.
     */
    function DOMAIN_SEPARATOR() external view returns (bytes32);

    /**
     * @dev Returns the batch anchored under `root`; all fields are zero when there is none.
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
     * @dev Returns the full record of trade `tradeId`; `state` is `None` for an unknown trade.
     */
    function tradeOf(bytes32 tradeId) external view returns (TradeRecord memory);
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev External interface of {PartyRegistry}: who the parties of sandan are, which roles
 * they held in which blocks, which signing keys they used in which blocks, and which chain
 * accounts act for them.
 *
 * A verifier settles a document anchored in block `B`, signed with key `K` by party `P`,
 * with one {signerAt} call: the key must belong to `P`, be valid before `B`
 * (`validFromBlock < B`), not be revoked from `B` on (`revokedFromBlock == 0 || B < revokedFromBlock`),
 * and `rolesAtBlock` must hold a role allowed to sign the document's type.
 *
 * Identities are hashes of sandan's own identifiers: `partyId = keccak256(bytes(code))`,
 * `keyHash = keccak256(bytes(keyId))`, `publicKeyHash = keccak256(bytes(publicKey))`.
 * Roles are bit indexes (`mask = 1 << role`) in the order of sandan's roles: platform 0,
 * payment 1, logistics 2, customs 3, bank 4, producer 5, inspector 6, warehouse 7, regulator 8.
 *
 * This file is the single source of truth for the registry's types, errors and events.
 */
interface IPartyRegistry {
    /// @dev Signature algorithm of a registered key. `None` marks an unknown key.
    enum KeyAlgorithm {
        None,
        Ed25519,
        ES256,
        ES256K,
        SM2
    }

    /// @dev A registered party. `registeredBlock` is zero for an unknown party.
    struct PartyView {
        bytes32 recordHash;
        uint64 registeredBlock;
        uint64 recordBlock;
        uint256 roles;
    }

    /// @dev A registered key. `validFromBlock` is zero for an unknown key; revocation blocks are zero until revoked.
    struct KeyView {
        bytes32 partyId;
        uint8 alg;
        bytes32 publicKeyHash;
        uint64 validFromBlock;
        uint64 revokedFromBlock;
        uint64 revocationBlock;
    }

    /// @dev A key as a verifier sees it at one block, with the roles its party held then.
    struct SignerView {
        bytes32 partyId;
        uint8 alg;
        bytes32 publicKeyHash;
        uint64 validFromBlock;
        uint64 revokedFromBlock;
        uint256 rolesAtBlock;
    }

    /**
     * @dev A party id is zero.
     */
    error PartyRegistryZeroPartyId();

    /**
     * @dev The party id is not the hash of the party code given with it.
     * @param partyId Party id given.
     */
    error PartyRegistryCodeMismatch(bytes32 partyId);

    /**
     * @dev The party was registered before; a party is registered once.
     * @param partyId Party concerned.
     */
    error PartyRegistryPartyAlreadyRegistered(bytes32 partyId);

    /**
     * @dev The party was never registered.
     * @param partyId Party concerned.
     */
    error PartyRegistryUnknownParty(bytes32 partyId);

    /**
     * @dev A role index is beyond the 64 roles the registry can hold.
     * @param role Role index given.
     */
    error PartyRegistryInvalidRole(uint256 role);

    /**
     * @dev The party holds the role already.
     * @param partyId Party concerned.
     * @param role Role index.
     */
    error PartyRegistryRoleAlreadyGranted(bytes32 partyId, uint8 role);

    /**
     * @dev The party does not hold the role.
     * @param partyId Party concerned.
     * @param role Role index.
     */
    error PartyRegistryRoleNotGranted(bytes32 partyId, uint8 role);

    /**
     * @dev The key was registered before; a key is registered once, for one party.
     * @param keyHash Key concerned.
     */
    error PartyRegistryKeyAlreadyRegistered(bytes32 keyHash);

    /**
     * @dev The public key is registered under another key id already (maybe another party's,
     * maybe revoked): one public key names one signer, for good.
     * @param publicKeyHash Hash of the public key text.
     * @param keyHash The key id it is registered under.
     */
    error PartyRegistryPublicKeyTaken(bytes32 publicKeyHash, bytes32 keyHash);

    /**
     * @dev The key was never registered.
     * @param keyHash Key concerned.
     */
    error PartyRegistryUnknownKey(bytes32 keyHash);

    /**
     * @dev The algorithm code is not one of {KeyAlgorithm} (other than `None`).
     * @param alg Algorithm code given.
     */
    error PartyRegistryUnknownAlgorithm(uint8 alg);

    /**
     * @dev The key was revoked before; a key is revoked once.
     * @param keyHash Key concerned.
     */
    error PartyRegistryKeyAlreadyRevoked(bytes32 keyHash);

    /**
     * @dev A revocation cannot date back before the key was valid, nor lie in the future.
     * @param keyHash Key concerned.
     * @param blockNumber The `compromisedSinceBlock` given.
     */
    error PartyRegistryInvalidRevocationBlock(bytes32 keyHash, uint64 blockNumber);

    /**
     * @dev An account is the zero address.
     */
    error PartyRegistryZeroAccount();

    /**
     * @dev The account acts for a party already; remove it first.
     * @param account Account concerned.
     * @param partyId Party it acts for.
     */
    error PartyRegistryAccountAlreadyAdded(address account, bytes32 partyId);

    /**
     * @dev The account acts for no party.
     * @param account Account concerned.
     */
    error PartyRegistryUnknownAccount(address account);

    /**
     * @dev Emitted when a party is registered with its code, record hash and initial roles.
     */
    event PartyRegistered(bytes32 indexed partyId, string code, bytes32 recordHash, uint256 roles);

    /**
     * @dev Emitted when a party's record hash changes.
     */
    event PartyRecordUpdated(bytes32 indexed partyId, bytes32 recordHash);

    /**
     * @dev Emitted when a party is granted a role, outside {registerParty}.
     */
    event PartyRoleGranted(bytes32 indexed partyId, uint8 indexed role);

    /**
     * @dev Emitted when a party loses a role.
     */
    event PartyRoleRevoked(bytes32 indexed partyId, uint8 indexed role);

    /**
     * @dev Emitted when a signing key is registered for a party, with its public key text.
     */
    event KeyAdded(bytes32 indexed partyId, bytes32 indexed keyHash, uint8 alg, string publicKey);

    /**
     * @dev Emitted when a key is revoked: signatures from block `revokedFromBlock` on are invalid.
     */
    event KeyRevoked(bytes32 indexed keyHash, bytes32 indexed partyId, uint64 revokedFromBlock, string reason);

    /**
     * @dev Emitted when a chain account starts acting for a party.
     */
    event AccountAdded(bytes32 indexed partyId, address indexed account);

    /**
     * @dev Emitted when a chain account stops acting for a party.
     */
    event AccountRemoved(bytes32 indexed partyId, address indexed account);

    /**
     * @dev Registers party `partyId` (the hash of `code`) with its `recordHash` and the `roles`
     * bitmask; each role's span starts in this block.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - `partyId` is not zero and equals `keccak256(bytes(code))`;
     * - the party was never registered;
     * - `roles` has no bit at or above 64.
     *
     * Emits a {PartyRegistered} event.
     */
    function registerParty(bytes32 partyId, string calldata code, bytes32 recordHash, uint256 roles) external;

    /**
     * @dev Replaces the record hash of party `partyId`.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the party is registered.
     *
     * Emits a {PartyRecordUpdated} event.
     */
    function updateRecord(bytes32 partyId, bytes32 recordHash) external;

    /**
     * @dev Grants `role` to party `partyId` from this block on. A party keeps one span per
     * role: a grant after a revocation starts a new span (`sinceBlock` = now, `untilBlock` = 0)
     * and forgets the earlier one.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the party is registered, `role` is below 64 and not held.
     *
     * Emits a {PartyRoleGranted} event.
     */
    function grantPartyRole(bytes32 partyId, uint8 role) external;

    /**
     * @dev Revokes `role` from party `partyId` from this block on (its span ends here).
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the party is registered and holds `role`.
     *
     * Emits a {PartyRoleRevoked} event.
     */
    function revokePartyRole(bytes32 partyId, uint8 role) external;

    /**
     * @dev Registers key `keyHash` of party `partyId`: algorithm `alg` and the hash of
     * `publicKey`; the key is valid for documents anchored after this block.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the party is registered;
     * - the key was never registered;
     * - `publicKey` was never registered, under any key id, by any party (revoked keys
     *   included), so a party cannot claim another's public key as its own;
     * - `alg` is a {KeyAlgorithm} other than `None`.
     *
     * Emits a {KeyAdded} event.
     */
    function addKey(bytes32 partyId, bytes32 keyHash, uint8 alg, string calldata publicKey) external;

    /**
     * @dev Revokes key `keyHash`, with effect from `compromisedSinceBlock` (this block when zero):
     * documents anchored in that block or later no longer verify with it.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the key is registered and not revoked;
     * - a non-zero `compromisedSinceBlock` is neither before the key's `validFromBlock` nor after this block.
     *
     * Emits a {KeyRevoked} event.
     */
    function revokeKey(bytes32 keyHash, uint64 compromisedSinceBlock, string calldata reason) external;

    /**
     * @dev Records that chain account `account` acts for party `partyId` from this block on.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - the party is registered;
     * - `account` is not zero and acts for no party.
     *
     * Emits an {AccountAdded} event.
     */
    function addAccount(bytes32 partyId, address account) external;

    /**
     * @dev Records that `account` no longer acts for its party.
     *
     * Requirements:
     *
     * - the caller has `REGISTRAR_ROLE`;
     * - `account` acts for a party.
     *
     * Emits an {AccountRemoved} event.
     */
    function removeAccount(address account) external;

    /**
     * @dev Returns party `partyId` with its current roles; all fields are zero for an unknown party.
     */
    function partyOf(bytes32 partyId) external view returns (PartyView memory);

    /**
     * @dev Returns the span of `role` for party `partyId`: granted in `sinceBlock` (zero: never),
     * revoked in `untilBlock` (zero: still held).
     */
    function roleSpan(bytes32 partyId, uint8 role) external view returns (uint64 sinceBlock, uint64 untilBlock);

    /**
     * @dev Returns key `keyHash`; all fields are zero for an unknown key.
     */
    function keyOf(bytes32 keyHash) external view returns (KeyView memory);

    /**
     * @dev Returns key `keyHash` with the roles its party held in block `blockNumber`: each role
     * with `sinceBlock != 0 && sinceBlock <= blockNumber && (untilBlock == 0 || blockNumber < untilBlock)`.
     * All fields are zero for an unknown key.
     */
    function signerAt(bytes32 keyHash, uint64 blockNumber) external view returns (SignerView memory);

    /**
     * @dev Returns the party `account` acts for and the block it started; zeros when none.
     */
    function accountOf(address account) external view returns (bytes32 partyId, uint64 sinceBlock);
}

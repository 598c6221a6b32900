// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IPartyRegistry} from "./interfaces/IPartyRegistry.sol";

/**
 * @dev Records sandan's parties, the block spans of their roles, their signing keys with
 * validity and revocation blocks, and the chain accounts acting for them, so a verifier can
 * tell from the chain alone whether a key could sign a document anchored in a given block.
 *
 * Storage is packed for cost: a party is two slots (record hash; blocks and role masks),
 * a key three (party, public key hash; algorithm and blocks), a role span one. The roles a
 * party is registered with write no span: an unwritten span of a role the party ever held
 * reads as starting in `registeredBlock`. Party codes and public key texts only travel in
 * events; the registry keeps their hashes.
 */
contract PartyRegistry is IPartyRegistry, AccessControl, Multicall {
    /// @dev Role of the sandan service account: registers parties, roles, keys and accounts.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @dev Role masks are stored in 64 bits, so role indexes stop below this.
    uint256 private constant _ROLE_LIMIT = 64;

    struct PartyEntry {
        bytes32 recordHash;
        uint64 registeredBlock;
        uint64 recordBlock;
        uint64 roles;
        // Every role that ever had a span: {signerAt} reads only these spans, and an unwritten
        // span among them is one the party was registered with.
        uint64 everGranted;
    }

    struct RoleSpan {
        uint64 sinceBlock;
        uint64 untilBlock;
    }

    struct KeyEntry {
        bytes32 partyId;
        bytes32 publicKeyHash;
        KeyAlgorithm alg;
        uint64 validFromBlock;
        uint64 revokedFromBlock;
        uint64 revocationBlock;
    }

    struct AccountEntry {
        bytes32 partyId;
        uint64 sinceBlock;
    }

    mapping(bytes32 partyId => PartyEntry) private _parties;
    mapping(bytes32 partyId => mapping(uint8 role => RoleSpan)) private _spans;
    mapping(bytes32 keyHash => KeyEntry) private _keys;
    mapping(address account => AccountEntry) private _accounts;
    mapping(bytes32 publicKeyHash => bytes32 keyHash) private _keyOfPublicKey;

    /// @dev Grants `DEFAULT_ADMIN_ROLE` to the deployer, who then grants `REGISTRAR_ROLE`.
    constructor() {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
    }

    /// @inheritdoc IPartyRegistry
    function registerParty(bytes32 partyId, string calldata code, bytes32 recordHash, uint256 roles)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (partyId == bytes32(0)) revert PartyRegistryZeroPartyId();
        if (keccak256(bytes(code)) != partyId) revert PartyRegistryCodeMismatch(partyId);
        if (_parties[partyId].registeredBlock != 0) revert PartyRegistryPartyAlreadyRegistered(partyId);
        if (roles >> _ROLE_LIMIT != 0) revert PartyRegistryInvalidRole(Math.log2(roles));
        uint64 mask = uint64(roles);
        uint64 blockNumber = uint64(block.number);
        _parties[partyId] = PartyEntry(recordHash, blockNumber, blockNumber, mask, mask);
        emit PartyRegistered(partyId, code, recordHash, roles);
    }

    /// @inheritdoc IPartyRegistry
    function updateRecord(bytes32 partyId, bytes32 recordHash) external onlyRole(REGISTRAR_ROLE) {
        PartyEntry storage party = _requireParty(partyId);
        party.recordHash = recordHash;
        party.recordBlock = uint64(block.number);
        emit PartyRecordUpdated(partyId, recordHash);
    }

    /// @inheritdoc IPartyRegistry
    function grantPartyRole(bytes32 partyId, uint8 role) external onlyRole(REGISTRAR_ROLE) {
        PartyEntry storage party = _requireParty(partyId);
        uint64 bit = _bit(role);
        if (party.roles & bit != 0) revert PartyRegistryRoleAlreadyGranted(partyId, role);
        party.roles |= bit;
        party.everGranted |= bit;
        _spans[partyId][role] = RoleSpan(uint64(block.number), 0);
        emit PartyRoleGranted(partyId, role);
    }

    /// @inheritdoc IPartyRegistry
    function revokePartyRole(bytes32 partyId, uint8 role) external onlyRole(REGISTRAR_ROLE) {
        PartyEntry storage party = _requireParty(partyId);
        uint64 bit = _bit(role);
        if (party.roles & bit == 0) revert PartyRegistryRoleNotGranted(partyId, role);
        party.roles &= ~bit;
        (uint64 since,) = _spanOf(party, partyId, role);
        _spans[partyId][role] = RoleSpan(since, uint64(block.number));
        emit PartyRoleRevoked(partyId, role);
    }

    /// @inheritdoc IPartyRegistry
    function addKey(bytes32 partyId, bytes32 keyHash, uint8 alg, string calldata publicKey)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        _requireParty(partyId);
        if (_keys[keyHash].validFromBlock != 0) revert PartyRegistryKeyAlreadyRegistered(keyHash);
        if (alg == 0 || alg > uint8(type(KeyAlgorithm).max)) revert PartyRegistryUnknownAlgorithm(alg);
        bytes32 publicKeyHash = keccak256(bytes(publicKey));
        bytes32 holder = _keyOfPublicKey[publicKeyHash];
        if (holder != bytes32(0)) revert PartyRegistryPublicKeyTaken(publicKeyHash, holder);
        _keyOfPublicKey[publicKeyHash] = keyHash;
        _keys[keyHash] = KeyEntry(partyId, publicKeyHash, KeyAlgorithm(alg), uint64(block.number), 0, 0);
        emit KeyAdded(partyId, keyHash, alg, publicKey);
    }

    /// @inheritdoc IPartyRegistry
    function revokeKey(bytes32 keyHash, uint64 compromisedSinceBlock, string calldata reason)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        KeyEntry storage key = _keys[keyHash];
        uint64 validFrom = key.validFromBlock;
        if (validFrom == 0) revert PartyRegistryUnknownKey(keyHash);
        if (key.revocationBlock != 0) revert PartyRegistryKeyAlreadyRevoked(keyHash);
        uint64 blockNumber = uint64(block.number);
        uint64 revokedFrom = compromisedSinceBlock == 0 ? blockNumber : compromisedSinceBlock;
        if (revokedFrom < validFrom || revokedFrom > blockNumber) {
            revert PartyRegistryInvalidRevocationBlock(keyHash, compromisedSinceBlock);
        }
        key.revokedFromBlock = revokedFrom;
        key.revocationBlock = blockNumber;
        emit KeyRevoked(keyHash, key.partyId, revokedFrom, reason);
    }

    /// @inheritdoc IPartyRegistry
    function addAccount(bytes32 partyId, address account) external onlyRole(REGISTRAR_ROLE) {
        _requireParty(partyId);
        if (account == address(0)) revert PartyRegistryZeroAccount();
        bytes32 current = _accounts[account].partyId;
        if (current != bytes32(0)) revert PartyRegistryAccountAlreadyAdded(account, current);
        _accounts[account] = AccountEntry(partyId, uint64(block.number));
        emit AccountAdded(partyId, account);
    }

    /// @inheritdoc IPartyRegistry
    function removeAccount(address account) external onlyRole(REGISTRAR_ROLE) {
        bytes32 partyId = _accounts[account].partyId;
        if (partyId == bytes32(0)) revert PartyRegistryUnknownAccount(account);
        delete _accounts[account];
        emit AccountRemoved(partyId, account);
    }

    /// @inheritdoc IPartyRegistry
    function partyOf(bytes32 partyId) external view returns (PartyView memory) {
        PartyEntry storage party = _parties[partyId];
        return PartyView(party.recordHash, party.registeredBlock, party.recordBlock, party.roles);
    }

    /// @inheritdoc IPartyRegistry
    function roleSpan(bytes32 partyId, uint8 role) external view returns (uint64 sinceBlock, uint64 untilBlock) {
        return _spanOf(_parties[partyId], partyId, role);
    }

    /// @inheritdoc IPartyRegistry
    function keyOf(bytes32 keyHash) external view returns (KeyView memory) {
        KeyEntry storage key = _keys[keyHash];
        return KeyView(
            key.partyId,
            uint8(key.alg),
            key.publicKeyHash,
            key.validFromBlock,
            key.revokedFromBlock,
            key.revocationBlock
        );
    }

    /// @inheritdoc IPartyRegistry
    function signerAt(bytes32 keyHash, uint64 blockNumber) external view returns (SignerView memory signer) {
        KeyEntry storage key = _keys[keyHash];
        signer.partyId = key.partyId;
        signer.alg = uint8(key.alg);
        signer.publicKeyHash = key.publicKeyHash;
        signer.validFromBlock = key.validFromBlock;
        signer.revokedFromBlock = key.revokedFromBlock;
        if (signer.validFromBlock != 0) signer.rolesAtBlock = _rolesAt(signer.partyId, blockNumber);
    }

    /// @inheritdoc IPartyRegistry
    function accountOf(address account) external view returns (bytes32 partyId, uint64 sinceBlock) {
        AccountEntry storage entry = _accounts[account];
        return (entry.partyId, entry.sinceBlock);
    }

    function _rolesAt(bytes32 partyId, uint64 blockNumber) private view returns (uint256 held) {
        PartyEntry storage party = _parties[partyId];
        uint64 candidates = party.everGranted;
        for (uint8 role = 0; candidates >> role != 0; ++role) {
            if ((candidates >> role) & 1 == 0) continue;
            (uint64 since, uint64 until) = _spanOf(party, partyId, role);
            if (since != 0 && since <= blockNumber && (until == 0 || blockNumber < until)) held |= 1 << role;
        }
    }

    function _spanOf(PartyEntry storage party, bytes32 partyId, uint8 role)
        private
        view
        returns (uint64 sinceBlock, uint64 untilBlock)
    {
        RoleSpan storage span = _spans[partyId][role];
        (sinceBlock, untilBlock) = (span.sinceBlock, span.untilBlock);
        bool registeredWith = (party.everGranted >> role) & 1 != 0;
        if (sinceBlock == 0 && registeredWith) sinceBlock = party.registeredBlock;
    }

    function _requireParty(bytes32 partyId) private view returns (PartyEntry storage party) {
        party = _parties[partyId];
        if (party.registeredBlock == 0) revert PartyRegistryUnknownParty(partyId);
    }

    function _bit(uint8 role) private pure returns (uint64) {
        if (role >= _ROLE_LIMIT) revert PartyRegistryInvalidRole(role);
        return uint64(1) << role;
    }
}

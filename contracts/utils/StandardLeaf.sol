// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev Leaf encoding of OpenZeppelin's `StandardMerkleTree` for a single `bytes32` value:
 * `keccak256(bytes.concat(keccak256(abi.encode(value))))`.
 *
 * Hashing twice keeps a 64-byte inner node from ever being accepted as a leaf
 * (second pre-image attack), so a proof can only start from a real leaf.
 */
library StandardLeaf {
    /**
     * @dev Returns the leaf hash of `value` as `StandardMerkleTree.of(values, ["bytes32"])` builds it.
     */
    function hash(bytes32 value) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(value))));
    }
}

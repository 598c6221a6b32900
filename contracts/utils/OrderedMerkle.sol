// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev Root of an ordered Merkle tree built on chain: leaves in the order given, adjacent
 * nodes hashed as sorted pairs (as OpenZeppelin's `Hashes.commutativeKeccak256` does), an odd last
 * node carried up to the next level unchanged. OpenZeppelin's `MerkleProof.verify` checks a
 * leaf of such a tree, with the siblings met on its way up as the proof.
 *
 * The order is not the StandardMerkleTree's (which sorts leaves by hash): the registry builds
 * the tree from calldata as it comes, so it need not sort, and each leaf carries its position.
 */
library OrderedMerkle {
    /**
     * @dev Returns the root of `nodes`, overwriting `nodes` as scratch space. `nodes` must not
     * be empty.
     */
    function root(bytes32[] memory nodes) internal pure returns (bytes32 top) {
        uint256 width = nodes.length;
        // In place, level by level; pairs hashed as sorted pairs in scratch space, as
        // `Hashes.commutativeKeccak256` does, without a call per node.
        assembly ("memory-safe") {
            let base := add(nodes, 0x20)
            for {} gt(width, 1) {} {
                let pairs := shr(1, width)
                for { let i := 0 } lt(i, pairs) { i := add(i, 1) } {
                    let a := mload(add(base, shl(6, i)))
                    let b := mload(add(base, add(shl(6, i), 0x20)))
                    switch lt(a, b)
                    case 1 {
                        mstore(0x00, a)
                        mstore(0x20, b)
                    }
                    default {
                        mstore(0x00, b)
                        mstore(0x20, a)
                    }
                    mstore(add(base, shl(5, i)), keccak256(0x00, 0x40))
                }
                switch and(width, 1)
                case 1 {
                    mstore(add(base, shl(5, pairs)), mload(add(base, shl(5, sub(width, 1)))))
                    width := add(pairs, 1)
                }
                default { width := pairs }
            }
            top := mload(base)
        }
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

/**
 * @dev Root of an ordered Merkle tree built on chain: leaves in the order given, adjacent
 * nodes hashed as sorted pairs (OpenZeppelin's `Hashes.commutativeKeccak256`), an odd last
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
    function root(bytes32[] memory nodes) internal pure returns (bytes32) {
        uint256 width = nodes.length;
        // Indices stay below `nodes.length`, so the checks Solidity would add are left out.
        unchecked {
            while (width > 1) {
                uint256 pairs = width / 2;
                for (uint256 i = 0; i < pairs; ++i) {
                    _store(nodes, i, Hashes.commutativeKeccak256(_load(nodes, 2 * i), _load(nodes, 2 * i + 1)));
                }
                if (width % 2 == 1) {
                    _store(nodes, pairs, _load(nodes, width - 1));
                    width = pairs + 1;
                } else {
                    width = pairs;
                }
            }
        }
        return nodes[0];
    }

    function _load(bytes32[] memory nodes, uint256 i) private pure returns (bytes32 value) {
        assembly ("memory-safe") {
            value := mload(add(add(nodes, 0x20), shl(5, i)))
        }
    }

    function _store(bytes32[] memory nodes, uint256 i, bytes32 value) private pure {
        assembly ("memory-safe") {
            mstore(add(add(nodes, 0x20), shl(5, i)), value)
        }
    }
}

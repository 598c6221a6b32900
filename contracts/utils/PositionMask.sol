// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @dev Helpers for the registry's packed per-position state: a trade's four state bits sit in
 * one nibble, 64 positions to a storage word, while callers select positions with one bit
 * each, 256 to a word.
 */
library PositionMask {
    /**
     * @dev Returns the 64 bits of `mask` (word-array bitmask, bit `i` of word `w` is position
     * `256 * w + i`) that select positions `64 * group` to `64 * group + 63`.
     */
    function group(uint256[] calldata mask, uint256 index) internal pure returns (uint256) {
        return (mask[index / 4] >> (64 * (index % 4))) & type(uint64).max;
    }

    /**
     * @dev Spreads the 64 low bits of `bits` so that bit `i` lands on bit `4 * i`: the
     * selection of a 64-position group laid over the group's nibbles. Six shift-and-mask steps
     * halve the chunk size each time (a Morton-code spread), instead of a 64-step loop.
     */
    function spread(uint256 bits) internal pure returns (uint256 x) {
        x = bits & type(uint64).max;
        x = (x | (x << 96)) & 0x00ffffffff000000000000000000000000ffffffff;
        x = (x | (x << 48)) & 0xffff000000000000ffff000000000000ffff000000000000ffff;
        x = (x | (x << 24)) & 0xff000000ff000000ff000000ff000000ff000000ff000000ff000000ff;
        x = (x | (x << 12)) & 0xf000f000f000f000f000f000f000f000f000f000f000f000f000f000f000f;
        x = (x | (x << 6)) & 0x303030303030303030303030303030303030303030303030303030303030303;
        x = (x | (x << 3)) & 0x1111111111111111111111111111111111111111111111111111111111111111;
    }

    /**
     * @dev Returns the lowest set bit's index of `nibbles`, divided by four: the first
     * position of a group at which a spread selection failed a check. `nibbles` is not zero.
     */
    function firstNibble(uint256 nibbles) internal pure returns (uint256 index) {
        while (nibbles & 0xf == 0) {
            nibbles >>= 4;
            ++index;
        }
    }

    /**
     * @dev Returns the number of set bits of `x`.
     */
    function popcount(uint256 x) internal pure returns (uint256 count) {
        while (x != 0) {
            x &= x - 1;
            ++count;
        }
    }
}

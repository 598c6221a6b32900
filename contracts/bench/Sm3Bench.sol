// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/**
 * @title Sm3Bench
 * @notice Bench-only: SM3 (GB/T 32905-2016) computed by EVM code, to measure what hashing
 * with SM3 on chain would cost beside keccak256, which the EVM computes natively (30 gas +
 * 6 per word). `sandan bench --only gas` reports the figures; the service never deploys
 * this, and sandan's contracts hash with keccak256 only (docs/sm3-profile.md says why).
 * @dev A plain implementation from the standard: 32-bit words held in uint32, the 68 + 64
 * expanded words in memory, one compression per 64-byte block. The EVM has no 32-bit
 * rotate, so each rotation is two shifts and an or; that, not memory, is most of the cost.
 */
contract Sm3Bench {
    /// @notice SM3 of `data`.
    function sm3(bytes calldata data) external pure returns (bytes32) {
        return _sm3(data);
    }

    /// @notice SM3 and keccak256 of `data`, each with the gas its computation used inside
    /// this call (the calldata and the call itself are not counted, for either).
    function measure(
        bytes calldata data
    ) external view returns (bytes32 sm3Digest, uint256 sm3Gas, bytes32 keccakDigest, uint256 keccakGas) {
        uint256 start = gasleft();
        sm3Digest = _sm3(data);
        sm3Gas = start - gasleft();
        start = gasleft();
        keccakDigest = keccak256(data);
        keccakGas = start - gasleft();
    }

    function _sm3(bytes calldata data) private pure returns (bytes32) {
        uint32[8] memory v = [
            uint32(0x7380166f),
            0x4914b2b9,
            0x172442d7,
            0xda8a0600,
            0xa96f30bc,
            0x163138aa,
            0xe38dee4d,
            0xb0fb0e4e
        ];
        // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64 bits big-endian.
        uint256 blocks = (data.length + 9 + 63) / 64;
        bytes memory padded = new bytes(blocks * 64);
        for (uint256 i = 0; i < data.length; ++i) {
            padded[i] = data[i];
        }
        padded[data.length] = 0x80;
        uint256 bits = data.length * 8;
        for (uint256 i = 0; i < 8; ++i) {
            padded[padded.length - 1 - i] = bytes1(uint8(bits >> (8 * i)));
        }
        for (uint256 b = 0; b < blocks; ++b) {
            _compress(v, padded, b * 64);
        }
        uint256 out;
        for (uint256 i = 0; i < 8; ++i) {
            out = (out << 32) | v[i];
        }
        return bytes32(out);
    }

    function _compress(uint32[8] memory v, bytes memory padded, uint256 offset) private pure {
        uint32[68] memory w;
        for (uint256 j = 0; j < 16; ++j) {
            uint256 at = offset + 4 * j;
            w[j] =
                (uint32(uint8(padded[at])) << 24) |
                (uint32(uint8(padded[at + 1])) << 16) |
                (uint32(uint8(padded[at + 2])) << 8) |
                uint32(uint8(padded[at + 3]));
        }
        for (uint256 j = 16; j < 68; ++j) {
            w[j] = _p1(w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)) ^ _rotl(w[j - 13], 7) ^ w[j - 6];
        }
        uint32[8] memory r = [v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]];
        unchecked {
            for (uint256 j = 0; j < 64; ++j) {
                uint32 t = j < 16 ? 0x79cc4519 : 0x7a879d8a;
                uint32 a12 = _rotl(r[0], 12);
                uint32 ss1 = _rotl(a12 + r[4] + _rotl(t, j % 32), 7);
                uint32 ss2 = ss1 ^ a12;
                uint32 ff;
                uint32 gg;
                if (j < 16) {
                    ff = r[0] ^ r[1] ^ r[2];
                    gg = r[4] ^ r[5] ^ r[6];
                } else {
                    ff = (r[0] & r[1]) | (r[0] & r[2]) | (r[1] & r[2]);
                    gg = (r[4] & r[5]) | (~r[4] & r[6]);
                }
                uint32 tt1 = ff + r[3] + ss2 + (w[j] ^ w[j + 4]);
                uint32 tt2 = gg + r[7] + ss1 + w[j];
                r[3] = r[2];
                r[2] = _rotl(r[1], 9);
                r[1] = r[0];
                r[0] = tt1;
                r[7] = r[6];
                r[6] = _rotl(r[5], 19);
                r[5] = r[4];
                r[4] = _p0(tt2);
            }
        }
        for (uint256 i = 0; i < 8; ++i) {
            v[i] ^= r[i];
        }
    }

    function _rotl(uint32 x, uint256 n) private pure returns (uint32) {
        return (x << n) | (x >> (32 - n));
    }

    function _p0(uint32 x) private pure returns (uint32) {
        return x ^ _rotl(x, 9) ^ _rotl(x, 17);
    }

    function _p1(uint32 x) private pure returns (uint32) {
        return x ^ _rotl(x, 15) ^ _rotl(x, 23);
    }
}

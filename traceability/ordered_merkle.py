"""The ordered Merkle trees TradeRegistry builds on chain, and the leaves it hashes.

A verdict batch's tree is built by the contract itself from the calldata, so the
leaves stay in position order (no sorting): level by level, adjacent nodes are hashed
as sorted pairs (OpenZeppelin ``Hashes.commutativeKeccak256``) and an odd last node is
carried up unchanged. A proof is the siblings met on the way up, so OpenZeppelin's
``MerkleProof.verify`` (and :func:`traceability.merkle.process_proof`) checks it.

Each leaf carries its own position (and its batch's number), so a proof cannot
move a leaf to another position even though sorted pairs forget left and right:

* verdict leaf: StandardMerkleTree leaf of
  ``(uint64 batch, uint32 position, bytes32 tradeId, bytes32 verdictHash, bool matched)``;
* settlement leaf: StandardMerkleTree leaf of
  ``(uint64 batch, uint32 position, bytes32 settlementRef)``;

that is ``keccak256(keccak256(abi.encode(...)))``, every value one 32-byte word.
"""

from __future__ import annotations

from collections.abc import Sequence

from traceability.errors import InvalidMerkleInput
from traceability.merkle import _check_word, _hash_pair, _keccak256

__all__ = ["OrderedMerkleTree", "settlement_leaf", "verdict_leaf"]

_UINT64 = 2**64
_UINT32 = 2**32


def _uint_word(value: int, bound: int, field: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < bound:
        raise InvalidMerkleInput(f"expected an integer in [0, {bound}), got {value!r}", field=field)
    return value.to_bytes(32, "big")


def verdict_leaf(
    batch: int, position: int, trade_id: bytes, verdict_hash: bytes, matched: bool
) -> bytes:
    """The leaf hash of one verdict of verdict batch ``batch``, as ``verdictLeaf`` computes it."""
    encoded = (
        _uint_word(batch, _UINT64, "batch")
        + _uint_word(position, _UINT32, "position")
        + _check_word(trade_id, "trade_id")
        + _check_word(verdict_hash, "verdict_hash")
        + (b"\0" * 31 + (b"\1" if matched else b"\0"))
    )
    return _keccak256(_keccak256(encoded))


def settlement_leaf(batch: int, position: int, settlement_ref: bytes) -> bytes:
    """The leaf hash of one settlement reference, as ``settlementLeaf`` computes it."""
    encoded = (
        _uint_word(batch, _UINT64, "batch")
        + _uint_word(position, _UINT32, "position")
        + _check_word(settlement_ref, "settlement_ref")
    )
    return _keccak256(_keccak256(encoded))


class OrderedMerkleTree:
    """The ordered tree of leaf hashes, kept level by level to answer proofs."""

    def __init__(self, leaves: Sequence[bytes]):
        if not leaves:
            raise InvalidMerkleInput("an ordered tree needs at least one leaf", field="leaves")
        level = [_check_word(leaf, f"leaves[{i}]") for i, leaf in enumerate(leaves)]
        self._levels = [level]
        while len(level) > 1:
            parents = [_hash_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2 == 1:
                parents.append(level[-1])
            level = parents
            self._levels.append(level)

    @property
    def root(self) -> bytes:
        """The root, as the contract stores it."""
        return self._levels[-1][0]

    def __len__(self) -> int:
        return len(self._levels[0])

    def proof(self, index: int) -> list[bytes]:
        """The siblings of leaf ``index`` on its way up (none where it is carried up alone)."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(self):
            raise InvalidMerkleInput(f"no leaf at index {index!r}", field="index")
        siblings = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                siblings.append(level[sibling])
            index //= 2
        return siblings

"""Merkle trees compatible with OpenZeppelin ``MerkleProof`` and ``StandardMerkleTree``.

Leaves are ``bytes32`` values (document or event hashes). The rules follow
``@openzeppelin/merkle-tree``'s ``StandardMerkleTree.of(values.map(v => [v]), ["bytes32"])``:

* leaf hash = ``keccak256(keccak256(abi.encode(bytes32 v)))`` = ``keccak256(keccak256(v))``
  (double hashing keeps a leaf from being passed off as an inner node);
* inner node = ``keccak256(min(a, b) ‖ max(a, b))`` (sorted pair, so a proof is
  just the list of siblings, as ``MerkleProof.verify`` expects);
* leaves are sorted by leaf hash and laid out as a complete binary tree in an
  array, root at index 0, children of ``i`` at ``2i + 1`` and ``2i + 2``.

So the same values give the same root and proofs as the JS library, and they
verify on chain with ``MerkleProof.verify(proof, root, leaf)`` where
``leaf = keccak256(bytes.concat(keccak256(abi.encode(v))))``.
Duplicated values are rejected: a document anchored twice in one batch is a
caller bug, and its two proofs would be indistinguishable.

A multiproof (``StandardMerkleTree.getMultiProof``) proves several values at once:
its leaves come in the order ``MerkleProof.processMultiProof`` consumes them, and
proving every value of a tree needs no proof hashes at all, only flags.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from Crypto.Hash import keccak

from traceability.errors import DuplicateLeaf, InvalidMerkleInput, LeafNotInTree

__all__ = [
    "MerkleTree",
    "MultiProof",
    "leaf_hash",
    "process_multiproof",
    "process_proof",
    "verify",
]

_WORD: Final = 32


def _keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def _hash_pair(a: bytes, b: bytes) -> bytes:
    """Commutative keccak256 of two nodes, as OpenZeppelin ``Hashes.commutativeKeccak256``."""
    return _keccak256(a + b if a < b else b + a)


def _check_word(value: object, field: str) -> bytes:
    """Return ``value`` as 32 bytes, or raise naming ``field``."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise InvalidMerkleInput(f"expected 32 bytes, got {type(value).__name__}", field=field)
    word = bytes(value)
    if len(word) != _WORD:
        raise InvalidMerkleInput(f"expected 32 bytes, got {len(word)}", field=field)
    return word


def leaf_hash(value: bytes) -> bytes:
    """Return the StandardMerkleTree leaf hash of a ``bytes32`` value."""
    return _keccak256(_keccak256(_check_word(value, "value")))


def process_proof(leaf: bytes, proof: Iterable[bytes]) -> bytes:
    """Return the root that ``proof`` leads to from ``leaf`` (``MerkleProof.processProof``)."""
    node = _check_word(leaf, "leaf")
    for index, sibling in enumerate(proof):
        node = _hash_pair(node, _check_word(sibling, f"proof[{index}]"))
    return node


def verify(root: bytes, value: bytes, proof: Iterable[bytes]) -> bool:
    """Tell whether ``proof`` shows that ``value`` is a leaf of the tree with ``root``."""
    expected = _check_word(root, "root")
    return process_proof(leaf_hash(value), proof) == expected


def process_multiproof(
    leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]
) -> bytes:
    """Return the root a multiproof leads to from leaf hashes, as ``processMultiProof`` does."""
    if len(leaves) + len(proof) != len(proof_flags) + 1:
        raise InvalidMerkleInput("multiproof sizes do not add up", field="proof_flags")
    queue = deque(_check_word(leaf, f"leaves[{i}]") for i, leaf in enumerate(leaves))
    siblings = deque(_check_word(node, f"proof[{i}]") for i, node in enumerate(proof))
    try:
        for flag in proof_flags:
            # Leaves are used first, then the hashes computed so far, as the contract's queue does.
            a = queue.popleft()
            b = queue.popleft() if flag else siblings.popleft()
            queue.append(_hash_pair(a, b))
    except IndexError as exc:
        raise InvalidMerkleInput(
            "multiproof flags do not fit its leaves", field="proof_flags"
        ) from exc
    if proof_flags:
        return queue[-1]
    return queue[0] if queue else siblings[0]


@dataclass(frozen=True)
class MultiProof:
    """A proof of several values at once, in ``StandardMerkleTree.getMultiProof``'s form.

    ``leaves`` are the values in the order the contract consumes them (pass them, not
    the caller's order, on chain); ``proof`` is empty when every value of the tree is proved.
    """

    leaves: tuple[bytes, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]


class MerkleTree:
    """An immutable StandardMerkleTree over distinct ``bytes32`` values."""

    __slots__ = ("_nodes", "_positions", "_values")

    def __init__(
        self, nodes: list[bytes], positions: dict[bytes, int], values: tuple[bytes, ...]
    ) -> None:
        """Wrap a built node array; use :meth:`build` instead of calling this."""
        self._nodes = nodes
        self._positions = positions
        self._values = values

    @classmethod
    def build(cls, values: Sequence[bytes]) -> MerkleTree:
        """Build the tree of ``values`` (at least one, all distinct, 32 bytes each)."""
        words = tuple(_check_word(value, f"values[{i}]") for i, value in enumerate(values))
        if not words:
            raise InvalidMerkleInput("a Merkle tree needs at least one value", field="values")
        hashed = sorted((leaf_hash(word), word) for word in words)
        count = len(hashed)
        nodes: list[bytes] = [b""] * (2 * count - 1)
        positions: dict[bytes, int] = {}
        last = len(nodes) - 1
        for rank, (hash_, word) in enumerate(hashed):
            if word in positions:
                raise DuplicateLeaf(f"value 0x{word.hex()} appears more than once", field="values")
            nodes[last - rank] = hash_
            positions[word] = last - rank
        for i in range(last - count, -1, -1):
            nodes[i] = _hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        return cls(nodes, positions, words)

    @property
    def root(self) -> bytes:
        """The 32-byte Merkle root."""
        return self._nodes[0]

    @property
    def values(self) -> tuple[bytes, ...]:
        """The values in the order they were given to :meth:`build`."""
        return self._values

    @staticmethod
    def leaf_hash(value: bytes) -> bytes:
        """Return the leaf hash of ``value`` (same as :func:`leaf_hash`)."""
        return leaf_hash(value)

    def proof(self, value: bytes) -> list[bytes]:
        """Return the sibling hashes from ``value``'s leaf up to the root."""
        index = self._index_of(value)
        nodes = self._nodes
        path: list[bytes] = []
        while index > 0:
            # Odd indexes are left children: their sibling is on the right.
            path.append(nodes[index + 1 if index % 2 else index - 1])
            index = (index - 1) // 2
        return path

    def multiproof(self, values: Sequence[bytes]) -> MultiProof:
        """Return the multiproof of ``values`` (distinct values of the tree, in any order)."""
        indices = sorted((self._index_of(value) for value in values), reverse=True)
        if len(set(indices)) != len(indices):
            raise DuplicateLeaf("a multiproof cannot prove a value twice", field="values")
        nodes = self._nodes
        stack = deque(indices)
        proof: list[bytes] = []
        flags: list[bool] = []
        # Deepest nodes first: a node whose sibling is next in line merges with it,
        # any other takes its sibling from the proof; either way their parent joins the line.
        while stack and stack[0] > 0:
            index = stack.popleft()
            sibling = index + 1 if index % 2 else index - 1
            if stack and stack[0] == sibling:
                flags.append(True)
                stack.popleft()
            else:
                flags.append(False)
                proof.append(nodes[sibling])
            stack.append((index - 1) // 2)
        if not indices:
            proof.append(self.root)
        by_index = {index: value for value, index in self._positions.items()}
        leaves = tuple(by_index[index] for index in indices)
        return MultiProof(leaves, tuple(proof), tuple(flags))

    def _index_of(self, value: bytes) -> int:
        index = self._positions.get(_check_word(value, "value"))
        if index is None:
            raise LeafNotInTree(f"value 0x{bytes(value).hex()} is not in the tree", field="value")
        return index

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, value: object) -> bool:
        return value in self._positions

    def __repr__(self) -> str:
        return f"MerkleTree(root=0x{self.root.hex()}, leaves={len(self)})"

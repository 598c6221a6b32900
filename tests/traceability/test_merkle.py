"""Merkle trees against @openzeppelin/merkle-tree vectors and by property."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.errors import DuplicateLeaf, InvalidMerkleInput, LeafNotInTree
from traceability.merkle import MerkleTree, leaf_hash, process_proof, verify

VECTORS = json.loads((Path(__file__).parents[1] / "data" / "merkle_vectors.json").read_text())


def _b(hex_: str) -> bytes:
    return bytes.fromhex(hex_.removeprefix("0x"))


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.fixture(params=VECTORS["cases"], ids=lambda case: f"{case['size']}-leaves")
def vector(request: pytest.FixtureRequest) -> dict[str, Any]:
    return request.param  # type: ignore[no-any-return]


def test_build_tree_matches_openzeppelin_root(vector: dict[str, Any]) -> None:
    tree = MerkleTree.build([_b(v) for v in vector["values"]])
    assert tree.root == _b(vector["root"])
    assert len(tree) == vector["size"]


def test_proof_matches_openzeppelin_proof(vector: dict[str, Any]) -> None:
    tree = MerkleTree.build([_b(v) for v in vector["values"]])
    for value in vector["values"]:
        assert tree.proof(_b(value)) == [_b(p) for p in vector["proofs"][value]]
        assert verify(tree.root, _b(value), tree.proof(_b(value)))


def test_leaf_hash_matches_openzeppelin_leaf_hash(vector: dict[str, Any]) -> None:
    for value in vector["values"]:
        assert leaf_hash(_b(value)) == _b(vector["leafHashes"][value])
        assert MerkleTree.leaf_hash(_b(value)) == _b(vector["leafHashes"][value])


def test_build_tree_ignores_value_order(vector: dict[str, Any]) -> None:
    values = [_b(v) for v in vector["values"]]
    assert MerkleTree.build(values[::-1]).root == MerkleTree.build(values).root


def test_build_tree_keeps_values_in_given_order() -> None:
    values = [_word(3), _word(1), _word(2)]
    tree = MerkleTree.build(values)
    assert tree.values == tuple(values)
    assert _word(1) in tree
    assert _word(4) not in tree


def test_build_single_leaf_tree_has_leaf_as_root_and_empty_proof() -> None:
    tree = MerkleTree.build([_word(7)])
    assert tree.root == leaf_hash(_word(7))
    assert tree.proof(_word(7)) == []


@pytest.mark.parametrize(
    ("values", "error", "field"),
    [
        pytest.param([], InvalidMerkleInput, "values", id="empty"),
        pytest.param([_word(1), _word(1)], DuplicateLeaf, "values", id="duplicate"),
        pytest.param([_word(1), b"\x00" * 31], InvalidMerkleInput, "values[1]", id="short-value"),
        pytest.param([b"\x00" * 33], InvalidMerkleInput, "values[0]", id="long-value"),
        pytest.param(["00" * 32], InvalidMerkleInput, "values[0]", id="hex-string-value"),
    ],
)
def test_build_tree_rejects_bad_values(
    values: list[Any], error: type[Exception], field: str
) -> None:
    with pytest.raises(error) as info:
        MerkleTree.build(values)
    assert isinstance(info.value, ValueError)
    assert info.value.field == field  # type: ignore[attr-defined]


def test_proof_rejects_value_not_in_tree() -> None:
    tree = MerkleTree.build([_word(1), _word(2)])
    with pytest.raises(LeafNotInTree) as info:
        tree.proof(_word(3))
    assert isinstance(info.value, LookupError)
    assert info.value.field == "value"


@pytest.mark.parametrize(
    ("root", "value", "proof", "field"),
    [
        pytest.param(b"\x00" * 31, _word(1), [], "root", id="short-root"),
        pytest.param(b"\x00" * 32, b"\x01", [], "value", id="short-value"),
        pytest.param(b"\x00" * 32, _word(1), [_word(2), b"\x03"], "proof[1]", id="short-sibling"),
    ],
)
def test_verify_rejects_malformed_input(
    root: bytes, value: bytes, proof: list[bytes], field: str
) -> None:
    with pytest.raises(InvalidMerkleInput) as info:
        verify(root, value, proof)
    assert info.value.field == field


def test_process_proof_folds_sorted_pairs() -> None:
    tree = MerkleTree.build([_word(1), _word(2)])
    assert process_proof(leaf_hash(_word(1)), tree.proof(_word(1))) == tree.root
    assert process_proof(leaf_hash(_word(2)), tree.proof(_word(2))) == tree.root


distinct_values = st.lists(
    st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True
)


@given(distinct_values)
def test_every_proof_verifies(values: list[bytes]) -> None:
    tree = MerkleTree.build(values)
    for value in values:
        assert verify(tree.root, value, tree.proof(value))


@given(distinct_values, st.data())
def test_verify_fails_for_flipped_bit_in_value(values: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.build(values)
    value = data.draw(st.sampled_from(values))
    forged = _flip(value, data.draw(st.integers(0, 255)))
    assert not verify(tree.root, forged, tree.proof(value))


@given(
    st.lists(st.binary(min_size=32, max_size=32), min_size=2, max_size=40, unique=True), st.data()
)
def test_verify_fails_for_flipped_bit_in_proof(values: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.build(values)
    value = data.draw(st.sampled_from(values))
    proof = tree.proof(value)
    step = data.draw(st.integers(0, len(proof) - 1))
    proof[step] = _flip(proof[step], data.draw(st.integers(0, 255)))
    assert not verify(tree.root, value, proof)


@given(distinct_values, st.data())
def test_verify_fails_against_flipped_root(values: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.build(values)
    value = data.draw(st.sampled_from(values))
    assert not verify(_flip(tree.root, data.draw(st.integers(0, 255))), value, tree.proof(value))


def test_build_tree_of_ten_thousand_values_proves_every_value() -> None:
    values = [_word(i) for i in range(10_000)]
    tree = MerkleTree.build(values)
    assert all(len(tree.proof(v)) in (13, 14) for v in values[:50])
    assert verify(tree.root, values[-1], tree.proof(values[-1]))

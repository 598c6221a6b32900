"""Multiproofs against @openzeppelin/merkle-tree ``getMultiProof`` vectors and by property."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceability.errors import DuplicateLeaf, InvalidMerkleInput, LeafNotInTree
from traceability.merkle import MerkleTree, MultiProof, leaf_hash, process_multiproof

VECTORS = json.loads(
    (Path(__file__).parents[1] / "data" / "merkle_multiproof_vectors.json").read_text()
)
CASES = [
    pytest.param(case, multiproof, id=f"{case['size']}-leaves-{index}")
    for case in VECTORS["cases"]
    for index, multiproof in enumerate(case["multiproofs"])
]


def _b(hex_: str) -> bytes:
    return bytes.fromhex(hex_.removeprefix("0x"))


def _word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def _root_of(multiproof: MultiProof) -> bytes:
    leaves = [leaf_hash(v) for v in multiproof.leaves]
    return process_multiproof(leaves, multiproof.proof, multiproof.proof_flags)


@pytest.mark.parametrize(("case", "expected"), CASES)
def test_multiproof_matches_openzeppelin(case: dict[str, Any], expected: dict[str, Any]) -> None:
    tree = MerkleTree.build([_b(v) for v in case["values"]])
    multiproof = tree.multiproof([_b(v) for v in expected["asked"]])
    assert multiproof == MultiProof(
        leaves=tuple(_b(v) for v in expected["leaves"]),
        proof=tuple(_b(p) for p in expected["proof"]),
        proof_flags=tuple(expected["proofFlags"]),
    )
    assert _root_of(multiproof) == _b(case["root"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: f"{c['size']}-leaves")
def test_multiproof_of_every_value_needs_no_proof_hashes(case: dict[str, Any]) -> None:
    values = [_b(v) for v in case["values"]]
    multiproof = MerkleTree.build(values).multiproof(values)
    assert multiproof.proof == ()
    assert all(multiproof.proof_flags)
    assert sorted(multiproof.leaves) == sorted(values)
    assert process_multiproof([leaf_hash(v) for v in multiproof.leaves], [], multiproof.proof_flags)


def test_multiproof_of_one_value_tree_is_the_leaf_itself() -> None:
    multiproof = MerkleTree.build([_word(1)]).multiproof([_word(1)])
    assert multiproof == MultiProof((_word(1),), (), ())
    assert _root_of(multiproof) == leaf_hash(_word(1))


@pytest.mark.parametrize(
    ("asked", "error"),
    [
        pytest.param([_word(1), _word(1)], DuplicateLeaf, id="duplicate"),
        pytest.param([_word(9)], LeafNotInTree, id="unknown"),
        pytest.param([b"\x01"], InvalidMerkleInput, id="short"),
    ],
)
def test_multiproof_rejects_bad_values(asked: list[bytes], error: type[Exception]) -> None:
    tree = MerkleTree.build([_word(1), _word(2), _word(3)])
    with pytest.raises(error):
        tree.multiproof(asked)


@pytest.mark.parametrize(
    ("leaves", "proof", "flags", "field"),
    [
        pytest.param([_word(1)], [], [True], "proof_flags", id="sizes"),
        pytest.param([_word(1), _word(2)], [_word(3)], [False, False], "proof_flags", id="proof"),
        pytest.param([_word(1), _word(2)], [_word(3)], [True, True], "proof_flags", id="queue"),
    ],
)
def test_process_multiproof_rejects_inconsistent_proofs(
    leaves: list[bytes], proof: list[bytes], flags: list[bool], field: str
) -> None:
    with pytest.raises(InvalidMerkleInput) as info:
        process_multiproof(leaves, proof, flags)
    assert info.value.field == field


@given(
    st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40, unique=True),
    st.data(),
)
def test_every_multiproof_rebuilds_the_root(values: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.build(values)
    asked = data.draw(st.lists(st.sampled_from(values), unique=True))
    assert _root_of(tree.multiproof(asked)) == tree.root

"""Behaviour of the registries, written once and run on every backend.

Subclasses provide a ``world`` fixture (a ChainWorld). Every negative test asserts the
custom error's name and arguments; every positive test asserts the decoded events.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger_client import (
    ConfigurationError,
    ContractReverted,
    DocumentStatus,
    Financing,
    Settlement,
    Supersession,
    TradeState,
    VerdictLeaf,
    mask_of,
)
from ledger_client.events import (
    BatchAnchored,
    DocumentRevoked,
    DocumentSuperseded,
    FinancingDischarged,
    FinancingRegistered,
    LotBatchAnchored,
    LotRecallCleared,
    LotRecalled,
    RoleRevoked,
    SettlementsConfirmed,
    TradesReleased,
    VerdictBatchRecorded,
    VerdictSuperseded,
)
from tests.ledger_client.lifecycle_suite import LifecycleBehaviour
from tests.ledger_client.negative_list_suite import NegativeListBehaviour
from tests.ledger_client.party_suite import PartyRegistryBehaviour
from tests.ledger_client.release_policy_suite import ReleasePolicyBehaviour
from tests.ledger_client.self_custody_suite import SelfCustodyBehaviour
from traceability.ordered_merkle import OrderedMerkleTree

ZERO = b"\0" * 32


def h(label: str) -> bytes:
    """A 32-byte test value derived from a label."""
    return hashlib.sha256(label.encode()).digest()


def role(name: str) -> bytes:
    return keccak(text=name)


# A tiny OpenZeppelin-compatible Merkle tree (double-hashed leaves, sorted pairs),
# written independently of the product's traceability.merkle on purpose.
def leaf(value: bytes) -> bytes:
    return keccak(keccak(value.rjust(32, b"\0")))


def _parent(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def tree(values: list[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """Return the root and each value's proof."""
    layer = [leaf(v) for v in values]
    positions = list(range(len(values)))
    proofs: list[list[bytes]] = [[] for _ in values]
    while len(layer) > 1:
        for i, pos in enumerate(positions):
            sibling = pos ^ 1
            if sibling < len(layer):
                proofs[i].append(layer[sibling])
            positions[i] = pos // 2
        pairs = [layer[j : j + 2] for j in range(0, len(layer), 2)]
        layer = [_parent(*p) if len(p) == 2 else p[0] for p in pairs]
    return layer[0], proofs


# The ordered trees TradeRegistry builds on chain, again written apart from the product's
# traceability.ordered_merkle: leaves in position order, an odd last node carried up.
def verdict_leaf_of(batch, position, trade_id, verdict_hash, matched) -> bytes:
    types = ["uint64", "uint32", "bytes32", "bytes32", "bool"]
    return keccak(keccak(abi_encode(types, [batch, position, trade_id, verdict_hash, matched])))


def settlement_leaf_of(batch, position, reference) -> bytes:
    return keccak(keccak(abi_encode(["uint64", "uint32", "bytes32"], [batch, position, reference])))


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        layer = levels[-1]
        pairs = [layer[j : j + 2] for j in range(0, len(layer), 2)]
        levels.append([_parent(*p) if len(p) == 2 else p[0] for p in pairs])
    return levels


def ordered_root(leaves: list[bytes]) -> bytes:
    return _levels(leaves)[-1][0]


def ordered_proof(leaves: list[bytes], index: int) -> list[bytes]:
    proof = []
    for layer in _levels(leaves)[:-1]:
        if index ^ 1 < len(layer):
            proof.append(layer[index ^ 1])
        index //= 2
    return proof


def reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple[Any, ...]]:
    return exc_info.value.error_name, exc_info.value.args


class RegistryBehaviour(
    PartyRegistryBehaviour,
    SelfCustodyBehaviour,
    NegativeListBehaviour,
    ReleasePolicyBehaviour,
    LifecycleBehaviour,
):
    """The registries' behaviour; subclasses bind ``world`` to a backend."""

    # Anchoring ----------------------------------------------------------------

    def test_anchor_batch_emits_batch_anchored(self, world):
        result = world.trade().anchor_batch(h("root"), 1000, h("batch"))
        assert result.events == (
            BatchAnchored(
                root=h("root"),
                batch_id=h("batch"),
                anchorer=world.address("anchorer"),
                leaf_count=1000,
            ),
        )
        batch = world.trade().anchored_batch(h("root"))
        assert (batch.anchorer, batch.leaf_count, batch.block_number) == (
            world.address("anchorer"),
            1000,
            result.block_number,
        )

    def test_anchor_batch_rejects_root_anchored_twice(self, world):
        world.trade().anchor_batch(h("root"), 3, h("b1"))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().anchor_batch(h("root"), 5, h("b2"))
        assert reverted(exc_info) == ("TradeRegistryRootAlreadyAnchored", (h("root"),))

    @pytest.mark.parametrize(
        ("root", "count", "expected"),
        [
            (ZERO, 3, ("TradeRegistryZeroRoot", ())),
            (h("r"), 0, ("TradeRegistryZeroLeafCount", (h("r"),))),
        ],
    )
    def test_anchor_batch_rejects_zero_inputs(self, world, root, count, expected):
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().anchor_batch(root, count, h("batch"))
        assert reverted(exc_info) == expected

    @pytest.mark.parametrize(
        ("registry", "method", "args", "needed"),
        [
            ("trade", "anchor_batch", (h("r"), 1, h("b")), "ANCHORER_ROLE"),
            ("trade", "revoke_document", (h("d"), "typo"), "ANCHORER_ROLE"),
            ("trade", "record_verdict_batch", ([h("t")], [h("v")], [True]), "ANCHORER_ROLE"),
            ("trade", "release_trades", (1, [0]), "CUSTOMS_ROLE"),
            ("trade", "confirm_settlements", (1, {0: h("s")}), "BANK_ROLE"),
            ("trade", "register_financing", (1, [0], h("f")), "BANK_ROLE"),
            ("trace", "anchor_lot_batch", (h("lot"), h("r"), 1, h("b")), "ANCHORER_ROLE"),
            ("trace", "recall_lot", (h("lot"), "salmonella"), "INSPECTOR_ROLE"),
            ("trace", "clear_recall", (h("lot"), "negative"), "INSPECTOR_ROLE"),
        ],
    )
    def test_write_rejects_account_without_role(self, world, registry, method, args, needed):
        client = getattr(world, registry)("outsider")
        with pytest.raises(ContractReverted) as exc_info:
            getattr(client, method)(*args)
        assert reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address("outsider"), role(needed)),
        )

    def test_grant_role_emits_role_granted_and_enables_writes(self, world):
        admin = world.trade("admin")
        result = admin.grant_role("ANCHORER_ROLE", world.address("outsider"))
        assert [(e.role, e.account, e.sender) for e in result.events] == [
            (role("ANCHORER_ROLE"), world.address("outsider"), world.address("admin"))
        ]
        assert admin.has_role("ANCHORER_ROLE", world.address("outsider"))
        world.trade("outsider").anchor_batch(h("r"), 1, h("b"))

    @pytest.mark.parametrize(
        ("registry", "name", "holder", "method", "args"),
        [
            ("trade", "CUSTOMS_ROLE", "customs", "release_trades", (1, [0])),
            ("trace", "INSPECTOR_ROLE", "inspector", "recall_lot", (h("lot"), "salmonella")),
        ],
    )
    def test_revoke_role_emits_role_revoked_and_disables_writes(
        self, world, registry, name, holder, method, args
    ):
        """A party's rotated-out account loses its role: the contract refuses it from then on."""
        admin = getattr(world, registry)("admin")
        result = admin.revoke_role(name, world.address(holder))
        assert result.events == (
            RoleRevoked(
                role=role(name), account=world.address(holder), sender=world.address("admin")
            ),
        )
        assert not admin.has_role(name, world.address(holder))
        with pytest.raises(ContractReverted) as exc_info:
            getattr(getattr(world, registry)(holder), method)(*args)
        assert reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address(holder), role(name)),
        )

    # Merkle verification --------------------------------------------------------

    def test_verify_document_accepts_python_built_proofs(self, world):
        documents = [h(f"doc{i}") for i in range(7)]
        root, proofs = tree(documents)
        anchored = world.trade().anchor_batch(root, len(documents), h("batch"))
        for document, proof in zip(documents, proofs, strict=True):
            check = world.trade("outsider").verify_document(document, proof)
            assert check.valid
            assert (check.root, check.block_number, check.leaf_count, check.anchorer) == (
                root,
                anchored.block_number,
                7,
                world.address("anchorer"),
            )

    @pytest.mark.parametrize("tamper", ["leaf", "proof_element", "proof_dropped"])
    def test_verify_document_rejects_tampered_input(self, world, tamper):
        documents = [h(f"doc{i}") for i in range(4)]
        root, proofs = tree(documents)
        world.trade().anchor_batch(root, 4, h("batch"))
        document, proof = documents[1], list(proofs[1])
        if tamper == "leaf":
            document = h("forged")
        elif tamper == "proof_element":
            proof[0] = h("noise")
        else:
            proof = proof[:-1]
        check = world.trade().verify_document(document, proof)
        assert (check.anchored, check.valid, check.block_number) == (False, False, 0)
        assert check.root != root

    def test_verify_document_rejects_inner_node_as_leaf(self, world):
        documents = [h(f"doc{i}") for i in range(4)]
        root, proofs = tree(documents)
        world.trade().anchor_batch(root, 4, h("batch"))
        inner = _parent(leaf(documents[0]), leaf(documents[1]))
        assert not world.trade().verify_document(inner, [proofs[2][1]]).anchored

    # Revocation and supersession ----------------------------------------------

    def test_revoke_document_records_reason(self, world):
        result = world.trade().revoke_document(h("doc"), "issued in error")
        assert result.events == (
            DocumentRevoked(
                document_hash=h("doc"), revoker=world.address("anchorer"), reason="issued in error"
            ),
        )
        status = world.trade().document_status(h("doc"))
        assert (status.status, status.successor, status.status_block) == (
            DocumentStatus.REVOKED,
            None,
            result.block_number,
        )
        root, proofs = tree([h("doc"), h("other")])
        world.trade().anchor_batch(root, 2, h("b"))
        check = world.trade().verify_document(h("doc"), proofs[0])
        assert (check.anchored, check.status, check.valid) == (True, DocumentStatus.REVOKED, False)

    def test_supersede_document_links_successor(self, world):
        result = world.trade().supersede_document(h("v1"), h("v2"), "amended quantity")
        assert result.events == (
            DocumentSuperseded(
                old_hash=h("v1"),
                new_hash=h("v2"),
                anchorer=world.address("anchorer"),
                reason="amended quantity",
            ),
        )
        status = world.trade().document_status(h("v1"))
        assert (status.status, status.successor) == (DocumentStatus.SUPERSEDED, h("v2"))

    @pytest.mark.parametrize(
        ("setup", "call", "expected"),
        [
            (
                "revoke",
                ("revoke", h("d"), "again"),
                ("TradeRegistryDocumentAlreadyRevoked", (h("d"),)),
            ),
            (
                "revoke",
                ("supersede", h("d"), h("n")),
                ("TradeRegistryDocumentAlreadyRevoked", (h("d"),)),
            ),
            (
                "revoke",
                ("supersede", h("x"), h("d")),
                ("TradeRegistryDocumentAlreadyRevoked", (h("d"),)),
            ),
            (
                "supersede",
                ("supersede", h("d"), h("m")),
                ("TradeRegistryDocumentAlreadySuperseded", (h("d"), h("n"))),
            ),
            (
                "supersede",
                ("revoke", h("d"), "x"),
                ("TradeRegistryDocumentAlreadySuperseded", (h("d"), h("n"))),
            ),
            (None, ("supersede", h("d"), h("d")), ("TradeRegistrySelfSupersession", (h("d"),))),
            (None, ("revoke", h("d"), ""), ("TradeRegistryEmptyReason", (h("d"),))),
            (None, ("revoke", ZERO, "x"), ("TradeRegistryZeroDocumentHash", ())),
        ],
    )
    def test_document_status_change_rejects_invalid(self, world, setup, call, expected):
        client = world.trade()
        if setup == "revoke":
            client.revoke_document(h("d"), "first")
        elif setup == "supersede":
            client.supersede_document(h("d"), h("n"), "first")
        kind, *args = call
        method = client.revoke_document if kind == "revoke" else client.supersede_document
        if kind == "supersede":
            args = [*args, "reason"]
        with pytest.raises(ContractReverted) as exc_info:
            method(*args)
        assert reverted(exc_info) == expected

    # Trade state machine: verdict batches and positions --------------------------------

    def _batch(self, world, labels, matched, supersessions=()):
        """Record one verdict batch of trades ``labels``; return (number, ids, verdicts, result)."""
        ids = [h(f"trade {label}") for label in labels]
        verdicts = [h(f"verdict {label}") for label in labels]
        result = world.trade().record_verdict_batch(ids, verdicts, matched, supersessions)
        return world.trade().recorded_batch(result).batch, ids, verdicts, result

    def test_verdict_batch_root_is_built_on_chain_in_position_order(self, world):
        number, ids, verdicts, result = self._batch(
            world, "abcde", [True, False, True, True, False]
        )
        leaves = [
            verdict_leaf_of(number, i, ids[i], verdicts[i], m)
            for i, m in enumerate([True, False, True, True, False])
        ]
        root = ordered_root(leaves)
        assert result.events == (
            VerdictBatchRecorded(
                batch=number, root=root, anchorer=world.address("anchorer"), count=5
            ),
        )
        stored = world.trade("outsider").verdict_batch_of(number)
        assert (stored.root, stored.count, stored.block_number) == (root, 5, result.block_number)
        # The product's own tree agrees with this independent one.
        assert OrderedMerkleTree(leaves).root == root
        assert (
            world.trade().verdict_leaf_hash(VerdictLeaf(number, 1, ids[1], verdicts[1], False))
            == leaves[1]
        )
        states = [world.trade().trade_at(number, i).state for i in range(6)]
        assert states == [
            TradeState.MATCHED,
            TradeState.MISMATCHED,
            TradeState.MATCHED,
            TradeState.MATCHED,
            TradeState.MISMATCHED,
            TradeState.NONE,
        ]

    def test_trade_moves_from_verdict_to_settlement(self, world):
        number, ids, verdicts, _ = self._batch(world, "abc", [True, False, True])
        released = world.trade("customs").release_trades(number, [0, 2])
        assert released.events == (
            TradesReleased(batch=number, customs=world.address("customs"), mask=(0b101,)),
        )
        assert released.events[0].positions == (0, 2)
        settled = world.trade("bank").confirm_settlements(number, {2: h("ref2"), 0: h("ref0")})
        settlement_root = ordered_root(
            [settlement_leaf_of(number, 0, h("ref0")), settlement_leaf_of(number, 2, h("ref2"))]
        )
        assert settled.events == (
            SettlementsConfirmed(
                settlement_id=1,
                batch=number,
                bank=world.address("bank"),
                root=settlement_root,
                mask=(0b101,),
            ),
        )
        reader = world.trade("outsider")
        assert reader.settlement_of(1) == Settlement(
            1, settlement_root, world.address("bank"), 2, settled.block_number, number
        )
        proof = [settlement_leaf_of(number, 2, h("ref2"))]
        assert reader.verify_settlement(1, 0, h("ref0"), proof)
        assert not reader.verify_settlement(1, 0, h("other"), proof)
        assert not reader.verify_settlement(1, 1, h("ref0"), proof)
        leaves = [verdict_leaf_of(number, i, ids[i], verdicts[i], i != 1) for i in range(3)]
        check = reader.verify_verdict(
            VerdictLeaf(number, 0, ids[0], verdicts[0], True), ordered_proof(leaves, 0)
        )
        assert (check.anchored, check.state, check.block_number, check.financing) == (
            True,
            TradeState.SETTLED,
            reader.verdict_batch_of(number).block_number,
            None,
        )
        assert reader.trade_at(number, 1).state is TradeState.MISMATCHED

    @pytest.mark.parametrize(
        "tamper",
        ["matched", "position", "batch", "trade", "verdict", "proof"],
    )
    def test_verify_verdict_rejects_tampered_leaf(self, world, tamper):
        number, ids, verdicts, _ = self._batch(world, "abc", [False, True, True])
        leaves = [verdict_leaf_of(number, i, ids[i], verdicts[i], i != 0) for i in range(3)]
        leaf = VerdictLeaf(number, 0, ids[0], verdicts[0], False)
        proof = ordered_proof(leaves, 0)
        leaf, proof = {
            "matched": (VerdictLeaf(number, 0, ids[0], verdicts[0], True), proof),
            "position": (VerdictLeaf(number, 1, ids[0], verdicts[0], False), proof),
            "batch": (VerdictLeaf(number + 1, 0, ids[0], verdicts[0], False), proof),
            "trade": (VerdictLeaf(number, 0, ids[1], verdicts[0], False), proof),
            "verdict": (VerdictLeaf(number, 0, ids[0], verdicts[1], False), proof),
            "proof": (leaf, ordered_proof(leaves, 1)),
        }[tamper]
        check = world.trade().verify_verdict(leaf, proof)
        assert (check.anchored, check.state) == (False, TradeState.NONE)

    def test_release_refuses_positions_not_releasable(self, world):
        number, _, _, _ = self._batch(world, "abc", [True, False, True])
        customs = world.trade("customs")
        customs.release_trades(number, [0])
        cases = [
            ([1], ("TradeRegistryTradeNotMatched", (number, 1))),
            ([2, 1], ("TradeRegistryTradeNotMatched", (number, 1))),
            ([0, 2], ("TradeRegistryTradeAlreadyReleased", (number, 0))),
            ([3], ("TradeRegistrySelectionOutOfRange", (number, 3))),
            ([256], ("TradeRegistrySelectionOutOfRange", (number, 3))),
            ([], ("TradeRegistrySelectionOutOfRange", (number, 3))),
        ]
        for positions, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                customs.release_trades(number, positions)
            assert reverted(exc_info) == expected, positions
        with pytest.raises(ContractReverted) as exc_info:
            customs.release_trades(number + 7, [0])
        assert reverted(exc_info) == ("TradeRegistryUnknownVerdictBatch", (number + 7,))
        assert customs.trade_at(number, 2).state is TradeState.MATCHED  # nothing half-applied

    def test_state_bits_hold_across_words_and_groups(self, world):
        # 300 positions: five 64-position groups and two mask words.
        count = 300
        matched = [i % 3 != 1 for i in range(count)]
        number, _, _, _ = self._batch(world, [str(i) for i in range(count)], matched)
        chosen = [i for i in range(count) if matched[i] and i % 2 == 0]
        world.trade("customs").release_trades(number, chosen)
        reader = world.trade("outsider")
        for i in (0, 1, 2, 63, 64, 65, 127, 128, 255, 256, 257, 298, 299):
            expected = (
                TradeState.RELEASED
                if i in chosen
                else TradeState.MATCHED
                if matched[i]
                else TradeState.MISMATCHED
            )
            assert reader.trade_at(number, i).state is expected, i
        assert reader.trade_at(number, 300).state is TradeState.NONE

    def test_a_resent_batch_is_recorded_once(self, world):
        """A sender that resends a batch whose first transaction may still be pending names
        the same batch number: the second one reverts instead of recording twice."""
        anchorer = world.trade()
        expected = anchorer.verdict_batch_count() + 1
        first = anchorer.send_record_verdict_batch(
            [h("t")], [h("v")], [True], expected_batch=expected
        )
        # Hardhat answers the mined revert as the transaction arrives, anvil in its receipt.
        with pytest.raises(ContractReverted) as exc_info:
            anchorer.wait_for_receipt(
                anchorer.send_record_verdict_batch(
                    [h("t")], [h("v")], [True], expected_batch=expected, gas=500_000
                )
            )
        assert anchorer.recorded_batch(anchorer.wait_for_receipt(first)).batch == expected
        assert reverted(exc_info) == ("TradeRegistryVerdictBatchNumber", (expected, expected + 1))
        assert anchorer.verdict_batch_count() == expected

    def test_record_verdict_batch_rejects_bad_input(self, world):
        anchorer = world.trade()
        cases = [
            (([], [], []), ("TradeRegistryVerdictCount", (0,))),
            (([h("t"), ZERO], [h("v"), h("v")], [True, True]), ("TradeRegistryZeroTradeId", (1,))),
            (([h("t")], [ZERO], [True]), ("TradeRegistryZeroVerdictHash", (0,))),
        ]
        for args, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                anchorer.record_verdict_batch(*args)
            assert reverted(exc_info) == expected
        with pytest.raises(ConfigurationError, match="one of each"):
            anchorer.record_verdict_batch([h("t")], [h("v"), h("w")], [True])

    def test_confirm_settlements_rejects_unreleased_repeated_and_bad_references(self, world):
        number, _, _, _ = self._batch(world, "ab", [True, True])
        bank = world.trade("bank")
        with pytest.raises(ContractReverted) as exc_info:
            bank.confirm_settlements(number, {0: h("ref")})
        assert reverted(exc_info) == ("TradeRegistryTradeNotReleased", (number, 0))
        world.trade("customs").release_trades(number, [0, 1])
        with pytest.raises(ContractReverted) as exc_info:
            bank.confirm_settlements(number, {1: ZERO})
        assert reverted(exc_info) == ("TradeRegistryZeroSettlementRef", (number, 1))
        fn = bank._fn.confirmSettlements(number, mask_of([0, 1]), [h("one")])
        with pytest.raises(ContractReverted) as exc_info:
            bank._tx.send(fn)
        assert reverted(exc_info) == ("TradeRegistryReferenceCount", (2, 1))
        bank.confirm_settlements(number, {0: h("ref")})
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank2").confirm_settlements(number, {0: h("other"), 1: h("r1")})
        assert reverted(exc_info) == ("TradeRegistrySettlementAlreadyConfirmed", (number, 0))

    def test_register_financing_rejects_second_bank_until_discharged(self, world):
        number, ids, verdicts, _ = self._batch(world, "abc", [True, True, False])
        first = world.trade("bank").register_financing(number, [0, 1], h("terms"))
        assert first.events == (
            FinancingRegistered(
                financing_id=1,
                batch=number,
                bank=world.address("bank"),
                terms_hash=h("terms"),
                mask=(0b11,),
            ),
        )
        for party in ("bank2", "bank"):
            with pytest.raises(ContractReverted) as exc_info:
                world.trade(party).register_financing(number, [1], h("terms2"))
            assert reverted(exc_info) == ("TradeRegistryTradeFinanced", (number, 1, 1))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").register_financing(number, [2], h("terms2"))
        assert reverted(exc_info) == ("TradeRegistryTradeNotMatched", (number, 2))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank2").discharge_financing(1, [1])
        assert reverted(exc_info) == (
            "TradeRegistryNotFinancier",
            (1, world.address("bank"), world.address("bank2")),
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").discharge_financing(1, [2])
        assert reverted(exc_info) == ("TradeRegistryNotFinanced", (1, number, 2))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").discharge_financing(9, [0])
        assert reverted(exc_info) == ("TradeRegistryUnknownFinancing", (9,))
        discharged = world.trade("bank").discharge_financing(1, [1])
        assert discharged.events == (
            FinancingDischarged(
                financing_id=1, batch=number, bank=world.address("bank"), mask=(0b10,)
            ),
        )
        second = world.trade("bank2").register_financing(number, [1], h("terms2"))
        assert second.events[0].financing_id == 2
        reader = world.trade("outsider")
        assert [reader.trade_at(number, p).financing_id for p in range(3)] == [1, 2, 0]
        leaves = [verdict_leaf_of(number, i, ids[i], verdicts[i], i != 2) for i in range(3)]
        check = reader.verify_verdict(
            VerdictLeaf(number, 1, ids[1], verdicts[1], True), ordered_proof(leaves, 1)
        )
        assert check.financing == Financing(
            2, world.address("bank2"), second.block_number, number, 1, h("terms2")
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").register_financing(number, [0], ZERO)
        assert reverted(exc_info) == ("TradeRegistryZeroTermsHash", ())

    # Supersession: a trade's new verdict replaces its earlier one on chain --------------

    def _supersession(self, world, number, labels, matched, index_in_new, position):
        """The supersession of (number, position) for the new batch's verdict ``index_in_new``."""
        ids = [h(f"trade {label}") for label in labels]
        verdicts = [h(f"verdict {label}") for label in labels]
        leaves = [verdict_leaf_of(number, i, ids[i], verdicts[i], m) for i, m in enumerate(matched)]
        return Supersession(
            index=index_in_new,
            batch=number,
            position=position,
            verdict_hash=verdicts[position],
            matched=matched[position],
            proof=tuple(ordered_proof(leaves, position)),
        )

    def test_new_verdict_supersedes_the_trades_earlier_one(self, world):
        first, ids, _, _ = self._batch(world, "ab", [False, True])
        anchorer = world.trade()
        supersession = self._supersession(world, first, "ab", [False, True], 0, 0)
        result = anchorer.record_verdict_batch([ids[0]], [h("corrected")], [True], [supersession])
        second = anchorer.recorded_batch(result).batch
        assert result.events[1:] == (
            VerdictSuperseded(batch=first, position=0, new_batch=second, new_position=0),
        )
        assert anchorer.trade_at(first, 0).state is TradeState.SUPERSEDED
        customs = world.trade("customs")
        with pytest.raises(ContractReverted) as exc_info:
            customs.release_trades(first, [0])
        # A superseded mismatch is still not a match: the first refusal names that.
        assert reverted(exc_info)[0] in {
            "TradeRegistryTradeNotMatched",
            "TradeRegistryTradeSuperseded",
        }
        customs.release_trades(second, [0])
        # Once superseded, always: a second supersession of the same position is refused.
        with pytest.raises(ContractReverted) as exc_info:
            anchorer.record_verdict_batch([ids[0]], [h("again")], [True], [supersession])
        assert reverted(exc_info) == ("TradeRegistryTradeSuperseded", (first, 0))

    def test_a_superseded_match_can_never_be_released(self, world):
        first, ids, _, _ = self._batch(world, "a", [True])
        supersession = self._supersession(world, first, "a", [True], 0, 0)
        world.trade().record_verdict_batch([ids[0]], [h("new")], [True], [supersession])
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("customs").release_trades(first, [0])
        assert reverted(exc_info) == ("TradeRegistryTradeSuperseded", (first, 0))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").register_financing(first, [0], h("terms"))
        assert reverted(exc_info) == ("TradeRegistryTradeSuperseded", (first, 0))

    @pytest.mark.parametrize("state", ["released", "financed"])
    def test_released_or_financed_verdict_cannot_be_superseded(self, world, state):
        first, ids, _, _ = self._batch(world, "a", [True])
        if state == "released":
            world.trade("customs").release_trades(first, [0])
            expected = ("TradeRegistryTradeAlreadyReleased", (first, 0))
        else:
            world.trade("bank").register_financing(first, [0], h("terms"))
            expected = ("TradeRegistryTradeFinanced", (first, 0, 1))
        supersession = self._supersession(world, first, "a", [True], 0, 0)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().record_verdict_batch([ids[0]], [h("new")], [True], [supersession])
        assert reverted(exc_info) == expected

    @pytest.mark.parametrize("forgery", ["other trade", "other verdict", "bad proof", "same batch"])
    def test_supersession_must_prove_the_same_trades_earlier_verdict(self, world, forgery):
        first, ids, _, _ = self._batch(world, "ab", [True, True])
        good = self._supersession(world, first, "ab", [True, True], 0, 0)
        new_ids = [ids[0]]
        if forgery == "other trade":
            new_ids = [ids[1]]  # names b's new verdict, but proves a's old one
        elif forgery == "other verdict":
            good = Supersession(0, first, 0, h("not it"), True, good.proof)
        elif forgery == "bad proof":
            good = Supersession(0, first, 0, good.verdict_hash, True, (h("junk"),))
        else:
            good = Supersession(0, first + 1, 0, good.verdict_hash, True, good.proof)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().record_verdict_batch(new_ids, [h("new")], [True], [good])
        assert reverted(exc_info) == (
            "TradeRegistryInvalidSupersession",
            (0, good.batch, 0),
        )
        assert world.trade().trade_at(first, 0).state is TradeState.MATCHED

    # TraceRegistry -----------------------------------------------------------------

    def test_anchor_lot_batch_verifies_events(self, world):
        events = [h(f"event{i}") for i in range(5)]
        root, proofs = tree(events)
        result = world.trace().anchor_lot_batch(h("lot"), root, 5, h("batch"))
        assert result.events == (
            LotBatchAnchored(
                lot_id=h("lot"),
                root=root,
                batch_id=h("batch"),
                anchorer=world.address("anchorer"),
                event_count=5,
            ),
        )
        check = world.trace("outsider").verify_event(events[3], proofs[3])
        assert (check.valid, check.lot_id, check.block_number, check.event_count) == (
            True,
            h("lot"),
            result.block_number,
            5,
        )
        status = world.trace().lot_status(h("lot"))
        assert (status.recalled, status.batch_count, status.last_anchored_block) == (
            False,
            1,
            result.block_number,
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.trace().anchor_lot_batch(h("other-lot"), root, 5, h("batch"))
        assert reverted(exc_info) == ("TraceRegistryRootAlreadyAnchored", (root, h("lot")))

    @pytest.mark.parametrize(
        ("lot", "root", "count", "expected"),
        [
            (ZERO, h("r"), 1, ("TraceRegistryZeroLotId", ())),
            (h("lot"), ZERO, 1, ("TraceRegistryZeroRoot", (h("lot"),))),
            (h("lot"), h("r"), 0, ("TraceRegistryZeroEventCount", (h("lot"), h("r")))),
        ],
    )
    def test_anchor_lot_batch_rejects_zero_inputs(self, world, lot, root, count, expected):
        with pytest.raises(ContractReverted) as exc_info:
            world.trace().anchor_lot_batch(lot, root, count, h("batch"))
        assert reverted(exc_info) == expected

    def test_recall_and_clear_lot_record_reasons(self, world):
        root, proofs = tree([h("e1"), h("e2")])
        world.trace().anchor_lot_batch(h("lot"), root, 2, h("batch"))
        inspector = world.trace("inspector")
        recalled = inspector.recall_lot(h("lot"), "listeria found")
        assert recalled.events == (
            LotRecalled(
                lot_id=h("lot"), inspector=world.address("inspector"), reason="listeria found"
            ),
        )
        status = inspector.lot_status(h("lot"))
        assert (status.recalled, status.status_block, status.reason_hash) == (
            True,
            recalled.block_number,
            keccak(text="listeria found"),
        )
        assert not inspector.verify_event(h("e1"), proofs[0]).valid
        with pytest.raises(ContractReverted) as exc_info:
            inspector.recall_lot(h("lot"), "again")
        assert reverted(exc_info) == (
            "TraceRegistryLotAlreadyRecalled",
            (h("lot"), recalled.block_number),
        )
        cleared = inspector.clear_recall(h("lot"), "retest negative")
        assert cleared.events == (
            LotRecallCleared(
                lot_id=h("lot"), inspector=world.address("inspector"), reason="retest negative"
            ),
        )
        assert inspector.verify_event(h("e1"), proofs[0]).valid
        with pytest.raises(ContractReverted) as exc_info:
            inspector.clear_recall(h("lot"), "again")
        assert reverted(exc_info) == ("TraceRegistryLotNotRecalled", (h("lot"),))

    # Transactions ------------------------------------------------------------------

    def test_send_keeps_many_transactions_in_flight(self, world):
        client = world.trade()
        roots = [h(f"root{i}") for i in range(12)]
        hashes = [client.send_anchor_batch(r, 10, h("batch")) for r in roots]
        results = [client.wait_for_receipt(tx) for tx in hashes]
        assert [r.events[0].root for r in results] == roots
        nonces = [world.w3.eth.get_transaction(tx)["nonce"] for tx in hashes]
        assert nonces == list(range(nonces[0], nonces[0] + len(roots)))

    def test_send_raises_revert_before_spending_a_nonce(self, world):
        client = world.trade()
        client.anchor_batch(h("root"), 1, h("b"))
        nonce = world.w3.eth.get_transaction_count(world.address("anchorer"))
        with pytest.raises(ContractReverted):
            client.send_anchor_batch(h("root"), 1, h("b"))
        assert world.w3.eth.get_transaction_count(world.address("anchorer")) == nonce
        client.anchor_batch(h("root2"), 1, h("b"))

    def test_wait_for_receipt_decodes_mined_revert(self, world):
        client = world.trade()
        client.anchor_batch(h("root"), 1, h("b"))
        tx_hash = client.send_anchor_batch(h("root"), 1, h("b"), gas=200_000)
        with pytest.raises(ContractReverted) as exc_info:
            client.wait_for_receipt(tx_hash)
        assert reverted(exc_info) == ("TradeRegistryRootAlreadyAnchored", (h("root"),))
        assert exc_info.value.tx_hash == tx_hash

    def test_events_returns_logs_of_a_block_range(self, world):
        first = world.trade().anchor_batch(h("r1"), 1, h("b"))
        world.trade().anchor_batch(h("r2"), 2, h("b"))
        found = world.trade().events(first.block_number)
        assert [(e.root, e.leaf_count) for e in found] == [(h("r1"), 1), (h("r2"), 2)]
        assert found[0].log.block_number == first.block_number

    def test_find_events_filters_on_indexed_arguments(self, world):
        client = world.trade()
        first = client.anchor_batch(h("r1"), 1, h("b1"))
        second = client.anchor_batch(h("r2"), 2, h("b2"))
        found = client.find_events(BatchAnchored, first.block_number, root=h("r2"))
        assert found == (
            BatchAnchored(
                root=h("r2"),
                batch_id=h("b2"),
                anchorer=world.address("anchorer"),
                leaf_count=2,
            ),
        )
        log = found[0].log
        assert (log.tx_hash, log.block_number, log.block_hash, log.address) == (
            second.tx_hash,
            second.block_number,
            second.block_hash,
            client.address,
        )
        assert client.find_events(BatchAnchored, first.block_number, root=h("none")) == ()

    def test_find_events_matches_every_given_argument(self, world):
        client = world.trade()
        first = client.recorded_batch(client.record_verdict_batch([h("t1")], [h("v1")], [True]))
        second = client.recorded_batch(client.record_verdict_batch([h("t2")], [h("v2")], [False]))
        everything = client.find_events(VerdictBatchRecorded, 0)
        assert [e.batch for e in everything] == [first.batch, second.batch]
        found = client.find_events(VerdictBatchRecorded, 0, batch=second.batch, root=second.root)
        assert found == (second,)
        assert (
            client.find_events(VerdictBatchRecorded, 0, batch=first.batch, root=second.root) == ()
        )

    def test_verdicts_of_reads_a_batch_back_from_its_transaction(self, world):
        client = world.trade()
        ids, verdicts = [h("t1"), h("t2"), h("t3")], [h("v1"), h("v2"), h("v3")]
        number = client.recorded_batch(
            client.record_verdict_batch(ids, verdicts, [True, False, True])
        ).batch
        assert world.trade("outsider").verdicts_of(number) == tuple(
            VerdictLeaf(number, i, ids[i], verdicts[i], i != 1) for i in range(3)
        )
        assert client.verdicts_of(number + 1) is None

    @pytest.mark.parametrize(
        ("kind", "where", "message"),
        [
            (BatchAnchored, {"leaf_count": 1}, "cannot be filtered on ['leaf_count']"),
            (LotBatchAnchored, {}, "emits no LotBatchAnchored event"),
        ],
    )
    def test_find_events_rejects_unfilterable_queries(self, world, kind, where, message):
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            world.trade().find_events(kind, 0, **where)

    def test_result_of_returns_the_mined_result_or_none(self, world):
        client = world.trade()
        result = client.anchor_batch(h("root"), 1, h("b"))
        assert client.result_of(result.tx_hash) == result
        assert client.result_of("0x" + "ab" * 32) is None

"""Behaviour of the registries, written once and run on every backend.

Subclasses provide a ``world`` fixture (a ChainWorld). Every negative test asserts the
custom error's name and arguments; every positive test asserts the decoded events.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from eth_utils.crypto import keccak

from ledger_client import ConfigurationError, ContractReverted, DocumentStatus, TradeState
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
    SettlementConfirmed,
    TradeReleased,
    VerdictRecorded,
)
from tests.ledger_client.party_suite import PartyRegistryBehaviour
from tests.ledger_client.self_custody_suite import SelfCustodyBehaviour

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


def reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple[Any, ...]]:
    return exc_info.value.error_name, exc_info.value.args


class RegistryBehaviour(PartyRegistryBehaviour, SelfCustodyBehaviour):
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
            ("trade", "record_verdict", (h("t"), h("v"), True), "ANCHORER_ROLE"),
            ("trade", "release", (h("t"), h("v")), "CUSTOMS_ROLE"),
            ("trade", "confirm_settlement", (h("t"), h("v"), h("s")), "BANK_ROLE"),
            ("trade", "register_financing", (h("t"), h("v"), h("f")), "BANK_ROLE"),
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
            ("trade", "CUSTOMS_ROLE", "customs", "release", (h("t"), h("v"))),
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

    # Trade state machine ---------------------------------------------------------

    def test_trade_moves_from_verdict_to_settlement(self, world):
        trade_id = h("trade")
        verdict = world.trade().record_verdict(trade_id, h("verdict"), True)
        assert verdict.events == (
            VerdictRecorded(
                trade_id=trade_id, verdict_hash=h("verdict"), matched=True, verdict_count=1
            ),
        )
        released = world.trade("customs").release(trade_id, h("verdict"))
        assert released.events == (
            TradeReleased(
                trade_id=trade_id, verdict_hash=h("verdict"), customs=world.address("customs")
            ),
        )
        settled = world.trade("bank").confirm_settlement(trade_id, h("verdict"), h("ref"))
        assert settled.events == (
            SettlementConfirmed(
                trade_id=trade_id,
                verdict_hash=h("verdict"),
                settlement_ref=h("ref"),
                bank=world.address("bank"),
            ),
        )
        record = world.trade("outsider").trade(trade_id)
        assert (record.state, record.verdict_hash, record.matched, record.verdict_count) == (
            TradeState.SETTLED,
            h("verdict"),
            True,
            1,
        )
        assert (
            record.verdict_block,
            record.released_block,
            record.settled_block,
            record.settlement_ref,
        ) == (
            verdict.block_number,
            released.block_number,
            settled.block_number,
            h("ref"),
        )

    def test_record_verdict_replaces_mismatch_until_release(self, world):
        trade_id = h("trade")
        world.trade().record_verdict(trade_id, h("v1"), False)
        assert world.trade().trade(trade_id).state is TradeState.MISMATCHED
        result = world.trade().record_verdict(trade_id, h("v2"), True)
        assert result.events == (
            VerdictRecorded(trade_id=trade_id, verdict_hash=h("v2"), matched=True, verdict_count=2),
        )
        released = world.trade("customs").release(trade_id, h("v2"))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().record_verdict(trade_id, h("v3"), False)
        assert reverted(exc_info) == (
            "TradeRegistryTradeAlreadyReleased",
            (trade_id, released.block_number),
        )

    @pytest.mark.parametrize(
        ("verdict", "released", "expected"),
        [
            (None, False, ("TradeRegistryUnknownTrade", (h("trade"),))),
            (False, False, ("TradeRegistryTradeNotMatched", (h("trade"), h("verdict")))),
            (True, True, ("TradeRegistryTradeAlreadyReleased", (h("trade"), "released_block"))),
        ],
    )
    def test_release_rejects_trade_not_releasable(self, world, verdict, released, expected):
        if verdict is not None:
            world.trade().record_verdict(h("trade"), h("verdict"), verdict)
        customs = world.trade("customs")
        block = customs.release(h("trade"), h("verdict")).block_number if released else None
        with pytest.raises(ContractReverted) as exc_info:
            customs.release(h("trade"), h("verdict"))
        name, args = expected
        assert reverted(exc_info) == (
            name,
            tuple(block if a == "released_block" else a for a in args),
        )

    def test_confirm_settlement_rejects_unreleased_and_repeated(self, world):
        trade_id = h("trade")
        world.trade().record_verdict(trade_id, h("verdict"), True)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").confirm_settlement(trade_id, h("verdict"), h("ref"))
        assert reverted(exc_info) == ("TradeRegistryTradeNotReleased", (trade_id,))
        world.trade("customs").release(trade_id, h("verdict"))
        world.trade("bank").confirm_settlement(trade_id, h("verdict"), h("ref"))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank2").confirm_settlement(trade_id, h("verdict"), h("other"))
        assert reverted(exc_info) == (
            "TradeRegistrySettlementAlreadyConfirmed",
            (trade_id, h("ref")),
        )

    def test_register_financing_rejects_second_bank_until_discharged(self, world):
        trade_id = h("trade")
        world.trade().record_verdict(trade_id, h("verdict"), True)
        first = world.trade("bank").register_financing(trade_id, h("verdict"), h("terms"))
        assert first.events == (
            FinancingRegistered(
                trade_id=trade_id,
                verdict_hash=h("verdict"),
                financier=world.address("bank"),
                terms_hash=h("terms"),
            ),
        )
        for party in ("bank2", "bank"):
            with pytest.raises(ContractReverted) as exc_info:
                world.trade(party).register_financing(trade_id, h("verdict"), h("terms2"))
            assert reverted(exc_info) == (
                "TradeRegistryAlreadyFinanced",
                (trade_id, world.address("bank")),
            )
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank2").discharge_financing(trade_id)
        assert reverted(exc_info) == (
            "TradeRegistryNotFinancier",
            (trade_id, world.address("bank"), world.address("bank2")),
        )
        discharged = world.trade("bank").discharge_financing(trade_id)
        assert discharged.events == (
            FinancingDischarged(trade_id=trade_id, financier=world.address("bank")),
        )
        world.trade("bank2").register_financing(trade_id, h("verdict"), h("terms2"))
        record = world.trade().trade(trade_id)
        assert (record.financier, record.financing_terms) == (world.address("bank2"), h("terms2"))

    @pytest.mark.parametrize(
        ("verdict", "call", "expected"),
        [
            (False, "register", ("TradeRegistryTradeNotMatched", (h("trade"), h("verdict")))),
            (None, "register", ("TradeRegistryUnknownTrade", (h("trade"),))),
            (True, "discharge", ("TradeRegistryNotFinanced", (h("trade"),))),
        ],
    )
    def test_financing_rejects_invalid_state(self, world, verdict, call, expected):
        if verdict is not None:
            world.trade().record_verdict(h("trade"), h("verdict"), verdict)
        bank = world.trade("bank")
        attempt = {
            "register": lambda: bank.register_financing(h("trade"), h("verdict"), h("terms")),
            "discharge": lambda: bank.discharge_financing(h("trade")),
        }[call]
        with pytest.raises(ContractReverted) as exc_info:
            attempt()
        assert reverted(exc_info) == expected

    def test_batch_variants_record_and_release_many_trades(self, world):
        ids = [h(f"t{i}") for i in range(3)]
        recorded = world.trade().record_verdicts(
            ids, [h(f"v{i}") for i in range(3)], [True, True, False]
        )
        assert [(e.trade_id, e.matched) for e in recorded.events] == [
            (ids[0], True),
            (ids[1], True),
            (ids[2], False),
        ]
        released = world.trade("customs").release_batch(ids[:2], [h("v0"), h("v1")])
        assert released.events == tuple(
            TradeReleased(trade_id=i, verdict_hash=h(f"v{n}"), customs=world.address("customs"))
            for n, i in enumerate(ids[:2])
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("customs").release_batch(ids[2:], [])
        assert reverted(exc_info) == ("TradeRegistryLengthMismatch", (1, 0))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().record_verdicts(ids[:2], [h("v")], [True, True])
        assert reverted(exc_info) == ("TradeRegistryLengthMismatch", (2, 1))

    # Each step commits to the verdict it was judged on --------------------------------

    def test_steps_refuse_a_verdict_that_is_not_the_trades(self, world):
        trade_id = h("trade")
        world.trade().record_verdict(trade_id, h("v1"), True)
        world.trade().record_verdict(trade_id, h("v2"), True)  # new documents, new verdict
        changed = ("TradeRegistryVerdictChanged", (trade_id, h("v2"), h("v1")))
        attempts = {
            "release": lambda: world.trade("customs").release(trade_id, h("v1")),
            "release_batch": lambda: world.trade("customs").release_batch([trade_id], [h("v1")]),
            "financing": lambda: world.trade("bank").register_financing(
                trade_id, h("v1"), h("terms")
            ),
        }
        for name, attempt in attempts.items():
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert reverted(exc_info) == changed, name
        world.trade("customs").release(trade_id, h("v2"))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").confirm_settlement(trade_id, h("v1"), h("ref"))
        assert reverted(exc_info) == changed

    def test_verdict_is_frozen_while_financed(self, world):
        trade_id = h("trade")
        world.trade().record_verdict(trade_id, h("v1"), True)
        world.trade("bank").register_financing(trade_id, h("v1"), h("terms"))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().record_verdict(trade_id, h("v2"), True)
        assert reverted(exc_info) == (
            "TradeRegistryTradeFinanced",
            (trade_id, world.address("bank")),
        )
        world.trade("bank").discharge_financing(trade_id)
        world.trade().record_verdict(trade_id, h("v2"), True)
        assert world.trade().trade(trade_id).verdict_hash == h("v2")

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
        client.record_verdicts([h("t1"), h("t2")], [h("v1"), h("v2")], [True, False])
        everything = client.find_events(VerdictRecorded, 0)
        assert [e.trade_id for e in everything] == [h("t1"), h("t2")]
        found = client.find_events(VerdictRecorded, 0, trade_id=h("t2"), verdict_hash=h("v2"))
        assert found == (VerdictRecorded(h("t2"), h("v2"), False, 1),)
        assert client.find_events(VerdictRecorded, 0, trade_id=h("t2"), verdict_hash=h("v1")) == ()

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

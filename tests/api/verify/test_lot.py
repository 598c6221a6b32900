"""The checks of a lot's verification material, against a chain held in memory."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from api.verify.lot import LotOutcome, LotReport, verify_lot
from tests.api.verify.lot_factory import (
    ANCHOR_BLOCK,
    CHAIN_ID,
    PARTY,
    TRACE,
    Lot,
    build_lot,
    trust,
)
from traceability import Algorithm, SigningKey
from traceability.epcis.hashing import LEGACY_PROFILE
from traceability.signing.registry_ids import key_hash, role_mask


@pytest.fixture(scope="module")
def genuine() -> Lot:
    """Signing keys are slow to make: one lot per module, copied by each test that edits it."""
    return build_lot()


def _verify(lot: Lot, **kwargs: Any) -> LotReport:
    kwargs.setdefault("trust", trust())
    kwargs.setdefault("chain_id", CHAIN_ID)
    return verify_lot(lot.material, lot.chain, **kwargs)


def _failed(report: LotReport) -> list[tuple[str, str, str]]:
    return [(c.name, c.expected, c.found) for c in report.checks if c.status == "failed"]


@pytest.mark.parametrize("profile", [LEGACY_PROFILE, None])
def test_verify_lot_rehashes_each_event_with_the_profile_it_was_anchored_with(
    profile: str | None,
) -> None:
    # Events anchored under the old rule (material naming it, or older material naming none)
    # still verify now that the default rule is another one.
    lot = build_lot(profile)
    report = _verify(lot)
    assert _failed(report) == []
    assert report.outcome is LotOutcome.VERIFIED


def test_verify_lot_fails_an_event_rehashed_with_another_profile(genuine: Lot) -> None:
    material = copy.deepcopy(genuine.material)
    material["events"][0]["hashProfile"] = LEGACY_PROFILE
    report = verify_lot(material, genuine.chain, trust=trust(), chain_id=CHAIN_ID)
    assert [name for name, _, _ in _failed(report)] == [
        "event 1 (commissioning, " + material["events"][0]["eventHash"][:12] + "): event hash"
    ]


def _flip(hex_text: str) -> str:
    return ("1" if hex_text[0] != "1" else "2") + hex_text[1:]


def test_verify_lot_passes_a_genuine_lot(genuine: Lot) -> None:
    genuine.chain.calls.clear()
    report = _verify(genuine)
    assert _failed(report) == []
    assert report.verified
    assert report.outcome is LotOutcome.VERIFIED
    names = [c.name for c in report.checks]
    for check in ("signer registered", "key valid when anchored", "signer's role",
                  "anchor transaction", "anchored on chain", "in its signed envelope"):  # fmt: skip
        assert sum(n.endswith(f": {check}") for n in names) == 8, check
    assert sum(n.endswith(": signature") for n in names) == 2  # once per envelope
    assert genuine.chain.calls.count("verifyEvent") == 8
    assert genuine.chain.calls.count("signerAt") == 8
    assert genuine.chain.calls.count("receipt") == 8
    assert all(c.found != "missing" for c in report.checks)


def _edit_event(lot: Lot) -> None:
    lot.material["events"][2]["event"]["disposition"] = "conformant_but_changed"


def _edit_proof(lot: Lot) -> None:
    proof = lot.material["events"][0]["anchor"]["proof"]
    proof[0] = _flip(proof[0])


def _claim_other_root(lot: Lot) -> None:
    anchor = lot.material["events"][0]["anchor"]
    anchor["root"] = _flip(anchor["root"])


def _claim_other_block(lot: Lot) -> None:
    lot.material["events"][0]["anchor"]["blockNumber"] = ANCHOR_BLOCK + 1


def _claim_other_transaction(lot: Lot) -> None:
    lot.material["events"][0]["anchor"]["txHash"] = "0x" + "ee" * 32


def _claim_other_batch(lot: Lot) -> None:
    lot.material["events"][0]["anchor"]["batchId"] = "ff" * 32


def _swap_context(lot: Lot) -> None:
    # Same namespaces, so the hash holds: only the envelope check can see the swap.
    lot.material["events"][0]["context"] = [*lot.material["events"][0]["context"], {"x": "y:"}]


def _point_at_other_envelope(lot: Lot) -> None:
    events = lot.material["events"]
    events[0]["envelopeHash"] = events[-1]["envelopeHash"]


def _break_signature(lot: Lot) -> None:
    entry = lot.material["envelopes"][lot.material["events"][0]["envelopeHash"]]
    signature = entry["envelope"]["signature"]
    entry["envelope"]["signature"] = ("A" if signature[0] != "A" else "B") + signature[1:]


def _other_public_key(lot: Lot) -> None:
    entry = lot.material["envelopes"][lot.material["events"][0]["envelopeHash"]]
    entry["publicKey"]["publicKey"] = SigningKey.generate(Algorithm.ED25519).public_key


def _unreadable_public_key(lot: Lot) -> None:
    entry = lot.material["envelopes"][lot.material["events"][0]["envelopeHash"]]
    entry["publicKey"]["publicKey"] = "not-a-key"


def _unsigned(lot: Lot) -> None:
    lot.material["events"][0]["envelopeHash"] = None


def _drop_envelope(lot: Lot) -> None:
    lot.material["envelopes"].pop(lot.material["events"][0]["envelopeHash"])


@pytest.mark.parametrize(
    ("edit", "check", "found"),
    [
        (_edit_event, "event 3 (inspecting, ", "no hash"),
        (_edit_proof, "event 1 (commissioning, ", "which was never anchored"),
        (_claim_other_root, ": anchored on chain", f"in block {ANCHOR_BLOCK}"),
        (_claim_other_block, ": anchored on chain", f"in block {ANCHOR_BLOCK}"),
        (_claim_other_transaction, ": anchor transaction", "no such transaction"),
        (_claim_other_batch, ": anchor transaction", "root "),
        (_swap_context, ": in its signed envelope", "under a context other than"),
        (_point_at_other_envelope, ": in its signed envelope", "does not hold"),
        (_break_signature, ": signature", "does not verify"),
        (_other_public_key, ": signature", "does not verify"),
        (_unreadable_public_key, ": signature", "InvalidKey"),
        (_unsigned, ": signed", "only sandan vouches for it"),
        (_drop_envelope, ": present", "missing"),
    ],
)
def test_verify_lot_names_the_failed_check(
    genuine: Lot, edit: Callable[[Lot], None], check: str, found: str
) -> None:
    lot = genuine.copy()
    edit(lot)
    report = _verify(lot)
    assert report.outcome is LotOutcome.NOT_AUTHENTIC
    failed = _failed(report)
    assert failed, report.checks
    name, _expected, what = failed[0]
    assert check in name
    if found != "no hash":
        assert found in what
    else:
        assert name.endswith(": event hash")
        assert what != lot.events[2]["eventHash"]


def test_verify_lot_reports_expected_and_found_hash(genuine: Lot) -> None:
    lot = genuine.copy()
    _edit_event(lot)
    ((name, expected, found),) = _failed(_verify(lot))
    assert name.endswith(": event hash")
    assert expected == lot.events[2]["eventHash"]
    assert len(found) == 64
    assert found != expected


@pytest.mark.parametrize(
    ("changes", "check", "found"),
    [
        ({"valid_from_block": 0}, "signer registered", "no such key"),
        ({"party_id": bytes(32)}, "signer registered", "a key of party id 00"),
        ({"public_key_hash": bytes(32)}, "signer registered", "public key hash 00"),
        ({"alg": 3}, "signer registered", "algorithm code 3, not 1"),
        ({"valid_from_block": ANCHOR_BLOCK}, "key valid when anchored",
         f"registered in block {ANCHOR_BLOCK}"),
        ({"revoked_from_block": ANCHOR_BLOCK}, "key valid when anchored",
         f"revoked from block {ANCHOR_BLOCK}"),
        ({"roles_at_block": role_mask(["platform", "bank"])}, "signer's role",
         "held bank, platform"),
        ({"roles_at_block": 0}, "signer's role", "held none"),
    ],
)  # fmt: skip
def test_verify_lot_applies_the_party_registry_rule(
    genuine: Lot, changes: dict[str, Any], check: str, found: str
) -> None:
    producer = genuine.signers["producer"]
    keys = dict(genuine.chain.keys)
    keys[key_hash(producer.key_id)] = producer.registered(**changes)
    lot = replace(genuine, chain=replace(genuine.chain, keys=keys, calls=[]))
    failed = _failed(_verify(lot))
    # The producer signed the first two events: exactly those fail, on that check.
    assert [f[0] for f in failed] == [
        f"event {i} (commissioning, {lot.events[i - 1]['eventHash'][:12]}): {check}" for i in (1, 2)
    ]
    assert all(found in f[2] for f in failed)


def test_verify_lot_accepts_a_key_revoked_after_anchoring(genuine: Lot) -> None:
    producer = genuine.signers["producer"]
    keys = {**genuine.chain.keys, key_hash(producer.key_id): producer.registered(
        revoked_from_block=ANCHOR_BLOCK + 1)}  # fmt: skip
    assert _verify(replace(genuine, chain=replace(genuine.chain, keys=keys))).verified


@pytest.mark.parametrize(
    ("pinned", "node_chain", "failed"),
    [
        ((TRACE,), CHAIN_ID, f"registry {PARTY} is not a trusted registry"),
        ((PARTY,), CHAIN_ID, f"registry {TRACE} is not a trusted registry"),
        ((TRACE, PARTY), CHAIN_ID + 1, f"registry {TRACE} is not a trusted registry"),
    ],
)
def test_verify_lot_refuses_untrusted_registries_without_asking_them(
    genuine: Lot, pinned: tuple[str, ...], node_chain: int, failed: str
) -> None:
    genuine.chain.calls.clear()
    report = _verify(genuine, trust=trust(*pinned), chain_id=node_chain)
    assert report.outcome is LotOutcome.NOT_AUTHENTIC
    assert failed in [f[2] for f in _failed(report)]
    assert genuine.chain.calls == []


def test_verify_lot_refuses_a_lot_naming_no_party_registry(genuine: Lot) -> None:
    lot = genuine.copy()
    lot.material["chain"]["partyRegistry"] = None
    assert ("PartyRegistry trusted", "the lot names no PartyRegistry") in [
        (f[0], f[2]) for f in _failed(_verify(lot))
    ]


def test_verify_lot_reports_pending_events(genuine: Lot) -> None:
    lot = genuine.copy()
    lot.material["events"][-1]["anchor"] = None
    report = _verify(lot)
    assert _failed(report) == []
    assert report.pending == 1
    assert not report.verified
    assert report.outcome is LotOutcome.NOT_AUTHENTIC
    (pending,) = [c for c in report.checks if c.status == "pending"]
    assert pending.name.endswith(": anchored on chain")
    assert pending.found == "not anchored yet"


def test_verify_lot_reports_a_recall_without_calling_it_forged(genuine: Lot) -> None:
    lot = replace(genuine, chain=replace(genuine.chain, recalled=True))
    report = _verify(lot)
    assert report.verified
    assert report.recalled
    assert report.to_json()["recalled"] is True


def test_verify_lot_reports_a_registry_refusal_as_a_failed_check(genuine: Lot) -> None:
    lot = replace(genuine, chain=replace(genuine.chain, refuse=True, calls=[]))
    failed = _failed(_verify(lot))
    assert len(failed) == 8
    assert all("refused: execution reverted" in f[2] for f in failed)


def test_verify_lot_report_json_shape(genuine: Lot) -> None:
    lot = genuine.copy()
    _edit_proof(lot)
    data = _verify(lot).to_json()
    assert data["outcome"] == "not_authentic"
    assert data["verified"] is False
    assert data["trustRoots"] == "the test's trust roots"
    assert {tuple(sorted(c)) for c in data["checks"]} == {("check", "expected", "found", "status")}
    assert {c["status"] for c in data["checks"]} == {"passed", "failed"}

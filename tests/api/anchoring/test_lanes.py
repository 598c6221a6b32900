"""Anchoring lanes: stored names, payload formats, batch limits, and their chain calls."""

from __future__ import annotations

import json
import secrets

import pytest

from api.anchoring.gateway import LedgerGateway
from api.anchoring.lanes import (
    SUPERSEDE,
    TRADE,
    VERDICT,
    VERDICTS_PER_TRANSACTION,
    DocumentPayload,
    Lane,
    LotEventPayload,
    LotLane,
    SupersedePayload,
    UnknownLane,
    VerdictPayload,
    lane_of,
    verdict_parties,
)
from api.db.models import OutboxRecord, utcnow
from ledger_client.events import VerdictBatchRecorded
from traceability.merkle import MerkleTree
from traceability.signing.registry_ids import party_id

LOT_ID = "ab" * 32


@pytest.mark.parametrize(
    ("text", "lane"),
    [
        ("trade", TRADE),
        ("verdict", VERDICT),
        ("supersede", SUPERSEDE),
        (f"lot:{LOT_ID}", LotLane(LOT_ID)),
    ],
)
def test_lane_of_round_trips_every_stored_name(text, lane):
    assert lane_of(text) == lane
    assert lane.name == text
    assert lane_of(lane.name).name == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Trade",
        "document",
        "verdicts",
        "lot:",
        "lot:xyz",
        "lot:" + "AB" * 32,
        "lot:" + "ab" * 31,
        "lot:" + "ab" * 33,
        " trade",
    ],
)
def test_lane_of_rejects_unknown_names(text):
    with pytest.raises(UnknownLane, match="unknown lane"):
        lane_of(text)


def test_unknown_lane_is_a_value_error():
    assert issubclass(UnknownLane, ValueError)


@pytest.mark.parametrize(
    ("lane", "kind"),
    [
        (TRADE, "document"),
        (LotLane(LOT_ID), "event"),
        (VERDICT, "verdict"),
        (SUPERSEDE, "supersede"),
    ],
)
def test_lane_kind_is_the_outbox_kind(lane, kind):
    assert lane.kind == kind


# Each stored text is what the services wrote before lanes had types: byte for byte.
PAYLOADS = [
    (TRADE, DocumentPayload(), json.dumps({}, sort_keys=True)),
    (
        VERDICT,
        VerdictPayload(trade_id="aa" * 32, verdict_hash="bb" * 32, matched=True),
        json.dumps(
            {"tradeId": "aa" * 32, "verdictHash": "bb" * 32, "matched": True}, sort_keys=True
        ),
    ),
    (
        VERDICT,
        VerdictPayload(trade_id="cc" * 32, verdict_hash="dd" * 32, matched=False),
        '{"matched": false, "tradeId": "' + "cc" * 32 + '", "verdictHash": "' + "dd" * 32 + '"}',
    ),
    (
        VERDICT,
        VerdictPayload("ee" * 32, "ff" * 32, True, parties="EBP-1,LOG-1,PAY-1"),
        '{"matched": true, "parties": "EBP-1,LOG-1,PAY-1", "tradeId": "'
        + "ee" * 32
        + '", "verdictHash": "'
        + "ff" * 32
        + '"}',
    ),
    (
        SUPERSEDE,
        SupersedePayload(old="01" * 32, new="02" * 32, reason="corrected version 2"),
        '{"new": "' + "02" * 32 + '", "old": "' + "01" * 32 + '", "reason": "corrected version 2"}',
    ),
    (
        LotLane(LOT_ID),
        LotEventPayload(event_id="urn:uuid:1", gtin="09506000134352", lot="LÖT-ß1"),
        '{"eventId": "urn:uuid:1", "gtin": "09506000134352", "lot": "LÖT-ß1"}',
    ),
]


@pytest.mark.parametrize(("lane", "payload", "stored"), PAYLOADS)
def test_payload_to_json_is_the_stored_format(lane, payload, stored):
    assert payload.to_json() == stored


@pytest.mark.parametrize(("lane", "payload", "stored"), PAYLOADS)
def test_lane_parses_stored_payloads_back(lane, payload, stored):
    assert lane.parse(stored) == payload
    assert type(payload).from_json(payload.to_json()) == payload


@pytest.mark.parametrize(
    ("lane", "text", "payload"),
    [
        # Rows written by hand (tests, older code): keys unsorted, non-ASCII escaped.
        (
            VERDICT,
            json.dumps({"verdictHash": "bb", "tradeId": "aa", "matched": True}),
            VerdictPayload("aa", "bb", True),
        ),
        (
            LotLane(LOT_ID),
            json.dumps({"lot": "LÖT", "gtin": "1", "eventId": "e"}),
            LotEventPayload("e", "1", "LÖT"),
        ),
    ],
)
def test_lane_parses_equivalent_json(lane, text, payload):
    assert lane.parse(text) == payload


@pytest.mark.parametrize(
    ("lane", "text"), [(TRADE, "[]"), (VERDICT, "null"), (SUPERSEDE, '{"old": "aa"}')]
)
def test_lane_rejects_malformed_payloads(lane, text):
    with pytest.raises((ValueError, KeyError)):
        lane.parse(text)


@pytest.mark.parametrize(("lane", "payload", "stored"), PAYLOADS)
def test_outbox_row_stores_kind_lane_and_payload(lane, payload, stored):
    now = utcnow()
    row = lane.outbox_row("ef" * 32, payload, created_at=now)
    assert row == {
        "kind": lane.kind,
        "subject": "ef" * 32,
        "lane": lane.name,
        "payload": stored,
        "created_at": now,
    }
    record = lane.outbox_record("ef" * 32, payload, created_at=now)
    assert (record.kind, record.lane, record.payload) == (lane.kind, lane.name, stored)


@pytest.mark.parametrize(
    ("lane", "batch_size", "limit"),
    [
        (TRADE, 40, 40),
        (TRADE, 1_000, 1_000),
        (LotLane(LOT_ID), 1_000, 1_000),
        (VERDICT, 1_000, VERDICTS_PER_TRANSACTION),
        (VERDICT, 40, 40),
        (SUPERSEDE, 1_000, 1),
    ],
)
def test_lane_limit_per_transaction(lane, batch_size, limit):
    assert VERDICTS_PER_TRANSACTION == 1000
    assert lane.limit(batch_size) == limit


def _rows(lane: Lane, payloads: list[object], subjects: list[str] | None = None):
    subjects = subjects or [secrets.token_hex(32) for _ in payloads]
    return [
        OutboxRecord(**lane.outbox_row(s, p, created_at=utcnow()))
        for s, p in zip(subjects, payloads, strict=True)
    ]


@pytest.mark.parametrize("lane", [TRADE, LotLane(LOT_ID)])
def test_merkle_lanes_build_the_tree_of_their_subjects(lane):
    payload = DocumentPayload() if lane is TRADE else LotEventPayload("e", "1", "L")
    rows = _rows(lane, [payload] * 5)
    tree = lane.build(rows)
    assert tree is not None
    assert tree.root == MerkleTree.build([bytes.fromhex(r.subject) for r in rows]).root


@pytest.mark.parametrize(
    ("lane", "payload"),
    [
        (VERDICT, VerdictPayload("aa" * 32, "bb" * 32, True)),
        (SUPERSEDE, SupersedePayload("a", "b", "r")),
    ],
)
def test_call_lanes_build_no_tree(lane, payload):
    assert lane.build(_rows(lane, [payload])) is None


# --- on chain -----------------------------------------------------------------------------


def _lane_batches(lane: Lane):
    """Rows of ``lane`` and their batch root, as the worker would build them."""
    if lane == VERDICT:
        payloads = [
            VerdictPayload(secrets.token_hex(32), secrets.token_hex(32), i % 2 == 0)
            for i in range(3)
        ]
        return _rows(lane, payloads, [f"{p.trade_id}:{p.verdict_hash}" for p in payloads]), None
    if lane == SUPERSEDE:
        change = SupersedePayload(secrets.token_hex(32), secrets.token_hex(32), "corrected")
        return _rows(lane, [change], [change.old]), None
    payload = DocumentPayload() if lane == TRADE else LotEventPayload("e", "1", "L")
    rows = _rows(lane, [payload] * 4)
    tree = lane.build(rows)
    assert tree is not None
    return rows, tree.root.hex()


@pytest.mark.parametrize(
    "lane",
    [TRADE, LotLane(LOT_ID), VERDICT, SUPERSEDE],
    ids=["trade", "lot", "verdict", "supersede"],
)
def test_lane_finds_its_anchor_after_sending(ledger: LedgerGateway, lane):
    rows, root = _lane_batches(lane)
    assert ledger.find_anchor(lane, root, rows) is None
    sent: list[str] = []
    anchor = ledger.submit(lane, root, secrets.token_hex(32), rows, on_sent=sent.append)
    assert sent == [anchor.tx_hash]
    assert anchor.contract_address == lane.registry(ledger).address
    assert ledger.find_anchor(lane, root, rows) == anchor
    assert ledger.is_confirmed(anchor, 1)


# Not verdicts: the contract lets a verdict be recorded again (a newer one replaces it
# until release), so for them it is the worker's look before sending that avoids a resend.
@pytest.mark.parametrize(
    "lane", [TRADE, LotLane(LOT_ID), SUPERSEDE], ids=["trade", "lot", "supersede"]
)
def test_lane_resend_after_a_crash_answers_with_the_first_anchor(ledger: LedgerGateway, lane):
    rows, root = _lane_batches(lane)
    batch_id = secrets.token_hex(32)
    first = ledger.submit(lane, root, batch_id, rows)
    assert ledger.submit(lane, root, batch_id, rows) == first


def test_verdict_lane_commits_each_trades_signers_rebuilt_from_the_rows(ledger: LedgerGateway):
    signers = ["EBP-1,LOG-1,PAY-1", "", "EBP-2,PAY-1"]
    payloads = [
        VerdictPayload(secrets.token_hex(32), secrets.token_hex(32), True, parties=codes)
        for codes in signers
    ]
    rows = _rows(VERDICT, payloads, [f"{p.trade_id}:{p.verdict_hash}" for p in payloads])
    anchor = ledger.submit(VERDICT, None, secrets.token_hex(32), rows)
    (recorded,) = [e for e in anchor.events if isinstance(e, VerdictBatchRecorded)]
    committed = ledger.trade.parties_of(recorded.batch)
    assert committed is not None
    for position, codes in enumerate(signers):
        expected = {party_id(code) for code in codes.split(",") if code}
        assert committed.parties_at(position) == frozenset(expected)
    # What a resend would send: the same lists, from the stored rows alone.
    reread = [VERDICT.parse(row.payload) for row in rows]
    assert verdict_parties(reread) == committed == verdict_parties(payloads)

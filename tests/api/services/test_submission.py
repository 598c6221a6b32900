"""The one write path, called with a session: new, idempotent, replay and new version."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.db.engine import create_db_and_tables
from api.db.models import DocumentRecord, OutboxRecord, PartyKeyRecord, PartyRecord
from api.db.trace_models import TraceEnvelopeRecord, TraceEventRecord
from api.errors import Conflict
from api.services import documents, submission
from api.services.documents import WriteContext
from api.services.keys import DatabaseDirectory
from api.services.submission import Candidate
from tests.api.trace_fixtures import chain_document
from traceability import (
    Algorithm,
    KeyNotYetValid,
    ReplayedEnvelope,
    SigningKey,
    TraceabilityError,
    sign_envelope,
    verify_envelope,
)
from traceability.epcis import parse_event
from traceability.trade import samples

NOW = datetime.now(UTC)
CONTEXT = WriteContext(NOW, timedelta(minutes=5))
KEY = SigningKey.generate(Algorithm.ED25519)
PLATFORM = samples.PLATFORM[0]
PRODUCER = "producer-1"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on a fresh database holding a platform and a producer, each with a key."""
    create_db_and_tables(engine)
    with Session(engine, expire_on_commit=False) as session:
        for code, role in ((PLATFORM, "platform"), (PRODUCER, "producer")):
            session.add(
                PartyRecord(code=code, name=code, roles=role, api_key_hash=code, created_at=NOW)
            )
            session.flush()
            session.add(
                PartyKeyRecord(
                    key_id=f"{code}-k1",
                    party_code=code,
                    alg=KEY.alg.value,
                    public_key=KEY.public_key,
                    valid_from=NOW - timedelta(days=1),
                )
            )
        session.commit()
        yield session


def _envelope(doc_type: str, document: dict[str, Any], party: str, salt: bytes) -> Any:
    return sign_envelope(
        document,
        doc_type=doc_type,
        party=party,
        key_id=f"{party}-k1",
        signing_key=KEY,
        salt=salt,
        issued_at=NOW,
    )


def _order(session: Session, order_no: str, *, salt: bytes, note: str = "") -> documents.Submission:
    """A checked order submission, as the JSON and bulk paths prepare it."""
    document = samples.import_order_json(samples.ImportTerms(order_no=order_no))
    if note:
        document["note"] = note
    party = session.get(PartyRecord, PLATFORM)
    assert party is not None
    envelope = documents.parse_envelope(_envelope("order", document, PLATFORM, salt).to_wire())
    return documents.check_submission(
        session=session, party=party, envelope=envelope, context=CONTEXT
    )


def _submit(session: Session, *items: documents.Submission) -> list[submission.Decision]:
    return submission.submit(session=session, submissions=items, context=CONTEXT)


def _count(session: Session, table: Any, *where: Any) -> int:
    return int(session.exec(select(func.count()).select_from(table).where(*where)).one())


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine runs while the test looks."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


# --- documents --------------------------------------------------------------------------


def test_store_documents_decides_a_mixed_batch_in_one_pass(session: Session) -> None:
    first = _order(session, "SV1", salt=b"a" * 16)
    other = _order(session, "SV2", salt=b"b" * 16)
    assert all(
        d.created
        for d in submission.submit(session=session, submissions=[first, other], context=CONTEXT)
    )

    batch = [
        _order(session, "SV1", salt=b"a" * 16),  # the same payload again: idempotent
        _order(session, "SV9", salt=b"b" * 16),  # other's keyId and salt, other bytes: replay
        _order(session, "SV1", salt=b"c" * 16, note="更正"),  # a correction of SV1: new version
        _order(session, "SV3", salt=b"d" * 16),  # new
        _order(session, "SV3", salt=b"d" * 16),  # new, then idempotent within the batch
        _order(session, "SV4", salt=b"d" * 16),  # the batch's own salt reused: replay
    ]
    decisions = submission.store_documents(session=session, submissions=batch, context=CONTEXT)
    session.commit()

    assert [d.created for d in decisions] == [False, False, True, True, False, False]
    assert [type(d.refused) for d in decisions] == [
        type(None), ReplayedEnvelope, type(None), type(None), type(None), ReplayedEnvelope
    ]  # fmt: skip
    assert decisions[1].refused is not None
    assert decisions[1].refused.field == "payload.salt"
    correction = decisions[2].record
    assert correction is not None
    assert (correction.version, correction.supersedes_hash) == (2, first.content_hash)
    old = session.exec(
        select(DocumentRecord).where(DocumentRecord.content_hash == first.content_hash)
    ).one()
    assert old.superseded_by == correction.content_hash
    assert _count(session, DocumentRecord) == 4
    assert _count(session, OutboxRecord, OutboxRecord.kind == "document") == 4
    assert _count(session, OutboxRecord, OutboxRecord.kind == "supersede") == 1


def test_plan_documents_is_one_query_for_any_batch_size(
    session: Session, statements: list[str]
) -> None:
    batch = [_order(session, f"SQ{n}", salt=bytes([n]) * 16) for n in range(1, 21)]
    for size in (1, len(batch)):
        statements.clear()
        decisions = submission.plan_documents(
            session=session, submissions=batch[:size], context=CONTEXT
        )
        assert all(d.created for d in decisions)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_store_documents_holds_every_submission_to_its_keys_validity(session: Session) -> None:
    """A payload checked elsewhere (CEB XML) meets the time rules of verify_envelope."""
    order = _order(session, "ST1", salt=b"e" * 16)
    early = replace(order, issued_at=order.key.valid_from - timedelta(days=1))
    ahead = replace(order, issued_at=NOW + timedelta(hours=1))
    decisions = submission.store_documents(
        session=session, submissions=[early, ahead], context=CONTEXT
    )
    refusals = [d.refused for d in decisions]
    assert [(r.reason, r.field) for r in refusals if isinstance(r, TraceabilityError)] == [
        ("key_not_yet_valid", "payload.keyId"),
        ("issued_in_future", "payload.issuedAt"),
    ]
    assert _count(session, DocumentRecord) == 0


def test_submit_inserts_new_documents_linked_without_updating_them(
    session: Session, statements: list[str]
) -> None:
    """A body's documents are linked before they are inserted: no UPDATE of a document row
    (on PostgreSQL one rewrites the row and every index entry), one UPDATE per trade."""
    batch = [_order(session, f"SL{n}", salt=bytes([n + 40]) * 16) for n in range(1, 6)]
    statements.clear()
    decisions = _submit(session, *batch)

    assert all(d.created for d in decisions)
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    assert not [s for s in updates if s.split()[1].strip('"') == "document"]
    assert len([s for s in updates if s.split()[1].strip('"') == "trade"]) <= 1  # executemany
    linked = session.exec(select(DocumentRecord.trade_id)).all()
    assert len(linked) == len(batch)
    assert all(linked)


@pytest.mark.parametrize(
    ("rival_note", "created", "error"),
    [
        pytest.param("二", False, None, id="same-bytes-idempotent"),
        pytest.param("一", False, "concurrent_version", id="other-version-conflict"),
    ],
)
def test_submit_settles_a_race_lost_to_a_concurrent_writer(
    session: Session,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    rival_note: str,
    created: bool,
    error: str | None,
) -> None:
    """The rival commits between our version lookup and our insert."""
    submission.submit(
        session=session, submissions=[_order(session, "SR1", salt=b"f" * 16)], context=CONTEXT
    )
    late = _order(session, "SR1", salt=b"g" * 16, note="二")
    rival = late if rival_note == "二" else _order(session, "SR1", salt=b"h" * 16, note=rival_note)
    original = documents.new_version

    def racing(**kwargs: Any) -> DocumentRecord:
        monkeypatch.setattr(documents, "new_version", original)
        with Session(engine) as other:
            (won,) = _submit(other, rival)
            assert won.created
        return original(**kwargs)

    monkeypatch.setattr(documents, "new_version", racing)
    (decision,) = _submit(session, late)
    assert decision.created is created
    assert (decision.refused.code if isinstance(decision.refused, Conflict) else None) == error
    assert _count(session, DocumentRecord) == 2


# --- EPCIS envelopes --------------------------------------------------------------------


def _events() -> list[dict[str, Any]]:
    return chain_document()["epcisBody"]["eventList"]


def _candidates(raws: list[dict[str, Any]]) -> list[Candidate]:
    context = chain_document()["@context"]
    parsed = [parse_event(raw, context=context) for raw in raws]
    return [
        Candidate(e, context, e.hash_bytes.hex(), f"epcisBody.eventList[{n}]")
        for n, e in enumerate(parsed)
    ]


def _capture(session: Session, raws: list[dict[str, Any]], salt: bytes) -> submission.Captured:
    envelope = _envelope("epcis-event", {"eventList": raws}, PRODUCER, salt)
    verified = verify_envelope(envelope, DatabaseDirectory(session), now=NOW)
    return submission.store_capture(
        session=session,
        envelope=verified,
        candidates=_candidates(raws),
        party_code=PRODUCER,
        capture_id=None,
        context=CONTEXT,
    )


def test_store_capture_decides_envelopes_and_events_in_one_batch(session: Session) -> None:
    harvest, grading, packing = _events()[:3]
    first = _capture(session, [harvest], salt=b"p" * 16)
    session.commit()
    assert (len(first.captured), first.duplicates) == (1, [])

    again = _capture(session, [harvest], salt=b"p" * 16)  # the same envelope: idempotent
    assert (again.captured, len(again.duplicates)) == ([], 1)
    mixed = _capture(session, [harvest, grading, grading, packing], salt=b"q" * 16)
    session.commit()
    assert len(mixed.captured) == 2
    assert len(mixed.duplicates) == 2  # harvest stored before, grading twice in the body
    assert _count(session, TraceEnvelopeRecord) == 2
    assert _count(session, TraceEventRecord) == 3
    assert _count(session, OutboxRecord, OutboxRecord.kind == "event") >= 3

    with pytest.raises(ReplayedEnvelope) as info:
        _capture(session, [packing], salt=b"p" * 16)  # keyId and salt of the first, other bytes
    assert info.value.field == "payload.salt"


def test_store_capture_refuses_another_event_under_a_used_event_id(session: Session) -> None:
    harvest = {**_events()[0], "eventID": "urn:uuid:6d1c4c1e-0b8f-4a57-9d3e-6a1f1f0c2b11"}
    _capture(session, [harvest], salt=b"r" * 16)
    session.commit()
    impostor = {**harvest, "eventTime": "2024-11-05T09:00:00.000+08:00"}
    with pytest.raises(Conflict) as info:
        _capture(session, [impostor], salt=b"s" * 16)
    assert info.value.field == "epcisBody.eventList[0].eventID"
    session.rollback()
    assert _count(session, TraceEventRecord) == 1


def test_store_capture_refuses_an_envelope_before_its_keys_validity(session: Session) -> None:
    envelope = _envelope("epcis-event", {"eventList": []}, PRODUCER, b"t" * 16)
    verified = verify_envelope(envelope, DatabaseDirectory(session), now=NOW)
    later_key = replace(verified.key, valid_from=NOW + timedelta(days=1))
    with pytest.raises(KeyNotYetValid):
        submission.store_capture(
            session=session,
            envelope=replace(verified, key=later_key),
            candidates=[],
            party_code=PRODUCER,
            capture_id=None,
            context=CONTEXT,
        )
    assert _count(session, TraceEnvelopeRecord) == 0

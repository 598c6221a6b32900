"""Customs receipts (回执) from the single window: ingest, link to the trade, anchor, apply.

A receipt comes from the customs party over its API key (the receipt schemas carry no
ds:Signature, so the authenticated caller is the authority). Each business element of the
message is one receipt: it is linked to its trade by the keys its type carries
(:mod:`api.services.receipt_links`), stored once (its e-port guid per type; the same receipt
again is idempotent, a different one under a used guid is refused), anchored in the trade
lane like a document, and turned into the trade's customs state:

* ``trade.customs_status`` / ``customs_status_note`` / ``customs_status_at``: the status
  code and returnInfo of the trade's deciding receipt: the latest inventory receipt
  (CEB622/CEB604) once there is one, since it answers the declaration itself; before it,
  the latest order, payment or waybill receipt (or CEB900). A return's (CEB626) and a
  cancellation's (CEB624/CEB606) receipts answer another application: they are kept and
  shown, and a cancellation receipt decides the cancellation (:mod:`api.services.cancellation`);
* ``trade.invt_no``: the inventory number customs assigned (CEB622/CEB604 ``invtNo``).

A 放行 (800) receipt is customs' message, not the release the bank relies on: see
:func:`api.services.receipt_bundle.release_agreement` and docs/receipts.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.anchoring.lanes import TRADE, DocumentPayload
from api.db import notifications
from api.db.models import PartyRecord, TradeRecord, utcnow
from api.db.receipt_models import CustomsReceiptRecord
from api.errors import ApiError, Conflict, UnprocessableContent
from api.receipt_schemas import (
    CancellationPublic,
    CustomsReceiptPublic,
    CustomsReceiptsPublic,
)
from api.runtime import Runtime
from api.services import cancellation, receipt_links
from api.services.documents import anchor_of
from api.services.receipt_links import Located, ReceiptRef
from traceability import TraceabilityError, content_hash
from traceability.ceb import (
    STATUS_MEANING,
    CebMessage,
    CustomsStatus,
    SchemaViolation,
    read_message,
    write_message,
)
from traceability.limits import MAX_REPORTED_ISSUES
from traceability.trade.fields import CHINA_TZ

#: The receipt types customs sends that sandan ingests.
INGESTED = frozenset(receipt_links.LINKS)
#: Receipts that answer the declaration itself: they outrank the order-level ones.
INVENTORY_RECEIPTS = frozenset({"CEB622", "CEB604"})
#: Receipts that decide the trade's customs status (see the module docstring).
STATUS_RECEIPTS = INVENTORY_RECEIPTS | {
    "CEB312",
    "CEB412",
    "CEB512",
    "CEB304",
    "CEB404",
    "CEB506",
    "CEB900",
}
_KNOWN_STATUSES = frozenset(s.value for s in CustomsStatus)


def status_text(status: str) -> str:
    """The customs meaning of a status code; a negative code is a processing error."""
    if status.startswith("-"):
        return "处理异常 (processing error)"
    return STATUS_MEANING.get(status, status)


@dataclass(frozen=True)
class Ingested:
    """One receipt of a message: stored now (``created``) or already before."""

    record: CustomsReceiptRecord
    created: bool


# --- reading the message ---------------------------------------------------------------


def parse_receipts(body: bytes, *, max_bytes: int) -> CebMessage:
    """The receipt message in ``body`` (CEB XML); 422 naming each schema issue."""
    try:
        return read_message(body, max_bytes=max_bytes, expect=INGESTED)
    except SchemaViolation as exc:
        raise _schema_refusal(exc) from exc


def parse_receipts_json(data: object) -> CebMessage:
    """The receipt message as :meth:`CebMessage.to_json_dict` prints it; 422 per issue."""
    try:
        message = CebMessage.from_json_dict(data)
    except SchemaViolation as exc:
        raise _schema_refusal(exc) from exc
    if message.message_type not in INGESTED:
        raise UnprocessableContent(
            f"{message.message_type} is not a customs receipt sandan ingests "
            f"({', '.join(sorted(INGESTED))})",
            field="message_type",
            code="not_a_receipt",
        )
    return message


def _schema_refusal(exc: SchemaViolation) -> UnprocessableContent:
    return UnprocessableContent(
        exc.message,
        field=exc.field,
        code="schema_violation",
        extra={
            "errors": [
                {"field": issue.path, "message": issue.detail}
                for issue in exc.issues[:MAX_REPORTED_ISSUES]
            ],
            "errorCount": len(exc.issues),
        },
    )


def returned_at(return_time: str, *, field: str, now: datetime, skew: timedelta) -> datetime:
    """A C17 ``YYYYMMDDhhmmssSSS`` (China time) as an aware UTC datetime; 422 if it is no
    date or lies in the future beyond the clock skew."""
    try:
        naive = datetime.strptime(return_time[:14], "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise UnprocessableContent(
            f"returnTime {return_time!r} is not a YYYYMMDDhhmmssSSS time", field=field
        ) from exc
    moment = naive.replace(microsecond=int(return_time[14:17]) * 1000, tzinfo=CHINA_TZ)
    if moment - now > skew:
        raise UnprocessableContent(
            f"returnTime {return_time} is in the future", field=field, code="future_time"
        )
    return moment


def check_status(status: str, *, field: str) -> None:
    """422 unless ``status`` is a customs code of the XSD documentation or negative (an
    e-port processing error): a forged ``returnStatus`` never becomes a trade's state."""
    # trade.customs_status holds 8 characters: customs' error codes are six digits (-621005).
    negative = status.startswith("-") and status[1:].isdigit() and len(status) <= 8
    if status in _KNOWN_STATUSES or negative:
        return
    raise UnprocessableContent(
        f"returnStatus {status!r} is not a customs status code "
        f"({', '.join(sorted(STATUS_MEANING, key=int))} or negative)",
        field=field,
        code="unknown_status",
    )


# --- storing ---------------------------------------------------------------------------


def ingest_receipt(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    message: CebMessage,
    source_xml: str | None = None,
    now: datetime | None = None,
) -> list[Ingested]:
    """Link, store, anchor and apply every receipt of ``message`` from customs ``party``,
    in one transaction: a receipt naming no known trade (404) or not this customs office's
    trade (403) stores nothing of the message."""
    now = now or utcnow()
    try:
        results = _store_receipts(session, runtime, party, message, source_xml, now)
    except (ApiError, TraceabilityError):
        session.rollback()  # nothing of the message is kept
        raise
    # After the receipts are stored: a chain refusal of a cancellation keeps them (customs
    # said it), answers 409, and the same receipt sent again tries again.
    cancellation.decide(
        session=session, runtime=runtime, party=party, receipts=[r.record for r in results]
    )
    return results


def _store_receipts(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    message: CebMessage,
    source_xml: str | None,
    now: datetime,
) -> list[Ingested]:
    skew = timedelta(seconds=runtime.settings.max_clock_skew_seconds)
    results: list[Ingested] = []
    touched: dict[str, TradeRecord] = {}
    for index, receipt in enumerate(message.documents):
        ref = ReceiptRef(message, index)
        check_status(ref.text("returnStatus"), field=ref.path("returnStatus"))
        moment = returned_at(
            ref.text("returnTime"), field=ref.path("returnTime"), now=now, skew=skew
        )
        located = receipt_links.locate(session=session, ref=ref, party=party)
        payload = {"messageType": message.message_type, "receipt": receipt.to_json_dict()}
        digest = content_hash(payload, runtime.digest).hex()
        stored = _stored(session, message.message_type, ref.text("guid"), digest)
        if stored is not None:
            results.append(Ingested(stored, created=False))
            continue
        record = _new_record(party, ref, located, payload, digest, moment, source_xml, now)
        _assign_invt_no(located.trade, record, field=ref.path("invtNo"))
        session.add(record)
        session.add(TRADE.outbox_record(digest, DocumentPayload(), created_at=now))
        touched[located.trade.trade_id] = located.trade
        results.append(Ingested(record, created=True))
    session.flush()
    for trade in touched.values():
        refresh_customs_status(session=session, trade=trade, party=party, now=now)
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent delivery of the same receipt won the race
        session.rollback()
        raise Conflict(
            "this receipt was stored concurrently; send it again for the stored answer",
            code="concurrent_receipt",
        ) from exc
    for item in results:
        session.refresh(item.record)
    return results


def _stored(
    session: Session, message_type: str, guid: str, digest: str
) -> CustomsReceiptRecord | None:
    """The receipt already stored under (type, guid): the same one (idempotent), or 409."""
    stored = session.exec(
        select(CustomsReceiptRecord).where(
            CustomsReceiptRecord.message_type == message_type, CustomsReceiptRecord.guid == guid
        )
    ).first()
    if stored is None or stored.content_hash == digest:
        return stored
    raise Conflict(
        f"{message_type} receipt {guid} was received before with other content "
        f"({stored.content_hash}); the e-port never reuses a receipt guid",
        field="guid",
        code="receipt_guid_reused",
        extra={"contentHash": stored.content_hash},
    )


def _new_record(
    party: PartyRecord,
    ref: ReceiptRef,
    located: Located,
    payload: dict[str, Any],
    digest: str,
    moment: datetime,
    source_xml: str | None,
    now: datetime,
) -> CustomsReceiptRecord:
    return CustomsReceiptRecord(
        content_hash=digest,
        message_type=ref.message.message_type,
        guid=ref.text("guid"),
        trade_id=located.trade.trade_id,
        party_code=party.code,
        status=ref.text("returnStatus"),
        note=ref.text("returnInfo"),
        return_time=ref.text("returnTime"),
        returned_at=moment,
        invt_no=ref.value("invtNo"),
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        source_xml=source_xml,
        received_at=now,
    )


def _assign_invt_no(trade: TradeRecord, record: CustomsReceiptRecord, *, field: str) -> None:
    """The inventory number customs assigned, from its inventory receipt; it never changes."""
    if record.message_type not in INVENTORY_RECEIPTS or record.invt_no is None:
        return
    if trade.invt_no is not None and trade.invt_no != record.invt_no:
        raise Conflict(
            f"customs assigned this trade inventory number {trade.invt_no}, not {record.invt_no}",
            field=field,
            code="invt_no_conflict",
            extra={"invtNo": trade.invt_no},
        )
    trade.invt_no = record.invt_no


def receipts_of(*, session: Session, trade_id: str) -> Sequence[CustomsReceiptRecord]:
    """The trade's receipts, in the order they were returned."""
    stmt = (
        select(CustomsReceiptRecord)
        .where(CustomsReceiptRecord.trade_id == trade_id)
        .order_by(col(CustomsReceiptRecord.returned_at), col(CustomsReceiptRecord.id))
    )
    return session.exec(stmt).all()


def deciding_receipt(receipts: Sequence[CustomsReceiptRecord]) -> CustomsReceiptRecord | None:
    """The receipt that decides the trade's customs status (see the module docstring)."""
    candidates = [r for r in receipts if r.message_type in STATUS_RECEIPTS]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda r: (r.message_type in INVENTORY_RECEIPTS, r.returned_at, r.id or 0),
    )


def refresh_customs_status(
    *, session: Session, trade: TradeRecord, party: PartyRecord, now: datetime
) -> None:
    """Set the trade's customs status from its deciding receipt; tell its parties when the
    status changed (in the caller's transaction)."""
    deciding = deciding_receipt(receipts_of(session=session, trade_id=trade.trade_id))
    if deciding is None:
        session.add(trade)
        return
    changed = (trade.customs_status, trade.customs_status_note) != (deciding.status, deciding.note)
    trade.customs_status = deciding.status
    trade.customs_status_note = deciding.note
    trade.customs_status_at = deciding.returned_at
    trade.updated_at = now
    session.add(trade)
    if changed:
        notifications.emit(
            session,
            kind=notifications.Kind.CUSTOMS_STATUS,
            parties=notifications.trade_parties(session, trade) | {party.code},
            trade_id=trade.trade_id,
            data={
                "ebpCode": trade.ebp_code,
                "orderNo": trade.order_no,
                "messageType": deciding.message_type,
                "status": deciding.status,
                "statusText": status_text(deciding.status),
                "note": deciding.note,
                "contentHash": deciding.content_hash,
            },
            now=now,
        )


# --- public shapes ----------------------------------------------------------------------


def receipt_public(
    *, session: Session, record: CustomsReceiptRecord, created: bool = False
) -> CustomsReceiptPublic:
    """The public view of a stored receipt, with its anchor once batched."""
    return CustomsReceiptPublic.from_record(
        record,
        by=record.party_code,
        status_text=status_text(record.status),
        created=created,
        anchor=anchor_of(session=session, kind="document", subject=record.content_hash),
    )


def ingest_body(
    *,
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    body: bytes,
    content_type: str | None,
) -> CustomsReceiptsPublic:
    """Ingest a receipt message sent as CEB XML or as its JSON form."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise UnprocessableContent(f"the body is not JSON: {exc}", field="body") from exc
        message, source = parse_receipts_json(data), None
    else:
        message = parse_receipts(body, max_bytes=runtime.settings.max_body_bytes)
        source = body.decode("utf-8")
    results = ingest_receipt(
        session=session, runtime=runtime, party=party, message=message, source_xml=source
    )
    data_out = [
        receipt_public(session=session, record=item.record, created=item.created)
        for item in results
    ]
    return CustomsReceiptsPublic(data=data_out, count=len(data_out))


def approve_cancellation(
    *, session: Session, runtime: Runtime, party: PartyRecord, trade: TradeRecord, note: str
) -> CancellationPublic:
    """Customs approves the trade's pending cancellation: its CEB624/CEB606 receipt (399
    审结, ``note`` as returnInfo) is built, ingested like any receipt, and the chain follows."""
    cancellation.check_cancellable(session, trade)
    receipt = cancellation.approval_receipt(
        session=session, trade=trade, status=cancellation.APPROVED, note=note, now=utcnow()
    )
    ingest_receipt(
        session=session,
        runtime=runtime,
        party=party,
        message=receipt,
        source_xml=write_message(receipt).decode("utf-8"),
    )
    (latest, *_) = reversed(cancellation.cancellations_of(session=session, trade_id=trade.trade_id))
    return cancellation.cancellation_public(latest, created=False)

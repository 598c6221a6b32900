"""Return applications (退货申请单): accepted, matched to the released trade, recorded on chain.

A return arrives as a signed JSON envelope (``docType`` ``return`` for an import CEB625,
``export-return`` for a retail export CEB213) or as a signed CEB625 XML message through
``POST /documents/xml`` (:mod:`api.services.xml_ingest`, the same signature checks). Only
the party the return names may submit it: its e-commerce company (``ebcCode``) or the
declaring agent (``agentCode``).

Each return is judged by :func:`traceability.ceb.returns.match_return` against the trade it
names and the returns of that trade accepted before, and stored with the verdict and the
CEB626 answer (120 accepted, 100 refused with the reasons as its note). Its content hash is
anchored in the document lane like every signed document. An accepted return is then told
to the LifecycleRegistry (``recordReturns``, by the anchorer, after the trade's value is
declared); the chain is the judge: the trade's ``returned_value`` and ``return_state``
mirror what it recorded, and only then is the return ``accepted`` and the buyer's annual
total credited (:mod:`api.services.match_contexts` counts a trade's value net of returns).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.anchoring.lanes import TRADE, DocumentPayload
from api.db import notifications
from api.db.models import DocumentRecord, PartyRecord, TradeRecord, utcnow
from api.db.returns_models import ReturnRecord
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.returns_schemas import (
    ReturnChainPublic,
    ReturnFailurePublic,
    ReturnLinePublic,
    ReturnPublic,
    ReturnReceiptPublic,
)
from api.runtime import Runtime
from api.services import documents as doc_service
from api.services import keys as key_service
from api.services import submission
from api.services.chain_actions import position_of
from api.services.lifecycle_chain import (
    ensure_value_declared,
    from_minor_units,
    lifecycle_conflict,
    minor_units,
)
from api.services.parties import party_roles
from api.services.risk_records.ingest import credit_returned_value
from api.services.trade_queries import OVERSIGHT_ROLES, visible_trades
from ledger_client import ContractReverted, LifeState
from traceability import (
    DocType,
    PartyKey,
    Resubmission,
    SignedClaim,
    SignedEnvelope,
    check_replay,
    verify_envelope,
)
from traceability.ceb import CebMessage, CustomsStatus, build_receipt, write_message
from traceability.ceb.models import ExportReturnApplication, ReturnApplication
from traceability.ceb.returns import (
    AnyReturn,
    OriginalTrade,
    ReturnFailure,
    ReturnStatus,
    ReturnVerdict,
    match_return,
    return_key,
)
from traceability.errors import MalformedEnvelope
from traceability.trade import ExportInventory, ImportInventory, TradeKey, parse_document
from traceability.trade.fields import CHINA_TZ, format_ceb_time

__all__ = [
    "RETURN_DOC_TYPES",
    "ReturnSubmission",
    "import_return_document",
    "lot_returns",
    "read_return",
    "receipt_xml",
    "return_public",
    "submit_envelope",
    "submit_return",
    "submit_returns",
    "touch_lot_answers",
]

#: The envelope docType of each return message type, and back.
RETURN_DOC_TYPES: dict[DocType, str] = {DocType.RETURN: "CEB625", DocType.EXPORT_RETURN: "CEB213"}
_MODELS: dict[str, type[ReturnApplication] | type[ExportReturnApplication]] = {
    "CEB625": ReturnApplication,
    "CEB213": ExportReturnApplication,
}
_DOC_TYPE_OF = {code: doc_type.value for doc_type, code in RETURN_DOC_TYPES.items()}
#: Receipt guids are UUID-5s of the return's content hash: one answer per return, rebuilt alike.
_RECEIPT_NAMESPACE = uuid.UUID("9d4b2f6e-6a1c-5b7e-8f20-3c4d5e6f7a80")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class ReturnSubmission:
    """A verified return application, ready to judge and store."""

    party: str
    key_id: str
    salt: str
    content_hash: str
    application: AnyReturn
    envelope_json: str
    key: PartyKey
    issued_at: datetime
    source_xml: str | None = None

    @property
    def message_type(self) -> str:
        """``CEB625`` or ``CEB213``."""
        return self.application.message_type


# --- who may submit ----------------------------------------------------------------------


def check_submitter(party_code: str, application: AnyReturn, prefix: str) -> None:
    """403 unless ``party_code`` is the e-commerce company or the agent the return names:
    nobody returns goods in another company's name."""
    if party_code in (application.ebcCode, application.agentCode):
        return
    raise PermissionDenied(
        f"party {party_code} is not named in this return (ebcCode {application.ebcCode} "
        f"or agentCode {application.agentCode} must be {party_code})",
        field=f"{prefix}.ebcCode",
        code="signer_not_named",
    )


# --- the JSON envelope -------------------------------------------------------------------


def parse_application(message_type: str, document: dict[str, Any], prefix: str) -> AnyReturn:
    """The return model of ``document``; 422 naming each bad field."""
    doc_service.check_strings(document, prefix)
    try:
        return _MODELS[message_type].model_validate(document)
    except ValidationError as exc:
        raise doc_service.invalid_document(exc, prefix) from exc


def check_envelope(
    *, session: Session, runtime: Runtime, party: PartyRecord, data: Any, now: datetime
) -> ReturnSubmission:
    """Verify a signed return envelope and parse its application; 4xx naming the field."""
    if not isinstance(data, dict):
        raise UnprocessableContent("the body must be a JSON object (a signed envelope)")
    envelope = SignedEnvelope.parse(data)
    payload = envelope.payload
    if payload.doc_type not in RETURN_DOC_TYPES:
        raise MalformedEnvelope(
            f"docType {payload.doc_type.value!r} is not a return (return, export-return)",
            field="payload.docType",
        )
    if payload.party != party.code:
        raise PermissionDenied(
            f"envelope is signed for party {payload.party!r}, not the caller {party.code!r}",
            field="payload.party",
        )
    context = submission.context_of(runtime, now=now)
    verified = verify_envelope(
        envelope,
        key_service.registry_for(session=session, party_code=party.code),
        now=context.now,
        max_clock_skew=context.max_skew,
        profile=context.digest,
    )
    application = parse_application(
        RETURN_DOC_TYPES[payload.doc_type], payload.document, "payload.document"
    )
    check_submitter(party.code, application, "payload.document")
    return ReturnSubmission(
        party=party.code,
        key_id=payload.key_id,
        salt=payload.salt,
        content_hash=verified.content_hash.hex(),
        application=application,
        envelope_json=doc_service.envelope_text(verified.envelope.to_wire()),
        key=verified.key,
        issued_at=verified.issued_at,
    )


def submit_envelope(
    *, session: Session, runtime: Runtime, party: PartyRecord, data: Any
) -> ReturnPublic:
    """Accept one signed return envelope: verify, judge, store, record on chain."""
    now = utcnow()
    item = check_envelope(session=session, runtime=runtime, party=party, data=data, now=now)
    (result,) = submit_returns(session=session, runtime=runtime, submissions=[item], now=now)
    return result


# --- judging and storing -----------------------------------------------------------------


def submit_returns(
    *,
    session: Session,
    runtime: Runtime,
    submissions: list[ReturnSubmission],
    now: datetime | None = None,
) -> list[ReturnPublic]:
    """Judge, store and (when accepted) record each return on chain, one after another:
    each sees the returns accepted before it."""
    moment = now or utcnow()
    return [_submit_one(session, runtime, item, moment) for item in submissions]


def _submit_one(
    session: Session, runtime: Runtime, item: ReturnSubmission, now: datetime
) -> ReturnPublic:
    stored = _replayed(session, item, runtime, now)
    if stored is not None:
        return return_public(session=session, record=stored, created=False)
    _refuse_duplicate(session, item)
    trade = _find_trade(session, item.application)
    verdict = match_return(
        item.application,
        _original(session, runtime, trade, item.application),
        now=now,
        period=timedelta(days=_period_days(runtime, item.application)),
    )
    record = _new_record(item, trade, verdict, now)
    session.add(record)
    session.add(TRADE.outbox_record(item.content_hash, DocumentPayload(), created_at=now))
    try:
        session.commit()
    except IntegrityError:
        # The same return stored concurrently: the stored one is the answer (or a replay).
        session.rollback()
        again = _replayed(session, item, runtime, now)
        if again is None:
            raise
        return return_public(session=session, record=again, created=False)
    session.refresh(record)
    if verdict.accepted and trade is not None:
        _record_on_chain(session, runtime, record, trade, verdict)
    return return_public(session=session, record=record, created=True)


def _replayed(
    session: Session, item: ReturnSubmission, runtime: Runtime, now: datetime
) -> ReturnRecord | None:
    """The stored return of this (keyId, salt) when it is the same one; raises for a
    replay of the pair over other bytes (and for a key or time the rules refuse)."""
    stored = session.exec(
        select(ReturnRecord).where(
            ReturnRecord.key_id == item.key_id, ReturnRecord.salt == item.salt
        )
    ).first()
    claim = SignedClaim(item.issued_at, bytes.fromhex(item.content_hash))
    skew = timedelta(seconds=runtime.settings.max_clock_skew_seconds)
    digest = bytes.fromhex(stored.content_hash) if stored is not None else None
    verdict = check_replay(claim, digest, key=item.key, now=now, max_clock_skew=skew)
    return stored if verdict is Resubmission.IDEMPOTENT else None


def _refuse_duplicate(session: Session, item: ReturnSubmission) -> None:
    """409 for a return application (by its guid) already accepted or being recorded: one
    application returns its goods once, however often it is re-signed."""
    application = item.application
    earlier = session.exec(
        select(ReturnRecord).where(
            ReturnRecord.app_guid == application.guid,
            ReturnRecord.ebp_code == application.ebpCode,
            col(ReturnRecord.status).in_(("accepted", "pending")),
        )
    ).first()
    if earlier is not None:
        raise Conflict(
            f"return application {application.guid} was already {earlier.status} "
            f"as return {earlier.id}",
            field="payload.document.guid",
            code="duplicate_return",
            extra={"returnId": earlier.id, "contentHash": earlier.content_hash},
        )


def _find_trade(session: Session, application: AnyReturn) -> TradeRecord | None:
    """The trade a return names: an import one by its order, an export one by the export
    inventory number (as customs' receipt recorded it, else as the inventory declared it)."""
    if isinstance(application, ReturnApplication):
        # Locked (PostgreSQL) until this return is stored: two returns of one trade at once
        # are judged one after the other, each seeing the other's lines.
        return session.exec(
            select(TradeRecord)
            .where(TradeRecord.trade_id == return_key(application).trade_id.hex())
            .with_for_update()
        ).first()
    numbered = session.exec(
        select(TradeRecord).where(
            TradeRecord.invt_no == application.invtNo, TradeRecord.direction == "export"
        )
    ).first()
    if numbered is not None:
        return numbered
    # No receipt yet: the current export inventories that carry the number (a few rows,
    # confirmed by parsing: the text match alone could be any field).
    candidates = session.exec(
        select(DocumentRecord).where(
            DocumentRecord.doc_type == "CEB603",
            col(DocumentRecord.superseded_by).is_(None),
            col(DocumentRecord.trade_id).is_not(None),
            col(DocumentRecord.envelope).contains(application.invtNo),
        )
    ).all()
    for row in candidates:
        document = parse_document(row.doc_type, json.loads(row.envelope)["payload"]["document"])
        if isinstance(document, ExportInventory) and document.invtNo == application.invtNo:
            return session.exec(
                select(TradeRecord).where(TradeRecord.trade_id == row.trade_id).with_for_update()
            ).first()
    return None


def _period_days(runtime: Runtime, application: AnyReturn) -> int:
    if isinstance(application, ExportReturnApplication):
        return runtime.settings.export_return_period_days
    return runtime.settings.return_period_days


def _inventory(
    session: Session, runtime: Runtime, trade: TradeRecord
) -> ImportInventory | ExportInventory | None:
    if trade.inventory_hash is None:
        return None
    cached = runtime.caches.documents.get(trade.inventory_hash)
    if isinstance(cached, ImportInventory | ExportInventory):
        return cached
    row = session.get(DocumentRecord, trade.inventory_hash)
    if row is None:
        return None
    parsed = parse_document(row.doc_type, json.loads(row.envelope)["payload"]["document"])
    return parsed if isinstance(parsed, ImportInventory | ExportInventory) else None


def counted_returns(session: Session, trade_id: str) -> list[ReturnRecord]:
    """The trade's returns that take goods back: accepted, or accepted by sandan and being
    recorded on chain (so a return judged meanwhile sees them), oldest first."""
    return list(
        session.exec(
            select(ReturnRecord)
            .where(
                ReturnRecord.trade_id == trade_id,
                col(ReturnRecord.status).in_(("accepted", "pending")),
            )
            .order_by(col(ReturnRecord.id))
        ).all()
    )


def _original(
    session: Session, runtime: Runtime, trade: TradeRecord | None, application: AnyReturn
) -> OriginalTrade | None:
    """What the matcher is told of the trade the return names (None: no such trade, or a
    trade of the other direction)."""
    wanted = "export" if isinstance(application, ExportReturnApplication) else "import"
    if trade is None or trade.direction != wanted:
        return None
    returned: dict[int, Decimal] = defaultdict(Decimal)
    returned_value = _ZERO
    for earlier in counted_returns(session, trade.trade_id):
        returned_value += Decimal(earlier.amount)
        for line in json.loads(earlier.verdict)["lines"]:
            returned[int(line["gnum"])] += Decimal(line["qty"])
    inventory = _inventory(session, runtime, trade)
    return OriginalTrade(
        key=TradeKey(trade.ebp_code, trade.order_no),
        inventory=inventory,
        value=Decimal(trade.customs_value or 0),
        released_at=trade.released_at,
        invt_no=trade.invt_no,
        cancelled=trade.cancelled_at is not None,
        returned=dict(returned),
        returned_value=returned_value,
    )


def _receipt_guid(content_hash: str) -> str:
    return str(uuid.uuid5(_RECEIPT_NAMESPACE, content_hash)).upper()


def _new_record(
    item: ReturnSubmission, trade: TradeRecord | None, verdict: ReturnVerdict, now: datetime
) -> ReturnRecord:
    application = item.application
    data = verdict.to_json_dict()
    buyer = application.buyerIdNumber if isinstance(application, ReturnApplication) else None
    return ReturnRecord(
        content_hash=item.content_hash,
        doc_type=item.message_type,
        direction="export" if isinstance(application, ExportReturnApplication) else "import",
        party_code=item.party,
        key_id=item.key_id,
        salt=item.salt,
        app_guid=application.guid,
        ebp_code=application.ebpCode,
        order_no=trade.order_no if trade is not None else getattr(application, "orderNo", ""),
        invt_no=application.invtNo,
        trade_id=trade.trade_id if trade is not None else None,
        buyer_id=trade.buyer_id if trade is not None else buyer,
        # An accepted verdict waits for the chain before it counts.
        status="pending" if verdict.accepted else "refused",
        verdict=json.dumps(data, ensure_ascii=False),
        amount=data["amount"],
        returned_total=data["returnedTotal"],
        whole=verdict.whole,
        currency=trade.currency if trade is not None else None,
        receipt_guid=_receipt_guid(item.content_hash),
        receipt_status=CustomsStatus.DECLARING.value
        if verdict.accepted
        else CustomsStatus.REJECTED.value,
        receipt_info=verdict.note(),
        document=json.dumps(application.to_json_dict(), ensure_ascii=False),
        envelope=item.envelope_json,
        source_xml=item.source_xml,
        received_at=now,
        decided_at=None if verdict.accepted else now,
    )


def _record_on_chain(
    session: Session,
    runtime: Runtime,
    record: ReturnRecord,
    trade: TradeRecord,
    verdict: ReturnVerdict,
) -> None:
    """``recordReturns`` on the LifecycleRegistry; the trade mirrors what the chain keeps.

    A refusal by the contract (the trade cancelled meanwhile, or its value used up by a
    concurrent return) makes the return refused, with the contract's reason as its note.
    """
    currency = trade.currency or "142"
    try:
        ensure_value_declared(session=session, runtime=runtime, trade=trade)
        batch, position = position_of(trade)
        amount = minor_units(verdict.amount, currency)
        lifecycle = runtime.ledger().lifecycle()
        result = lifecycle.record_returns(
            batch, {position: (amount, bytes.fromhex(record.content_hash))}
        )
        life = lifecycle.trade_life(batch, position)
        state = lifecycle.life_state(batch, position)
    except (ContractReverted, Conflict) as exc:
        session.rollback()
        _refuse_after(session, record, exc)
        return
    now = utcnow()
    returned = from_minor_units(life.returned, currency)
    trade.returned_value = format(returned, "f")
    trade.return_state = "whole" if state is LifeState.RETURNED else "partial"
    trade.updated_at = now
    record.status = "accepted"
    record.returned_total = format(returned, "f")
    record.whole = state is LifeState.RETURNED
    record.chain_tx = result.tx_hash
    record.chain_block = result.block_number
    record.receipt_status = CustomsStatus.ACCEPTED.value
    record.receipt_info = verdict.note()
    record.decided_at = now
    notifications.emit(
        session,
        kind=notifications.Kind.RETURNED,
        parties=notifications.trade_parties(session, trade) | {record.party_code},
        trade_id=trade.trade_id,
        data={
            "ebpCode": trade.ebp_code,
            "orderNo": trade.order_no,
            "returnId": record.id,
            "amount": record.amount,
            "returnedTotal": record.returned_total,
            "returnState": trade.return_state,
            "by": record.party_code,
            "txHash": result.tx_hash,
            "blockNumber": result.block_number,
        },
        now=now,
    )
    if trade.direction == "import":
        credit_returned_value(session, trade.trade_id, returned, now)
    session.add(trade)
    session.add(record)
    touch_lot_answers(session)
    session.commit()
    session.refresh(record)


def _refuse_after(session: Session, record: ReturnRecord, exc: Exception) -> None:
    refusal = lifecycle_conflict(exc) if isinstance(exc, ContractReverted) else exc
    reason = str(refusal)
    failure = ReturnFailure(
        "return.chain",
        "orderNo",
        "the LifecycleRegistry records the return",
        reason,
        f"the chain refused the return: {reason}",
    )
    verdict = ReturnVerdict(ReturnStatus.REFUSED, (failure,))
    fresh = session.get(ReturnRecord, record.id)
    assert fresh is not None
    fresh.status = "refused"
    fresh.verdict = json.dumps(verdict.to_json_dict(), ensure_ascii=False)
    fresh.amount = "0.00"
    fresh.receipt_status = CustomsStatus.REJECTED.value
    fresh.receipt_info = verdict.note()
    fresh.decided_at = utcnow()
    session.add(fresh)
    session.commit()
    session.refresh(record)


# --- the lead's one call -----------------------------------------------------------------


def submit_return(
    *, session: Session, runtime: Runtime, party: PartyRecord, envelope: dict[str, Any]
) -> ReturnPublic:
    """One signed return envelope from ``party`` (the demo's call): the stored return with
    its status, amount, the trade's returned total and the chain transaction."""
    return submit_envelope(session=session, runtime=runtime, party=party, data=envelope)


def import_return_document(
    *,
    session: Session,
    runtime: Runtime,
    trade_id: str,
    lines: Mapping[int, Decimal | str],
    reason: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The CEB625 JSON returning ``lines`` (``{gnum: qty}``) of a released import trade's
    inventory, in the name of its e-commerce company: what the demo signs and submits."""
    trade = session.get(TradeRecord, trade_id)
    inventory = _inventory(session, runtime, trade) if trade is not None else None
    if trade is None or not isinstance(inventory, ImportInventory):
        raise NotFound(f"no import trade {trade_id} with an inventory", field="tradeId")
    invt_no = trade.invt_no or inventory.invtNo
    if invt_no is None:
        raise Conflict(
            "the trade's inventory has no inventory number yet (no CEB622 receipt)",
            code="no_inventory_number",
            field="invtNo",
        )
    declared = {item.gnum: item for item in inventory.items}
    unknown = sorted(set(lines) - set(declared))
    if unknown:
        raise UnprocessableContent(f"the inventory has no line {unknown[0]}", field="lines")
    moment = (now or utcnow()).astimezone(CHINA_TZ)
    return {
        "guid": str(uuid.uuid4()).upper(),
        "appType": "1",
        "appTime": format_ceb_time(moment),
        "appStatus": "2",
        "customsCode": inventory.customsCode,
        "orderNo": inventory.orderNo,
        "ebpCode": inventory.ebpCode,
        "ebpName": inventory.ebpName,
        "ebcCode": inventory.ebcCode,
        "ebcName": inventory.ebcName,
        "logisticsNo": inventory.logisticsNo,
        "logisticsCode": inventory.logisticsCode,
        "logisticsName": inventory.logisticsName,
        **({"copNo": inventory.copNo} if inventory.copNo else {}),
        "invtNo": invt_no,
        "buyerIdType": "1",
        "buyerIdNumber": inventory.buyerIdNumber,
        "buyerName": inventory.buyerName,
        "buyerTelephone": inventory.buyerTelephone,
        "agentCode": inventory.agentCode,
        "agentName": inventory.agentName,
        "reason": reason,
        "InvtRefundList": [
            {
                "gnum": gnum,
                "gcode": declared[gnum].gcode,
                "gname": declared[gnum].gname,
                "qty": str(qty),
                "unit": declared[gnum].unit,
            }
            for gnum, qty in sorted(lines.items())
        ],
    }


# --- reading -----------------------------------------------------------------------------


def _may_read(session: Session, party: PartyRecord, record: ReturnRecord) -> bool:
    if party.code == record.party_code or party_roles(party) & OVERSIGHT_ROLES:
        return True
    if record.trade_id is None:
        return False
    stmt = visible_trades(
        select(TradeRecord.trade_id).where(TradeRecord.trade_id == record.trade_id), party
    )
    return session.exec(stmt).first() is not None


def read_return(*, session: Session, party: PartyRecord, return_id: int) -> ReturnRecord:
    """The return if the caller submitted it, is a party of its trade, or is customs or a
    bank; 404 otherwise (existence is not leaked)."""
    record = session.get(ReturnRecord, return_id)
    if record is None or not _may_read(session, party, record):
        raise NotFound(f"no return {return_id}", field="returnId")
    return record


def return_public(*, session: Session, record: ReturnRecord, created: bool = False) -> ReturnPublic:
    """The public view of a stored return."""
    verdict = json.loads(record.verdict)
    anchor = doc_service.anchor_of(session=session, kind="document", subject=record.content_hash)
    anchored = anchor is not None and anchor.state == "confirmed"
    state = None
    if record.status == "accepted":
        state = "whole" if record.whole else "partial"
    assert record.id is not None
    return ReturnPublic(
        id=record.id,
        content_hash=record.content_hash,
        doc_type=_DOC_TYPE_OF[record.doc_type],
        message_type=record.doc_type,
        direction=record.direction,
        party_code=record.party_code,
        status=record.status,
        trade_id=record.trade_id,
        ebp_code=record.ebp_code,
        order_no=record.order_no,
        invt_no=record.invt_no,
        amount=record.amount,
        returned_total=record.returned_total,
        whole=record.whole,
        return_state=state,
        currency=record.currency,
        failures=[ReturnFailurePublic(**f) for f in verdict["failures"]],
        lines=[
            ReturnLinePublic(
                gnum=line["gnum"],
                qty=line["qty"],
                amount=line["amount"],
                declared=line["declared"],
                returned_before=line["returnedBefore"],
            )
            for line in verdict["lines"]
        ],
        receipt=ReturnReceiptPublic(
            guid=record.receipt_guid,
            return_status=record.receipt_status,
            return_info=record.receipt_info,
        ),
        chain=ReturnChainPublic(tx_hash=record.chain_tx, block_number=record.chain_block)
        if record.chain_tx is not None and record.chain_block is not None
        else None,
        anchor=anchor if anchored else None,
        anchor_status="anchored" if anchored else "pending",
        created=created,
        received_at=record.received_at,
        decided_at=record.decided_at,
    )


def receipt_xml(*, record: ReturnRecord) -> bytes:
    """The CEB626 message answering an import return (the status and note it was given)."""
    if record.doc_type != "CEB625":
        raise Conflict(
            "an export return is answered in the return's JSON (receipt): sandan writes no "
            "CEB214 XML",
            field="returnId",
            code="no_xml_receipt",
        )
    application = ReturnApplication.model_validate(json.loads(record.document))
    declaration = CebMessage("CEB625", application.guid, (application,))
    decided = record.decided_at or record.received_at
    assigned = {
        "copNo": application.copNo or record.order_no[-20:],
        "preNo": application.preNo or f"B{decided:%Y%m%d}{(record.id or 0) % 10**9:09d}",
        "invtNo": application.invtNo,
    }
    guids = iter((record.receipt_guid, str(uuid.uuid5(_RECEIPT_NAMESPACE, record.receipt_guid))))
    message = build_receipt(
        declaration,
        status=record.receipt_status,
        info=record.receipt_info,
        now=decided,
        assigned=assigned,
        new_guid=lambda: next(guids).upper(),
    )
    return write_message(message)


# --- what other views read ---------------------------------------------------------------


def _order_numbers(references: Iterable[str]) -> set[str]:
    """The order numbers of a lot's purchase-order references (CBV ``po`` business
    transactions, ``urn:epcglobal:cbv:bt:<party>:<orderNo>``): the trades its goods went to."""
    return {reference.rsplit(":", 1)[-1] for reference in references if reference}


def lot_returns(session: Session, order_references: Iterable[str]) -> list[dict[str, Any]]:
    """The accepted returns of the trades a lot's events name as purchase orders (the
    lineage's ``order_numbers``), as the lot's JSON and page show them.

    They are shown from the return records, beside the lot's events and not as events: the
    consumer page's "every event's hash is verified" counts EPCIS events anchored in the
    lot's lane, and a return is a signed document anchored in the document lane (its proof
    at ``GET /returns/{id}``), recorded on the LifecycleRegistry in ``chainTx``.
    """
    orders = _order_numbers(order_references)
    if not orders:
        return []
    rows = session.exec(
        select(ReturnRecord)
        .where(col(ReturnRecord.order_no).in_(orders), ReturnRecord.status == "accepted")
        .order_by(col(ReturnRecord.id))
    ).all()
    shown = []
    for record in rows:
        verdict = json.loads(record.verdict)
        shown.append(
            {
                "returnId": record.id,
                "contentHash": record.content_hash,
                "messageType": record.doc_type,
                "orderNo": record.order_no,
                "invtNo": record.invt_no,
                "returnState": "whole" if record.whole else "partial",
                # EPCIS/CBV words for what happened to the goods (bizStep returning, the
                # goods' disposition returned).
                "bizStep": "returning",
                "disposition": "returned",
                "lines": [{"gnum": line["gnum"], "qty": line["qty"]} for line in verdict["lines"]],
                "decidedAt": record.decided_at.isoformat() if record.decided_at else None,
                # The LifecycleRegistry transaction that recorded it: final when the return
                # was accepted (the page is kept until a return changes it; the document
                # lane's anchoring of the return's hash is read at GET /returns/{id}).
                "chainTx": record.chain_tx,
                "chainBlock": record.chain_block,
            }
        )
    return shown


def touch_lot_answers(session: Session) -> None:
    """Make every lot's kept answer stale (the global trace version, in the caller's
    transaction): a lot shows the returns of its trades, and a return names no lot row."""
    session.execute(text("UPDATE trace_version SET version = version + 1 WHERE id = 1"))

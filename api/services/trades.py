"""Trades: linking documents to their trade and re-running the matcher.

Not every document names its trade in full: an import waybill carries the
orderNo but no ebpCode, an export waybill only its logisticsNo. Such documents
are stored unlinked and attached when the document that links them (the
order, or the inventory naming the waybill) arrives, in either order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from api import crud
from api.models import DocumentRecord, OutboxRecord, TradeRecord, utcnow
from api.schemas import RuleFailurePublic, TradePublic, VerdictPublic
from traceability.trade import (
    Direction,
    DocumentKind,
    TradeDocument,
    TradeKey,
    parse_document,
)
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.verdict import Verdict, VerdictStatus, verdict_hash

_HASH_COLUMN = {
    DocumentKind.ORDER: "order_hash",
    DocumentKind.PAYMENT: "payment_hash",
    DocumentKind.WAYBILL: "waybill_hash",
    DocumentKind.INVENTORY: "inventory_hash",
}


def stored_document(record: DocumentRecord) -> TradeDocument:
    """Re-parse a stored document from its envelope."""
    payload = json.loads(record.envelope)["payload"]
    return parse_document(record.doc_type, payload["document"])


def on_document_stored(
    *, session: Session, record: DocumentRecord, document: TradeDocument
) -> None:
    """Attach a freshly stored document to its trade and re-match that trade."""
    trade = _trade_for(session=session, record=record, document=document)
    if trade is None:
        return
    _attach(session=session, trade=trade, record=record, document=document)
    _adopt_orphans(session=session, trade=trade)
    rematch(session=session, trade=trade)


def _trade_for(
    *, session: Session, record: DocumentRecord, document: TradeDocument
) -> TradeRecord | None:
    if record.trade_id is not None:
        trade = crud.get_trade(session=session, trade_id=record.trade_id)
        if trade is None:
            trade = _new_trade(record.trade_id, document)
            session.add(trade)
        return trade
    return _trade_of_waybill(session=session, record=record, document=document)


def _new_trade(trade_id: str, document: TradeDocument) -> TradeRecord:
    key = TradeKey.of(document)  # type: ignore[arg-type]
    return TradeRecord(
        trade_id=trade_id,
        ebp_code=key.ebpCode,
        order_no=key.orderNo,
        direction=document.direction.value,
        updated_at=utcnow(),
    )


def _trade_of_waybill(
    *, session: Session, record: DocumentRecord, document: TradeDocument
) -> TradeRecord | None:
    """The trade an unlinked waybill belongs to, if exactly one is known yet."""
    logistics = _logistics_key(document)
    if document.direction is Direction.IMPORT and record.link_order_no:
        stmt = select(TradeRecord).where(
            TradeRecord.order_no == record.link_order_no, TradeRecord.direction == "import"
        )
        candidates = [t for t in session.exec(stmt).all() if t.logistics_no in (None, logistics)]
    else:
        stmt = select(TradeRecord).where(TradeRecord.logistics_no == logistics)
        candidates = list(session.exec(stmt).all())
    if len(candidates) != 1:
        return None  # unknown or ambiguous: wait for the inventory to name it
    record.trade_id = candidates[0].trade_id
    session.add(record)
    return candidates[0]


def _logistics_key(document: TradeDocument) -> str | None:
    code = getattr(document, "logisticsCode", None)
    number = getattr(document, "logisticsNo", None)
    return f"{code}/{number}" if code and number else None


def _payment_key(document: TradeDocument) -> str | None:
    code = getattr(document, "payCode", None) or ""
    number = getattr(document, "payTransactionId", None) or getattr(document, "payNo", None)
    return f"{code}/{number}" if number else None


def _attach(
    *, session: Session, trade: TradeRecord, record: DocumentRecord, document: TradeDocument
) -> None:
    setattr(trade, _HASH_COLUMN[document.kind], record.content_hash)
    if document.kind is DocumentKind.ORDER:
        trade.ebc_code = getattr(document, "ebcCode", None)
        trade.currency = getattr(document, "currency", None)
        trade.buyer_id = getattr(document, "buyerIdNumber", None)
    elif document.kind is DocumentKind.PAYMENT:
        trade.payment_no = _payment_key(document)
    elif document.kind is DocumentKind.WAYBILL or (
        document.kind is DocumentKind.INVENTORY and trade.waybill_hash is None
    ):
        trade.logistics_no = _logistics_key(document)
    if document.kind is DocumentKind.INVENTORY:
        trade.mode = str(getattr(document, "tradeMode", "")) or trade.mode
    trade.updated_at = utcnow()
    session.add(trade)


def _adopt_orphans(*, session: Session, trade: TradeRecord) -> None:
    """Link waybills that arrived before the document naming their trade."""
    if trade.waybill_hash is not None:
        return
    stmt = select(DocumentRecord).where(
        col(DocumentRecord.trade_id).is_(None),
        col(DocumentRecord.superseded_by).is_(None),
        col(DocumentRecord.doc_key).startswith("waybill:"),
    )
    if trade.direction == "import":
        stmt = stmt.where(DocumentRecord.link_order_no == trade.order_no)
    elif trade.logistics_no is not None:
        number = trade.logistics_no.split("/", 1)[1]
        stmt = stmt.where(DocumentRecord.link_logistics_no == number)
    else:
        return
    for orphan in session.exec(stmt).all():
        document = stored_document(orphan)
        if trade.logistics_no not in (None, _logistics_key(document)):
            continue
        orphan.trade_id = trade.trade_id
        session.add(orphan)
        _attach(session=session, trade=trade, record=orphan, document=document)
        return


def _documents_of(session: Session, trade: TradeRecord) -> TradeDocuments:
    found: dict[str, TradeDocument] = {}
    for record in crud.current_documents(session=session, trade_id=trade.trade_id):
        document = stored_document(record)
        found[document.kind.value] = document
    return TradeDocuments(**found)  # type: ignore[arg-type]


def _context(session: Session, trade: TradeRecord, now: datetime) -> MatchContext:
    return MatchContext(
        now=now,
        prior_annual_total=_prior_annual(session, trade, now),
        payment_trades=_other_trades(session, trade, TradeRecord.payment_no, trade.payment_no),
        waybill_trades=_other_trades(session, trade, TradeRecord.logistics_no, trade.logistics_no),
    )


def _other_trades(
    session: Session, trade: TradeRecord, column: Any, value: str | None
) -> frozenset[TradeKey]:
    if value is None:
        return frozenset()
    stmt = select(TradeRecord.ebp_code, TradeRecord.order_no).where(
        column == value, TradeRecord.trade_id != trade.trade_id
    )
    return frozenset(TradeKey(ebp, order) for ebp, order in session.exec(stmt).all())


def _prior_annual(session: Session, trade: TradeRecord, now: datetime) -> Decimal | None:
    """The buyer's matched import value this calendar year, from sandan's own records."""
    if trade.direction != "import" or trade.buyer_id is None:
        return None
    year_start = datetime(now.year, 1, 1, tzinfo=UTC)
    stmt = select(TradeRecord.customs_value).where(
        TradeRecord.buyer_id == trade.buyer_id,
        TradeRecord.trade_id != trade.trade_id,
        TradeRecord.status == "match",
        col(TradeRecord.updated_at) >= year_start,
    )
    return sum((Decimal(v) for v in session.exec(stmt).all() if v), Decimal(0))


def rematch(*, session: Session, trade: TradeRecord, now: datetime | None = None) -> Verdict:
    """Run the matcher on the trade's current documents and record a changed verdict."""
    now = now or utcnow()
    documents = _documents_of(session, trade)
    context = _context(session, trade, now)
    verdict = match_trade(documents, context=context)
    digest = verdict_hash(verdict).hex()
    trade.mode = verdict.mode.value
    trade.customs_value = _customs_value(documents)
    if digest != trade.verdict_hash:
        trade.verdict = json.dumps(verdict.to_json_dict(), ensure_ascii=False, sort_keys=True)
        trade.verdict_hash = digest
        trade.match_context = json.dumps(context_to_json(context), sort_keys=True)
        trade.status = verdict.status.value
        trade.verdict_version += 1
        if verdict.status is not VerdictStatus.PENDING and trade.released_at is None:
            _queue_verdict(session, trade, digest, verdict.status is VerdictStatus.MATCH)
    trade.updated_at = now
    session.add(trade)
    return verdict


def context_to_json(context: MatchContext) -> dict[str, Any]:
    """The matcher's outside facts as JSON (kept with the verdict, put in bundles)."""
    return {
        "now": context.now.isoformat() if context.now else None,
        "priorAnnualTotal": (
            None if context.prior_annual_total is None else str(context.prior_annual_total)
        ),
        "paymentTrades": sorted(str(k) for k in context.payment_trades),
        "waybillTrades": sorted(str(k) for k in context.waybill_trades),
    }


def context_from_json(data: dict[str, Any]) -> MatchContext:
    """Rebuild the matcher's outside facts from :func:`context_to_json` output."""

    def keys(values: list[str]) -> frozenset[TradeKey]:
        return frozenset(TradeKey(*v.split("/", 1)) for v in values)

    prior = data.get("priorAnnualTotal")
    return MatchContext(
        now=datetime.fromisoformat(data["now"]) if data.get("now") else None,
        prior_annual_total=Decimal(prior) if prior is not None else None,
        payment_trades=keys(data.get("paymentTrades", [])),
        waybill_trades=keys(data.get("waybillTrades", [])),
    )


def _customs_value(documents: TradeDocuments) -> str | None:
    """The trade's value for limits and summaries: 完税价格 on import, goodsValue on export."""
    order = documents.order
    if order is None:
        return None
    if order.direction is Direction.EXPORT:
        return str(order.goodsValue)
    insured = Decimal(0)
    for other in (documents.inventory, documents.waybill):
        fee = getattr(other, "insuredFee", None)
        if fee is not None:
            insured = fee
            break
    return str(order.goodsValue + order.freight + insured)


def _queue_verdict(session: Session, trade: TradeRecord, digest: str, matched: bool) -> None:
    # An older verdict of this trade still waiting for a batch is obsolete.
    stale = select(OutboxRecord).where(
        OutboxRecord.kind == "verdict",
        col(OutboxRecord.subject).startswith(trade.trade_id + ":"),
        col(OutboxRecord.batch_id).is_(None),
    )
    for row in session.exec(stale).all():
        session.delete(row)
    payload = {"tradeId": trade.trade_id, "verdictHash": digest, "matched": matched}
    session.add(
        OutboxRecord(
            kind="verdict",
            subject=f"{trade.trade_id}:{digest}",
            lane="verdict",
            payload=json.dumps(payload, sort_keys=True),
            created_at=utcnow(),
        )
    )


# --- reading -----------------------------------------------------------------------------


def verdict_public(*, session: Session, trade: TradeRecord) -> VerdictPublic:
    """The trade's verdict with reasons, and whether it is anchored on chain."""
    if trade.verdict is None:
        return VerdictPublic(status="pending", missing=["order", "payment", "waybill"])
    data = json.loads(trade.verdict)
    row = crud.get_outbox(
        session=session, kind="verdict", subject=f"{trade.trade_id}:{trade.verdict_hash}"
    )
    anchored = False
    if row is not None and row.batch_id is not None:
        batch = crud.get_batch(session=session, batch_id=row.batch_id)
        anchored = batch is not None and batch.state == "confirmed"
    return VerdictPublic(
        status=data["status"],
        missing=data["missing"],
        failures=[RuleFailurePublic(**f) for f in data["failures"]],
        verdict_hash=trade.verdict_hash,
        anchored=anchored,
    )


def trade_public(trade: TradeRecord) -> TradePublic:
    """The public view of a trade."""
    return TradePublic(
        trade_id=trade.trade_id,
        ebp_code=trade.ebp_code,
        order_no=trade.order_no,
        ebc_code=trade.ebc_code,
        direction=trade.direction,
        mode=trade.mode,
        status=trade.status,
        documents={
            "order": trade.order_hash,
            "payment": trade.payment_hash,
            "waybill": trade.waybill_hash,
            "inventory": trade.inventory_hash,
        },
        customs_value=trade.customs_value,
        currency=trade.currency,
        released=trade.released_at is not None,
        released_at=trade.released_at,
        release_tx=trade.release_tx,
        settled=trade.settled_at is not None,
        settlement_tx=trade.settlement_tx,
        financed=trade.financed_by is not None,
        updated_at=trade.updated_at,
    )


def count_trades(session: Session, stmt: Any) -> int:
    """How many rows ``stmt`` selects."""
    return int(session.exec(select(func.count()).select_from(stmt.subquery())).one())

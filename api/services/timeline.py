"""A trade's timeline: every step of its life in time order, with its transaction on chain.

The timeline is the union of what its *contributors* say: each is a function of
(:class:`TimelineContext`) returning entries. Built in: documents received, verdicts,
release, customs receipts, inventory cancellation, settlement and financing. A later step
(returns, FX settlement, warehouse) adds its own with :func:`contribute`, without touching
this module's list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from api.db.models import AnchorBatchRecord, DocumentRecord, OutboxRecord, TradeRecord
from api.db.receipt_models import InventoryCancelRecord
from api.receipt_schemas import TimelineEntry, TimelinePublic
from api.runtime import Runtime
from api.services import customs_receipts
from api.services.documents import anchor_of
from ledger_client import LedgerError


@dataclass(frozen=True)
class TimelineContext:
    """What a contributor reads: the session, the runtime (for the chain) and the trade."""

    session: Session
    runtime: Runtime
    trade: TradeRecord

    def block_time(self, block: int | None) -> datetime | None:
        """The timestamp of ``block`` as the chain tells it (None when it cannot)."""
        if block is None:
            return None
        try:
            stamp = self.runtime.ledger().w3.eth.get_block(block)["timestamp"]
        except (LedgerError, OSError, ValueError, KeyError):
            return None
        return datetime.fromtimestamp(int(stamp), UTC)


Contributor = Callable[[TimelineContext], Iterable[TimelineEntry]]
CONTRIBUTORS: list[Contributor] = []
"""The contributors, in registration order (entries are sorted by time afterwards)."""


def contribute(contributor: Contributor) -> Contributor:
    """Register ``contributor`` (usable as a decorator); each is registered once."""
    if contributor not in CONTRIBUTORS:
        CONTRIBUTORS.append(contributor)
    return contributor


def timeline(*, session: Session, runtime: Runtime, trade: TradeRecord) -> TimelinePublic:
    """Every contributor's entries for ``trade``, oldest first."""
    context = TimelineContext(session, runtime, trade)
    entries = [entry for contributor in CONTRIBUTORS for entry in contributor(context)]
    ordered = sorted(enumerate(entries), key=lambda item: (item[1].at, item[0]))
    data = [entry for _, entry in ordered]
    return TimelinePublic(trade_id=trade.trade_id, entries=data, count=len(data))


def _anchor_tx(session: Session, subject: str) -> dict[str, Any]:
    anchor = anchor_of(session=session, kind="document", subject=subject)
    if anchor is None or anchor.state != "confirmed":
        return {}
    return {"tx_hash": anchor.tx_hash, "block_number": anchor.block_number}


@contribute
def documents(context: TimelineContext) -> Iterable[TimelineEntry]:
    """Each version of each document the trade took, when it was received."""
    stmt = select(DocumentRecord).where(DocumentRecord.trade_id == context.trade.trade_id)
    for record in context.session.exec(stmt.order_by(col(DocumentRecord.id))).all():
        yield TimelineEntry(
            at=record.received_at,
            kind="document",
            title=f"{record.doc_type} received (version {record.version})",
            by=record.party_code,
            content_hash=record.content_hash,
            detail={"supersededBy": record.superseded_by} if record.superseded_by else {},
            **_anchor_tx(context.session, record.content_hash),
        )


@contribute
def verdicts(context: TimelineContext) -> Iterable[TimelineEntry]:
    """Each verdict queued for the chain, with the batch transaction that recorded it."""
    trade = context.trade
    stmt = (
        select(OutboxRecord, AnchorBatchRecord)
        .join(
            AnchorBatchRecord,
            col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id),
            isouter=True,
        )
        .where(
            OutboxRecord.kind == "verdict",
            col(OutboxRecord.subject).startswith(f"{trade.trade_id}:"),
        )
        .order_by(col(OutboxRecord.id))
    )
    for row, batch in context.session.exec(stmt).all():
        verdict_hash = row.subject.split(":", 1)[1]
        current = verdict_hash == trade.verdict_hash
        confirmed = batch is not None and batch.state == "confirmed"
        yield TimelineEntry(
            at=row.created_at,
            kind="verdict",
            title=f"verdict {trade.status if current else 'superseded'}",
            status=trade.status if current else None,
            content_hash=verdict_hash,
            tx_hash=batch.tx_hash if confirmed and batch else None,
            block_number=batch.block_number if confirmed and batch else None,
        )


@contribute
def release(context: TimelineContext) -> Iterable[TimelineEntry]:
    """Customs' release on chain (放行 by customs' key)."""
    trade = context.trade
    if trade.released_at is not None:
        yield TimelineEntry(
            at=trade.released_at,
            kind="release",
            title="released on chain by customs",
            tx_hash=trade.release_tx,
            block_number=trade.release_block,
        )


@contribute
def receipts(context: TimelineContext) -> Iterable[TimelineEntry]:
    """Each customs receipt with its status code and note."""
    for record in customs_receipts.receipts_of(
        session=context.session, trade_id=context.trade.trade_id
    ):
        yield TimelineEntry(
            at=record.returned_at,
            kind="customs_receipt",
            title=f"{record.message_type} {customs_receipts.status_text(record.status)}",
            by=record.party_code,
            status=record.status,
            note=record.note,
            content_hash=record.content_hash,
            detail={"messageType": record.message_type, "guid": record.guid},
            **_anchor_tx(context.session, record.content_hash),
        )


@contribute
def cancellations(context: TimelineContext) -> Iterable[TimelineEntry]:
    """Each cancellation application, and customs' decision on it."""
    stmt = select(InventoryCancelRecord).where(
        InventoryCancelRecord.trade_id == context.trade.trade_id
    )
    for record in context.session.exec(stmt.order_by(col(InventoryCancelRecord.id))).all():
        yield TimelineEntry(
            at=record.received_at,
            kind="cancellation",
            title=f"{record.message_type} cancellation applied",
            by=record.party_code,
            note=record.reason,
            content_hash=record.content_hash,
            **_anchor_tx(context.session, record.content_hash),
        )
        if record.decided_at is not None:
            yield TimelineEntry(
                at=record.decided_at,
                kind="cancellation",
                title=f"cancellation {record.state}",
                by=record.decided_by,
                status=record.state,
                note=record.decision_note,
                content_hash=record.decision_hash,
                tx_hash=record.cancel_tx,
            )


@contribute
def settlement(context: TimelineContext) -> Iterable[TimelineEntry]:
    """The bank's settlement confirmed on chain."""
    trade = context.trade
    if trade.settled_at is not None:
        yield TimelineEntry(
            at=trade.settled_at,
            kind="settlement",
            title="settlement confirmed on chain",
            by=trade.settled_by,
            content_hash=trade.settlement_ref,
            tx_hash=trade.settlement_tx,
            block_number=trade.settlement_block,
        )


@contribute
def financing(context: TimelineContext) -> Iterable[TimelineEntry]:
    """The live financing registered on chain (at its block's time)."""
    trade = context.trade
    if trade.financing_tx is None or trade.financed_by is None:
        return
    at = context.block_time(trade.financing_block) or trade.updated_at
    yield TimelineEntry(
        at=at,
        kind="financing",
        title="financing registered on chain",
        by=trade.financed_by,
        content_hash=trade.financing_terms_hash,
        tx_hash=trade.financing_tx,
        block_number=trade.financing_block,
    )

"""Linking stored documents to their trades and re-matching each touched trade once.

One :class:`TradeLinker` serves one database transaction. A single submission
links one document; a bulk body links hundreds, so the linker loads what it
needs *per set* (the trades named, the orphan waybills they may adopt, the
current documents of every touched trade, the facts the matcher needs) in a
handful of queries, and re-matches each touched trade once at the end instead
of once per document. Both paths run the same code, so they give the same
verdicts.

Not every document names its trade in full: an import waybill carries the
orderNo but no ebpCode, an export waybill only its logisticsNo. Such documents
are stored unlinked and attached when the document that links them (the
order, or the inventory naming the waybill) arrives, in either order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, or_, select

from api.anchoring.lanes import VERDICT, VerdictPayload
from api.db.models import DocumentRecord, OutboxRecord, TradeRecord, utcnow
from api.runtime import LruCache
from traceability.trade import Direction, DocumentKind, TradeDocument, TradeKey, parse_document
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.records import context_to_json, customs_value
from traceability.trade.verdict import Verdict, VerdictStatus, verdict_hash

_HASH_COLUMN = {
    DocumentKind.ORDER: "order_hash",
    DocumentKind.PAYMENT: "payment_hash",
    DocumentKind.WAYBILL: "waybill_hash",
    DocumentKind.INVENTORY: "inventory_hash",
}


def logistics_key(document: TradeDocument) -> str | None:
    """``logisticsCode/logisticsNo`` of a document that names a waybill."""
    code = getattr(document, "logisticsCode", None)
    number = getattr(document, "logisticsNo", None)
    return f"{code}/{number}" if code and number else None


def payment_key(document: TradeDocument) -> str | None:
    """``payCode/transaction`` of a payment record."""
    code = getattr(document, "payCode", None) or ""
    number = getattr(document, "payTransactionId", None) or getattr(document, "payNo", None)
    return f"{code}/{number}" if number else None


def stored_document(record: DocumentRecord) -> TradeDocument:
    """Re-parse a stored document from its envelope."""
    payload = json.loads(record.envelope)["payload"]
    return parse_document(record.doc_type, payload["document"])


# Stored documents never change (a correction is a new row with a new hash), so their
# parsed models can be shared across requests: in the runtime's ``caches.documents``
# (bounded), which the write path passes in, never in this module, so two runtimes
# (two databases) never share them.
def _parsed_document(
    cache: LruCache[str, TradeDocument] | None, record: DocumentRecord
) -> TradeDocument:
    document = cache.get(record.content_hash) if cache is not None else None
    if document is None:
        document = stored_document(record)
        if cache is not None:
            cache.put(record.content_hash, document)
    return document


class TradeLinker:
    """Links documents to trades within one transaction, then re-matches touched trades."""

    def __init__(
        self,
        session: Session,
        *,
        now: datetime | None = None,
        documents: LruCache[str, TradeDocument] | None = None,
    ) -> None:
        self.session = session
        self.now = now or utcnow()
        # Parsed models shared across transactions (the runtime's), when the caller has them.
        self._documents = documents
        self._trades: dict[str, TradeRecord | None] = {}
        # Known trades by order number: waybills name their order, not their trade id.
        self._by_order: dict[str, list[TradeRecord]] = defaultdict(list)
        self._by_waybill: dict[str, list[TradeRecord]] = defaultdict(list)
        self._parsed: dict[str, TradeDocument] = {}
        self._touched: dict[str, TradeRecord] = {}
        self._orphans: list[DocumentRecord] | None = None

    # --- loading -------------------------------------------------------------------------

    def preload(self, stored: Sequence[tuple[DocumentRecord, TradeDocument]]) -> None:
        """Load, in a few queries, every trade and orphan waybill ``stored`` may involve."""
        for record, document in stored:
            self._parsed[record.content_hash] = document
        trade_ids = {r.trade_id for r, _ in stored if r.trade_id}
        order_nos = {r.link_order_no for r, _ in stored if r.link_order_no}
        waybills = {k for _, d in stored if (k := logistics_key(d))}
        self._create_missing_trades(stored)
        self._load_trades(
            or_(
                col(TradeRecord.trade_id).in_(trade_ids),
                col(TradeRecord.order_no).in_(order_nos),
                col(TradeRecord.logistics_no).in_(waybills),
            )
        )
        for trade_id in trade_ids:
            self._trades.setdefault(trade_id, None)
        numbers = {k.split("/", 1)[1] for k in waybills}
        self._orphans = list(
            self.session.exec(
                select(DocumentRecord).where(
                    col(DocumentRecord.trade_id).is_(None),
                    col(DocumentRecord.superseded_by).is_(None),
                    col(DocumentRecord.doc_key).startswith("waybill:"),
                    or_(
                        col(DocumentRecord.link_order_no).in_(order_nos),
                        col(DocumentRecord.link_logistics_no).in_(numbers),
                    ),
                )
            ).all()
        )

    def _create_missing_trades(
        self, stored: Sequence[tuple[DocumentRecord, TradeDocument]]
    ) -> None:
        """Insert the body's new trades, skipping those a concurrent body created first.

        Two bodies (say, the orders and the payments of the same trades) often arrive
        together; ``ON CONFLICT DO NOTHING`` lets both go on instead of one failing on
        the trade's primary key, and the rows are then locked in one order (below).
        """
        rows: dict[str, dict[str, object]] = {}
        for record, document in stored:
            if record.trade_id and record.trade_id not in rows:
                key = TradeKey.of(document)  # type: ignore[arg-type]
                rows[record.trade_id] = {
                    "trade_id": record.trade_id,
                    "ebp_code": key.ebpCode,
                    "order_no": key.orderNo,
                    "direction": document.direction.value,
                    "status": "pending",
                    "verdict_version": 0,
                    "updated_at": self.now,
                }
        if not rows:
            return
        insert = (
            pg_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        values = [rows[k] for k in sorted(rows)]
        self.session.execute(
            insert(TradeRecord).values(values).on_conflict_do_nothing(index_elements=["trade_id"])
        )

    def _load_trades(self, condition: object) -> list[TradeRecord]:
        stmt = select(TradeRecord).where(condition).order_by(col(TradeRecord.trade_id))  # type: ignore[arg-type]
        if self.session.get_bind().dialect.name == "postgresql":
            # Lock the trades this transaction will update, in trade id order, so two
            # bodies touching the same trades wait for each other instead of deadlocking.
            stmt = stmt.with_for_update()
        rows = list(self.session.exec(stmt).all())
        for trade in rows:
            self._remember(trade)
        return rows

    def _remember(self, trade: TradeRecord) -> None:
        if self._trades.get(trade.trade_id) is None:
            self._by_order[trade.order_no].append(trade)
            if trade.logistics_no:
                self._by_waybill[trade.logistics_no].append(trade)
        self._trades[trade.trade_id] = trade

    def _trade(self, trade_id: str) -> TradeRecord | None:
        if trade_id not in self._trades:
            self._load_trades(TradeRecord.trade_id == trade_id)
            self._trades.setdefault(trade_id, None)
        return self._trades[trade_id]

    def document_of(self, record: DocumentRecord) -> TradeDocument:
        """The parsed model of a stored document (parsed once per transaction)."""
        document = self._parsed.get(record.content_hash)
        if document is None:
            document = _parsed_document(self._documents, record)
            self._parsed[record.content_hash] = document
        return document

    # --- linking -------------------------------------------------------------------------

    def link(self, record: DocumentRecord, document: TradeDocument) -> None:
        """Attach a freshly stored document to its trade (creating the trade if needed)."""
        self._parsed[record.content_hash] = document
        if self._documents is not None:
            self._documents.put(record.content_hash, document)
        trade = self._trade_for(record, document)
        if trade is None:
            return
        self._attach(trade, record, document)
        self._adopt_orphans(trade)
        self._touched[trade.trade_id] = trade

    def _trade_for(self, record: DocumentRecord, document: TradeDocument) -> TradeRecord | None:
        if record.trade_id is not None:
            trade = self._trade(record.trade_id)
            if trade is None:
                key = TradeKey.of(document)  # type: ignore[arg-type]
                trade = TradeRecord(
                    trade_id=record.trade_id,
                    ebp_code=key.ebpCode,
                    order_no=key.orderNo,
                    direction=document.direction.value,
                    updated_at=self.now,
                )
                self._remember(trade)
                self.session.add(trade)
            return trade
        return self._trade_of_waybill(record, document)

    def _trade_of_waybill(
        self, record: DocumentRecord, document: TradeDocument
    ) -> TradeRecord | None:
        """The trade an unlinked waybill belongs to, if exactly one is known yet."""
        waybill = logistics_key(document)
        if document.direction is Direction.IMPORT and record.link_order_no:
            if self._orphans is None:  # not preloaded: look this order up now
                self._load_trades(
                    (TradeRecord.order_no == record.link_order_no)
                    & (TradeRecord.direction == "import")
                )
            candidates = [
                t
                for t in self._by_order.get(record.link_order_no, [])
                if t.direction == "import" and t.logistics_no in (None, waybill)
            ]
        else:
            if self._orphans is None:
                self._load_trades(TradeRecord.logistics_no == waybill)
            found = self._by_waybill.get(waybill or "", [])
            candidates = list({t.trade_id: t for t in found if t.logistics_no == waybill}.values())
        if len(candidates) != 1:
            return None  # unknown or ambiguous: wait for the inventory to name it
        record.trade_id = candidates[0].trade_id
        self.session.add(record)
        return candidates[0]

    def _attach(self, trade: TradeRecord, record: DocumentRecord, document: TradeDocument) -> None:
        setattr(trade, _HASH_COLUMN[document.kind], record.content_hash)
        if document.kind is DocumentKind.ORDER:
            trade.ebc_code = getattr(document, "ebcCode", None)
            trade.currency = getattr(document, "currency", None)
            trade.buyer_id = getattr(document, "buyerIdNumber", None)
        elif document.kind is DocumentKind.PAYMENT:
            trade.payment_no = payment_key(document)
        elif document.kind is DocumentKind.WAYBILL or (
            document.kind is DocumentKind.INVENTORY and trade.waybill_hash is None
        ):
            trade.logistics_no = logistics_key(document)
            if trade.logistics_no:
                self._by_waybill[trade.logistics_no].append(trade)
        if document.kind is DocumentKind.INVENTORY:
            trade.mode = str(getattr(document, "tradeMode", "")) or trade.mode
        trade.updated_at = self.now
        self.session.add(trade)

    def _orphans_for(self, trade: TradeRecord) -> list[DocumentRecord]:
        if self._orphans is None:
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
                return []
            return list(self.session.exec(stmt).all())
        if trade.direction == "import":
            return [o for o in self._orphans if o.link_order_no == trade.order_no]
        if trade.logistics_no is None:
            return []
        number = trade.logistics_no.split("/", 1)[1]
        return [o for o in self._orphans if o.link_logistics_no == number]

    def _adopt_orphans(self, trade: TradeRecord) -> None:
        """Link a waybill that arrived before the document naming its trade."""
        if trade.waybill_hash is not None:
            return
        for orphan in self._orphans_for(trade):
            if orphan.trade_id is not None or orphan.superseded_by is not None:
                continue
            document = self.document_of(orphan)
            if trade.logistics_no not in (None, logistics_key(document)):
                continue
            orphan.trade_id = trade.trade_id
            self.session.add(orphan)
            self._attach(trade, orphan, document)
            return

    # --- matching ------------------------------------------------------------------------

    def rematch_touched(self) -> dict[str, Verdict]:
        """Re-run the matcher once on every trade linked to since the last call."""
        touched, self._touched = list(self._touched.values()), {}
        if not touched:
            return {}
        documents = self._current_documents(touched)
        contexts = _Contexts(self.session, touched, self.now)
        verdicts = {}
        queued: dict[str, str] = {}
        with self.session.no_autoflush:
            for trade in touched:
                verdict, changed = self._rematch(
                    trade, *documents[trade.trade_id], contexts.of(trade)
                )
                verdicts[trade.trade_id] = verdict
                if (
                    changed
                    and verdict.status is not VerdictStatus.PENDING
                    # The chain keeps the verdict a release or an open financing named.
                    and trade.released_at is None
                    and trade.financed_by is None
                ):
                    queued[trade.trade_id] = trade.verdict_hash or ""
                contexts.record(trade)  # later trades of the same buyer count this one
        self._queue_verdicts(queued, verdicts)
        return verdicts

    def _queue_verdicts(self, queued: dict[str, str], verdicts: dict[str, Verdict]) -> None:
        """Outbox rows for new verdicts; an older verdict still waiting for a batch is dropped."""
        if not queued:
            return
        waiting = select(OutboxRecord).where(
            OutboxRecord.kind == VERDICT.kind,
            OutboxRecord.lane == VERDICT.name,
            col(OutboxRecord.batch_id).is_(None),
        )
        for row in self.session.exec(waiting).all():
            trade_id, _, digest = row.subject.partition(":")
            if trade_id not in queued:
                continue
            if digest == queued[trade_id]:
                del queued[trade_id]  # the very same verdict is already queued
            else:
                self.session.delete(row)
        for trade_id, digest in queued.items():
            matched = verdicts[trade_id].status is VerdictStatus.MATCH
            payload = VerdictPayload(trade_id=trade_id, verdict_hash=digest, matched=matched)
            self.session.add(
                VERDICT.outbox_record(f"{trade_id}:{digest}", payload, created_at=self.now)
            )

    def _current_documents(
        self, trades: Sequence[TradeRecord]
    ) -> dict[str, tuple[TradeDocuments, dict[str, str]]]:
        """Each trade's current documents, and their content hashes by kind."""
        self.session.flush()
        stmt = select(DocumentRecord).where(
            col(DocumentRecord.trade_id).in_([t.trade_id for t in trades]),
            col(DocumentRecord.superseded_by).is_(None),
        )
        found: dict[str, dict[str, TradeDocument]] = defaultdict(dict)
        hashes: dict[str, dict[str, str]] = defaultdict(dict)
        for record in self.session.exec(stmt).all():
            document = self.document_of(record)
            found[record.trade_id or ""][document.kind.value] = document
            hashes[record.trade_id or ""][document.kind.value] = record.content_hash
        return {
            t.trade_id: (TradeDocuments(**found[t.trade_id]), hashes[t.trade_id])  # type: ignore[arg-type]
            for t in trades
        }

    def _rematch(
        self,
        trade: TradeRecord,
        documents: TradeDocuments,
        hashes: dict[str, str],
        context: MatchContext,
    ) -> tuple[Verdict, bool]:
        """Match one trade; record the verdict if it changed (and say whether it did)."""
        verdict = match_trade(documents, context=context, hashes=hashes)
        digest = verdict_hash(verdict).hex()
        trade.mode = verdict.mode.value
        trade.customs_value = customs_value(documents)
        changed = digest != trade.verdict_hash
        if changed:
            trade.verdict = json.dumps(verdict.to_json_dict(), ensure_ascii=False, sort_keys=True)
            trade.verdict_hash = digest
            trade.match_context = json.dumps(context_to_json(context), sort_keys=True)
            trade.status = verdict.status.value
            trade.verdict_version += 1
        trade.updated_at = self.now
        self.session.add(trade)
        return verdict, changed


class _Contexts:
    """The matcher's outside facts for a set of trades, loaded in three queries."""

    def __init__(self, session: Session, trades: Sequence[TradeRecord], now: datetime) -> None:
        self.now = now
        # Trades of this batch count as using a payment or waybill only from their turn on,
        # as if their documents had come one by one: the first order to use one keeps it.
        self._turn = {t.trade_id: n for n, t in enumerate(trades)}
        self._payment = self._users(session, TradeRecord.payment_no, {t.payment_no for t in trades})
        self._waybill = self._users(
            session, TradeRecord.logistics_no, {t.logistics_no for t in trades}
        )
        self._annual = self._annual_values(session, trades)

    @staticmethod
    def _users(
        session: Session, column: Any, values: set[str | None]
    ) -> dict[str, list[tuple[str, TradeKey]]]:
        """Which trades use each of ``values`` in ``column`` (payment or waybill numbers)."""
        wanted = [v for v in values if v is not None]
        found: dict[str, list[tuple[str, TradeKey]]] = defaultdict(list)
        if not wanted:
            return found
        stmt = select(TradeRecord).where(col(column).in_(wanted))
        for trade in session.exec(stmt).all():
            value = getattr(trade, column.key)
            found[value].append((trade.trade_id, TradeKey(trade.ebp_code, trade.order_no)))
        return found

    def _annual_values(
        self, session: Session, trades: Sequence[TradeRecord]
    ) -> dict[str, list[tuple[str, Decimal]]]:
        buyers = {t.buyer_id for t in trades if t.direction == "import" and t.buyer_id}
        found: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
        if not buyers:
            return found
        stmt = select(TradeRecord.buyer_id, TradeRecord.trade_id, TradeRecord.customs_value).where(
            col(TradeRecord.buyer_id).in_(buyers),
            TradeRecord.status == "match",
            col(TradeRecord.updated_at) >= datetime(self.now.year, 1, 1, tzinfo=UTC),
        )
        for buyer, trade_id, value in session.exec(stmt).all():
            if value:
                found[buyer or ""].append((trade_id, Decimal(value)))
        return found

    def record(self, trade: TradeRecord) -> None:
        """Take a just re-matched trade into the buyer's annual total (or out of it)."""
        if trade.direction != "import" or not trade.buyer_id:
            return
        values = [
            (tid, v) for tid, v in self._annual.get(trade.buyer_id, []) if tid != trade.trade_id
        ]
        if trade.status == "match" and trade.customs_value:
            values.append((trade.trade_id, Decimal(trade.customs_value)))
        self._annual[trade.buyer_id] = values

    def of(self, trade: TradeRecord) -> MatchContext:
        """The context of one trade (other trades only; never the trade itself)."""

        turn = self._turn.get(trade.trade_id, len(self._turn))

        def earlier(trade_id: str) -> bool:
            return trade_id != trade.trade_id and self._turn.get(trade_id, -1) < turn

        def others(
            table: dict[str, list[tuple[str, TradeKey]]], value: str | None
        ) -> frozenset[TradeKey]:
            if value is None:
                return frozenset()
            return frozenset(k for tid, k in table.get(value, []) if earlier(tid))

        prior = None
        if trade.direction == "import" and trade.buyer_id is not None:
            values = self._annual.get(trade.buyer_id, [])
            prior = sum((v for tid, v in values if tid != trade.trade_id), Decimal(0))
        return MatchContext(
            now=self.now,
            prior_annual_total=prior,
            payment_trades=others(self._payment, trade.payment_no),
            waybill_trades=others(self._waybill, trade.logistics_no),
        )

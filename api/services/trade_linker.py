"""Linking stored documents to their trades and re-matching each touched trade once.

One :class:`TradeLinker` serves one database transaction. A single submission
links one document; a bulk body links hundreds, so the linker loads what it
needs *per set* (the trades named, every current document naming them, the facts
the matcher needs) in a handful of queries, and re-matches each touched trade
once at the end instead of once per document. Both paths run the same code, so
they give the same verdicts.

Which documents a trade *takes* is decided afresh for every touched trade by
:func:`traceability.trade.signers.choose_documents`, from every current document
naming it: for each kind, the document of the party the trade names in that role,
the earliest first. So the arrival order never decides between a named party and
one the trade does not name, and a document that arrived before the one naming its
party (an orphan) is adopted when that one arrives. A document the trade does not
take keeps ``trade_id`` null and is listed as a conflict (:func:`trade_conflicts`).
A released (settled, financed) trade keeps the documents customs released.

Not every document names its trade in full: an import waybill carries the
orderNo but no ebpCode, an export waybill only its logisticsNo, which the
trade's inventory names.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import insert as sql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, or_, select

from api.anchoring.lanes import VERDICT, VerdictPayload
from api.db.models import (
    CreditFactRecord,
    DocumentRecord,
    OutboxRecord,
    TradeRecord,
    table_of,
    utcnow,
    verdict_trade_of,
)
from api.runtime import LruCache
from api.services import notifications
from api.services.match_contexts import MatchContexts
from api.services.risk_records.facts import verdict_facts
from api.services.risk_records.ingest import record_risk_trades
from api.services.trade_claims import Claims, CurrentDocument, Documents
from traceability import DigestProfile
from traceability.trade import Direction, DocumentKind, TradeDocument, TradeKey
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.records import context_to_json, customs_value
from traceability.trade.signers import Rejected
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


def is_frozen(trade: TradeRecord) -> bool:
    """Whether customs released the trade (settlement and financing follow a release)."""
    return any(v is not None for v in (trade.released_at, trade.settled_at, trade.financed_by))


def named_trade_id(document: TradeDocument) -> str | None:
    """The trade id of a document that carries the whole trade key (ebpCode and orderNo)."""
    if getattr(document, "ebpCode", None) and getattr(document, "orderNo", None):
        return TradeKey.of(document).trade_id.hex()  # type: ignore[arg-type]
    return None


def trade_conflicts(
    session: Session,
    trades: Sequence[TradeRecord],
    *,
    documents: LruCache[str, TradeDocument] | None = None,
) -> dict[str, list[Rejected]]:
    """The documents naming each trade that it does not take, with the reason, by trade id."""
    unlinked = select(DocumentRecord.link_order_no, DocumentRecord.link_logistics_no).where(
        col(DocumentRecord.trade_id).is_(None),
        col(DocumentRecord.superseded_by).is_(None),
        or_(
            col(DocumentRecord.link_order_no).in_({t.order_no for t in trades}),
            col(DocumentRecord.link_logistics_no).in_(
                {t.logistics_no.split("/", 1)[1] for t in trades if t.logistics_no}
            ),
        ),
    )
    numbers = {n for pair in session.exec(unlinked).all() for n in pair if n}
    # Most trades have no conflict: only those some unlinked document names are judged.
    suspects = [
        t
        for t in trades
        if t.order_no in numbers or (t.logistics_no or "/").split("/", 1)[1] in numbers
    ]
    if not suspects:
        return {}
    claims = Claims(session, suspects, Documents(documents))
    return {t.trade_id: _conflicts_of(t, claims) for t in suspects}


def _conflicts_of(trade: TradeRecord, claims: Claims) -> list[Rejected]:
    held = {getattr(trade, column) for column in _HASH_COLUMN.values()}
    choice = claims.choice(trade)
    reasons = {r.claim.ref: r.reason for r in choice.rejected}
    released = (
        f"arrived after customs released the trade (block {trade.release_block}); "
        "the trade keeps the documents it was released with"
    )
    return [
        Rejected(c, reasons.get(c.ref, released)) for c in claims.of(trade) if c.ref not in held
    ]


class TradeLinker:
    """Links documents to trades within one transaction, then re-matches touched trades."""

    def __init__(
        self,
        session: Session,
        *,
        now: datetime | None = None,
        documents: LruCache[str, TradeDocument] | None = None,
        digest: DigestProfile,
    ) -> None:
        self.session = session
        self.now = now or utcnow()
        #: The zone's digest profile, which a verdict's hash is taken with.
        self.digest = digest
        # Parsed models, shared across transactions through the runtime's cache when the
        # caller has it.
        self._documents = Documents(documents)
        self._trades: dict[str, TradeRecord | None] = {}
        # Known trades by order number: import waybills name their order, not their trade id.
        self._by_order: dict[str, list[TradeRecord]] = defaultdict(list)
        self._by_waybill: dict[str, list[TradeRecord]] = defaultdict(list)
        self._touched: dict[str, TradeRecord] = {}
        #: The documents being stored, not inserted yet (their trade link is set here).
        self._fresh: list[CurrentDocument] = []
        #: The parties whose documents each settled trade took.
        self._signers: dict[str, set[str]] = {}

    # --- loading -------------------------------------------------------------------------

    def preload(self, stored: Sequence[tuple[CurrentDocument, TradeDocument]]) -> None:
        """Load, in a few queries, every trade ``stored`` may name (creating the new ones).

        ``stored`` are the documents being stored, in the order they will be inserted
        (after linking, which sets their ``trade_id``; superseded ones included).
        """
        self._fresh.extend(record for record, _ in stored)
        for record, document in stored:
            self._documents.put(record.content_hash, document)
        trade_ids = {t for _, d in stored if (t := named_trade_id(d))}
        order_nos = {
            r.link_order_no for r, d in stored if r.link_order_no and not named_trade_id(d)
        }
        waybills = {k for _, d in stored if (k := logistics_key(d))}
        self._create_missing_trades(stored)
        self._load_trades(
            or_(
                col(TradeRecord.trade_id).in_(trade_ids),
                col(TradeRecord.order_no).in_(order_nos),
                col(TradeRecord.logistics_no).in_(waybills),
            )
        )

    def _create_missing_trades(
        self, stored: Sequence[tuple[CurrentDocument, TradeDocument]]
    ) -> None:
        """Insert the body's new trades, skipping those a concurrent body created first.

        Two bodies (say, the orders and the payments of the same trades) often arrive
        together; ``ON CONFLICT DO NOTHING`` lets both go on instead of one failing on
        the trade's primary key, and the rows are then locked in one order (below).
        """
        rows: dict[str, dict[str, object]] = {}
        for _, document in stored:
            trade_id = named_trade_id(document)
            if trade_id and trade_id not in rows:
                key = TradeKey.of(document)  # type: ignore[arg-type]
                rows[trade_id] = {
                    "trade_id": trade_id,
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
        # An executemany in trade id order: one short statement, not a VALUES list to compile
        # anew for every body.
        values = [rows[k] for k in sorted(rows)]
        stmt = insert(table_of(TradeRecord)).on_conflict_do_nothing(index_elements=["trade_id"])
        self.session.execute(stmt, values)

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

    def _trade(self, trade_id: str, document: TradeDocument) -> TradeRecord:
        if trade_id not in self._trades:
            self._load_trades(TradeRecord.trade_id == trade_id)
        trade = self._trades.get(trade_id)
        if trade is None:  # not preloaded: create it now
            key = TradeKey.of(document)  # type: ignore[arg-type]
            trade = TradeRecord(
                trade_id=trade_id,
                ebp_code=key.ebpCode,
                order_no=key.orderNo,
                direction=document.direction.value,
                updated_at=self.now,
            )
            self._remember(trade)
            self.session.add(trade)
        return trade

    # --- linking -------------------------------------------------------------------------

    def link(self, record: CurrentDocument, document: TradeDocument) -> None:
        """Mark the trades a freshly stored document names for re-judging (creating them)."""
        self._documents.put(record.content_hash, document)
        trade_id = named_trade_id(document)
        if trade_id is not None:
            trades = [self._trade(trade_id, document)]
        elif document.direction is Direction.IMPORT:
            trades = [t for t in self._by_order.get(record.link_order_no or "", [])]
            trades = [t for t in trades if t.direction == "import"]
        else:
            trades = self._by_waybill.get(logistics_key(document) or "", [])
        for trade in trades:
            if not is_frozen(trade):  # a released trade keeps the documents it was released with
                self._touched[trade.trade_id] = trade

    def _settle(
        self, trades: Sequence[TradeRecord]
    ) -> dict[str, tuple[TradeDocuments, dict[str, str], str]]:
        """Give each trade the documents it takes, unlinking those it no longer takes: each
        trade's documents, their content hashes by kind (the verdict names them), and their
        signers' party codes (sorted, comma-separated: the verdict batch commits to them).

        The signers of the documents taken are also kept in ``self._signers`` (credit facts)."""
        self.session.flush()
        claims = Claims(self.session, trades, self._documents, self._fresh)
        settled = {}
        links: dict[str, str | None] = {}
        for trade in trades:
            claimed, choice = claims.of(trade), claims.choice(trade)
            taken = {c.ref for c in choice.accepted.values()}
            for ref in (c.ref for c in claimed):
                record = claims.record(ref)
                linked = trade.trade_id if ref in taken else None
                if record.trade_id != linked:
                    record.trade_id = linked  # later trades of the set see the link
                    if record.id is not None:  # a stored row; a new one is inserted linked
                        links[ref] = linked
            chosen = {kind: c.document for kind, c in choice.accepted.items()}
            refs = {
                c: choice.accepted[k].ref if k in chosen else None for k, c in _HASH_COLUMN.items()
            }
            _update(trade, **refs)
            self._describe(trade, chosen)
            hashes = {kind.value: claim.ref for kind, claim in choice.accepted.items()}
            self._signers[trade.trade_id] = {claims.record(r).party_code for r in taken}
            documents = TradeDocuments(**{k.value: d for k, d in chosen.items()})  # type: ignore[arg-type]
            signers = ",".join(
                sorted({claims.record(c.ref).party_code for c in choice.accepted.values()})
            )
            settled[trade.trade_id] = (documents, hashes, signers)
        self._relink(links)
        return settled

    def _relink(self, links: dict[str, str | None]) -> None:
        """Set the documents' new trade links: one executemany for the set."""
        if not links:
            return
        table = table_of(DocumentRecord)
        stmt = (
            update(table)
            .where(table.c.content_hash == bindparam("ref"))
            .values(trade_id=bindparam("linked"))
        )
        rows = [{"ref": ref, "linked": linked} for ref, linked in sorted(links.items())]
        self.session.execute(stmt, rows)

    def _describe(self, trade: TradeRecord, chosen: dict[DocumentKind, TradeDocument]) -> None:
        """The trade's columns that its order, payment, waybill and inventory state."""
        order = chosen.get(DocumentKind.ORDER)
        payment = chosen.get(DocumentKind.PAYMENT)
        waybill = chosen.get(DocumentKind.WAYBILL) or chosen.get(DocumentKind.INVENTORY)
        inventory = chosen.get(DocumentKind.INVENTORY)
        _update(
            trade,
            ebc_code=getattr(order, "ebcCode", None),
            currency=getattr(order, "currency", None),
            buyer_id=getattr(order, "buyerIdNumber", None),
            payment_no=payment_key(payment) if payment else None,
            logistics_no=logistics_key(waybill) if waybill else None,
            mode=str(getattr(inventory, "tradeMode", "")) or trade.mode,
            updated_at=self.now,
        )

    # --- matching ------------------------------------------------------------------------

    def rematch_touched(self) -> dict[str, Verdict]:
        """Re-run the matcher once on every trade linked to since the last call."""
        touched, self._touched = list(self._touched.values()), {}
        if not touched:
            return {}
        with self.session.no_autoflush:  # each trade's changes go in one UPDATE, at commit
            return self._rematch_all(touched)

    def _rematch_all(self, touched: Sequence[TradeRecord]) -> dict[str, Verdict]:
        documents = self._settle(touched)
        contexts = MatchContexts(self.session, touched, self.now)
        verdicts = {}
        queued: dict[str, str] = {}
        facts: list[dict[str, Any]] = []
        events: list[notifications.Event] = []
        signers: dict[str, str] = {}
        for trade in touched:
            settled, hashes, signers[trade.trade_id] = documents[trade.trade_id]
            verdict, changed = self._rematch(trade, settled, hashes, contexts.of(trade))
            verdicts[trade.trade_id] = verdict
            if changed and verdict.status is not VerdictStatus.PENDING:
                named = {c for c in (trade.ebp_code, trade.ebc_code) if c}
                parties = self._signers.get(trade.trade_id, set()) | named
                facts += verdict_facts(trade, verdict, parties, self.now)
                events.append(_verdict_event(trade, verdict, parties))
            if (
                changed
                and verdict.status is not VerdictStatus.PENDING
                # The chain keeps the verdict a release or an open financing named.
                and not is_frozen(trade)
            ):
                queued[trade.trade_id] = trade.verdict_hash or ""
            contexts.record(trade)  # later trades of the same buyer count this one
        self._queue_verdicts(queued, verdicts, signers)
        if facts:
            self.session.execute(sql_insert(table_of(CreditFactRecord)), facts)
        notifications.emit_many(self.session, events, now=self.now)
        risk = [(t.trade_id, t.mode, documents[t.trade_id][0]) for t in touched]
        record_risk_trades(self.session, risk, self.now)
        return verdicts

    def _queue_verdicts(
        self, queued: dict[str, str], verdicts: dict[str, Verdict], signers: dict[str, str]
    ) -> None:
        """Outbox rows for new verdicts; an older verdict still waiting for a batch is dropped."""
        if not queued:
            return
        # Only the queued trades' rows: the whole backlog (a worker that is behind, or none)
        # would cost every body more than the body itself. The subject starts with the trade id.
        waiting = select(OutboxRecord).where(
            OutboxRecord.kind == VERDICT.kind,
            OutboxRecord.lane == VERDICT.name,
            col(OutboxRecord.batch_id).is_(None),
            verdict_trade_of(col(OutboxRecord.subject)).in_(queued),
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
            payload = VerdictPayload(
                trade_id=trade_id, verdict_hash=digest, matched=matched, parties=signers[trade_id]
            )
            self.session.add(
                VERDICT.outbox_record(f"{trade_id}:{digest}", payload, created_at=self.now)
            )

    def _rematch(
        self,
        trade: TradeRecord,
        documents: TradeDocuments,
        hashes: dict[str, str],
        context: MatchContext,
    ) -> tuple[Verdict, bool]:
        """Match one trade; record the verdict if it changed (and say whether it did)."""
        verdict = match_trade(documents, context=context, hashes=hashes)
        digest = verdict_hash(verdict, self.digest).hex()
        _update(trade, mode=verdict.mode.value, customs_value=customs_value(documents))
        changed = digest != trade.verdict_hash
        if changed:
            _update(
                trade,
                verdict=json.dumps(verdict.to_json_dict(), ensure_ascii=False, sort_keys=True),
                verdict_hash=digest,
                match_context=json.dumps(context_to_json(context), sort_keys=True),
                status=verdict.status.value,
                verdict_version=trade.verdict_version + 1,
            )
        _update(trade, updated_at=self.now)
        return verdict, changed


def _verdict_event(trade: TradeRecord, verdict: Verdict, parties: set[str]) -> notifications.Event:
    """The notification of a trade's new verdict, for the trade's own parties."""
    matched = verdict.status is VerdictStatus.MATCH
    kind = notifications.Kind.MATCHED if matched else notifications.Kind.MISMATCHED
    data = {
        "ebpCode": trade.ebp_code,
        "orderNo": trade.order_no,
        "status": verdict.status.value,
        "verdictHash": trade.verdict_hash,
        "failedRules": sorted({f.rule for f in verdict.failures}),
    }
    return notifications.Event(kind, frozenset(parties), trade.trade_id, data)


def _update(trade: TradeRecord, **values: Any) -> None:
    """Set the columns whose value changes: an unchanged one need not be written, and each
    SQLModel attribute write costs microseconds (the trades are in the session already)."""
    for name, value in values.items():
        if getattr(trade, name) != value:
            setattr(trade, name, value)

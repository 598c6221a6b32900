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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, func, or_, select

from api.anchoring.lanes import VERDICT, VerdictPayload
from api.db.models import DocumentRecord, OutboxRecord, TradeRecord, table_of, utcnow
from api.runtime import LruCache
from traceability.trade import Direction, DocumentKind, TradeDocument, TradeKey, parse_document
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.records import context_to_json, customs_value
from traceability.trade.signers import Choice, Claim, Rejected, choose_documents
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


@dataclass
class CurrentDocument:
    """The columns of a current document that linking reads (not its envelope).

    A document of the body being stored has no ``id`` yet: it is inserted once linked,
    with its trade, instead of being inserted and then updated (on PostgreSQL an update
    of the indexed ``trade_id`` writes a new version of the row and of all its indexes).
    """

    id: int | None
    content_hash: str
    party_code: str
    doc_type: str
    doc_key: str
    trade_id: str | None
    link_order_no: str | None
    link_logistics_no: str | None
    version: int
    superseded_by: str | None = None


_CURRENT_COLUMNS = (
    col(DocumentRecord.id),
    col(DocumentRecord.content_hash),
    col(DocumentRecord.party_code),
    col(DocumentRecord.doc_type),
    col(DocumentRecord.doc_key),
    col(DocumentRecord.trade_id),
    col(DocumentRecord.link_order_no),
    col(DocumentRecord.link_logistics_no),
    col(DocumentRecord.version),
)
#: Above every row id: the rank of a document of the body being stored.
_FRESH_RANK = 1 << 62


class _Documents:
    """Parsed models of stored documents, by content hash.

    Stored documents never change (a correction is a new row with a new hash), so their
    parsed models can be shared across requests: in the runtime's ``caches.documents``
    (bounded), which the write path passes in, never in this module, so two runtimes
    (two databases) never share them. The envelopes of the misses among a set of rows
    are read in one query: a body's own documents and most of its trades' others are
    parsed already, and an envelope is most of a row's bytes.
    """

    def __init__(self, cache: LruCache[str, TradeDocument] | None) -> None:
        self._cache = cache
        self._parsed: dict[str, TradeDocument] = {}

    def put(self, content_hash: str, document: TradeDocument) -> None:
        """Keep a document parsed by the caller (a fresh submission)."""
        self._parsed[content_hash] = document
        if self._cache is not None:
            self._cache.put(content_hash, document)

    def of(self, content_hash: str) -> TradeDocument:
        """The parsed model of a document :meth:`load` has seen."""
        return self._parsed[content_hash]

    def load(self, session: Session, rows: Sequence[CurrentDocument]) -> None:
        """Have the models of ``rows`` at hand, parsing the missing ones from their envelopes."""
        missing = {}
        for row in rows:
            if row.content_hash in self._parsed:
                continue
            cached = self._cache.get(row.content_hash) if self._cache is not None else None
            if cached is not None:
                self._parsed[row.content_hash] = cached
            else:
                missing[row.content_hash] = row.doc_type
        if not missing:
            return
        stmt = select(DocumentRecord.content_hash, DocumentRecord.envelope).where(
            col(DocumentRecord.content_hash).in_(missing)
        )
        for content_hash, envelope in session.exec(stmt).all():
            payload = json.loads(envelope)["payload"]
            self.put(content_hash, parse_document(missing[content_hash], payload["document"]))


def is_frozen(trade: TradeRecord) -> bool:
    """Whether customs released the trade (settlement and financing follow a release)."""
    return any(v is not None for v in (trade.released_at, trade.settled_at, trade.financed_by))


def named_trade_id(document: TradeDocument) -> str | None:
    """The trade id of a document that carries the whole trade key (ebpCode and orderNo)."""
    if getattr(document, "ebpCode", None) and getattr(document, "orderNo", None):
        return TradeKey.of(document).trade_id.hex()  # type: ignore[arg-type]
    return None


def _names_trade(document: TradeDocument, trade: TradeRecord) -> bool:
    """Whether ``document`` (found by the trade's orderNo) names ``trade``."""
    if document.kind is DocumentKind.WAYBILL:
        # An import waybill names only the orderNo; an export one is named by the inventory.
        return document.direction is Direction.IMPORT and trade.direction == "import"
    return getattr(document, "ebpCode", None) == trade.ebp_code


class _Claims:
    """Every current document naming each of a set of trades, as claims on its slots.

    Loaded in a few queries for the whole set: the documents carrying the trades'
    orderNos, then the export waybills their inventories name.
    """

    def __init__(
        self,
        session: Session,
        trades: Sequence[TradeRecord],
        documents: _Documents,
        fresh: Sequence[CurrentDocument] = (),
    ) -> None:
        self._session = session
        self._documents = documents
        self._records: dict[str, CurrentDocument] = {}
        self._ranks: dict[str, int] = {}
        self._found: dict[str, list[CurrentDocument]] = defaultdict(list)
        # The body's own documents, not inserted yet, rank after every stored one, in
        # body order, as their ids will (a correction keeps its first version's rank).
        self._fresh = [f for f in fresh if f.superseded_by is None]
        self._fresh_ranks: dict[str, int] = {}
        for position, item in enumerate(fresh):
            self._fresh_ranks.setdefault(item.doc_key, _FRESH_RANK + position)
        by_order: dict[str, list[TradeRecord]] = defaultdict(list)
        for trade in trades:
            by_order[trade.order_no].append(trade)
        named = col(DocumentRecord.link_order_no).in_(by_order)
        for record in self._current(named, lambda f: f.link_order_no in by_order):
            document = documents.of(record.content_hash)
            for trade in by_order[record.link_order_no or ""]:
                if _names_trade(document, trade):
                    self._found[trade.trade_id].append(record)
        self._add_export_waybills([t for t in trades if t.direction == "export"])

    def _current(
        self, condition: Any, fresh: Callable[[CurrentDocument], bool]
    ) -> list[CurrentDocument]:
        """The stored current documents meeting ``condition``, and the body's meeting
        ``fresh`` (the same condition, in Python)."""
        stmt = sa_select(*_CURRENT_COLUMNS).where(
            condition, col(DocumentRecord.superseded_by).is_(None)
        )
        rows = [CurrentDocument(*row) for row in self._session.execute(stmt).all()]
        self._documents.load(self._session, rows)
        rows.extend(f for f in self._fresh if fresh(f))
        self._records.update((r.content_hash, r) for r in rows)
        # The rank of a document is its first version's row id: a first version's own id
        # (a later version is inserted after it), else the smallest id under its key.
        later = set()
        for row in rows:
            if row.doc_key in self._ranks:
                continue
            if row.version == 1:
                self._ranks[row.doc_key] = row.id or self._fresh_ranks[row.doc_key]
            else:
                later.add(row.doc_key)
        if later:
            first = select(DocumentRecord.doc_key, func.min(DocumentRecord.id)).where(
                col(DocumentRecord.doc_key).in_(later)
            )
            ranks = self._session.exec(first.group_by(DocumentRecord.doc_key)).all()
            self._ranks.update((key, rank or 0) for key, rank in ranks)
            # A correction in the same body as its first version: none of it is stored yet.
            self._ranks.update((k, self._fresh_ranks[k]) for k in later - self._ranks.keys())
        return rows

    def _add_export_waybills(self, trades: Sequence[TradeRecord]) -> None:
        wanted: dict[str, list[TradeRecord]] = defaultdict(list)
        for trade in trades:
            inventory = self.choice(trade).accepted.get(DocumentKind.INVENTORY)
            if inventory is not None:
                wanted[getattr(inventory.document, "logisticsNo", "")].append(trade)
        if not wanted:
            return
        prefix = f"{DocumentKind.WAYBILL.value}:"
        waybills = col(DocumentRecord.doc_key).startswith(prefix)
        for record in self._current(
            waybills & col(DocumentRecord.link_logistics_no).in_(wanted),
            lambda f: f.doc_key.startswith(prefix) and f.link_logistics_no in wanted,
        ):
            if self._documents.of(record.content_hash).direction is Direction.EXPORT:
                for trade in wanted[record.link_logistics_no or ""]:
                    self._found[trade.trade_id].append(record)

    def record(self, ref: str) -> CurrentDocument:
        """The row of a claim."""
        return self._records[ref]

    def of(self, trade: TradeRecord) -> list[Claim]:
        """The claims on ``trade``: its documents and those naming it that no other trade took."""
        return [
            Claim(
                r.content_hash,
                r.party_code,
                self._documents.of(r.content_hash),
                self._ranks.get(r.doc_key, 0),
            )
            for r in self._found.get(trade.trade_id, [])
            if r.trade_id in (None, trade.trade_id)
        ]

    def choice(self, trade: TradeRecord) -> Choice:
        """Which claim the trade takes for each kind, and the others' reasons."""
        return choose_documents(TradeKey(trade.ebp_code, trade.order_no), self.of(trade))


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
    claims = _Claims(session, suspects, _Documents(documents))
    return {t.trade_id: _conflicts_of(t, claims) for t in suspects}


def _conflicts_of(trade: TradeRecord, claims: _Claims) -> list[Rejected]:
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
    ) -> None:
        self.session = session
        self.now = now or utcnow()
        # Parsed models, shared across transactions through the runtime's cache when the
        # caller has it.
        self._documents = _Documents(documents)
        self._trades: dict[str, TradeRecord | None] = {}
        # Known trades by order number: import waybills name their order, not their trade id.
        self._by_order: dict[str, list[TradeRecord]] = defaultdict(list)
        self._by_waybill: dict[str, list[TradeRecord]] = defaultdict(list)
        self._touched: dict[str, TradeRecord] = {}
        #: The documents being stored, not inserted yet (their trade link is set here).
        self._fresh: list[CurrentDocument] = []

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
    ) -> dict[str, tuple[TradeDocuments, dict[str, str]]]:
        """Give each trade the documents it takes, unlinking those it no longer takes: each
        trade's documents, and their content hashes by kind (the verdict names them)."""
        self.session.flush()
        claims = _Claims(self.session, trades, self._documents, self._fresh)
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
            documents = TradeDocuments(**{k.value: d for k, d in chosen.items()})  # type: ignore[arg-type]
            settled[trade.trade_id] = (documents, hashes)
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
        contexts = _Contexts(self.session, touched, self.now)
        verdicts = {}
        queued: dict[str, str] = {}
        for trade in touched:
            verdict, changed = self._rematch(trade, *documents[trade.trade_id], contexts.of(trade))
            verdicts[trade.trade_id] = verdict
            if (
                changed
                and verdict.status is not VerdictStatus.PENDING
                # The chain keeps the verdict a release or an open financing named.
                and not is_frozen(trade)
            ):
                queued[trade.trade_id] = trade.verdict_hash or ""
            contexts.record(trade)  # later trades of the same buyer count this one
        self._queue_verdicts(queued, verdicts)
        return verdicts

    def _queue_verdicts(self, queued: dict[str, str], verdicts: dict[str, Verdict]) -> None:
        """Outbox rows for new verdicts; an older verdict still waiting for a batch is dropped."""
        if not queued:
            return
        # Only the queued trades' rows: the whole backlog (a worker that is behind, or none)
        # would cost every body more than the body itself. The subject starts with the trade id.
        waiting = select(OutboxRecord).where(
            OutboxRecord.kind == VERDICT.kind,
            OutboxRecord.lane == VERDICT.name,
            col(OutboxRecord.batch_id).is_(None),
            func.substr(col(OutboxRecord.subject), 1, 64).in_(queued),
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


def _update(trade: TradeRecord, **values: Any) -> None:
    """Set the columns whose value changes: an unchanged one need not be written, and each
    SQLModel attribute write costs microseconds (the trades are in the session already)."""
    for name, value in values.items():
        if getattr(trade, name) != value:
            setattr(trade, name, value)


@dataclass(frozen=True)
class _Facts:
    """The columns of a trade that other trades' match contexts read."""

    trade_id: str
    ebp_code: str
    order_no: str
    payment_no: str | None
    logistics_no: str | None
    buyer_id: str | None
    status: str
    customs_value: str | None
    updated_at: datetime

    @classmethod
    def of(cls, trade: TradeRecord) -> _Facts:
        """A trade's facts as they stand in memory."""
        return cls(
            trade.trade_id,
            trade.ebp_code,
            trade.order_no,
            trade.payment_no,
            trade.logistics_no,
            trade.buyer_id,
            trade.status,
            trade.customs_value,
            trade.updated_at,
        )

    def counts_for(self, buyers: set[str], year: datetime) -> bool:
        """Whether the trade adds to one of ``buyers``' annual total: matched this year."""
        return (
            self.buyer_id in buyers
            and self.status == "match"
            and self.updated_at >= year
            and bool(self.customs_value)
        )


_FACT_COLUMNS = (
    col(TradeRecord.trade_id),
    col(TradeRecord.ebp_code),
    col(TradeRecord.order_no),
    col(TradeRecord.payment_no),
    col(TradeRecord.logistics_no),
    col(TradeRecord.buyer_id),
    col(TradeRecord.status),
    col(TradeRecord.customs_value),
    col(TradeRecord.updated_at),
)


class _Contexts:
    """The matcher's outside facts for a set of trades, loaded in one query.

    The set's own trades are read from memory, not from the table: their new payment
    and waybill keys are written once, with the rest of their changes, at commit.
    """

    def __init__(self, session: Session, trades: Sequence[TradeRecord], now: datetime) -> None:
        self.now = now
        # Trades of this batch count as using a payment or waybill only from their turn on,
        # as if their documents had come one by one: the first order to use one keeps it.
        self._turn = {t.trade_id: n for n, t in enumerate(trades)}
        self._payment: dict[str, list[tuple[str, TradeKey]]] = defaultdict(list)
        self._waybill: dict[str, list[tuple[str, TradeKey]]] = defaultdict(list)
        self._annual: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
        payments = {t.payment_no for t in trades if t.payment_no is not None}
        waybills = {t.logistics_no for t in trades if t.logistics_no is not None}
        buyers = {t.buyer_id for t in trades if t.direction == "import" and t.buyer_id}
        year = datetime(now.year, 1, 1, tzinfo=UTC)
        facts = [_Facts(*row) for row in self._stored(session, payments, waybills, buyers, year)]
        facts = [f for f in facts if f.trade_id not in self._turn]
        facts.extend(_Facts.of(t) for t in trades)
        for fact in facts:
            key = TradeKey(fact.ebp_code, fact.order_no)
            if fact.payment_no in payments:
                self._payment[fact.payment_no].append((fact.trade_id, key))
            if fact.logistics_no in waybills:
                self._waybill[fact.logistics_no].append((fact.trade_id, key))
            if fact.counts_for(buyers, year):
                self._annual[fact.buyer_id or ""].append(
                    (fact.trade_id, Decimal(fact.customs_value or 0))
                )

    @staticmethod
    def _stored(
        session: Session, payments: set[str], waybills: set[str], buyers: set[str], year: datetime
    ) -> list[Any]:
        """The stored trades using any of ``payments`` or ``waybills``, or matched this year
        for any of ``buyers``."""
        wanted: list[Any] = []
        if payments:
            wanted.append(col(TradeRecord.payment_no).in_(payments))
        if waybills:
            wanted.append(col(TradeRecord.logistics_no).in_(waybills))
        if buyers:
            wanted.append(
                col(TradeRecord.buyer_id).in_(buyers)
                & (col(TradeRecord.status) == "match")
                & (col(TradeRecord.updated_at) >= year)
            )
        if not wanted:
            return []
        return list(session.execute(sa_select(*_FACT_COLUMNS).where(or_(*wanted))).all())

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

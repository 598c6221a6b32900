"""Which current documents claim each of a set of trades, loaded per set in a few queries.

:class:`Claims` reads the columns linking needs (never an envelope it has parsed
before): every current document carrying the trades' orderNos, then the export
waybills their inventories name, plus the documents of the body being stored,
which are inserted only once linked. :func:`traceability.trade.signers.choose_documents`
then decides which of them each trade takes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from api.db.models import DocumentRecord, TradeRecord
from api.runtime import LruCache
from traceability.trade import Direction, DocumentKind, TradeDocument, TradeKey, parse_document
from traceability.trade.signers import Choice, Claim, choose_documents


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


class Documents:
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


def _names_trade(document: TradeDocument, trade: TradeRecord) -> bool:
    """Whether ``document`` (found by the trade's orderNo) names ``trade``."""
    if document.kind is DocumentKind.WAYBILL:
        # An import waybill names only the orderNo; an export one is named by the inventory.
        return document.direction is Direction.IMPORT and trade.direction == "import"
    return getattr(document, "ebpCode", None) == trade.ebp_code


class Claims:
    """Every current document naming each of a set of trades, as claims on its slots.

    Loaded in a few queries for the whole set: the documents carrying the trades'
    orderNos, then the export waybills their inventories name.
    """

    def __init__(
        self,
        session: Session,
        trades: Sequence[TradeRecord],
        documents: Documents,
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

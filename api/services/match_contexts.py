"""The matcher's outside facts for a set of trades: payments and waybills other trades use,
and each buyer's matched total this year, in one query.

A buyer's annual total counts each trade's value net of the goods returned from it (the
accepted returns the chain recorded, ``trade.returned_value``): goods sent back are not
goods the buyer imported, so a return gives the quota back (财关税〔2018〕49号 caps what a
buyer imports in a year at 26,000 CNY)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, or_

from api.db.models import TradeRecord
from traceability.trade import TradeKey
from traceability.trade.inputs import MatchContext


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
    returned_value: str | None
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
            trade.returned_value,
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

    @property
    def counted(self) -> Decimal:
        """What the trade adds to its buyer's annual total: its value less what came back."""
        return counted_value(self.customs_value, self.returned_value)


def counted_value(customs_value: str | None, returned_value: str | None) -> Decimal:
    """A trade's customs value net of its accepted returns (never below zero)."""
    value = Decimal(customs_value or 0) - Decimal(returned_value or 0)
    return max(value, Decimal(0))


_FACT_COLUMNS = (
    col(TradeRecord.trade_id),
    col(TradeRecord.ebp_code),
    col(TradeRecord.order_no),
    col(TradeRecord.payment_no),
    col(TradeRecord.logistics_no),
    col(TradeRecord.buyer_id),
    col(TradeRecord.status),
    col(TradeRecord.customs_value),
    col(TradeRecord.returned_value),
    col(TradeRecord.updated_at),
)


class MatchContexts:
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
                self._annual[fact.buyer_id or ""].append((fact.trade_id, fact.counted))

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
            values.append(
                (trade.trade_id, counted_value(trade.customs_value, trade.returned_value))
            )
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

"""What the matcher is given: the trade's documents and the context it cannot see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from traceability.trade.errors import InconsistentTrade
from traceability.trade.models import Inventory, Order, Payment, TradeDocument, TradeKey, Waybill
from traceability.trade.modes import Direction, TradeMode


@dataclass(frozen=True, slots=True)
class TradeDocuments:
    """The documents of one trade collected so far; each may be absent.

    All present documents must be of one direction (all import or all
    export), otherwise :class:`InconsistentTrade` is raised.
    """

    order: Order | None = None
    payment: Payment | None = None
    waybill: Waybill | None = None
    inventory: Inventory | None = None

    def __post_init__(self) -> None:
        directions = {document.direction for document in self.present()}
        if not directions:
            raise InconsistentTrade("a trade needs at least one document")
        if len(directions) > 1:
            raise InconsistentTrade("import and export documents cannot form one trade")

    def present(self) -> Iterator[TradeDocument]:
        """The present documents in matching order (order, payment, waybill, inventory)."""
        for document in (self.order, self.payment, self.waybill, self.inventory):
            if document is not None:
                yield document

    @property
    def direction(self) -> Direction:
        """The direction shared by every present document."""
        return next(self.present()).direction


@dataclass(frozen=True, slots=True)
class MatchContext:
    """Facts from outside the documents that some rules need.

    Everything is optional; a rule whose fact is missing is skipped or reports
    a notice, never guesses (``prior_annual_total=None`` does not mean zero).
    """

    mode: TradeMode | None = None
    """The customs mode, when known from outside (else inferred: see matching.py)."""
    now: datetime | None = None
    """Aware current time for the "not in the future" checks; skipped when None."""
    prior_annual_total: Decimal | None = None
    """The buyer's customs value already used this calendar year, CNY (import limits)."""
    payment_trades: frozenset[TradeKey] = frozenset()
    """Trades whose documents already use this payment's (payCode, payTransactionId / payNo)."""
    waybill_trades: frozenset[TradeKey] = frozenset()
    """Trades whose documents already use this waybill's (logisticsCode, logisticsNo)."""

    def __post_init__(self) -> None:
        if self.now is not None and self.now.utcoffset() is None:
            raise InconsistentTrade("MatchContext.now must be timezone-aware")

"""The 9610 summary declaration (汇总申报): released retail trades aggregated per period.

Retail export under 9610 is released inventory by inventory (清单核放) and
then declared in summary per company, period and currency; this builds that
aggregate from the trades customs released in sandan.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from api.db.models import TradeRecord
from api.errors import UnprocessableContent
from api.schemas import SummaryDeclaration, SummaryLine


def summary_declaration(
    *,
    session: Session,
    period_start: datetime,
    period_end: datetime,
    ebc_code: str | None = None,
) -> SummaryDeclaration:
    """Aggregate released 9610 trades of ``[period_start, period_end)``."""
    if period_start.tzinfo is None or period_end.tzinfo is None:
        raise UnprocessableContent("period bounds need a time zone offset", field="periodStart")
    if period_end <= period_start:
        raise UnprocessableContent("periodEnd must be after periodStart", field="periodEnd")
    stmt = select(TradeRecord).where(
        TradeRecord.mode == "9610",
        col(TradeRecord.released_at) >= period_start,
        col(TradeRecord.released_at) < period_end,
    )
    if ebc_code is not None:
        stmt = stmt.where(TradeRecord.ebc_code == ebc_code)
    trades = list(session.exec(stmt.order_by(col(TradeRecord.trade_id))).all())
    totals: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for trade in trades:
        key = (trade.ebc_code or trade.ebp_code, trade.currency or "")
        totals[key].append(Decimal(trade.customs_value or "0"))
    lines = [
        SummaryLine(
            ebc_code=code,
            trade_mode="9610",
            currency=currency,
            trades=len(values),
            total_value=str(sum(values, Decimal(0))),
        )
        for (code, currency), values in sorted(totals.items())
    ]
    return SummaryDeclaration(
        period_start=period_start,
        period_end=period_end,
        lines=lines,
        trade_ids=[t.trade_id for t in trades],
    )

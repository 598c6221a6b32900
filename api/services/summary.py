"""The summary declaration (汇总申报): released retail trades aggregated per period.

Retail export under 9610 is released inventory by inventory (清单核放) and
then declared in summary per company, period and currency; so may B2B exports
(9710 direct, 9810 overseas warehouse) released on inventories. Import 9610
trades are summed the same way for the zone's periodic tax summary. Each line is
one company, direction, mode and currency, so imports and exports never mix.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sqlmodel import Session, col, select

from api.db.models import TradeRecord
from api.errors import UnprocessableContent
from api.money import to_fen
from api.schemas import SummaryDeclaration, SummaryLine
from traceability.trade.modes import TradeMode

#: Modes released on inventories and then declared in summary (1210 bonded trades are
#: declared through the special area's own accounts instead).
SUMMARY_MODES = (TradeMode.RETAIL, TradeMode.B2B_DIRECT, TradeMode.B2B_OVERSEAS_WAREHOUSE)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def period_bound(text: str, *, field: str, zone: tzinfo, end: bool) -> datetime:
    """A period bound from a date (``2026-11-01``) or a date-time, aware.

    A date, or a date-time without an offset, is in ``zone``. A date as the end bound
    includes that whole day: the bound is the next midnight.
    """
    try:
        if _DATE.match(text):
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime.combine(day, time.min, tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UnprocessableContent(
            f"{field} must be a date (2026-11-01) or a date-time (2026-11-01T00:00:00+08:00): "
            f"{exc}",
            field=field,
        ) from exc
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def summary_declaration(
    *,
    session: Session,
    period_start: datetime,
    period_end: datetime,
    ebc_code: str | None = None,
) -> SummaryDeclaration:
    """Aggregate released trades of the summary modes in ``[period_start, period_end)``."""
    if period_end <= period_start:
        raise UnprocessableContent("periodEnd must be after periodStart", field="periodEnd")
    stmt = select(TradeRecord).where(
        col(TradeRecord.mode).in_([m.value for m in SUMMARY_MODES]),
        col(TradeRecord.released_at) >= period_start,
        col(TradeRecord.released_at) < period_end,
    )
    if ebc_code is not None:
        stmt = stmt.where(TradeRecord.ebc_code == ebc_code)
    trades = list(session.exec(stmt.order_by(col(TradeRecord.trade_id))).all())
    totals: dict[tuple[str, str, str, str], list[Decimal]] = defaultdict(list)
    for trade in trades:
        company = trade.ebc_code or trade.ebp_code
        key = (company, trade.direction, trade.mode or "", trade.currency or "")
        totals[key].append(Decimal(trade.customs_value or "0"))
    lines = [
        SummaryLine(
            ebc_code=code,
            direction=direction,
            trade_mode=mode,
            currency=currency,
            trades=len(values),
            total_value=to_fen(sum(values, Decimal(0))),
        )
        for (code, direction, mode, currency), values in sorted(totals.items())
    ]
    return SummaryDeclaration(
        period_start=period_start,
        period_end=period_end,
        lines=lines,
        trade_ids=[t.trade_id for t in trades],
    )

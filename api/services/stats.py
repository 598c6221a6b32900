"""Statistics and monitoring (统计监测): trade counts, values, verdicts and times, anchoring.

Every figure is computed from stored rows, so anyone with the database can reproduce it:

* a trade's mode, direction, parties, customs value, currency, verdict and release and
  settlement times are the ``trade`` row's; its order time is the order's appTime, as the
  risk record keeps it (``risk_trade.app_time``); a trade with no order yet has none, and
  a period filter leaves it out;
* its country and HS chapters are its inventory's (清单): the head's ``country`` is the
  destination of an export (运抵国) and the origin of an import (起运国), and each line's
  ``gcode`` starts with its chapter. A trade with no inventory has neither (key null);
* anchoring lag runs from a document stored to its batch confirmed; the outbox depth
  counts rows not yet confirmed.

Values are summed per currency as decimals and shown to the fen: CNY is never added to
USD. Who sees what is :func:`sees_zone` and :func:`firm_trades`, in one place.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_
from sqlmodel import Session, col, func, or_, select

from api.db.models import (
    AnchorBatchRecord,
    DocumentRecord,
    OutboxRecord,
    PartyRecord,
    RiskTradeRecord,
    TradeRecord,
)
from api.errors import UnprocessableContent
from api.money import to_fen
from api.services.parties import party_roles
from api.services.summary import period_bound
from api.services.trade_queries import party_of_trade
from api.stats_schemas import (
    GROUP_BY,
    AnchoringStats,
    CurrencyTotal,
    DurationStats,
    GroupBy,
    LaneDepth,
    MismatchReason,
    StatsGroup,
    StatsPublic,
)
from traceability.trade.modes import Direction, TradeMode

__all__ = [
    "CSV_HEADER",
    "ZONE_ROLES",
    "StatsFilters",
    "csv_table",
    "durations",
    "firm_trades",
    "group_by_of",
    "sees_zone",
    "stats",
    "stats_filters",
]

#: Roles that see the statistics of the whole zone ("regulator, customs, and each firm for
#: its own trades"); the operator (admin token) does too.
ZONE_ROLES = frozenset({"regulator", "customs"})
_TOP_REASONS = 10
_CHUNK = 500  # ids per IN (...) list: well under every backend's parameter limit
_RATE = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class StatsFilters:
    """Which trades count: order time in ``[period_start, period_end)``, mode, direction,
    country (of the inventory) and party (the platform or the e-commerce company)."""

    period_start: datetime | None = None
    period_end: datetime | None = None
    mode: str | None = None
    direction: str | None = None
    country: str | None = None
    party: str | None = None


def stats_filters(
    *,
    zone: tzinfo,
    period_start: str | None = None,
    period_end: str | None = None,
    mode: str | None = None,
    direction: str | None = None,
    country: str | None = None,
    party: str | None = None,
) -> StatsFilters:
    """The filters from their query text (empty means unset); 422 naming the bad field."""
    start = (
        period_bound(period_start, field="periodStart", zone=zone, end=False)
        if period_start
        else None
    )
    end = period_bound(period_end, field="periodEnd", zone=zone, end=True) if period_end else None
    if start is not None and end is not None and end <= start:
        raise UnprocessableContent("periodEnd must be after periodStart", field="periodEnd")
    _one_of(mode, [m.value for m in TradeMode], "mode")
    _one_of(direction, [d.value for d in Direction], "direction")
    if country and not (len(country) == 3 and country.isascii() and country.isdigit()):
        raise UnprocessableContent(
            "country is a 3-digit customs code (122, 502...)", field="country"
        )
    if party and len(party) > 64:
        raise UnprocessableContent("party is a party code of at most 64 characters", field="party")
    return StatsFilters(start, end, mode or None, direction or None, country or None, party or None)


def group_by_of(text: str | None) -> GroupBy:
    """``groupBy``'s value (``mode`` when empty); 422 naming ``groupBy`` otherwise."""
    value = text or "mode"
    _one_of(value, list(GROUP_BY), "groupBy")
    return value  # type: ignore[return-value]  # checked against GROUP_BY just above


def _one_of(value: str | None, allowed: Sequence[str], name: str) -> None:
    if value and value not in allowed:
        raise UnprocessableContent(f"{name} must be one of {', '.join(allowed)}", field=name)


# --- who sees what ------------------------------------------------------------------------


def sees_zone(viewer: PartyRecord | None) -> bool:
    """Whether ``viewer`` (``None``: the operator) sees the whole zone's figures."""
    return viewer is None or bool(party_roles(viewer) & ZONE_ROLES)


def firm_trades(stmt: Any, party: PartyRecord) -> Any:
    """``stmt`` (a select over ``trade``) narrowed to the trades of ``party`` as a firm.

    :func:`~api.services.trade_queries.party_of_trade`, as for every party that sees a
    trade as one of its own (the platform or e-commerce company it names, the signers of
    the documents it took). A bank counts here as a firm, not as an overseer: the trades it
    financed or settled, plus those it is a party of (a settlement before migration 0021
    names no bank). The privacy issue narrows or widens a firm's figures here, and only
    here.
    """
    seen = party_of_trade(party)
    if "bank" in party_roles(party):
        seen += [TradeRecord.financed_by == party.code, TradeRecord.settled_by == party.code]
    return stmt.where(or_(*seen))


# --- the trades and what their documents say -------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Trade:
    record: TradeRecord
    ordered_at: datetime | None
    country: str | None = None
    chapters: tuple[str, ...] = ()


def _selected(session: Session, viewer: PartyRecord | None, filters: StatsFilters) -> list[_Trade]:
    stmt: Any = select(TradeRecord, RiskTradeRecord.app_time).outerjoin(
        RiskTradeRecord, col(RiskTradeRecord.trade_id) == col(TradeRecord.trade_id)
    )
    if not sees_zone(viewer):
        stmt = firm_trades(stmt, viewer)  # type: ignore[arg-type]  # None sees the zone
    for column, value in (
        (TradeRecord.mode, filters.mode),
        (TradeRecord.direction, filters.direction),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.party is not None:
        stmt = stmt.where(
            or_(TradeRecord.ebp_code == filters.party, TradeRecord.ebc_code == filters.party)
        )
    if filters.period_start is not None:
        stmt = stmt.where(col(RiskTradeRecord.app_time) >= filters.period_start)
    if filters.period_end is not None:
        stmt = stmt.where(col(RiskTradeRecord.app_time) < filters.period_end)
    rows = session.exec(stmt.order_by(col(TradeRecord.trade_id))).all()
    return [_Trade(record, ordered_at) for record, ordered_at in rows]


def _with_inventories(session: Session, trades: list[_Trade]) -> list[_Trade]:
    """``trades`` with the country and HS chapters of their inventories."""
    hashes = [t.record.inventory_hash for t in trades if t.record.inventory_hash]
    found: dict[str, tuple[str | None, tuple[str, ...]]] = {}
    for start in range(0, len(hashes), _CHUNK):
        stmt = select(DocumentRecord.content_hash, DocumentRecord.envelope).where(
            col(DocumentRecord.content_hash).in_(hashes[start : start + _CHUNK])
        )
        for content_hash, envelope in session.exec(stmt).all():
            found[content_hash] = _inventory_facts(envelope)
    return [
        _Trade(t.record, t.ordered_at, *found.get(t.record.inventory_hash or "", (None, ())))
        for t in trades
    ]


def _inventory_facts(envelope: str) -> tuple[str | None, tuple[str, ...]]:
    # The stored document passed the model's validation when it was submitted: its JSON is
    # read directly, without building the whole model again for two fields.
    document = json.loads(envelope)["payload"]["document"]
    lines = document.get("InventoryList") or []
    chapters = sorted({str(line["gcode"])[:2] for line in lines if line.get("gcode")})
    return document.get("country"), tuple(chapters)


# --- grouping and totals ----------------------------------------------------------------------


@dataclass
class _Tally:
    trades: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    values: dict[str, list[Decimal]] = field(default_factory=lambda: defaultdict(list))

    def add(self, record: TradeRecord) -> None:
        self.trades += 1
        self.statuses[record.status] += 1
        if record.currency:
            self.values[record.currency].append(_decimal(record.customs_value))

    def public(self, key: str | None) -> StatsGroup:
        decided = self.statuses["match"] + self.statuses["mismatch"]
        rate = None
        if decided:
            rate = str((Decimal(self.statuses["match"]) / decided).quantize(_RATE))
        return StatsGroup(
            key=key,
            trades=self.trades,
            match=self.statuses["match"],
            mismatch=self.statuses["mismatch"],
            pending=self.trades - decided,
            match_rate=rate,
            values=[
                CurrencyTotal(currency=c, trades=len(v), total=to_fen(sum(v, Decimal(0))))
                for c, v in sorted(self.values.items())
            ],
        )


def _decimal(text: str | None) -> Decimal:
    try:
        value = Decimal(text or "0")
    except InvalidOperation:
        return Decimal(0)
    return value if value.is_finite() else Decimal(0)


def _keys(group_by: GroupBy, zone: tzinfo) -> Callable[[_Trade], Iterable[str | None]]:
    """The function giving the group keys of one trade (several only by HS chapter)."""
    periods = {
        "day": "%Y-%m-%d",
        "week": "%G-W%V",  # ISO week, Monday first
        "month": "%Y-%m",
    }
    if group_by in periods:
        pattern = periods[group_by]
        return lambda t: [t.ordered_at.astimezone(zone).strftime(pattern) if t.ordered_at else None]
    single: dict[str, Callable[[_Trade], str | None]] = {
        "mode": lambda t: t.record.mode,
        "direction": lambda t: t.record.direction,
        "country": lambda t: t.country,
        "party": lambda t: t.record.ebc_code or t.record.ebp_code,
    }
    if group_by == "hsChapter":
        return lambda t: t.chapters or [None]
    return lambda t: [single[group_by](t)]


def _groups(trades: Sequence[_Trade], group_by: GroupBy, zone: tzinfo) -> list[StatsGroup]:
    tallies: dict[str | None, _Tally] = defaultdict(_Tally)
    keys_of = _keys(group_by, zone)
    for trade in trades:
        for key in keys_of(trade):
            tallies[key].add(trade.record)
    groups = [tally.public(key) for key, tally in tallies.items()]
    if group_by in ("day", "week", "month"):
        return sorted(groups, key=lambda g: (g.key is None, g.key or ""))
    return sorted(groups, key=lambda g: (-g.trades, g.key is None, g.key or ""))


def _mismatch_reasons(trades: Sequence[_Trade]) -> list[MismatchReason]:
    counted: Counter[str] = Counter()
    for trade in trades:
        if trade.record.status != "mismatch" or not trade.record.verdict:
            continue
        failures = json.loads(trade.record.verdict).get("failures", [])
        counted.update({f["rule"] for f in failures})  # a rule counts once per trade
    top = sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:_TOP_REASONS]
    return [MismatchReason(rule=rule, trades=n) for rule, n in top]


def durations(seconds: Iterable[float]) -> DurationStats:
    """Count, median (lower middle), p90 (nearest rank) and maximum of whole seconds."""
    values = sorted(int(s) for s in seconds)
    if not values:
        return DurationStats(count=0, median_seconds=None, p90_seconds=None, max_seconds=None)
    return DurationStats(
        count=len(values),
        median_seconds=values[(len(values) - 1) // 2],
        p90_seconds=values[math.ceil(0.9 * len(values)) - 1],
        max_seconds=values[-1],
    )


def _since_order(
    trades: Sequence[_Trade], moment: Callable[[TradeRecord], datetime | None]
) -> DurationStats:
    spans = []
    for trade in trades:
        end = moment(trade.record)
        if end is not None and trade.ordered_at is not None:
            spans.append((end - trade.ordered_at).total_seconds())
    return durations(spans)


# --- anchoring ----------------------------------------------------------------------------------


def _anchoring(session: Session, filters: StatsFilters) -> AnchoringStats:
    """Lag of the documents stored in the period; the outbox as it is now."""
    lag = (
        select(DocumentRecord.received_at, AnchorBatchRecord.confirmed_at)
        .join(
            OutboxRecord,
            and_(
                col(OutboxRecord.kind) == "document",
                col(OutboxRecord.subject) == col(DocumentRecord.content_hash),
            ),
        )
        .join(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(
            AnchorBatchRecord.state == "confirmed", col(AnchorBatchRecord.confirmed_at).is_not(None)
        )
    )
    if filters.period_start is not None:
        lag = lag.where(col(DocumentRecord.received_at) >= filters.period_start)
    if filters.period_end is not None:
        lag = lag.where(col(DocumentRecord.received_at) < filters.period_end)
    spans = [(done - stored).total_seconds() for stored, done in session.exec(lag).all() if done]
    return AnchoringStats(lag=durations(spans), **_outbox(session))


def _outbox(session: Session) -> dict[str, Any]:
    confirmed = col(AnchorBatchRecord.state) == "confirmed"
    stmt = (
        select(OutboxRecord.lane, col(OutboxRecord.batch_id).is_(None), func.count())
        .outerjoin(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
        .where(or_(col(OutboxRecord.batch_id).is_(None), ~confirmed))
        .group_by(OutboxRecord.lane, col(OutboxRecord.batch_id).is_(None))
    )
    lanes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lane, waiting, count in session.exec(stmt).all():
        # One lane per lot would make the table as long as the zone's lots.
        name = "lot" if lane.startswith("lot:") else lane
        lanes[name][0 if waiting else 1] += int(count)
    rows = [LaneDepth(lane=n, waiting=w, in_flight=f) for n, (w, f) in sorted(lanes.items())]
    return {"outbox_depth": sum(r.waiting + r.in_flight for r in rows), "lanes": rows}


# --- the use case ---------------------------------------------------------------------------------


def stats(
    *,
    session: Session,
    viewer: PartyRecord | None,
    filters: StatsFilters,
    group_by: GroupBy,
    zone: tzinfo,
) -> StatsPublic:
    """The figures of the trades ``viewer`` (``None``: the operator) may see, filtered and
    grouped; the anchoring figures for zone viewers only."""
    trades = _selected(session, viewer, filters)
    if group_by in ("country", "hsChapter") or filters.country is not None:
        trades = _with_inventories(session, trades)
    if filters.country is not None:
        trades = [t for t in trades if t.country == filters.country]
    total = _Tally()
    for trade in trades:
        total.add(trade.record)
    zone_wide = sees_zone(viewer)
    return StatsPublic(
        scope="zone" if zone_wide else "own",
        group_by=group_by,
        time_zone=str(zone),
        period_start=filters.period_start,
        period_end=filters.period_end,
        total=total.public(None),
        groups=_groups(trades, group_by, zone),
        mismatch_reasons=_mismatch_reasons(trades),
        order_to_release=_since_order(trades, lambda r: r.released_at),
        order_to_settlement=_since_order(trades, lambda r: r.settled_at),
        anchoring=_anchoring(session, filters) if zone_wide else None,
    )


#: The columns of the CSV export: one row per group and currency (a group without a value,
#: such as trades with only a pending order, has one row with the currency empty).
CSV_HEADER = ("key", "trades", "match", "mismatch", "pending", "matchRate",
              "currency", "currencyTrades", "total")  # fmt: skip


def csv_table(figures: StatsPublic) -> str:
    """The grouped table of ``figures`` as CSV text, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for group in figures.groups:
        head = [group.key or "", group.trades, group.match, group.mismatch, group.pending,
                group.match_rate or ""]  # fmt: skip
        tails = [[v.currency, v.trades, v.total] for v in group.values]
        for tail in tails or [["", "", ""]]:
            writer.writerow([*head, *tail])
    return out.getvalue()

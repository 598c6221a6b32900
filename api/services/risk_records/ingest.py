"""Keep the risk records up to date as documents are stored, and mark the touched groups.

Called by the trade linker inside the write transaction, once per body. It judges no
rule: it stores what changed of each trade's :class:`~traceability.risk.RiskTrade` and
marks the groups that gained or lost it (``risk_dirty_group``), so the ingest path pays
a few executemany statements per body whatever the size of the groups. The marked
groups are judged by :func:`api.services.risk.refresh.refresh_alerts` (see there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from api.db.models import (
    RiskDirtyGroupRecord,
    RiskGroupMemberRecord,
    RiskTradeRecord,
    table_of,
)
from api.services.risk_records.records import (
    SCAN_START,
    Group,
    group_hash,
    groups_of,
    record_hash,
    record_json,
    trade_from_json,
)
from traceability.risk import InvalidRiskTrade, RiskTrade, risk_trade
from traceability.trade.inputs import TradeDocuments
from traceability.trade.modes import TradeMode

__all__ = ["credit_returned_value", "record_risk_trades"]


def _insert(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _risk_record(documents: TradeDocuments, mode: str | None) -> RiskTrade | None:
    if documents.order is None:
        return None
    try:
        return risk_trade(documents, mode=TradeMode(mode) if mode else None)
    except (InvalidRiskTrade, ValueError):
        return None  # a trade the rules cannot read (no order yet) joins no group


def record_risk_trades(
    session: Session, trades: Sequence[tuple[str, str | None, TradeDocuments]], now: datetime
) -> None:
    """Store the risk records of ``(trade id, mode, documents)`` that changed; mark groups."""
    fresh: dict[str, tuple[RiskTrade, str]] = {}
    for trade_id, mode, documents in trades:
        record = _risk_record(documents, mode)
        if record is not None:
            fresh[trade_id] = (record, record_json(record))
    if not fresh:
        return
    stored = {
        trade_id: (digest, text)
        for trade_id, digest, text in session.exec(
            select(
                RiskTradeRecord.trade_id, RiskTradeRecord.record_hash, RiskTradeRecord.record
            ).where(col(RiskTradeRecord.trade_id).in_(fresh))
        ).all()
    }
    for trade_id, (record, _) in list(fresh.items()):
        # The documents do not say what came back: a stored record's returns are kept.
        if trade_id in stored and '"returned_value"' in stored[trade_id][1]:
            returned = trade_from_json(stored[trade_id][1]).returned_value
            kept = replace(record, returned_value=returned)
            fresh[trade_id] = (kept, record_json(kept))
    changed = {t: v for t, v in fresh.items() if stored.get(t, ("",))[0] != record_hash(v[1])}
    if changed:
        _store(session, changed, stored, now)


def credit_returned_value(
    session: Session, trade_id: str, returned_value: Decimal, now: datetime
) -> None:
    """Record that ``returned_value`` of the trade's goods came back (its accepted returns),
    so the buyer's annual total counts the trade net of them; the groups it is in are marked
    to be judged again. A trade with no risk record yet (no order) changes nothing."""
    row = session.get(RiskTradeRecord, trade_id)
    if row is None:
        return
    record = replace(trade_from_json(row.record), returned_value=returned_value)
    text = record_json(record)
    if record_hash(text) != row.record_hash:
        _store(session, {trade_id: (record, text)}, {trade_id: (row.record_hash, row.record)}, now)


def _store(
    session: Session,
    changed: dict[str, tuple[RiskTrade, str]],
    stored: dict[str, tuple[str, str]],
    now: datetime,
) -> None:
    dirty: set[Group] = set()
    members = []
    for trade_id, (record, _) in changed.items():
        groups = groups_of(record)
        if trade_id in stored:
            dirty |= groups_of(trade_from_json(stored[trade_id][1]))
        dirty |= groups
        members += [{"group_hash": group_hash(g), "trade_id": trade_id} for g in sorted(groups)]
    dirty |= _scan_start_groups(session, [record for record, _ in changed.values()])
    insert = _insert(session)
    session.execute(
        delete(table_of(RiskGroupMemberRecord)).where(
            table_of(RiskGroupMemberRecord).c.trade_id.in_(sorted(changed))
        )
    )
    if members:
        session.execute(insert(table_of(RiskGroupMemberRecord)).on_conflict_do_nothing(), members)
    rows = [
        {
            "trade_id": trade_id,
            "trade_ref": record.trade,
            "app_time": record.app_time,
            "record": text,
            "record_hash": record_hash(text),
            "updated_at": now,
        }
        for trade_id, (record, text) in sorted(changed.items())
    ]
    upsert = insert(table_of(RiskTradeRecord))
    names = ("trade_ref", "app_time", "record", "record_hash", "updated_at")
    upsert = upsert.on_conflict_do_update(
        index_elements=["trade_id"], set_={n: getattr(upsert.excluded, n) for n in names}
    )
    session.execute(upsert, rows)
    marks = [{"group_hash": group_hash(g), "rule": g[0], "group_key": g[1]} for g in sorted(dirty)]
    session.execute(insert(table_of(RiskDirtyGroupRecord)).on_conflict_do_nothing(), marks)


def _scan_start_groups(session: Session, records: Sequence[RiskTrade]) -> set[Group]:
    """The mark :data:`SCAN_START` when a trade moves the first appTime seen earlier.

    ``risk.new_company_spike`` calls a company new by how long after the first trade seen it
    started, so such a trade changes that for every company; the refresh re-judges them all
    (rare: a trade dated before every stored one)."""
    start = session.exec(select(func.min(RiskTradeRecord.app_time))).one()
    if start is None or min(r.app_time for r in records) >= start:
        return set()
    return {SCAN_START}

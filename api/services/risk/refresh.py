"""Judge the groups that changed and bring the stored alerts up to date.

The ingest path only marks groups (``risk_dirty_group``); this module judges them,
before anything reads alerts, grades or credit (and so whenever a reader asks), so a
group that a whole bulk body touched is judged once, not once per document, and the
ingest path never loads a large group (an item's every line, a company's every order).

**Identity of an alert.** An alert belongs to its rule's group (the rule and the group
key: a buyer, an address, a phone, a payer, an item, a company). When a group is judged
again, each new alert of the group takes the id (and so the review status and history)
of the stored alert of the same group that shares the most trades with it, ties to the
oldest; a new alert sharing no trade with any is a new alert. A stored alert that no
new alert takes is kept, inactive (``active`` false), with its status and history; it
becomes active again if a later judgement of its group gives it a successor.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.db.models import (
    RiskAlertRecord,
    RiskAlertTradeRecord,
    RiskDirtyGroupRecord,
    RiskGroupMemberRecord,
    RiskTradeRecord,
    table_of,
)
from api.services import notifications
from api.services.risk_records.records import (
    RULES,
    SCAN_START,
    Group,
    group_hash,
    groups_of,
    key_from_json,
    trade_from_json,
    trade_id_of_ref,
)
from traceability.risk import RiskAlert, RiskThresholds, RiskTrade, Scope

__all__ = ["refresh_alerts"]


def refresh_alerts(session: Session, thresholds: RiskThresholds, now: datetime) -> int:
    """Judge every marked group, update its alerts and clear the marks; commits. The number
    of groups judged.

    On PostgreSQL the marks are claimed ``FOR UPDATE SKIP LOCKED``: two readers refreshing
    at once judge different groups, and a document stored meanwhile marks its group again
    (its insert waits for the claim to commit), so no change is missed."""
    claim = select(RiskDirtyGroupRecord).order_by(col(RiskDirtyGroupRecord.group_hash))
    if session.get_bind().dialect.name == "postgresql":
        claim = claim.with_for_update(skip_locked=True)
    marks = list(session.exec(claim).all())
    if not marks:
        return 0
    groups = {(m.rule, m.group_key) for m in marks if (m.rule, m.group_key) != SCAN_START}
    if any((m.rule, m.group_key) == SCAN_START for m in marks):
        groups |= _scan_start_groups(session)
    hashes = {group_hash(g): g for g in groups}
    members = _members(session, hashes)
    start = _scan_start(session)
    for digest, group in sorted(hashes.items()):
        _update_group(session, digest, group, members.get(digest, []), thresholds, start, now)
    session.execute(
        delete(table_of(RiskDirtyGroupRecord)).where(
            table_of(RiskDirtyGroupRecord).c.group_hash.in_([m.group_hash for m in marks])
        )
    )
    session.commit()
    return len(hashes)


def _scan_start_groups(session: Session) -> set[Group]:
    rules = [rule for rule in RULES.values() if rule.uses_scan_start]
    texts = session.exec(select(RiskTradeRecord.record)).all()
    return {g for text in texts for g in groups_of(trade_from_json(text), rules)}


def _scan_start(session: Session) -> datetime | None:
    first = session.exec(select(RiskTradeRecord.app_time).order_by(col(RiskTradeRecord.app_time)))
    return first.first()


def _members(session: Session, hashes: dict[str, Group]) -> dict[str, list[RiskTrade]]:
    """The risk records of every trade of each group, by group hash (two queries)."""
    pairs = session.exec(
        select(RiskGroupMemberRecord.group_hash, RiskGroupMemberRecord.trade_id).where(
            col(RiskGroupMemberRecord.group_hash).in_(hashes)
        )
    ).all()
    trade_ids = {trade_id for _, trade_id in pairs}
    records = {
        trade_id: trade_from_json(text)
        for trade_id, text in session.exec(
            select(RiskTradeRecord.trade_id, RiskTradeRecord.record).where(
                col(RiskTradeRecord.trade_id).in_(trade_ids)
            )
        ).all()
    }
    members: dict[str, list[RiskTrade]] = defaultdict(list)
    for digest, trade_id in pairs:
        if trade_id in records:
            members[digest].append(records[trade_id])
    return members


def _update_group(
    session: Session,
    digest: str,
    group: Group,
    trades: list[RiskTrade],
    thresholds: RiskThresholds,
    start: datetime | None,
    now: datetime,
) -> None:
    rule = RULES.get(group[0])
    found: list[RiskAlert] = []
    if rule is not None and trades and start is not None:
        trades.sort(key=lambda trade: trade.sort_key)
        found = rule.evaluate(Scope(key_from_json(group[1]), trades, thresholds, start))
    stored = list(
        session.exec(
            select(RiskAlertRecord)
            .where(RiskAlertRecord.group_hash == digest)
            .order_by(col(RiskAlertRecord.id))
        ).all()
    )
    pairs = _successors(stored, found)
    for record in stored:
        if record.id not in pairs and record.active:
            record.active = False
            record.updated_at = now
            session.add(record)
    taken = {id(alert) for alert in pairs.values()}
    new = [alert for alert in found if id(alert) not in taken]
    for record in stored:
        if record.id in pairs:
            _write(session, record, pairs[record.id], now)
    for alert in new:
        record = RiskAlertRecord(
            rule=alert.rule,
            group_hash=digest,
            group_key=group[1],
            trades="[]",
            evidence="{}",
            threshold="{}",
            created_at=now,
            updated_at=now,
        )
        _write(session, record, alert, now)
        _tell_opened(session, record, now)


#: Who is told of a new alert: those who act on alerts (see :mod:`api.services.notifications`).
ALERT_RECIPIENT_ROLES = ("customs", "regulator")


def _tell_opened(session: Session, record: RiskAlertRecord, now: datetime) -> None:
    """Notify customs and the regulator of a new alert, in the refresh's transaction."""
    trades = json.loads(record.trades)
    notifications.emit(
        session,
        kind=notifications.Kind.ALERT_OPENED,
        parties=notifications.parties_with_roles(session, ALERT_RECIPIENT_ROLES),
        trade_id=None,
        data={
            "alertId": record.id,
            "rule": record.rule,
            "trades": trades,
            "tradeIds": [trade_id_of_ref(ref) for ref in trades],
        },
        now=now,
    )


def _successors(
    stored: Sequence[RiskAlertRecord], found: Sequence[RiskAlert]
) -> dict[int | None, RiskAlert]:
    """Each stored alert's successor: the new alert sharing most trades (greedy, oldest first)."""
    candidates = []
    for record in stored:
        refs = set(json.loads(record.trades))
        for index, alert in enumerate(found):
            shared = len(refs & set(alert.trades))
            if shared:
                candidates.append((-shared, record.id or 0, index, record, alert))
    pairs: dict[int | None, RiskAlert] = {}
    used: set[int] = set()
    for _, _, index, record, alert in sorted(candidates, key=lambda c: c[:3]):
        if record.id not in pairs and index not in used:
            pairs[record.id] = alert
            used.add(index)
    return pairs


def _write(session: Session, record: RiskAlertRecord, alert: RiskAlert, now: datetime) -> None:
    """Set the alert's trades, evidence and threshold; rewrite its trade links if needed."""
    trades = json.dumps(list(alert.trades), ensure_ascii=False)
    evidence = json.dumps(dict(alert.evidence), ensure_ascii=False, sort_keys=True)
    threshold = json.dumps(dict(alert.threshold), ensure_ascii=False, sort_keys=True)
    values = (trades, evidence, threshold, True)
    if (record.trades, record.evidence, record.threshold, record.active) == values:
        return
    relink = record.trades != trades
    record.trades, record.evidence, record.threshold, record.active = values
    record.updated_at = now
    session.add(record)
    session.flush()
    if relink:
        links = table_of(RiskAlertTradeRecord)
        session.execute(delete(links).where(links.c.alert_id == record.id))
        rows = [{"alert_id": record.id, "trade_id": trade_id_of_ref(r)} for r in alert.trades]
        session.execute(links.insert(), rows)

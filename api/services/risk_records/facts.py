"""Credit facts: what sandan saw of a party, timestamped, appended and never changed.

A party's credit at a date is computed from the facts up to that date
(:mod:`api.services.risk.credit`), so later events never change an earlier answer. A
fact is about a *subject* (a trade, an alert); a later fact on the same subject and kind
replaces the earlier one from its own time on (a trade matched, then mismatched).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from api.db.models import TradeRecord
from traceability.trade.verdict import Verdict

__all__ = ["fact_row", "verdict_facts"]


def fact_row(
    party: str, kind: str, subject: str, detail: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """One ``credit_fact`` row."""
    return {
        "party_code": party,
        "kind": kind,
        "subject": subject,
        "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
        "occurred_at": at,
    }


def verdict_facts(
    trade: TradeRecord, verdict: Verdict, parties: Iterable[str], at: datetime
) -> list[dict[str, Any]]:
    """A verdict fact for each party of the trade: the status and the failed rules."""
    detail = {"status": verdict.status.value, "rules": list(verdict.failed_rules)}
    return [fact_row(p, "verdict", trade.trade_id, detail, at) for p in sorted(parties)]

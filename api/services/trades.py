"""Trades as the API shows them: verdicts, match contexts, customs value, verdict outbox.

Linking documents to trades and re-matching them lives in
:mod:`api.services.trade_linker`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, func, select

from api.db import crud
from api.db.models import TradeRecord
from api.schemas import RuleFailurePublic, TradePublic, VerdictPublic

# --- reading -----------------------------------------------------------------------------


def verdict_public(*, session: Session, trade: TradeRecord) -> VerdictPublic:
    """The trade's verdict with reasons, and whether it is anchored on chain."""
    if trade.verdict is None:
        return VerdictPublic(status="pending", missing=["order", "payment", "waybill"])
    data = json.loads(trade.verdict)
    row = crud.get_outbox(
        session=session, kind="verdict", subject=f"{trade.trade_id}:{trade.verdict_hash}"
    )
    anchored = False
    if row is not None and row.batch_id is not None:
        batch = crud.get_batch(session=session, batch_id=row.batch_id)
        anchored = batch is not None and batch.state == "confirmed"
    return VerdictPublic(
        status=data["status"],
        missing=data["missing"],
        failures=[RuleFailurePublic(**f) for f in data["failures"]],
        documents=data.get("documents") or {},
        verdict_hash=trade.verdict_hash,
        anchored=anchored,
    )


def trade_public(trade: TradeRecord) -> TradePublic:
    """The public view of a trade."""
    return TradePublic.from_record(
        trade,
        documents={
            "order": trade.order_hash,
            "payment": trade.payment_hash,
            "waybill": trade.waybill_hash,
            "inventory": trade.inventory_hash,
        },
        released=trade.released_at is not None,
        settled=trade.settled_at is not None,
        financed=trade.financed_by is not None,
    )


def count_trades(session: Session, stmt: Any) -> int:
    """How many rows ``stmt`` selects."""
    return int(session.exec(select(func.count()).select_from(stmt.subquery())).one())

"""Trades as the API shows them: verdicts, match contexts, customs value, verdict outbox.

Linking documents to trades and re-matching them lives in
:mod:`api.services.trade_linker`.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, func, select

from api import crud
from api.models import TradeRecord
from api.schemas import RuleFailurePublic, TradePublic, VerdictPublic
from traceability.trade import (
    Direction,
    TradeKey,
)
from traceability.trade.inputs import MatchContext, TradeDocuments


def context_to_json(context: MatchContext) -> dict[str, Any]:
    """The matcher's outside facts as JSON (kept with the verdict, put in bundles)."""
    return {
        "now": context.now.isoformat() if context.now else None,
        "priorAnnualTotal": (
            None if context.prior_annual_total is None else str(context.prior_annual_total)
        ),
        "paymentTrades": sorted(str(k) for k in context.payment_trades),
        "waybillTrades": sorted(str(k) for k in context.waybill_trades),
    }


def context_from_json(data: dict[str, Any]) -> MatchContext:
    """Rebuild the matcher's outside facts from :func:`context_to_json` output."""

    def keys(values: list[str]) -> frozenset[TradeKey]:
        return frozenset(TradeKey(*v.split("/", 1)) for v in values)

    prior = data.get("priorAnnualTotal")
    return MatchContext(
        now=datetime.fromisoformat(data["now"]) if data.get("now") else None,
        prior_annual_total=Decimal(prior) if prior is not None else None,
        payment_trades=keys(data.get("paymentTrades", [])),
        waybill_trades=keys(data.get("waybillTrades", [])),
    )


def customs_value(documents: TradeDocuments) -> str | None:
    """The trade's value for limits and summaries: 完税价格 on import, goodsValue on export."""
    order = documents.order
    if order is None:
        return None
    if order.direction is Direction.EXPORT:
        return str(order.goodsValue)
    insured = Decimal(0)
    for other in (documents.inventory, documents.waybill):
        fee = getattr(other, "insuredFee", None)
        if fee is not None:
            insured = fee
            break
    return str(order.goodsValue + order.freight + insured)


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
        verdict_hash=trade.verdict_hash,
        anchored=anchored,
    )


def trade_public(trade: TradeRecord) -> TradePublic:
    """The public view of a trade."""
    return TradePublic(
        trade_id=trade.trade_id,
        ebp_code=trade.ebp_code,
        order_no=trade.order_no,
        ebc_code=trade.ebc_code,
        direction=trade.direction,
        mode=trade.mode,
        status=trade.status,
        documents={
            "order": trade.order_hash,
            "payment": trade.payment_hash,
            "waybill": trade.waybill_hash,
            "inventory": trade.inventory_hash,
        },
        customs_value=trade.customs_value,
        currency=trade.currency,
        released=trade.released_at is not None,
        released_at=trade.released_at,
        release_tx=trade.release_tx,
        settled=trade.settled_at is not None,
        settlement_tx=trade.settlement_tx,
        financed=trade.financed_by is not None,
        updated_at=trade.updated_at,
    )


def count_trades(session: Session, stmt: Any) -> int:
    """How many rows ``stmt`` selects."""
    return int(session.exec(select(func.count()).select_from(stmt.subquery())).one())

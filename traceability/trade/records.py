"""How a trade's facts are recorded beside its verdict: the match context as JSON and
the customs value. The service writes them and the offline verifier reads them back,
so both live here, in the pure domain."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.models import TradeKey
from traceability.trade.modes import Direction

__all__ = ["context_from_json", "context_to_json", "customs_value"]


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

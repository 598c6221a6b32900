"""Risk records built directly, so each rule's case table states only what it varies."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

from traceability.risk import RiskLine, RiskTrade
from traceability.trade.fields import CHINA_TZ
from traceability.trade.models import TradeKey
from traceability.trade.modes import Direction

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=CHINA_TZ)
EBP = "3301960A01"


def at(hours: float = 0, *, days: float = 0) -> datetime:
    """``T0`` plus some hours and days."""
    return T0 + timedelta(hours=hours, days=days)


def trade(
    number: int | str,
    when: datetime = T0,
    value: str | int = "100",
    *,
    buyer: str | None = "110101199003071234",
    address: str | None = None,
    phone: str | None = None,
    consignee_phone: str | None = None,
    payer: str | None = None,
    lines: tuple[RiskLine, ...] | None = None,
    company: str = "3301960B02",
    freight: str = "0",
    insured: str = "0",
) -> RiskTrade:
    """One import trade whose customs value is ``value`` + ``freight`` + ``insured``."""
    number = f"SD{number:06d}" if isinstance(number, int) else number
    return RiskTrade(
        key=TradeKey(EBP, number),
        app_time=when,
        direction=Direction.IMPORT,
        currency="142",
        goods_value=Decimal(value),
        freight=Decimal(freight),
        insured_fee=Decimal(insured),
        lines=lines or (RiskLine(f"ITEM-{number}", Decimal(value), Decimal(1)),),
        buyer_id=buyer,
        buyer_name="王小明",
        buyer_phone=phone or _own_phone(buyer),
        consignee_phone=consignee_phone,
        consignee_address=address or f"address of {buyer}",
        payer_id=payer or buyer,
        ebc_code=company,
    )


def _own_phone(buyer: str | None) -> str:
    """A phone number of the buyer's own, different for every buyer."""
    digest = hashlib.sha256(str(buyer).encode()).hexdigest()
    return f"139{int(digest[:12], 16) % 10**8:08d}"


def name(number: int) -> str:
    """How an alert names trade ``number``."""
    return f"{EBP}/SD{number:06d}"

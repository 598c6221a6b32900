"""What the risk rules read from one trade, built from the parsed CEB documents.

A :class:`RiskTrade` is plain data: the service can build it when a trade's
documents arrive and the CLI when it reads a folder. Identifiers are kept as
declared (the trade key) and, for grouping, in their normalised form
(:mod:`traceability.risk.normalise`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from traceability.risk.errors import InvalidRiskTrade
from traceability.risk.normalise import (
    normalise_address,
    normalise_id_number,
    normalise_phone,
    normalise_text,
)
from traceability.trade.inputs import TradeDocuments
from traceability.trade.models import ImportOrder, ImportPayment, Order, TradeKey
from traceability.trade.modes import Direction, TradeMode

__all__ = ["RiskLine", "RiskTrade", "risk_trade"]

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RiskLine:
    """One goods line of the order: the seller's item number, unit price and quantity."""

    item_no: str | None
    unit_price: Decimal
    qty: Decimal
    item_name: str | None = None  # itemName, normalised

    @property
    def item(self) -> tuple[str, str] | None:
        """What the price rule compares: (itemNo, itemName); None when the line has neither.

        The name is part of it so that a seller reusing line numbers as itemNo ("SKU0001"
        for whatever comes first) does not make unlike goods one market.
        """
        if not (self.item_no or self.item_name):
            return None
        return (self.item_no or "", self.item_name or "")


@dataclass(frozen=True, slots=True)
class RiskTrade:
    """The fields of one trade that the risk rules use (CEB names in the comments).

    ``app_time`` is the order's appTime (CEB311/CEB303 C14, China time): windows
    are measured on the documents' own times, never on the clock. Personal fields
    are None for an export trade, which names no buyer ID.
    """

    key: TradeKey
    app_time: datetime
    direction: Direction
    currency: str
    goods_value: Decimal
    freight: Decimal
    insured_fee: Decimal
    lines: tuple[RiskLine, ...]
    buyer_id: str | None = None  # buyerIdNumber, normalised
    buyer_name: str | None = None  # buyerName
    buyer_phone: str | None = None  # buyerTelephone, normalised
    consignee_phone: str | None = None  # consigneeTelephone, normalised
    consignee_address: str | None = None  # consigneeAddress, normalised
    payer_id: str | None = None  # payment payerIdNumber, normalised
    pay_code: str | None = None  # payment (else order) payCode
    ebc_code: str | None = None  # ebcCode: the e-commerce company
    logistics_code: str | None = None  # logisticsCode
    mode: TradeMode | None = None
    #: The value of the goods returned from the trade (accepted returns), order currency.
    returned_value: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if self.app_time.utcoffset() is None:
            raise InvalidRiskTrade("must be timezone-aware", "appTime")

    @property
    def trade(self) -> str:
        """``"<ebpCode>/<orderNo>"``, as alerts name the trade."""
        return str(self.key)

    @property
    def customs_value(self) -> Decimal:
        """完税价格 goodsValue + freight + insuredFee, in the order's currency."""
        return self.goods_value + self.freight + self.insured_fee

    @property
    def annual_value(self) -> Decimal:
        """What the trade uses of its buyer's annual limit: its customs value less the goods
        returned from it (never below zero)."""
        return max(self.customs_value - self.returned_value, Decimal(0))

    @property
    def phones(self) -> frozenset[str]:
        """The buyer's and the consignee's telephone numbers (one when they are equal)."""
        return frozenset(p for p in (self.buyer_phone, self.consignee_phone) if p)

    @property
    def sort_key(self) -> tuple[datetime, str, str]:
        """Order of trades in every window: by appTime, then by trade key."""
        return (self.app_time, self.key.ebpCode, self.key.orderNo)


def risk_trade(documents: TradeDocuments, *, mode: TradeMode | None = None) -> RiskTrade:
    """The risk record of one trade from its parsed documents (the order is required).

    insuredFee comes from the inventory, else the waybill, else 0 (as the matcher's
    customs value); the mode from the inventory's tradeMode, else ``mode``.
    """
    order = documents.order
    if order is None:
        raise InvalidRiskTrade("the risk rules need the trade's order (CEB311/CEB303)", "order")
    inventory = documents.inventory
    payment = documents.payment if isinstance(documents.payment, ImportPayment) else None
    buyer = order if isinstance(order, ImportOrder) else None
    return RiskTrade(
        key=TradeKey.of(order),
        app_time=order.appTime,
        direction=order.direction,
        currency=order.currency,
        goods_value=order.goodsValue,
        freight=order.freight,
        insured_fee=_insured_fee(documents),
        lines=tuple(
            RiskLine(line.itemNo, line.price, line.qty, normalise_text(line.itemName))
            for line in order.items
        ),
        buyer_id=normalise_id_number(buyer.buyerIdNumber) if buyer else None,
        buyer_name=buyer.buyerName.strip() if buyer else None,
        buyer_phone=normalise_phone(buyer.buyerTelephone) if buyer else None,
        consignee_phone=normalise_phone(buyer.consigneeTelephone) if buyer else None,
        consignee_address=normalise_address(buyer.consigneeAddress) if buyer else None,
        payer_id=normalise_id_number(payment.payerIdNumber) if payment else None,
        pay_code=_pay_code(order, documents),
        ebc_code=order.ebcCode,
        logistics_code=_logistics_code(documents),
        mode=inventory.tradeMode if inventory is not None else mode,
    )


def _insured_fee(documents: TradeDocuments) -> Decimal:
    if documents.inventory is not None:
        return documents.inventory.insuredFee
    if documents.waybill is not None:
        return documents.waybill.insuredFee or _ZERO
    return _ZERO


def _pay_code(order: Order, documents: TradeDocuments) -> str | None:
    if documents.payment is not None and documents.payment.payCode:
        return documents.payment.payCode
    return order.payCode if isinstance(order, ImportOrder) else None


def _logistics_code(documents: TradeDocuments) -> str | None:
    if documents.waybill is not None:
        return documents.waybill.logisticsCode
    if documents.inventory is not None:
        return documents.inventory.logisticsCode
    return None

"""One sample import trade (CEB311 + CEB411 + CEB511) built from a basket and a buyer.

The documents come from :mod:`traceability.trade.samples` (so their amounts agree and
they match) with the parts a risk set varies put in: the seller's itemNo per line, the
e-commerce company, the consignee's address and telephone as written, and the payer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from traceability.risk._sample_world import Item, Person
from traceability.trade.inputs import TradeDocuments
from traceability.trade.models import ImportOrder, ImportPayment, ImportWaybill
from traceability.trade.samples import (
    ImportTerms,
    Line,
    import_order_json,
    import_payment_json,
    import_waybill_json,
)

__all__ = ["BasketLine", "OrderSpec", "build_trade"]


@dataclass(frozen=True, slots=True)
class BasketLine:
    """One goods line: the catalogue item, how many, at what unit price."""

    item: Item
    qty: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderSpec:
    """Everything that differs between two sample trades."""

    order_no: str
    buyer: Person
    placed_at: datetime
    basket: Sequence[BasketLine]
    company: tuple[str, str]
    freight: Decimal = Decimal(0)
    insured_fee: Decimal = Decimal(0)
    buyer_phone: str | None = None  # as written; default the buyer's own
    consignee_phone: str | None = None
    address: str | None = None  # as written; default the buyer's household
    payer: Person | None = None  # default the buyer


def build_trade(spec: OrderSpec) -> TradeDocuments:
    """The three documents of ``spec``'s trade."""
    buyer = spec.buyer
    buyer_phone = spec.buyer_phone or buyer.phone
    lines = tuple(
        Line(b.item.name, b.item.gmodel, b.item.gcode, b.qty, b.price) for b in spec.basket
    )
    terms = ImportTerms(
        order_no=spec.order_no,
        lines=lines,
        freight=spec.freight,
        insured_fee=spec.insured_fee,
        discount=Decimal(0),
        placed_at=spec.placed_at,
        buyer=(buyer.name, buyer.id_number, buyer_phone),
        logistics_no=f"SF{spec.order_no[-12:]}",
        pay_transaction_id=f"AP{spec.order_no[-16:]}",
    )
    consignee = {
        "consignee": buyer.name,
        "consigneeTelephone": spec.consignee_phone or buyer_phone,
        "consigneeAddress": spec.address or buyer.address,
    }
    order = import_order_json(terms) | consignee
    order |= {"ebcCode": spec.company[0], "ebcName": spec.company[1]}
    for line, basket_line in zip(order["OrderList"], spec.basket, strict=True):
        line["itemNo"] = basket_line.item.item_no
    payment = import_payment_json(terms)
    if spec.payer is not None:
        payer = spec.payer
        payment |= {"payerIdNumber": payer.id_number, "payerName": payer.name}
        payment["telephone"] = payer.phone
    waybill = import_waybill_json(terms) | consignee
    return TradeDocuments(
        order=ImportOrder.model_validate(order),
        payment=ImportPayment.model_validate(payment),
        waybill=ImportWaybill.model_validate(waybill),
    )

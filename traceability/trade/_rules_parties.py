"""Rules on people, parcels, limits and time: payer = buyer, consignee, freight,
weight, retail-import limits, time order.

Names and identity numbers are compared as exact strings [I]: no case folding,
trimming or Unicode normalisation (an open question in notes/ceb.md). Source
marks: [S] read in a source, [I] our inference (notes/ceb.md section 7).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from traceability.trade._rules_amount import customs_value, fail_unless_same_fen
from traceability.trade._state import MatchState, money, text
from traceability.trade.fields import format_ceb_time
from traceability.trade.models import (
    ExportReceipt,
    ImportInventory,
    ImportOrder,
    ImportPayment,
    ImportWaybill,
)
from traceability.trade.modes import DocumentKind

_ORDER, _PAYMENT, _WAYBILL, _INVENTORY = (
    DocumentKind.ORDER,
    DocumentKind.PAYMENT,
    DocumentKind.WAYBILL,
    DocumentKind.INVENTORY,
)

_PAYER_FIELDS = (
    ("payerIdType", "buyerIdType"),
    ("payerIdNumber", "buyerIdNumber"),
    ("payerName", "buyerName"),
)
_INVENTORY_BUYER_FIELDS = ("buyerIdType", "buyerIdNumber", "buyerName", "buyerTelephone")
_CONSIGNEE_FIELDS = ("consignee", "consigneeTelephone", "consigneeAddress")


def check_payer_is_buyer(s: MatchState) -> None:
    """identity.payer_is_buyer: the payer is the buyer (id type, id number, name).

    [S] 2016 No.26 (secondary quote) and payment-company practice; [I] exact equality.
    """
    order, payment = s.docs.order, s.docs.payment
    if not isinstance(order, ImportOrder) or not isinstance(payment, ImportPayment):
        return
    for payer_field, buyer_field in _PAYER_FIELDS:
        expected, actual = getattr(order, buyer_field), getattr(payment, payer_field)
        if expected != actual:
            s.fail(
                "identity.payer_is_buyer",
                _PAYMENT,
                payer_field,
                expected,
                actual,
                f"payer {payer_field} {actual!r} is not the buyer's {buyer_field} {expected!r}",
            )


def _order_copied(
    s: MatchState, rule: str, document: DocumentKind, copy: object, names: tuple[str, ...]
) -> None:
    """Fail ``rule`` for each of ``names`` whose value in ``copy`` is not the order's."""
    for name in names:
        expected, actual = getattr(s.docs.order, name), getattr(copy, name)
        if expected != actual:
            label = document.value
            message = f"{label} {name} {actual!r} is not the order's {expected!r}"
            s.fail(rule, document, name, expected, actual, message)


def check_inventory_buyer(s: MatchState) -> None:
    """identity.inventory_buyer: the inventory's buyer is the order's [S fields, I equality]."""
    order, inventory = s.docs.order, s.docs.inventory
    if isinstance(order, ImportOrder) and isinstance(inventory, ImportInventory):
        _order_copied(s, "identity.inventory_buyer", _INVENTORY, inventory, _INVENTORY_BUYER_FIELDS)


def check_consignee(s: MatchState) -> None:
    """consignee: waybill consignee, telephone, address and inventory address = the order's.

    [S] CEB311 "必须与电子运单的收货人姓名/电话/收货地址一致".
    """
    if not isinstance(s.docs.order, ImportOrder):
        return
    waybill, inventory = s.docs.waybill, s.docs.inventory
    if isinstance(waybill, ImportWaybill):
        _order_copied(s, "consignee", _WAYBILL, waybill, _CONSIGNEE_FIELDS)
    if isinstance(inventory, ImportInventory):
        _order_copied(s, "consignee", _INVENTORY, inventory, ("consigneeAddress",))


def check_freight(s: MatchState) -> None:
    """logistics.freight: inventory freight and insuredFee = the waybill's, when given [I]."""
    waybill, inventory = s.docs.waybill, s.docs.inventory
    if waybill is None or inventory is None:
        return
    for name in ("freight", "insuredFee"):
        expected = getattr(waybill, name)
        actual = getattr(inventory, name)
        if expected is not None:

            def message(n: str = name, e: Decimal = expected, a: Decimal = actual) -> str:
                return f"inventory {n} {money(a)} is not the waybill's {money(e)}"

            fail_unless_same_fen(
                s, "logistics.freight", _INVENTORY, name, (expected, actual), message
            )


def check_weight(s: MatchState) -> None:
    """logistics.weight: inventory grossWeight = waybill weight [I]; 0 < net ≤ gross [S]."""
    waybill, inventory = s.docs.waybill, s.docs.inventory
    if inventory is None:
        return
    gross, net = inventory.grossWeight, inventory.netWeight
    if not 0 < net <= gross:
        s.fail(
            "logistics.weight",
            _INVENTORY,
            "netWeight",
            f"0 < netWeight <= {text(gross)}",
            text(net),
            "net weight must be positive and not above the gross weight",
        )
    if waybill is not None:
        weight = waybill.weight if isinstance(waybill, ImportWaybill) else waybill.grossWeight
        if weight != gross:
            s.fail(
                "logistics.weight",
                _INVENTORY,
                "grossWeight",
                text(weight),
                text(gross),
                f"inventory grossWeight {text(gross)} kg is not the waybill's {text(weight)} kg",
            )


def check_pack_no(s: MatchState) -> None:
    """logistics.pack_no: an import waybill and inventory are one parcel [S] ("限定为1")."""
    for kind, document in ((_WAYBILL, s.docs.waybill), (_INVENTORY, s.docs.inventory)):
        if isinstance(document, ImportWaybill | ImportInventory) and document.packNo != 1:
            s.fail(
                "logistics.pack_no",
                kind,
                "packNo",
                "1",
                str(document.packNo),
                f"an import {kind.value} covers exactly one parcel",
            )


def check_single_limit(s: MatchState) -> None:
    """limit.single_transaction: customs value ≤ 5,000 CNY for retail import [S10, -621005].

    A single indivisible item (one line, qty 1) above the limit may still pass
    the retail channel, taxed as general trade [S10]: reported as a notice.
    """
    order, limit = s.docs.order, s.rules.single_limit
    if not isinstance(order, ImportOrder) or limit is None:
        return
    value = customs_value(s, order)
    if value <= limit:
        return
    if len(order.items) == 1 and order.items[0].qty == 1:
        s.note(
            "limit.single_transaction",
            _ORDER,
            "goodsValue",
            f"single indivisible item with customs value {money(value)} > {money(limit)} CNY: "
            "accepted through the retail channel, taxed as general trade",
        )
        return
    s.fail(
        "limit.single_transaction",
        _ORDER,
        "goodsValue",
        f"<= {money(limit)}",
        money(value),
        f"customs value (goodsValue + freight + insuredFee) {money(value)} CNY exceeds the "
        f"single-transaction limit {money(limit)}",
    )


def check_annual_limit(s: MatchState) -> None:
    """limit.annual: prior annual total + this customs value ≤ 26,000 CNY [S10, -621018]."""
    order, limit = s.docs.order, s.rules.annual_limit
    if not isinstance(order, ImportOrder) or limit is None:
        return
    value = customs_value(s, order)
    prior = s.ctx.prior_annual_total
    if prior is None:
        if value > limit:  # over the limit whatever the buyer bought before
            prior = Decimal(0)
        else:
            s.note(
                "limit.annual",
                _ORDER,
                "buyerIdNumber",
                "annual limit not checked: the buyer's prior annual total is unknown",
            )
            return
    total = prior + value
    if total > limit:
        s.fail(
            "limit.annual",
            _ORDER,
            "buyerIdNumber",
            f"<= {money(limit)}",
            money(total),
            f"buyer's annual total {money(prior)} + {money(value)} = {money(total)} CNY "
            f"exceeds the annual limit {money(limit)}",
        )


def _after(
    s: MatchState, kind: DocumentKind, name: str, when: datetime, earliest: datetime, label: str
) -> None:
    if when < earliest:
        s.fail(
            "time.sequence",
            kind,
            name,
            f">= {_c14(earliest)}",
            _c14(when),
            f"{kind.value} {name} {_c14(when)} is before {label} {_c14(earliest)}",
        )


def _c14(when: datetime) -> str:
    return format_ceb_time(when)


def check_time_sequence(s: MatchState) -> None:
    """time.sequence: waybill and inventory not before the payment, payment declared after
    it was made, nothing in the future [I] (order appTime may follow payTime)."""
    payment, waybill, inventory = s.docs.payment, s.docs.waybill, s.docs.inventory
    if isinstance(payment, ImportPayment):
        paid = payment.payTime
        _after(s, _PAYMENT, "appTime", payment.appTime, paid, "payTime")
        if waybill is not None:
            _after(s, _WAYBILL, "appTime", waybill.appTime, paid, "payment payTime")
        if inventory is not None:
            _after(s, _INVENTORY, "appTime", inventory.appTime, paid, "payment payTime")
    now = s.ctx.now
    if now is not None:
        for document in s.docs.present():
            _not_future(s, document.kind, "appTime", document.appTime, now)
        if isinstance(payment, ImportPayment):
            _not_future(s, _PAYMENT, "payTime", payment.payTime, now)
        elif isinstance(payment, ExportReceipt):
            _not_future(s, _PAYMENT, "accountingDate", payment.accountingDate, now)


def _not_future(
    s: MatchState, kind: DocumentKind, name: str, when: datetime, now: datetime
) -> None:
    if when > now:
        s.fail(
            "time.sequence",
            kind,
            name,
            f"<= {_c14(now)}",
            _c14(when),
            f"{kind.value} {name} {_c14(when)} is in the future",
        )

"""Money rules: line totals, order totals, payment amounts, currency, retail-import limits.

Money is compared to the fen: both sides rounded half-up to 0.01 CNY (or 0.01
of the export currency) and then compared exactly as Decimals. Source marks:
[S] read in a source, [I] our inference (notes/ceb.md section 7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

from traceability.trade._state import ARITH, MatchState, fen, money, same_fen, text
from traceability.trade.models import (
    ExportOrder,
    ExportReceipt,
    ImportInventory,
    ImportOrder,
    ImportPayment,
)
from traceability.trade.modes import DocumentKind

_ORDER, _PAYMENT, _WAYBILL, _INVENTORY = (
    DocumentKind.ORDER,
    DocumentKind.PAYMENT,
    DocumentKind.WAYBILL,
    DocumentKind.INVENTORY,
)
_ZERO = Decimal(0)


class _Line(Protocol):
    @property
    def gnum(self) -> int: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def totalPrice(self) -> Decimal: ...  # noqa: N802 - CEB element name
    @property
    def currency(self) -> str: ...


def _check_lines(s: MatchState, kind: DocumentKind, list_name: str, lines: Sequence[_Line]) -> None:
    for line in lines:
        product = ARITH.multiply(line.qty, line.price)
        if not same_fen(product, line.totalPrice):
            product = fen(product)
            s.fail(
                "amount.item_total",
                kind,
                f"{list_name}[gnum={line.gnum}].totalPrice",
                money(product),
                money(line.totalPrice),
                f"line {line.gnum}: totalPrice {money(line.totalPrice)} is not "
                f"qty {text(line.qty)} × price {money(line.price)} = {money(product)}",
            )


def fail_unless_same_fen(
    s: MatchState,
    rule: str,
    document: DocumentKind,
    field: str,
    amounts: tuple[Decimal, Decimal],
    message: Callable[[], str],
) -> None:
    """Fail ``rule`` on ``field`` unless the (expected, actual) amounts agree to the fen.

    ``message`` is written only on failure: matching runs tens of thousands of times a
    second and nearly every check passes, so formatting amounts up front would dominate.
    """
    expected, actual = amounts
    if not same_fen(expected, actual):
        s.fail(rule, document, field, money(expected), money(actual), message())


def check_item_totals(s: MatchState) -> None:
    """amount.item_total: each line's totalPrice = qty × price, to the fen.

    [S] "商品总价，等于单价乘以数量"; applied to order and inventory lines.
    """
    if s.docs.order is not None:
        _check_lines(s, _ORDER, "OrderList", s.docs.order.items)
    if s.docs.inventory is not None:
        _check_lines(s, _INVENTORY, "InventoryList", s.docs.inventory.items)


def check_goods_value_sum(s: MatchState) -> None:
    """amount.goods_value_sum: goodsValue = Σ OrderList.totalPrice, to the fen [I]."""
    order = s.docs.order
    if order is None:
        return
    total = sum((line.totalPrice for line in order.items), _ZERO)

    def message() -> str:
        return f"goodsValue {money(order.goodsValue)} is not the sum of the lines {money(total)}"

    fail_unless_same_fen(
        s, "amount.goods_value_sum", _ORDER, "goodsValue", (total, order.goodsValue), message
    )


def customs_paid(order: ImportOrder) -> Decimal:
    """goodsValue + freight + taxTotal − discount: what acturalPaid must be [S]."""
    return order.goodsValue + order.freight + order.taxTotal - order.discount


def check_actural_paid(s: MatchState) -> None:
    """amount.actural_paid_formula: acturalPaid = goodsValue + freight + taxTotal − discount.

    [S] "商品价格+运杂费+代扣税款-非现金抵扣金额" (CEB311 acturalPaid). CEB311 has no
    insuredFee, so the insurance is not part of this formula (it counts in the
    customs value for the limits instead).
    """
    order = s.docs.order
    if not isinstance(order, ImportOrder):
        return
    expected = customs_paid(order)

    def message() -> str:
        return (
            f"acturalPaid {money(order.acturalPaid)} is not goodsValue + freight + taxTotal "
            f"− discount = {money(expected)}"
        )

    fail_unless_same_fen(
        s,
        "amount.actural_paid_formula",
        _ORDER,
        "acturalPaid",
        (expected, order.acturalPaid),
        message,
    )


def check_payment_amount(s: MatchState) -> None:
    """amount.payment_equals_paid: payment.amountPaid = order.acturalPaid, to the fen [S]."""
    order, payment = s.docs.order, s.docs.payment
    if not isinstance(order, ImportOrder) or not isinstance(payment, ImportPayment):
        return

    def message() -> str:
        return (
            f"amount paid {money(payment.amountPaid)} differs from the order's acturalPaid "
            f"{money(order.acturalPaid)} by {money(payment.amountPaid - order.acturalPaid)}"
        )

    fail_unless_same_fen(
        s,
        "amount.payment_equals_paid",
        _PAYMENT,
        "amountPaid",
        (order.acturalPaid, payment.amountPaid),
        message,
    )


def check_receipt_charge(s: MatchState) -> None:
    """amount.receipt_charge: export receipt.charge = goodsValue + freight [I] (open question)."""
    order, receipt = s.docs.order, s.docs.payment
    if not isinstance(order, ExportOrder) or not isinstance(receipt, ExportReceipt):
        return
    expected = order.goodsValue + order.freight

    def message() -> str:
        return f"charge {money(receipt.charge)} is not goodsValue + freight = {money(expected)}"

    fail_unless_same_fen(
        s, "amount.receipt_charge", _PAYMENT, "charge", (expected, receipt.charge), message
    )


def check_inventory_lines(s: MatchState) -> None:
    """amount.inventory_lines: inventory lines match order lines by gnum (qty, totalPrice).

    [S] "与关联的电子订单表体序号一一对应"; [I] equality of qty and totalPrice.
    """
    order, inventory = s.docs.order, s.docs.inventory
    if order is None or inventory is None:
        return
    ordered = {line.gnum: line for line in order.items}
    for line in inventory.items:
        where = f"InventoryList[gnum={line.gnum}]"
        match = ordered.pop(line.gnum, None)
        if match is None:
            s.fail(
                "amount.inventory_lines",
                _INVENTORY,
                where,
                "absent",
                "present",
                f"inventory line {line.gnum} has no order line",
            )
            continue
        if line.qty != match.qty:
            _line_failure(s, f"{where}.qty", text(match.qty), text(line.qty))
        if not same_fen(line.totalPrice, match.totalPrice):
            _line_failure(s, f"{where}.totalPrice", money(match.totalPrice), money(line.totalPrice))
    for gnum in sorted(ordered):
        s.fail(
            "amount.inventory_lines",
            _INVENTORY,
            f"InventoryList[gnum={gnum}]",
            "present",
            "absent",
            f"order line {gnum} is missing from the inventory",
        )


def _line_failure(s: MatchState, where: str, expected: str, actual: str) -> None:
    s.fail(
        "amount.inventory_lines",
        _INVENTORY,
        where,
        expected,
        actual,
        f"inventory {where} {actual} differs from the order line's {expected}",
    )


def check_currency(s: MatchState) -> None:
    """currency: payment, order lines and inventory lines use the order's currency.

    Import: fixed 142 by the schema (a model error, never reaches here) [S].
    Export: any customs code, but one per trade [S fields, I equality].
    """
    order = s.docs.order
    if order is None:
        return
    expected = order.currency
    payment = s.docs.payment
    if payment is not None and payment.currency != expected:
        _currency_failure(s, _PAYMENT, "currency", expected, payment.currency)
    for line in order.items:
        if line.currency != expected:
            where = f"OrderList[gnum={line.gnum}].currency"
            _currency_failure(s, _ORDER, where, expected, line.currency)
    if s.docs.inventory is not None:
        for inv_line in s.docs.inventory.items:
            if inv_line.currency != expected:
                where = f"InventoryList[gnum={inv_line.gnum}].currency"
                _currency_failure(s, _INVENTORY, where, expected, inv_line.currency)


def _currency_failure(
    s: MatchState, kind: DocumentKind, where: str, expected: str, actual: str
) -> None:
    s.fail(
        "currency",
        kind,
        where,
        expected,
        actual,
        f"{kind.value} {where} {actual} is not the order currency {expected}",
    )


def customs_value(s: MatchState, order: ImportOrder) -> Decimal:
    """完税价格 = goodsValue + freight + insuredFee [S10], CNY.

    freight is the order's (what the buyer paid); insuredFee comes from the
    inventory, else the waybill, else 0 [I]. Discount is not subtracted
    (goodsValue "含非现金抵扣金额"; open question in ceb.md), taxTotal is excluded.
    """
    insured: Decimal | None = None
    if isinstance(s.docs.inventory, ImportInventory):
        insured = s.docs.inventory.insuredFee
    elif s.docs.waybill is not None:
        insured = s.docs.waybill.insuredFee
    return order.goodsValue + order.freight + (insured or _ZERO)

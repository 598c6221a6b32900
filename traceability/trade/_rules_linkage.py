"""Rules that tie the documents to one trade: mode, linkage keys, uniqueness.

Each rule is ``check(state) -> None`` and records failures on the state.
Source marks: [S] read in a source, [I] our inference (notes/ceb.md section 7).
"""

from __future__ import annotations

from traceability.trade._state import MatchState
from traceability.trade.models import (
    ExportOrder,
    ExportReceipt,
    ImportOrder,
    ImportPayment,
    TradeKey,
)
from traceability.trade.modes import EXPORT_MODE_BY_ORDER_TYPE, Direction, DocumentKind, TradeMode

_ORDER, _PAYMENT, _WAYBILL, _INVENTORY = (
    DocumentKind.ORDER,
    DocumentKind.PAYMENT,
    DocumentKind.WAYBILL,
    DocumentKind.INVENTORY,
)

_EXPORT_ORDER_TYPES: dict[TradeMode, frozenset[str]] = {
    TradeMode.RETAIL: frozenset({"E"}),
    TradeMode.BONDED: frozenset({"E"}),
    TradeMode.B2B_DIRECT: frozenset({"B"}),
    TradeMode.B2B_OVERSEAS_WAREHOUSE: frozenset({"W"}),
}


def check_trade_mode(s: MatchState) -> None:
    """mode.trade_mode: the inventory's tradeMode agrees with the given mode and orderType.

    [S] values (S4); [I] the pairing E ↔ 9610/1210, B ↔ 9710, W ↔ 9810.
    """
    inventory, order, given = s.docs.inventory, s.docs.order, s.ctx.mode
    if inventory is not None and given is not None and inventory.tradeMode != given:
        s.fail(
            "mode.trade_mode",
            _INVENTORY,
            "tradeMode",
            given.value,
            inventory.tradeMode.value,
            f"inventory declares tradeMode {inventory.tradeMode.value}, the trade is {given.value}",
        )
    if isinstance(order, ExportOrder):
        mode = s.rules.mode
        if order.orderType not in _EXPORT_ORDER_TYPES[mode]:
            expected = "/".join(sorted(_EXPORT_ORDER_TYPES[mode]))
            s.fail(
                "mode.trade_mode",
                _ORDER,
                "orderType",
                expected,
                order.orderType,
                f"orderType {order.orderType} (default mode "
                f"{EXPORT_MODE_BY_ORDER_TYPE[order.orderType].value}) does not fit "
                f"tradeMode {mode.value}",
            )


def _same(s: MatchState, rule: str, name: str, kinds: tuple[DocumentKind, ...]) -> None:
    """Compare field ``name`` of the documents ``kinds`` with the first present one."""
    docs = s.docs
    reference: str | None = None
    reference_kind = _ORDER
    for kind in kinds:
        document = getattr(docs, kind)  # DocumentKind values are the attribute names
        if document is None:
            continue
        value = getattr(document, name)
        if value is None:
            continue
        if reference is None:
            reference, reference_kind = value, kind
        elif value != reference:
            s.fail(
                rule,
                kind,
                name,
                reference,
                value,
                f"{kind.value} {name} {value!r} differs from the {reference_kind.value}'s "
                f"{reference!r}",
            )


# Which documents carry each linkage field, per direction (notes/ceb.md sections 3-4).
# The export waybill CEB505 has no orderNo; its ebcCode is optional.
_CARRIERS: dict[tuple[Direction, str], tuple[DocumentKind, ...]] = {
    (Direction.IMPORT, "orderNo"): (_ORDER, _PAYMENT, _WAYBILL, _INVENTORY),
    (Direction.IMPORT, "ebpCode"): (_ORDER, _PAYMENT, _INVENTORY),
    (Direction.IMPORT, "ebcCode"): (_ORDER, _INVENTORY),
    (Direction.EXPORT, "orderNo"): (_ORDER, _PAYMENT, _INVENTORY),
    (Direction.EXPORT, "ebpCode"): (_ORDER, _PAYMENT, _INVENTORY),
    (Direction.EXPORT, "ebcCode"): (_ORDER, _PAYMENT, _WAYBILL, _INVENTORY),
}


def check_order_no(s: MatchState) -> None:
    """linkage.order_no: every document that carries orderNo names the order's [S]."""
    _same(s, "linkage.order_no", "orderNo", _CARRIERS[(s.direction, "orderNo")])


def check_ebp_code(s: MatchState) -> None:
    """linkage.ebp_code: payment and inventory name the order's platform [S fields, I equality].

    orderNo is unique only within one platform, so (ebpCode, orderNo) is the key.
    """
    _same(s, "linkage.ebp_code", "ebpCode", _CARRIERS[(s.direction, "ebpCode")])


def check_ebc_code(s: MatchState) -> None:
    """linkage.ebc_code: inventory (export: also receipt, waybill when given) name the
    order's ebcCode [S fields, I equality]."""
    _same(s, "linkage.ebc_code", "ebcCode", _CARRIERS[(s.direction, "ebcCode")])


def check_pay_transaction(s: MatchState) -> None:
    """linkage.pay_transaction: the order's payCode / payTransactionId, when given, are the
    payment's [S fields, I equality]."""
    order, payment = s.docs.order, s.docs.payment
    if not isinstance(order, ImportOrder) or not isinstance(payment, ImportPayment):
        return
    for name in ("payCode", "payTransactionId"):
        declared = getattr(order, name)
        actual = getattr(payment, name)
        if declared is not None and declared != actual:
            s.fail(
                "linkage.pay_transaction",
                _PAYMENT,
                name,
                declared,
                actual,
                f"payment {name} {actual!r} is not the {declared!r} the order names",
            )


def check_logistics_no(s: MatchState) -> None:
    """linkage.logistics_no: the inventory names the waybill's logisticsNo and logisticsCode.

    [S fields, I equality].
    """
    waybill, inventory = s.docs.waybill, s.docs.inventory
    if waybill is None or inventory is None:
        return
    for name in ("logisticsCode", "logisticsNo"):
        expected: str = getattr(waybill, name)
        actual: str = getattr(inventory, name)
        if expected != actual:
            s.fail(
                "linkage.logistics_no",
                _INVENTORY,
                name,
                expected,
                actual,
                f"inventory {name} {actual!r} is not the waybill's {expected!r}",
            )


def _others(s: MatchState, trades: frozenset[TradeKey]) -> list[TradeKey]:
    """The trades other than this one, sorted so reports are deterministic."""
    return sorted(key for key in trades if key != s.key)


def check_waybill_unique(s: MatchState) -> None:
    """uniqueness.logistics_no: one waybill serves one order [S] ("6个月内不重复", -504015)."""
    waybill = s.docs.waybill
    if waybill is None:
        return
    for other in _others(s, s.ctx.waybill_trades):
        s.fail(
            "uniqueness.logistics_no",
            _WAYBILL,
            "logisticsNo",
            str(s.key) if s.key is not None else "",
            str(other),
            f"waybill {waybill.logisticsCode}/{waybill.logisticsNo} already serves order {other}",
        )


def check_payment_unique(s: MatchState) -> None:
    """uniqueness.pay_transaction: one payment serves one order [I] ("唯一的支付流水号")."""
    payment = s.docs.payment
    if payment is None:
        return
    if isinstance(payment, ExportReceipt):
        if payment.payNo is None:
            return
        label, name = f"{payment.payCode or ''}/{payment.payNo}", "payNo"
    else:
        label, name = f"{payment.payCode}/{payment.payTransactionId}", "payTransactionId"
    for other in _others(s, s.ctx.payment_trades):
        s.fail(
            "uniqueness.pay_transaction",
            _PAYMENT,
            name,
            str(s.key) if s.key is not None else "",
            str(other),
            f"payment {label} already serves order {other}",
        )

"""Customs supervision modes (海关监管方式) and what each one demands of a trade.

| direction / tradeMode | orderType | documents for 三单比对 | limits (CNY) | mode fields |
| --- | --- | --- | --- | --- |
| import 9610 直购进口 | I | order, payment, waybill | 5,000 / 26,000 | (a) |
| import 1210 保税进口 | I | order, payment, waybill | 5,000 / 26,000 | (b) |
| export 9610 B2C 一般出口 | E | order, payment (收款单), waybill, inventory | none | - |
| export 1210 特殊区域出口 | E | order, payment (收款单), waybill, inventory | none | (c) |
| export 9710 B2B 直接出口 | B | order, waybill, inventory (no payment) | none | - |
| export 9810 出口海外仓 | W | order (订仓单), waybill, inventory (no payment) | none | - |

Mode fields the inventory must then carry: (a) trafNo, voyageNo, billNo;
(b) emsNo, areaCode, areaName and itemRecordNo on every line; (c) iacCode,
iacName and itemRecordNo on every line.

Sources (notes/ceb.md): tradeMode and orderType values [S4]; import "保税模式必填" /
"直购进口必填" fields [S1]; export "特殊区域模式必填" / "保税出口模式必填" [S2]; the
5,000 CNY single-transaction and 26,000 CNY annual limits of retail import
(财关税〔2018〕49号, [S10]). Inferred [I]: the pairing orderType ↔ tradeMode, which
documents are *required* before matching (import: the inventory is checked when
present but 三单 are order, payment, waybill; export: the waybill CEB505 has no
orderNo, so the inventory that joins it to the order is required), and that
B2B modes 9710/9810 carry no payment record per parcel.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Direction(StrEnum):
    """Whether goods enter (import, CEB3xx-6xx ``I``) or leave China (export)."""

    IMPORT = "import"
    EXPORT = "export"


class TradeMode(StrEnum):
    """Customs supervision mode code (``tradeMode`` on the inventory)."""

    RETAIL = "9610"
    """跨境贸易电子商务: retail import (直购进口) or retail export (B2C)."""
    BONDED = "1210"
    """保税跨境贸易电子商务: bonded import, or export from a special area."""
    B2B_DIRECT = "9710"
    """跨境电子商务企业对企业直接出口 (export only)."""
    B2B_OVERSEAS_WAREHOUSE = "9810"
    """跨境电子商务出口海外仓 (export only)."""


class DocumentKind(StrEnum):
    """The kinds of trade document, in matching order."""

    ORDER = "order"
    PAYMENT = "payment"
    WAYBILL = "waybill"
    INVENTORY = "inventory"


SINGLE_TRANSACTION_LIMIT = Decimal("5000")
"""Retail import limit per transaction on the customs value, CNY (财关税〔2018〕49号)."""
ANNUAL_LIMIT = Decimal("26000")
"""Retail import limit per buyer and calendar year on the customs value, CNY."""


@dataclass(frozen=True, slots=True)
class ModeRules:
    """What one (direction, tradeMode) pair requires."""

    direction: Direction
    mode: TradeMode
    order_types: frozenset[str]
    required_documents: tuple[DocumentKind, ...]
    single_limit: Decimal | None
    annual_limit: Decimal | None
    inventory_head_fields: tuple[str, ...]
    """InventoryHead fields that become required in this mode."""
    inventory_item_fields: tuple[str, ...]
    """InventoryList fields that become required in this mode."""

    @property
    def needs_payment(self) -> bool:
        """True when the mode has a payment record per order."""
        return DocumentKind.PAYMENT in self.required_documents


_IMPORT_DOCS = (DocumentKind.ORDER, DocumentKind.PAYMENT, DocumentKind.WAYBILL)
_EXPORT_DOCS = (
    DocumentKind.ORDER,
    DocumentKind.PAYMENT,
    DocumentKind.WAYBILL,
    DocumentKind.INVENTORY,
)
_B2B_DOCS = (DocumentKind.ORDER, DocumentKind.WAYBILL, DocumentKind.INVENTORY)


def _import_rules(mode: TradeMode, head: tuple[str, ...], items: tuple[str, ...]) -> ModeRules:
    """An import mode: orderType I, order + payment + waybill, the retail-import limits."""
    docs, limits = _IMPORT_DOCS, (SINGLE_TRANSACTION_LIMIT, ANNUAL_LIMIT)
    return ModeRules(Direction.IMPORT, mode, frozenset({"I"}), docs, *limits, head, items)


def _export_rules(
    mode: TradeMode,
    order_type: str,
    docs: tuple[DocumentKind, ...],
    head: tuple[str, ...] = (),
    items: tuple[str, ...] = (),
) -> ModeRules:
    """An export mode: one orderType, no value limits."""
    return ModeRules(Direction.EXPORT, mode, frozenset({order_type}), docs, None, None, head, items)


MODE_RULES: dict[tuple[Direction, TradeMode], ModeRules] = {
    (rules.direction, rules.mode): rules
    for rules in (
        _import_rules(TradeMode.RETAIL, ("trafNo", "voyageNo", "billNo"), ()),
        _import_rules(TradeMode.BONDED, ("emsNo", "areaCode", "areaName"), ("itemRecordNo",)),
        _export_rules(TradeMode.RETAIL, "E", _EXPORT_DOCS),
        _export_rules(
            TradeMode.BONDED, "E", _EXPORT_DOCS, ("iacCode", "iacName"), ("itemRecordNo",)
        ),
        _export_rules(TradeMode.B2B_DIRECT, "B", _B2B_DOCS),
        _export_rules(TradeMode.B2B_OVERSEAS_WAREHOUSE, "W", _B2B_DOCS),
    )
}
"""The rules per (direction, tradeMode); a pair not listed is not a valid mode."""

EXPORT_MODE_BY_ORDER_TYPE: dict[str, TradeMode] = {
    "E": TradeMode.RETAIL,
    "B": TradeMode.B2B_DIRECT,
    "W": TradeMode.B2B_OVERSEAS_WAREHOUSE,
}
"""Default export mode for an orderType when no inventory says otherwise [I]."""


def mode_rules(direction: Direction, mode: TradeMode) -> ModeRules:
    """Return the rules for ``mode`` in ``direction``; ``ValueError`` if the pair is invalid."""
    try:
        return MODE_RULES[(direction, mode)]
    except KeyError:
        raise ValueError(f"tradeMode {mode.value} is not an {direction.value} mode") from None

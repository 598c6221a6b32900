"""Typed, frozen models of the three documents (三单) and the inventory (清单).

One model per CEB business element and direction:

| kind | import | export |
| --- | --- | --- |
| order | :class:`ImportOrder` (CEB311) | :class:`ExportOrder` (CEB303) |
| payment | :class:`ImportPayment` (CEB411 PaymentHead) | :class:`ExportReceipt` (CEB403 Receipts) |
| waybill | :class:`ImportWaybill` (CEB511 LogisticsHead) | :class:`ExportWaybill` (CEB505) |
| inventory | :class:`ImportInventory` (CEB621) | :class:`ExportInventory` (CEB603) |

JSON shape: the content of the CEB business element, with the CEB element
names as keys. Documents with a head and lines are the head's fields plus the
lines under the list element's name (``"OrderList"`` / ``"InventoryList"``);
in Python the lines are ``.items``. Head-only documents (CEB411, CEB511) are
the head's fields. Decimals are strings (see ``_fields`` for the input policy
and the canonical form), times C14 ``YYYYMMDDhhmmss`` in China time.

Each model has the class attributes ``message_type`` (``"CEB311"``…), ``kind``
(:class:`~traceability.trade.modes.DocumentKind`) and ``direction``, and
``to_json_dict()`` for canonical hashing.

The trade key: ``orderNo`` is unique only within one platform (ebpCode), so a
trade is identified by ``(ebpCode, orderNo)`` and its on-chain ``tradeId`` is
``sha256(UTF-8(ebpCode + "/" + orderNo))``, 32 bytes, strings taken exactly as
declared (no trimming, no Unicode normalisation). An ebpCode containing "/"
is rejected so the split is unambiguous.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import TypeAdapter

from traceability.trade._export_docs import (
    ExportInventory,
    ExportInventoryItem,
    ExportOrder,
    ExportOrderItem,
    ExportReceipt,
    ExportWaybill,
)
from traceability.trade._import_docs import (
    ImportInventory,
    ImportInventoryItem,
    ImportOrder,
    ImportOrderItem,
    ImportPayment,
    ImportWaybill,
)
from traceability.trade.errors import InvalidTradeKey, UnknownMessageType
from traceability.trade.fields import CHINA_TZ, CebModel, canonical_decimal

Order = ImportOrder | ExportOrder
"""An order of either direction."""
Payment = ImportPayment | ExportReceipt
"""A payment record: the import payment voucher or the export receipt (收款单)."""
Waybill = ImportWaybill | ExportWaybill
"""A waybill of either direction."""
Inventory = ImportInventory | ExportInventory
"""An inventory (清单) of either direction."""
TradeDocument = Order | Payment | Waybill | Inventory
"""Any one of the eight document models."""

DOCUMENT_MODELS: dict[str, type[CebModel]] = {
    model.message_type: model
    for model in (
        ImportOrder,
        ImportPayment,
        ImportWaybill,
        ImportInventory,
        ExportOrder,
        ExportReceipt,
        ExportWaybill,
        ExportInventory,
    )
}
"""Document model by CEB message type (``"CEB311"`` → :class:`ImportOrder`)."""

_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    name: TypeAdapter(model) for name, model in DOCUMENT_MODELS.items()
}


def parse_document(message_type: str, data: dict[str, Any]) -> TradeDocument:
    """Validate ``data`` (JSON with CEB names) as the model for ``message_type``.

    Raises :class:`UnknownMessageType` for a type sandan does not match, and
    pydantic's ``ValidationError`` (whose ``loc`` names the field) for bad data.
    """
    adapter = _ADAPTERS.get(message_type)
    if adapter is None:
        raise UnknownMessageType(message_type)
    document: TradeDocument = adapter.validate_python(data)
    return document


def message_type_of(doc_type: str, document: Mapping[str, Any]) -> str:
    """Which CEB message a trade document (``order``, ``payment``, ``waybill``,
    ``inventory``) follows, told apart by its direction's fields.

    Import orders carry ``orderType`` "I", export ones E/B/W; an import payment has
    ``payTransactionId``, an export receipt ``charge``; an import waybill names its
    ``orderNo``, an export one cannot; an inventory says ``ieFlag`` I or E. The service
    and the signing kit both ask this, so a document checked locally is checked as the
    server will check it.
    """
    if doc_type == "order":
        return "CEB311" if document.get("orderType") == "I" else "CEB303"
    if doc_type == "payment":
        return "CEB411" if "payTransactionId" in document else "CEB403"
    if doc_type == "waybill":
        return "CEB511" if "orderNo" in document else "CEB505"
    if doc_type == "inventory":
        return "CEB621" if document.get("ieFlag") == "I" else "CEB603"
    raise UnknownMessageType(doc_type)


class _Keyed(Protocol):
    @property
    def ebpCode(self) -> str: ...  # noqa: N802 - CEB element name

    @property
    def orderNo(self) -> str: ...  # noqa: N802 - CEB element name


@dataclass(frozen=True, slots=True, order=True)
class TradeKey:
    """Identity of one trade: the platform code and its order number."""

    ebpCode: str  # noqa: N815 - CEB element name
    orderNo: str  # noqa: N815 - CEB element name

    def __post_init__(self) -> None:
        if not self.ebpCode or not self.orderNo:
            raise InvalidTradeKey("ebpCode and orderNo must not be empty")
        if "/" in self.ebpCode:
            raise InvalidTradeKey(f"ebpCode must not contain '/': {self.ebpCode!r}")

    @classmethod
    def of(cls, document: _Keyed) -> TradeKey:
        """The key of any document that carries ebpCode and orderNo."""
        return cls(document.ebpCode, document.orderNo)

    def __str__(self) -> str:
        return f"{self.ebpCode}/{self.orderNo}"

    @property
    def trade_id(self) -> bytes:
        """The 32-byte on-chain tradeId: sha256 of UTF-8 ``"ebpCode/orderNo"``."""
        return hashlib.sha256(str(self).encode("utf-8")).digest()


def trade_id(document: _Keyed) -> bytes:
    """The 32-byte on-chain tradeId of the trade ``document`` belongs to."""
    return TradeKey.of(document).trade_id


__all__ = [
    "CHINA_TZ",
    "DOCUMENT_MODELS",
    "CebModel",
    "ExportInventory",
    "ExportInventoryItem",
    "ExportOrder",
    "ExportOrderItem",
    "ExportReceipt",
    "ExportWaybill",
    "ImportInventory",
    "ImportInventoryItem",
    "ImportOrder",
    "ImportOrderItem",
    "ImportPayment",
    "ImportWaybill",
    "Inventory",
    "Order",
    "Payment",
    "TradeDocument",
    "TradeKey",
    "Waybill",
    "canonical_decimal",
    "message_type_of",
    "parse_document",
    "trade_id",
]

"""Import documents: CEB311 order, CEB411 payment, CEB511 waybill, CEB621 inventory.

Fields, order, lengths and required/optional follow the 2022-05 import XSD
(notes/ceb.md section 3). Attribute names are the CEB element names, so the
XML parser maps ``<ceb:goodsValue>`` to ``goodsValue`` without a table. Every
import ``currency`` is ``fixed="142"`` in the XSD, so another value is a schema
error here, not a matching failure.
"""

# ruff: noqa: N815  - attribute names are the CEB element names (mixedCase by design)

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from traceability.trade._items import check_gnums, check_required
from traceability.trade.fields import (
    T10,
    T18,
    T19,
    T20,
    T30,
    T32,
    T37,
    T50,
    T60,
    T100,
    T200,
    T250,
    T510,
    T1000,
    CebDate,
    CebModel,
    CebTime,
    Dec19_5,
    Fixed1,
    Fixed3,
    Fixed4,
    Fixed6,
    Fixed10,
    Int5,
    Int9,
)
from traceability.trade.heads import ImportAppStatus, ImportDeclared, OrderHeadStart
from traceability.trade.modes import MODE_RULES, Direction, DocumentKind, TradeMode, mode_rules
from traceability.trade.xml_form import XmlForm, XmlLayout

IdType = Annotated[Literal["1", "2"], XmlForm(fixed="1")]
"""1 身份证 (resident identity card), 2 其它 (other). Import XML says "限定为1" (fixed):
the model takes 2 too, so that the matcher can report a payer who is not the buyer."""
Rmb = Literal["142"]
"""Import currency, fixed to 142 (CNY) by the XSD."""
OnePackage = Annotated[Int9, XmlForm(fixed="1")]
"""packNo: the XSD fixes it to 1; the model takes more so that matching reports it."""
ImportMode = Annotated[
    TradeMode, XmlForm(choices=tuple(mode for way, mode in MODE_RULES if way is Direction.IMPORT))
]
"""tradeMode 9610 or 1210 in XML; the model names an export-only mode in its error."""


class ImportOrderItem(CebModel):
    """CEB311 OrderList: one goods line of an import order."""

    gnum: Int5
    itemNo: T30 | None = None
    itemName: T250
    gmodel: T510
    itemDescribe: T1000 | None = None
    barCode: T50 | None = None
    unit: Fixed3
    qty: Dec19_5
    price: Dec19_5
    totalPrice: Dec19_5
    currency: Rmb
    country: Fixed3
    note: T1000 | None = None


class ImportOrder(OrderHeadStart):
    """CEB311 电子订单: an import order (OrderHead fields plus its OrderList lines)."""

    message_type: ClassVar[str] = "CEB311"
    kind: ClassVar[DocumentKind] = DocumentKind.ORDER
    direction: ClassVar[Direction] = Direction.IMPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Order", "OrderHead", rules=("consecutive_gnum",))

    appStatus: ImportAppStatus
    orderType: Literal["I"]
    discount: Dec19_5
    taxTotal: Dec19_5
    acturalPaid: Dec19_5
    currency: Rmb
    buyerRegNo: T60
    buyerName: T60
    buyerTelephone: T30
    buyerIdType: IdType
    buyerIdNumber: T60
    payCode: T18 | None = None
    payName: T100 | None = None
    payTransactionId: T60 | None = None
    batchNumbers: T100 | None = None
    consignee: T100
    consigneeTelephone: T50
    consigneeAddress: T200
    consigneeDistrict: Fixed6 | None = None
    note: T1000 | None = None
    items: tuple[ImportOrderItem, ...] = Field(alias="OrderList", min_length=1, max_length=99)

    @model_validator(mode="after")
    def _consecutive_gnums(self) -> ImportOrder:
        """Lines are numbered 1, 2, 3, … ("从1开始的递增序号")."""
        check_gnums(self.items, "OrderList")
        return self


class ImportPayment(ImportDeclared):
    """CEB411 支付凭证: the payment company's PaymentHead for one order."""

    message_type: ClassVar[str] = "CEB411"
    kind: ClassVar[DocumentKind] = DocumentKind.PAYMENT
    direction: ClassVar[Direction] = Direction.IMPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Payment", "PaymentHead")

    payCode: T18
    payName: T100
    payTransactionId: T60
    orderNo: T60
    ebpCode: T18
    ebpName: T100
    payerIdType: IdType
    payerIdNumber: T60
    payerName: T60
    telephone: T60 | None = None
    amountPaid: Dec19_5
    currency: Rmb
    payTime: CebTime
    note: T1000 | None = None


class ImportWaybill(ImportDeclared):
    """CEB511 物流运单: the logistics company's LogisticsHead for one parcel."""

    message_type: ClassVar[str] = "CEB511"
    kind: ClassVar[DocumentKind] = DocumentKind.WAYBILL
    direction: ClassVar[Direction] = Direction.IMPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Logistics", "LogisticsHead")

    logisticsCode: T18
    logisticsName: T100
    logisticsNo: T60
    billNo: T37 | None = None
    orderNo: T60
    freight: Dec19_5 | None = None
    insuredFee: Dec19_5 | None = None
    currency: Rmb
    weight: Dec19_5
    packNo: OnePackage
    goodsInfo: T200 | None = None
    consignee: T100
    consigneeAddress: T200
    consigneeTelephone: T50
    note: T1000 | None = None


class ImportInventoryItem(CebModel):
    """CEB621 InventoryList: one goods line of an import inventory (清单)."""

    gnum: Int5
    itemRecordNo: T30 | None = None
    itemNo: T20 | None = None
    itemName: T250 | None = None
    gcode: Fixed10
    gname: T250
    gmodel: T510
    barCode: T50 | None = None
    country: Fixed3
    tradeCountry: Fixed3 | None = None
    currency: Rmb
    qty: Dec19_5
    unit: Fixed3
    qty1: Dec19_5
    unit1: Fixed3
    qty2: Dec19_5 | None = None
    unit2: Fixed3 | None = None
    price: Dec19_5
    totalPrice: Dec19_5
    note: T1000 | None = None


class ImportInventory(ImportDeclared):
    """CEB621 进口清单: the import inventory (InventoryHead plus InventoryList lines).

    Mode-dependent fields are enforced here, from :data:`~traceability.trade.modes.MODE_RULES`:
    1210 (保税) needs emsNo, areaCode, areaName and itemRecordNo on every line;
    9610 (直购) needs trafNo, voyageNo and billNo.
    """

    message_type: ClassVar[str] = "CEB621"
    kind: ClassVar[DocumentKind] = DocumentKind.INVENTORY
    direction: ClassVar[Direction] = Direction.IMPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout(
        "Inventory",
        "InventoryHead",
        signature_required=True,
        rules=("consecutive_gnum", "import_inventory_mode", "signature_when_declared"),
    )

    orderNo: T60
    ebpCode: T18
    ebpName: T100
    ebcCode: T18
    ebcName: T100
    logisticsNo: T60
    logisticsCode: T18
    logisticsName: T100
    copNo: T20 | None = None
    preNo: T18 | None = None
    assureCode: T30
    emsNo: T30 | None = None
    invtNo: T18 | None = None
    ieFlag: Literal["I"]
    declTime: CebDate
    customsCode: Fixed4
    portCode: Fixed4
    ieDate: CebDate | None = None
    buyerIdType: IdType
    buyerIdNumber: T60
    buyerName: T60
    buyerTelephone: T30
    consigneeAddress: T200
    agentCode: T18
    agentName: T100
    areaCode: T18 | None = None
    areaName: T100 | None = None
    tradeMode: ImportMode
    trafMode: Fixed1
    trafNo: T100 | None = None
    voyageNo: T32 | None = None
    billNo: T37 | None = None
    loctNo: T10 | None = None
    licenseNo: T19 | None = None
    country: Fixed3
    freight: Dec19_5
    insuredFee: Dec19_5
    currency: Rmb
    wrapType: Fixed1 | None = None
    packNo: OnePackage
    grossWeight: Dec19_5
    netWeight: Dec19_5
    note: T1000 | None = None
    items: tuple[ImportInventoryItem, ...] = Field(
        alias="InventoryList", min_length=1, max_length=99
    )

    @model_validator(mode="after")
    def _lines_and_mode_fields(self) -> ImportInventory:
        """Check gnum order and the fields this tradeMode makes mandatory (modes.py)."""
        check_gnums(self.items, "InventoryList")
        rules = mode_rules(Direction.IMPORT, self.tradeMode)
        head, lines = rules.inventory_head_fields, rules.inventory_item_fields
        check_required(self, self.items, head, lines, self.tradeMode)
        return self

"""Export documents: CEB303 order, CEB403 收款单, CEB505 waybill, CEB603 inventory.

Fields follow the 2022-05 export XSD (notes/ceb.md section 4). Export currency
is any customs currency code (e.g. 142 CNY, 502 USD). The export waybill CEB505
carries no orderNo: the inventory CEB603 joins it to the order.
"""

# ruff: noqa: N815  - attribute names are the CEB element names (mixedCase by design)

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from traceability.trade._items import check_gnums, check_required
from traceability.trade.fields import (
    T3,
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
    T1000,
    CebDate,
    CebModel,
    CebTime,
    Dec19_5,
    Fixed1,
    Fixed3,
    Fixed4,
    Fixed10,
    Fixed18,
    Int5,
    Int9,
    PortCode,
)
from traceability.trade.heads import ExportDeclared, OrderHeadStart
from traceability.trade.modes import Direction, DocumentKind, TradeMode, mode_rules
from traceability.trade.xml_form import XmlLayout

ExportOrderType = Literal["E", "B", "W"]
"""E B2C export order, B B2B export order, W overseas-warehouse booking (海外仓订仓单)."""


class ExportOrderItem(CebModel):
    """CEB303 OrderList: one goods line of an export order."""

    gnum: Int5
    itemNo: T30
    itemName: T250
    itemDescribe: T1000 | None = None
    barCode: T50 | None = None
    unit: Fixed3
    currency: Fixed3
    qty: Dec19_5
    price: Dec19_5
    totalPrice: Dec19_5
    note: T1000 | None = None


class ExportOrder(OrderHeadStart):
    """CEB303 电子订单: an export order (OrderHead fields plus its OrderList lines)."""

    message_type: ClassVar[str] = "CEB303"
    kind: ClassVar[DocumentKind] = DocumentKind.ORDER
    direction: ClassVar[Direction] = Direction.EXPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Order", "OrderHead", rules=("consecutive_gnum",))

    orderType: ExportOrderType
    currency: Fixed3
    note: T1000 | None = None
    items: tuple[ExportOrderItem, ...] = Field(alias="OrderList", min_length=1, max_length=100)

    @model_validator(mode="after")
    def _consecutive_gnums(self) -> ExportOrder:
        """Lines are numbered 1, 2, 3, … ("从1开始的递增序号")."""
        check_gnums(self.items, "OrderList")
        return self


class ExportReceipt(ExportDeclared):
    """CEB403 收款单: the receipt of payment for one export order (flat, no head)."""

    message_type: ClassVar[str] = "CEB403"
    kind: ClassVar[DocumentKind] = DocumentKind.PAYMENT
    direction: ClassVar[Direction] = Direction.EXPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Receipts")

    ebpCode: T18
    ebpName: T100
    ebcCode: T18
    ebcName: T100
    orderNo: T60
    payCode: T18 | None = None
    payName: T100
    payNo: T60 | None = None
    charge: Dec19_5
    currency: Fixed3
    accountingDate: CebTime
    note: T1000 | None = None


class ExportWaybill(ExportDeclared):
    """CEB505 物流运单: the export waybill (flat; no orderNo, no consignee)."""

    message_type: ClassVar[str] = "CEB505"
    kind: ClassVar[DocumentKind] = DocumentKind.WAYBILL
    direction: ClassVar[Direction] = Direction.EXPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout("Logistics")

    logisticsCode: T18
    logisticsName: T100
    logisticsNo: T32
    freight: Dec19_5
    insuredFee: Dec19_5
    currency: Fixed3
    grossWeight: Dec19_5
    packNo: Int9
    goodsInfo: T200
    ebcCode: T18 | None = None
    ebcName: T100 | None = None
    ebcTelephone: T50 | None = None
    note: T1000 | None = None


class ExportInventoryItem(CebModel):
    """CEB603 InventoryList: one goods line of an export inventory."""

    gnum: Int5
    itemNo: T20
    itemRecordNo: T30 | None = None
    itemName: T250 | None = None
    gcode: Fixed10
    gname: T250
    gmodel: T250
    barCode: T50
    country: Fixed3
    currency: Fixed3
    qty: Dec19_5
    qty1: Dec19_5
    qty2: Dec19_5 | None = None
    unit: Fixed3
    unit1: Fixed3
    unit2: T3 | None = None
    price: Dec19_5
    totalPrice: Dec19_5
    note: T1000 | None = None


class ExportInventory(ExportDeclared):
    """CEB603 申报清单: the export inventory (InventoryHead plus InventoryList lines).

    Mode-dependent fields are enforced from :data:`~traceability.trade.modes.MODE_RULES`:
    export 1210 (special area) needs iacCode, iacName and itemRecordNo on every line.
    """

    message_type: ClassVar[str] = "CEB603"
    kind: ClassVar[DocumentKind] = DocumentKind.INVENTORY
    direction: ClassVar[Direction] = Direction.EXPORT
    xml_layout: ClassVar[XmlLayout] = XmlLayout(
        "Inventory", "InventoryHead", rules=("consecutive_gnum", "export_inventory_mode")
    )

    customsCode: Fixed4
    ebpCode: T18
    ebpName: T100
    orderNo: T60
    logisticsCode: T18
    logisticsName: T100
    logisticsNo: T32
    copNo: T30
    preNo: Fixed18 | None = None
    invtNo: T20 | None = None
    ieFlag: Literal["E"]
    portCode: Fixed4
    ieDate: CebDate
    statisticsFlag: Literal["A", "B"]
    agentCode: T18
    agentName: T100
    ebcCode: T18
    ebcName: T100
    ownerCode: T18
    ownerName: T100
    iacCode: T18 | None = None
    iacName: T100 | None = None
    emsNo: T30 | None = None
    tradeMode: TradeMode
    trafMode: Fixed1
    trafName: T100 | None = None
    voyageNo: T32 | None = None
    billNo: T37 | None = None
    totalPackageNo: T37 | None = None
    loctNo: T10 | None = None
    licenseNo: T19 | None = None
    country: Fixed3
    POD: PortCode
    freight: Dec19_5
    fCurrency: Fixed3
    fFlag: Literal["3"]
    insuredFee: Dec19_5
    iCurrency: Fixed3
    iFlag: Literal["3"]
    wrapType: Fixed1
    packNo: Int9
    grossWeight: Dec19_5
    netWeight: Dec19_5
    note: T1000 | None = None
    items: tuple[ExportInventoryItem, ...] = Field(
        alias="InventoryList", min_length=1, max_length=100
    )

    @model_validator(mode="after")
    def _lines_and_mode_fields(self) -> ExportInventory:
        """Check gnum order and the fields this tradeMode makes mandatory (modes.py)."""
        check_gnums(self.items, "InventoryList")
        rules = mode_rules(Direction.EXPORT, self.tradeMode)
        head, lines = rules.inventory_head_fields, rules.inventory_item_fields
        check_required(self, self.items, head, lines, self.tradeMode)
        return self

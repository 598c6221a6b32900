"""Typed models of the CEB messages that have no trade-document model.

The trade documents (orders, payments, waybills, inventories) live in
:mod:`traceability.trade.models`. Here: the transfer blocks, the import return
application (CEB625), the inventory cancellations (CEB623, CEB605), the export master
waybill (CEB607), the export summary application (CEB701) and every receipt. Same
conventions as the trade models: attribute and JSON names are the CEB element names, lines
sit under the list element's name (``.items`` in Python), decimals are ``Decimal``, C14
times are aware datetimes in China time. C17 receipt times stay strings (``YYYYMMDDhhmmssSSS``).
"""

# ruff: noqa: N815  - attribute names are the CEB element names (mixedCase by design)

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from traceability.trade.fields import (
    T3,
    T10,
    T15,
    T18,
    T20,
    T30,
    T32,
    T37,
    T60,
    T100,
    T250,
    T255,
    T1000,
    T5000,
    CebModel,
    CebTime,
    Dec19_5,
    Fixed1,
    Fixed3,
    Fixed4,
    Fixed10,
    Fixed18,
    Guid,
    Int5,
    Int9,
)
from traceability.trade.heads import ExportDeclared, ImportDeclared
from traceability.trade.xml_form import XmlForm, XmlLayout

__all__ = [
    "BaseSubscribe",
    "BaseTransfer",
    "ExportInventoryCancel",
    "ExportInventoryCancelReturn",
    "ExportInventoryReturn",
    "ExportLogisticsReturn",
    "ExportReturnApplication",
    "ExportReturnApplicationItem",
    "ImportInventoryCancel",
    "ImportInventoryCancelReturn",
    "ImportInventoryReturn",
    "InvtRefundReturn",
    "LogisticsReturn",
    "MasterWaybill",
    "MasterWaybillItem",
    "MessageReturn",
    "OrderReturn",
    "PaymentReturn",
    "ReceiptsReturn",
    "ReturnApplication",
    "ReturnApplicationItem",
    "SummaryApplication",
    "SummaryApplicationItem",
    "SummaryReturn",
    "WayBillReturn",
]

ReturnStatus = Annotated[
    str, StringConstraints(pattern=r"^-?[0-9]{1,9}$"), XmlForm("status", max_length=10)
]
"""A customs status code (``800`` released...), negative for processing errors."""
Millis = Annotated[str, StringConstraints(pattern=r"^[0-9]{17}$"), XmlForm("millis", 17, 17)]
"""A C17 receipt time ``YYYYMMDDhhmmssSSS`` (China time)."""
T1 = Annotated[str, StringConstraints(min_length=1, max_length=1)]
T4 = Annotated[str, StringConstraints(min_length=1, max_length=4)]
T80 = Annotated[str, StringConstraints(min_length=1, max_length=80)]
T500 = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class BaseTransfer(CebModel):
    """Who transmits the message (must match the sending client's identity)."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("BaseTransfer", occurs=(1, 1))

    copCode: T18
    copName: T100
    dxpMode: Fixed3
    dxpId: T30
    note: T1000 | None = None


class BaseSubscribe(CebModel):
    """A third party subscribed to the message's data and/or receipts."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("BaseSubscribe", occurs=(0, 5))

    status: Annotated[Literal["ALL", "DATA", "RET"], XmlForm(max_length=100)]
    dxpMode: Fixed3
    dxpAddress: T100
    note: T1000 | None = None


# --- CEB625 import return application (退货申请单) ----------------------------


class ReturnApplicationItem(CebModel):
    """CEB625 InvtRefundList: one returned line of the original inventory."""

    gnum: Int5
    gcode: Fixed10
    gname: T250
    qty: Dec19_5
    unit: Fixed3
    note: T1000 | None = None


class ReturnApplication(ImportDeclared):
    """CEB625 退货申请单: a return of goods released on an import inventory."""

    message_type: ClassVar[str] = "CEB625"
    # Both the 2018 and the 2022-05 XSDs require ds:Signature here (minOccurs 1, as CEB621).
    xml_layout: ClassVar[XmlLayout] = XmlLayout(
        "InvtRefund", "InvtRefundHead", signature_required=True
    )

    customsCode: Fixed4
    orderNo: T60
    ebpCode: T18
    ebpName: T100
    ebcCode: T18
    ebcName: T100
    logisticsNo: T60
    logisticsCode: T18
    logisticsName: T100
    copNo: T20 | None = None
    preNo: Fixed18 | None = None
    invtNo: Fixed18
    buyerIdType: Literal["1"]
    buyerIdNumber: T60
    buyerName: T60
    buyerTelephone: T30
    agentCode: T18
    agentName: T100
    reason: T1000
    note: T1000 | None = None
    items: tuple[ReturnApplicationItem, ...] = Field(
        alias="InvtRefundList", min_length=1, max_length=99
    )


# --- CEB213 retail export return application (退货申请单, 2022-05) --------------
# Accepted as a signed JSON envelope (docType ``export-return``); not registered as an
# XML message: the fields follow the 2022-05 export XSD's InvtRefundHead/InvtRefundList.


class ExportReturnApplicationItem(CebModel):
    """CEB213 InvtRefundList: one returned line of the original export inventory."""

    gnum: Int5
    gcode: T10
    gname: T250
    gmodel: T250
    qty: Dec19_5
    qty1: Dec19_5
    unit: Fixed3
    unit1: Fixed3
    qty2: Dec19_5 | None = None
    unit2: Fixed3 | None = None
    note: T500 | None = None


class ExportReturnApplication(ExportDeclared):
    """CEB213 退货申请单: goods exported on a retail export inventory coming back."""

    message_type: ClassVar[str] = "CEB213"
    xml_layout: ClassVar[XmlLayout] = XmlLayout("InvtRefund", "InvtRefundHead")

    customsCode: Fixed4
    loctNo: T10 | None = None
    ebpCode: T18
    ebpName: T100
    ebcCode: T18
    ebcName: T100
    logisticsNo: T80
    logisticsCode: T18
    logisticsName: T100
    coElNo: T30
    preNo: T18 | None = None
    invtNo: T20
    tradeMode: Fixed4 | None = None
    agentCode: T18
    agentName: T100
    billNo: T37
    ieFlag: Literal["I"]  # the XSD: an export return is declared with I (it comes in)
    trafMode: T1
    trafName: T100
    portCode: T4
    reason: T500
    country: T3
    voyageNo: T32
    note: T500 | None = None
    items: tuple[ExportReturnApplicationItem, ...] = Field(
        alias="InvtRefundList", min_length=1, max_length=100
    )


# --- CEB623 / CEB605 inventory cancellation (撤销申请单, 撤单) --------------------
# Fields, lengths and optionality from the official 2022-05 XSDs (element InvtCancel,
# flat: no head group). Import and export differ: the import one names the order, the
# waybill and the buyer; the export one only the inventory and the companies.


class ImportInventoryCancel(ImportDeclared):
    """CEB623 撤销申请单: undo a declared import inventory (``invtNo``) before it is settled."""

    message_type: ClassVar[str] = "CEB623"
    # The 2022-05 import XSD requires ds:Signature in CEB623Message (minOccurs 1).
    xml_layout: ClassVar[XmlLayout] = XmlLayout("InvtCancel", signature_required=True)

    customsCode: Fixed4
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
    invtNo: T18
    buyerIdType: Literal["1"]
    buyerIdNumber: T60
    buyerName: T60
    buyerTelephone: T30
    agentCode: T18
    agentName: T100
    reason: T1000
    note: T1000 | None = None


class ExportInventoryCancel(ExportDeclared):
    """CEB605 撤销申请单: undo a declared export inventory (``invtNo``)."""

    message_type: ClassVar[str] = "CEB605"
    # The export XSD makes ds:Signature optional; appStatus 2 (申报) needs it, as CEB607.
    xml_layout: ClassVar[XmlLayout] = XmlLayout("InvtCancel", rules=("signature_when_declared",))

    customsCode: Fixed4
    copNo: T30
    preNo: Fixed18 | None = None
    invtNo: T20
    reason: T1000
    agentCode: T18
    agentName: T100
    ebcCode: T18
    ebcName: T100
    note: T1000 | None = None


# --- CEB607 export master waybill (清单总分单) --------------------------------


class MasterWaybillItem(CebModel):
    """CEB607 WayBillList: one parcel (logisticsNo) under the master bill."""

    gnum: Int5
    totalPackageNo: T60 | None = None
    logisticsNo: T32
    invtNo: T20 | None = None
    note: T1000 | None = None


class MasterWaybill(ExportDeclared):
    """CEB607 清单总分单: groups declared export inventories under one bill of lading."""

    message_type: ClassVar[str] = "CEB607"
    xml_layout: ClassVar[XmlLayout] = XmlLayout(
        "WayBill",
        "WayBillHead",
        rules=("consecutive_gnum", "waybill_group_mode", "signature_when_declared"),
    )

    customsCode: Fixed4
    copNo: T30
    preNo: Fixed18 | None = None
    agentCode: T18
    agentName: T100
    loctNo: T10 | None = None
    trafMode: Fixed1
    trafName: T100
    voyageNo: T32
    billNo: T37
    domesticTrafNo: T100 | None = None
    grossWeight: Dec19_5
    logisticsCode: T18
    logisticsName: T100
    msgCount: Int9
    msgSeqNo: Int9
    note: T1000 | None = None
    items: tuple[MasterWaybillItem, ...] = Field(alias="WayBillList", min_length=1)


# --- CEB701 export summary application (汇总申请单) ---------------------------


class SummaryApplicationItem(CebModel):
    """CEB701 SummaryApplyList: one released inventory number to summarise."""

    invtNo: T20


class SummaryApplication(ExportDeclared):
    """CEB701 汇总申请单: summarise one company's released export inventories."""

    message_type: ClassVar[str] = "CEB701"
    xml_layout: ClassVar[XmlLayout] = XmlLayout(
        "SummaryApply",
        "SummaryApplyHead",
        occurs=(1, 100),  # the 2022-05 XSD: SummaryApply maxOccurs 100, like every declaration
        rules=("summary_time_pair", "summary_seq"),
    )

    customsCode: Fixed4
    copNo: T30
    preNo: T18 | None = None
    sumNo: T18 | None = None
    agentCode: T18
    agentName: T100
    ebcCode: T18
    ebcName: T100
    declAgentCode: T18
    declAgentName: T100
    startTime: CebTime | None = None
    endTime: CebTime | None = None
    loctNo: T10 | None = None
    summaryFlag: Literal["1", "2"]
    itemNameFlag: Fixed1
    msgCount: Int9
    msgSeqNo: Int9
    note: T1000 | None = None
    items: tuple[SummaryApplicationItem, ...] = Field(alias="SummaryApplyList", default=())


# --- receipts ------------------------------------------------------------------
# Each receipt ends with returnStatus, returnTime and returnInfo (the outcome),
# in this order after its keys; CEB900 orders them differently.


class OrderReturn(CebModel):
    """CEB312 / CEB304 OrderReturn: the answer to an order."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("OrderReturn")

    guid: Guid
    ebpCode: T18
    ebcCode: T18
    orderNo: T60
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class PaymentReturn(CebModel):
    """CEB412 PaymentReturn: the answer to an import payment voucher."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("PaymentReturn")

    guid: Guid
    payCode: T18
    payTransactionId: T60
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class LogisticsReturn(CebModel):
    """CEB512 LogisticsReturn: the answer to an import waybill."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("LogisticsReturn")

    guid: Guid
    logisticsCode: T18
    logisticsNo: T60
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class ExportLogisticsReturn(LogisticsReturn):
    """CEB506 LogisticsReturn: the answer to an export waybill (logisticsNo ``C..32``)."""

    logisticsNo: T32


class ImportInventoryReturn(CebModel):
    """CEB622 InventoryReturn: the answer to an import inventory."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("InventoryReturn")

    guid: Guid
    customsCode: Fixed4 | None = None
    ebpCode: T18 | None = None
    ebcCode: T18 | None = None
    agentCode: T18 | None = None
    copNo: T20
    preNo: Fixed18
    invtNo: Fixed18 | None = None
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class InvtRefundReturn(CebModel):
    """CEB626 InvtRefundReturn: the answer to a return application.

    CEB622's fields, but the 2022-05 XSD puts agentCode first: agentCode, ebpCode, ebcCode.
    """

    xml_layout: ClassVar[XmlLayout] = XmlLayout("InvtRefundReturn")

    guid: Guid
    customsCode: Fixed4 | None = None
    agentCode: T18 | None = None
    ebpCode: T18 | None = None
    ebcCode: T18 | None = None
    copNo: T20
    preNo: Fixed18
    invtNo: Fixed18 | None = None
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class ImportInventoryCancelReturn(InvtRefundReturn):
    """CEB624 InvtCancelReturn: the answer to an import cancellation (CEB626's fields)."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("InvtCancelReturn")


class ExportInventoryCancelReturn(CebModel):
    """CEB606 InvtCancelReturn: the answer to an export cancellation."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("InvtCancelReturn")

    guid: Guid
    agentCode: T18
    copNo: T30
    preNo: Fixed18
    invtNo: T20
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class ReceiptsReturn(CebModel):
    """CEB404 ReceiptsReturn: the answer to an export receipt of payment."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("ReceiptsReturn")

    guid: Guid
    ebcCode: T18
    orderNo: T60
    payNo: T60 | None = None
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class ExportInventoryReturn(CebModel):
    """CEB604 InventoryReturn: the answer to an export inventory."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("InventoryReturn")

    guid: Guid
    agentCode: T18
    copNo: T30
    preNo: Fixed18
    invtNo: T20
    ebcCode: T18
    ebpCode: T18
    orderNo: T60
    statisticsFlag: Fixed1
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class WayBillReturn(CebModel):
    """CEB608 WayBillReturn: the answer to a master waybill."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("WayBillReturn")

    guid: Guid
    agentCode: T18
    logisticsCode: T18
    copNo: T30
    preNo: Fixed18
    billNo: T37
    msgSeqNo: Int9
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class SummaryReturn(CebModel):
    """CEB702 SummaryReturn: the answer to a summary application."""

    xml_layout: ClassVar[XmlLayout] = XmlLayout("SummaryReturn")

    guid: Guid
    agentCode: T18
    ebcCode: T18
    copNo: T30
    preNo: Fixed18
    sumNo: Fixed18 | None = None
    msgSeqNo: Int9
    returnStatus: ReturnStatus
    returnTime: Millis
    returnInfo: T1000


class MessageReturn(CebModel):
    """CEB900 MessageReturn: a message failed the format check (returnStatus < 0)."""

    # The one receipt the XSD does not batch: CEB900Message holds exactly one MessageReturn.
    xml_layout: ClassVar[XmlLayout] = XmlLayout("MessageReturn", occurs=(1, 1))

    guid: Guid
    returnStatus: ReturnStatus
    returnInfo: T5000
    returnTime: Millis
    oriCopMsgId: T255
    oriMessageType: T15
    oriBizMessage: str

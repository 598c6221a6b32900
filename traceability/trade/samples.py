"""Arithmetically consistent sample trades for tests, the demo and benchmarks.

Every builder is deterministic: the same arguments give the same documents
(guids are UUID-5s of the order number). Amounts follow the CEB formulas:
totalPrice = qty × price, goodsValue = Σ totalPrice, acturalPaid = goodsValue +
freight + taxTotal − discount = amountPaid; the waybill and inventory repeat
the consignee, freight, insured fee and weight. Parties and codes are
invented; names and addresses are Chinese as on real documents.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from traceability.trade.fields import CHINA_TZ, canonical_decimal, format_ceb_time
from traceability.trade.inputs import TradeDocuments
from traceability.trade.models import (
    ExportInventory,
    ExportOrder,
    ExportReceipt,
    ExportWaybill,
    ImportInventory,
    ImportOrder,
    ImportPayment,
    ImportWaybill,
)
from traceability.trade.modes import TradeMode

BASE_TIME = datetime(2025, 3, 1, 10, 0, 0, tzinfo=CHINA_TZ)
"""When sample orders are placed, unless told otherwise."""

_NAMESPACE = uuid.UUID("6f1c2a8e-3d4b-5c6d-8e9f-a0b1c2d3e4f5")
_FEN = Decimal("0.01")
_RETAIL_TAX_RATE = Decimal("0.091")  # VAT 13 % × 70 % (财关税〔2018〕49号), tariff 0


@dataclass(frozen=True, slots=True)
class Line:
    """One goods line of a sample order."""

    name: str
    gmodel: str
    gcode: str
    qty: Decimal
    price: Decimal
    unit: str = "011"  # 件
    country: str = "116"  # 日本

    @property
    def total(self) -> Decimal:
        """qty × price, to the fen."""
        return (self.qty * self.price).quantize(_FEN, rounding=ROUND_HALF_UP)


IMPORT_LINES: tuple[Line, ...] = (
    Line(
        "资生堂红腰子精华露",
        "资生堂牌 50毫升/瓶 护肤精华",
        "3304990099",
        Decimal(1),
        Decimal("569"),
    ),
    Line("花王纸尿裤", "花王牌 L码 54片/包 婴儿用", "9619001100", Decimal(2), Decimal("119.5")),
)
"""Default lines of a sample import order (goodsValue 808.00 CNY)."""

EXPORT_LINES: tuple[Line, ...] = (
    Line(
        "赣南脐橙",
        "纽荷尔品种 5千克/箱 鲜果",
        "0805100000",
        Decimal(20),
        Decimal("68"),
        "035",
        "122",
    ),
)
"""Default lines of a sample export order: Ganzhou navel oranges to Malaysia."""

PLATFORM = ("3301960A01", "杭州跨境优选电子商务有限公司")
SELLER = ("3301960B02", "杭州优选国际贸易有限公司")
PAYER_COMPANY = ("3301960P03", "杭州安付支付有限公司")
CARRIER = ("3301960L04", "杭州顺达国际物流有限公司")
EXPORTER = ("3607960E05", "赣州橙乡电子商务有限公司")
BUYER = ("王小明", "110101199003071234", "13800138000")
CONSIGNEE_ADDRESS = "浙江省杭州市西湖区文三路90号东部软件园1号楼"


def _guid(order_no: str, kind: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{order_no}/{kind}")).upper()


def _money(value: Decimal) -> str:
    return canonical_decimal(value)


def _t(when: datetime) -> str:
    return format_ceb_time(when)


def _declared(order_no: str, kind: str, when: datetime) -> dict[str, Any]:
    """The four fields that open every declared head: a new (1), declared (2) document."""
    return {"guid": _guid(order_no, kind), "appType": "1", "appTime": _t(when), "appStatus": "2"}


def _party(role: str, party: tuple[str, str]) -> dict[str, str]:
    """A party's ``{role}Code`` and ``{role}Name`` fields, in that order."""
    return {f"{role}Code": party[0], f"{role}Name": party[1]}


def _fen(value: Decimal) -> Decimal:
    return value.quantize(_FEN, rounding=ROUND_HALF_UP)


def _sum_totals(lines: Sequence[Line]) -> Decimal:
    return sum((line.total for line in lines), Decimal(0))


def _sum_qty(lines: Sequence[Line]) -> Decimal:
    return sum((line.qty for line in lines), Decimal(0))


def _numbered(gnum: int) -> dict[str, Any]:
    """The keys that open every sample goods line: gnum and the seller's SKU."""
    return {"gnum": gnum, "itemNo": f"SKU{gnum:04d}"}


def _order_line(gnum: int, line: Line, currency: str, import_: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_numbered(gnum),
        "itemName": line.name,
        "unit": line.unit,
        "qty": _money(line.qty),
        "price": _money(line.price),
        "totalPrice": _money(line.total),
        "currency": currency,
    }
    if import_:
        item |= {"gmodel": line.gmodel, "country": line.country}
    return item


def _inventory_line(gnum: int, line: Line, currency: str, bonded: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_numbered(gnum),
        "gcode": line.gcode,
        "gname": line.name,
        "gmodel": line.gmodel,
        "barCode": f"69{gnum:011d}",
        "country": line.country,
        "currency": currency,
        "qty": _money(line.qty),
        "unit": line.unit,
        "qty1": _money(line.qty),
        "unit1": line.unit,
        "price": _money(line.price),
        "totalPrice": _money(line.total),
    }
    if bonded:
        item["itemRecordNo"] = f"REC{gnum:05d}"
    return item


def _order_lines(lines: Sequence[Line], currency: str, import_: bool) -> list[dict[str, Any]]:
    return [_order_line(n, line, currency, import_) for n, line in enumerate(lines, start=1)]


def _inventory_lines(lines: Sequence[Line], currency: str, bonded: bool) -> list[dict[str, Any]]:
    return [_inventory_line(n, line, currency, bonded) for n, line in enumerate(lines, start=1)]


class _Priced:
    """What both sample terms compute from their lines."""

    __slots__ = ()
    lines: tuple[Line, ...]

    @property
    def goods_value(self) -> Decimal:
        """Σ line totals (for an export: FOB, without freight)."""
        return _sum_totals(self.lines)


@dataclass(frozen=True, slots=True)
class ImportTerms(_Priced):
    """The free parameters of a sample import trade; everything else follows from them."""

    order_no: str = "SD20250301000001"
    lines: tuple[Line, ...] = IMPORT_LINES
    freight: Decimal = Decimal("20")
    insured_fee: Decimal = Decimal("5")
    discount: Decimal = Decimal("10")
    mode: TradeMode = TradeMode.RETAIL
    placed_at: datetime = BASE_TIME
    buyer: tuple[str, str, str] = BUYER
    logistics_no: str = "SF1234567890123"
    pay_transaction_id: str = "AP2025030110000001"

    @property
    def tax_total(self) -> Decimal:
        """Retail-import tax withheld: 9.1 % of the customs value, to the fen."""
        return _fen((self.goods_value + self.freight + self.insured_fee) * _RETAIL_TAX_RATE)

    @property
    def actural_paid(self) -> Decimal:
        """goodsValue + freight + taxTotal − discount."""
        return self.goods_value + self.freight + self.tax_total - self.discount


def import_order_json(terms: ImportTerms) -> dict[str, Any]:
    """CEB311 order JSON for ``terms``."""
    name, id_number, phone = terms.buyer
    return {
        **_declared(terms.order_no, "order", terms.placed_at + timedelta(minutes=3)),
        "orderType": "I",
        "orderNo": terms.order_no,
        **_party("ebp", PLATFORM),
        **_party("ebc", SELLER),
        "goodsValue": _money(terms.goods_value),
        "freight": _money(terms.freight),
        "discount": _money(terms.discount),
        "taxTotal": _money(terms.tax_total),
        "acturalPaid": _money(terms.actural_paid),
        "currency": "142",
        "buyerRegNo": f"user_{id_number[-6:]}",
        "buyerName": name,
        "buyerTelephone": phone,
        "buyerIdType": "1",
        "buyerIdNumber": id_number,
        **_party("pay", PAYER_COMPANY),
        "payTransactionId": terms.pay_transaction_id,
        "consignee": name,
        "consigneeTelephone": phone,
        "consigneeAddress": CONSIGNEE_ADDRESS,
        "consigneeDistrict": "330106",
        "OrderList": _order_lines(terms.lines, "142", import_=True),
    }


def import_payment_json(terms: ImportTerms) -> dict[str, Any]:
    """CEB411 payment JSON for ``terms``: paid one minute after the order was placed."""
    name, id_number, phone = terms.buyer
    return {
        **_declared(terms.order_no, "payment", terms.placed_at + timedelta(minutes=5)),
        **_party("pay", PAYER_COMPANY),
        "payTransactionId": terms.pay_transaction_id,
        "orderNo": terms.order_no,
        **_party("ebp", PLATFORM),
        "payerIdType": "1",
        "payerIdNumber": id_number,
        "payerName": name,
        "telephone": phone,
        "amountPaid": _money(terms.actural_paid),
        "currency": "142",
        "payTime": _t(terms.placed_at + timedelta(minutes=1)),
    }


def _gross_weight(terms: ImportTerms) -> Decimal:
    return Decimal("0.45") * _sum_qty(terms.lines) + Decimal("0.2")


def import_waybill_json(terms: ImportTerms) -> dict[str, Any]:
    """CEB511 waybill JSON for ``terms``."""
    name, _id_number, phone = terms.buyer
    return {
        **_declared(terms.order_no, "waybill", terms.placed_at + timedelta(hours=2)),
        **_party("logistics", CARRIER),
        "logisticsNo": terms.logistics_no,
        "orderNo": terms.order_no,
        "freight": _money(terms.freight),
        "insuredFee": _money(terms.insured_fee),
        "currency": "142",
        "weight": _money(_gross_weight(terms)),
        "packNo": 1,
        "goodsInfo": "、".join(line.name for line in terms.lines),
        "consignee": name,
        "consigneeAddress": CONSIGNEE_ADDRESS,
        "consigneeTelephone": phone,
    }


def import_inventory_json(terms: ImportTerms) -> dict[str, Any]:
    """CEB621 inventory JSON for ``terms`` (with the fields its tradeMode requires)."""
    name, id_number, phone = terms.buyer
    bonded = terms.mode is TradeMode.BONDED
    inventory: dict[str, Any] = {
        **_declared(terms.order_no, "inventory", terms.placed_at + timedelta(hours=3)),
        "orderNo": terms.order_no,
        **_party("ebp", PLATFORM),
        **_party("ebc", SELLER),
        "logisticsNo": terms.logistics_no,
        **_party("logistics", CARRIER),
        "copNo": terms.order_no[-20:],
        "assureCode": SELLER[0],
        "ieFlag": "I",
        "declTime": (terms.placed_at + timedelta(hours=3)).strftime("%Y%m%d"),
        "customsCode": "2991",
        "portCode": "2991",
        "buyerIdType": "1",
        "buyerIdNumber": id_number,
        "buyerName": name,
        "buyerTelephone": phone,
        "consigneeAddress": CONSIGNEE_ADDRESS,
        **_party("agent", SELLER),
        "tradeMode": terms.mode.value,
        "trafMode": "5",
        "country": "142" if bonded else "116",
        "freight": _money(terms.freight),
        "insuredFee": _money(terms.insured_fee),
        "currency": "142",
        "packNo": 1,
        "grossWeight": _money(_gross_weight(terms)),
        "netWeight": _money(_gross_weight(terms) - Decimal("0.2")),
        "InventoryList": _inventory_lines(terms.lines, "142", bonded),
    }
    if bonded:
        inventory |= {
            "emsNo": "T2991W000001",
            "areaCode": "3301960W06",
            "areaName": "杭州综保区仓储有限公司",
        }
    else:
        inventory |= {"trafNo": "CA1234", "voyageNo": "20250301", "billNo": "999-12345678"}
    return inventory


def import_trade(terms: ImportTerms | None = None, *, inventory: bool = True) -> TradeDocuments:
    """A consistent import trade (9610 unless ``terms.mode`` says 1210): it matches."""
    terms = terms or ImportTerms()
    return TradeDocuments(
        order=ImportOrder.model_validate(import_order_json(terms)),
        payment=ImportPayment.model_validate(import_payment_json(terms)),
        waybill=ImportWaybill.model_validate(import_waybill_json(terms)),
        inventory=ImportInventory.model_validate(import_inventory_json(terms))
        if inventory
        else None,
    )


def short_payment_trade(terms: ImportTerms | None = None) -> TradeDocuments:
    """An import trade whose payment is one fen short and whose payer is not the buyer.

    Its verdict is ``mismatch`` with exactly two failed rules:
    ``amount.payment_equals_paid`` and ``identity.payer_is_buyer``.
    """
    terms = terms or ImportTerms(order_no="SD20250301000003")
    payment = import_payment_json(terms)
    payment["amountPaid"] = _money(terms.actural_paid - _FEN)
    payment["payerName"] = "李华"
    payment["payerIdNumber"] = "320102198807154321"
    clean = import_trade(terms)
    return TradeDocuments(
        order=clean.order,
        payment=ImportPayment.model_validate(payment),
        waybill=clean.waybill,
        inventory=clean.inventory,
    )


_ORDER_TYPE_BY_MODE = {
    TradeMode.RETAIL: "E",
    TradeMode.BONDED: "E",
    TradeMode.B2B_DIRECT: "B",
    TradeMode.B2B_OVERSEAS_WAREHOUSE: "W",
}


@dataclass(frozen=True, slots=True)
class ExportTerms(_Priced):
    """The free parameters of a sample export trade."""

    order_no: str = "GZ20250301000002"
    lines: tuple[Line, ...] = EXPORT_LINES
    freight: Decimal = Decimal("160")
    insured_fee: Decimal = Decimal("12")
    currency: str = "142"
    mode: TradeMode = TradeMode.RETAIL
    placed_at: datetime = BASE_TIME
    logistics_no: str = "EMS9876543210CN"

    @property
    def gross_weight(self) -> Decimal:
        """5.3 kg per box of navel oranges."""
        return Decimal("5.3") * _sum_qty(self.lines)


def export_order_json(terms: ExportTerms) -> dict[str, Any]:
    """CEB303 order JSON for ``terms`` (orderType from the mode)."""
    return {
        **_declared(terms.order_no, "order", terms.placed_at),
        "orderType": _ORDER_TYPE_BY_MODE[terms.mode],
        "orderNo": terms.order_no,
        **_party("ebp", PLATFORM),
        **_party("ebc", EXPORTER),
        "goodsValue": _money(terms.goods_value),
        "freight": _money(terms.freight),
        "currency": terms.currency,
        "OrderList": _order_lines(terms.lines, terms.currency, import_=False),
    }


def export_receipt_json(terms: ExportTerms) -> dict[str, Any]:
    """CEB403 receipt JSON: charge = goodsValue + freight, received two days later."""
    return {
        **_declared(terms.order_no, "payment", terms.placed_at + timedelta(days=2, hours=1)),
        **_party("ebp", PLATFORM),
        **_party("ebc", EXPORTER),
        "orderNo": terms.order_no,
        **_party("pay", PAYER_COMPANY),
        "payNo": f"RC{terms.order_no}",
        "charge": _money(terms.goods_value + terms.freight),
        "currency": terms.currency,
        "accountingDate": _t(terms.placed_at + timedelta(days=2)),
    }


def export_waybill_json(terms: ExportTerms) -> dict[str, Any]:
    """CEB505 waybill JSON (no orderNo: the inventory joins it to the order)."""
    return {
        **_declared(terms.order_no, "waybill", terms.placed_at + timedelta(hours=4)),
        **_party("logistics", CARRIER),
        "logisticsNo": terms.logistics_no,
        "freight": _money(terms.freight),
        "insuredFee": _money(terms.insured_fee),
        "currency": terms.currency,
        "grossWeight": _money(terms.gross_weight),
        "packNo": 1,
        "goodsInfo": "、".join(line.name for line in terms.lines),
        **_party("ebc", EXPORTER),
    }


def export_inventory_json(terms: ExportTerms) -> dict[str, Any]:
    """CEB603 inventory JSON for ``terms``."""
    bonded = terms.mode is TradeMode.BONDED
    inventory: dict[str, Any] = {
        **_declared(terms.order_no, "inventory", terms.placed_at + timedelta(hours=5)),
        "customsCode": "4001",
        **_party("ebp", PLATFORM),
        "orderNo": terms.order_no,
        **_party("logistics", CARRIER),
        "logisticsNo": terms.logistics_no,
        "copNo": terms.order_no,
        "ieFlag": "E",
        "portCode": "4001",
        "ieDate": (terms.placed_at + timedelta(days=1)).strftime("%Y%m%d"),
        "statisticsFlag": "B",
        **_party("agent", EXPORTER),
        **_party("ebc", EXPORTER),
        **_party("owner", EXPORTER),
        "tradeMode": terms.mode.value,
        "trafMode": "4",
        "country": "122",
        "POD": "MYPK",
        "freight": _money(terms.freight),
        "fCurrency": terms.currency,
        "fFlag": "3",
        "insuredFee": _money(terms.insured_fee),
        "iCurrency": terms.currency,
        "iFlag": "3",
        "wrapType": "2",
        "packNo": 1,
        "grossWeight": _money(terms.gross_weight),
        "netWeight": _money(Decimal(5) * _sum_qty(terms.lines)),
        "InventoryList": _inventory_lines(terms.lines, terms.currency, bonded),
    }
    if bonded:
        inventory |= {"iacCode": "3607960W07", "iacName": "赣州综保区仓储有限公司"}
    return inventory


def export_trade(terms: ExportTerms | None = None) -> TradeDocuments:
    """A consistent export trade; B2B modes (9710, 9810) carry no receipt."""
    terms = terms or ExportTerms()
    needs_receipt = terms.mode in (TradeMode.RETAIL, TradeMode.BONDED)
    return TradeDocuments(
        order=ExportOrder.model_validate(export_order_json(terms)),
        payment=ExportReceipt.model_validate(export_receipt_json(terms)) if needs_receipt else None,
        waybill=ExportWaybill.model_validate(export_waybill_json(terms)),
        inventory=ExportInventory.model_validate(export_inventory_json(terms)),
    )


def b2b_export_trade(order_no: str = "GZ20250301000004") -> TradeDocuments:
    """A consistent 9710 B2B direct export in US dollars (no payment record)."""
    lines = (
        Line(
            "赣南脐橙",
            "纽荷尔品种 5千克/箱 鲜果",
            "0805100000",
            Decimal(400),
            Decimal("9.6"),
            "035",
            "122",
        ),
    )
    terms = ExportTerms(
        order_no=order_no,
        lines=lines,
        freight=Decimal("850"),
        insured_fee=Decimal("40"),
        currency="502",
        mode=TradeMode.B2B_DIRECT,
    )
    return export_trade(terms)

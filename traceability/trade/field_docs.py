"""What the CEB fields mean, for the JSON Schema of each document model.

The models' field names are the CEB element names, which say little to a newcomer
(``ebpCode``, ``acturalPaid``). :func:`document_schema_extra` adds a description to
each property this table or :mod:`~traceability.trade.code_lists` explains, and titles
each document ``ImportOrder (CEB311)``: the OpenAPI document's request schemas come
from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from traceability.trade.code_lists import describe_field

__all__ = ["FIELD_NOTES", "document_schema_extra"]

FIELD_NOTES: Final[Mapping[str, str]] = {
    "guid": "Unique id of this declaration, 36 characters (upper-case UUID).",
    "appType": "1 新增 new, 2 变更 change, 3 删除 delete.",
    "appTime": "When the declaration was made (C14, China time).",
    "appStatus": "1 暂存 saved, 2 申报 declared.",
    "orderType": "I import; export: E B2C order, B B2B order, W overseas-warehouse booking.",
    "orderNo": "The platform's order number; with ebpCode it identifies the trade.",
    "ebpCode": "Customs registration code of the e-commerce platform (电商平台代码).",
    "ebpName": "Registered name of the e-commerce platform.",
    "ebcCode": "Customs registration code of the e-commerce enterprise (电商企业代码).",
    "ebcName": "Registered name of the e-commerce enterprise.",
    "payCode": "Customs registration code of the payment company (支付企业代码).",
    "payName": "Registered name of the payment company.",
    "payTransactionId": "The payment company's transaction number (支付交易编号).",
    "logisticsCode": "Customs registration code of the logistics company (物流企业代码).",
    "logisticsName": "Registered name of the logistics company.",
    "logisticsNo": "The waybill number (物流运单编号).",
    "goodsValue": "Value of the goods (商品价格), the sum of the lines' totalPrice.",
    "freight": "Freight (运杂费).",
    "insuredFee": "Insurance fee (保价费).",
    "discount": "Discount (非现金抵扣金额).",
    "taxTotal": "Tax withheld (代扣税款).",
    "acturalPaid": "Amount paid (实际支付金额): goodsValue + freight + taxTotal − discount.",
    "amountPaid": "Amount paid (支付金额); equals the order's acturalPaid.",
    "charge": "Amount received for an export order (收款金额).",
    "buyerIdNumber": "The buyer's identity document number (订购人证件号码).",
    "buyerName": "The buyer's name (订购人姓名).",
    "payerIdNumber": "The payer's identity document number; the buyer's for retail import.",
    "payerName": "The payer's name; the buyer's for retail import.",
    "tradeMode": "Customs trade mode: 9610 direct purchase, 1210 bonded (保税), 9710, 9810.",
    "ieFlag": "I import, E export.",
    "gnum": "Line number, 1, 2, 3, … (consecutive from 1).",
    "qty": "Quantity in the declared unit.",
    "price": "Unit price.",
    "totalPrice": "Line total: qty × price.",
    "weight": "Gross weight in kilograms.",
    "grossWeight": "Gross weight in kilograms.",
    "netWeight": "Net weight in kilograms.",
    "OrderList": "The goods lines of the order.",
    "InventoryList": "The goods lines of the inventory.",
}
"""A description of each CEB element the schemas explain, by name."""


def document_schema_extra(schema: dict[str, Any], model: type[Any]) -> None:
    """Describe the properties of ``model``'s JSON Schema, and title a document model with
    its CEB message type (pydantic's ``json_schema_extra`` hook)."""
    for name, prop in schema.get("properties", {}).items():
        note = describe_field(name) or FIELD_NOTES.get(name)
        if note is not None:
            prop["description"] = note
        prop.pop("title", None)  # "Ebpcode": pydantic's title of a name says nothing
    message_type = getattr(model, "message_type", None)
    if isinstance(message_type, str):
        schema["title"] = f"{model.__name__} ({message_type})"

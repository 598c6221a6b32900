"""Import message tables (2022-05 XSD, see the CEB note §3): CEB311, 411, 511, 621, 625."""

from __future__ import annotations

from traceability.ceb import _rules
from traceability.ceb._common_specs import declared_head_start, import_tail
from traceability.ceb.spec import MessageSpec, c, d8, dec, dt14, group, num, one_of, v

CNY = "142"  # import currency is fixed to RMB in every head and line

ORDER_HEAD = group(
    "OrderHead",
    *declared_head_start(status_length=3),
    c("orderType", 1, fixed="I"),
    v("orderNo", 60),
    v("ebpCode", 18),
    v("ebpName", 100),
    v("ebcCode", 18),
    v("ebcName", 100),
    dec("goodsValue"),
    dec("freight"),
    dec("discount"),
    dec("taxTotal"),
    dec("acturalPaid"),
    c("currency", 3, fixed=CNY),
    v("buyerRegNo", 60),
    v("buyerName", 60),
    v("buyerTelephone", 30),
    c("buyerIdType", 1, fixed="1"),
    v("buyerIdNumber", 60),
    v("payCode", 18, opt=True),
    v("payName", 100, opt=True),
    v("payTransactionId", 60, opt=True),
    v("batchNumbers", 100, opt=True),
    v("consignee", 100),
    v("consigneeTelephone", 50),
    v("consigneeAddress", 200),
    c("consigneeDistrict", 6, opt=True),
    v("note", 1000, opt=True),
)

ORDER_LIST = group(
    "OrderList",
    num("gnum"),
    v("itemNo", 30, opt=True),
    v("itemName", 250),
    v("gmodel", 510),
    v("itemDescribe", 1000, opt=True),
    v("barCode", 50, opt=True),
    c("unit", 3),
    dec("qty"),
    dec("price"),
    dec("totalPrice"),
    c("currency", 3, fixed=CNY),
    c("country", 3),
    v("note", 1000, opt=True),
    occurs=(1, 99),
)

CEB311 = MessageSpec(
    "CEB311",
    "电子订单 import order",
    "import",
    "declaration",
    group("Order", ORDER_HEAD, ORDER_LIST, occurs=(1, 100)),
    import_tail(),
    (_rules.consecutive_gnum("OrderList"),),
)

PAYMENT_HEAD = group(
    "PaymentHead",
    *declared_head_start(status_length=3),
    v("payCode", 18),
    v("payName", 100),
    v("payTransactionId", 60),
    v("orderNo", 60),
    v("ebpCode", 18),
    v("ebpName", 100),
    c("payerIdType", 1, fixed="1"),
    v("payerIdNumber", 60),
    v("payerName", 60),
    v("telephone", 60, opt=True),
    dec("amountPaid"),
    c("currency", 3, fixed=CNY),
    dt14("payTime"),
    v("note", 1000, opt=True),
)

CEB411 = MessageSpec(
    "CEB411",
    "支付凭证 import payment voucher",
    "import",
    "declaration",
    group("Payment", PAYMENT_HEAD, occurs=(1, 100)),
    import_tail(),
)

LOGISTICS_HEAD = group(
    "LogisticsHead",
    *declared_head_start(status_length=3),
    v("logisticsCode", 18),
    v("logisticsName", 100),
    v("logisticsNo", 60),
    v("billNo", 37, opt=True),
    v("orderNo", 60),
    dec("freight", opt=True),
    dec("insuredFee", opt=True),
    c("currency", 3, fixed=CNY),
    dec("weight"),
    num("packNo", 9, fixed="1"),
    v("goodsInfo", 200, opt=True),
    v("consignee", 100),
    v("consigneeAddress", 200),
    v("consigneeTelephone", 50),
    v("note", 1000, opt=True),
)

CEB511 = MessageSpec(
    "CEB511",
    "物流运单 import waybill",
    "import",
    "declaration",
    group("Logistics", LOGISTICS_HEAD, occurs=(1, 100)),
    import_tail(),
)

INVENTORY_HEAD = group(
    "InventoryHead",
    *declared_head_start(status_length=3),
    v("orderNo", 60),
    v("ebpCode", 18),
    v("ebpName", 100),
    v("ebcCode", 18),
    v("ebcName", 100),
    v("logisticsNo", 60),
    v("logisticsCode", 18),
    v("logisticsName", 100),
    v("copNo", 20, opt=True),
    v("preNo", 18, opt=True),
    v("assureCode", 30),
    v("emsNo", 30, opt=True),
    v("invtNo", 18, opt=True),
    c("ieFlag", 1, fixed="I"),
    d8("declTime"),
    c("customsCode", 4),
    c("portCode", 4),
    d8("ieDate", opt=True),
    c("buyerIdType", 1, fixed="1"),
    v("buyerIdNumber", 60),
    v("buyerName", 60),
    v("buyerTelephone", 30),
    v("consigneeAddress", 200),
    v("agentCode", 18),
    v("agentName", 100),
    v("areaCode", 18, opt=True),
    v("areaName", 100, opt=True),
    one_of("tradeMode", "9610", "1210", n=4),
    c("trafMode", 1),
    v("trafNo", 100, opt=True),
    v("voyageNo", 32, opt=True),
    v("billNo", 37, opt=True),
    v("loctNo", 10, opt=True),
    v("licenseNo", 19, opt=True),
    c("country", 3),
    dec("freight"),
    dec("insuredFee"),
    c("currency", 3, fixed=CNY),
    c("wrapType", 1, opt=True),
    num("packNo", 9, fixed="1"),
    dec("grossWeight"),
    dec("netWeight"),
    v("note", 1000, opt=True),
)

INVENTORY_LIST = group(
    "InventoryList",
    num("gnum"),
    v("itemRecordNo", 30, opt=True),
    v("itemNo", 20, opt=True),
    v("itemName", 250, opt=True),
    c("gcode", 10),
    v("gname", 250),
    v("gmodel", 510),
    v("barCode", 50, opt=True),
    c("country", 3),
    v("tradeCountry", 3, opt=True),
    c("currency", 3, fixed=CNY),
    dec("qty"),
    c("unit", 3),
    dec("qty1"),
    c("unit1", 3),
    dec("qty2", opt=True),
    c("unit2", 3, opt=True),
    dec("price"),
    dec("totalPrice"),
    v("note", 1000, opt=True),
    occurs=(1, 99),
)

CEB621 = MessageSpec(
    "CEB621",
    "进口清单 import inventory",
    "import",
    "declaration",
    group("Inventory", INVENTORY_HEAD, INVENTORY_LIST, occurs=(1, 100)),
    import_tail(signature_required=True),
    (
        _rules.consecutive_gnum("InventoryList"),
        _rules.import_inventory_mode,
        _rules.signature_when_declared("InventoryHead"),
    ),
)

# CEB625 is not in the CEB note's tables: its fields follow the 2018 spec as
# quoted in public integration code (secondary source, marked [I] in docs/ceb.md).
INVT_REFUND_HEAD = group(
    "InvtRefundHead",
    *declared_head_start(status_length=3),
    c("customsCode", 4),
    v("orderNo", 60),
    v("ebpCode", 18),
    v("ebpName", 100),
    v("ebcCode", 18),
    v("ebcName", 100),
    v("logisticsNo", 60),
    v("logisticsCode", 18),
    v("logisticsName", 100),
    v("copNo", 20, opt=True),
    c("preNo", 18, opt=True),
    c("invtNo", 18),
    c("buyerIdType", 1, fixed="1"),
    v("buyerIdNumber", 60),
    v("buyerName", 60),
    v("buyerTelephone", 30),
    v("agentCode", 18),
    v("agentName", 100),
    v("reason", 1000),
    v("note", 1000, opt=True),
)

INVT_REFUND_LIST = group(
    "InvtRefundList",
    num("gnum"),
    c("gcode", 10),
    v("gname", 250),
    dec("qty"),
    c("unit", 3),
    v("note", 1000, opt=True),
    occurs=(1, 99),
)

CEB625 = MessageSpec(
    "CEB625",
    "退货申请单 import return application",
    "import",
    "declaration",
    group("InvtRefund", INVT_REFUND_HEAD, INVT_REFUND_LIST, occurs=(1, 100)),
    import_tail(),
)

IMPORT_SPECS = (CEB311, CEB411, CEB511, CEB621, CEB625)

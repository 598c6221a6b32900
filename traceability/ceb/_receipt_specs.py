"""Receipt tables (CEB note §5): the answers to each declaration, and CEB900."""

from __future__ import annotations

from traceability.ceb.spec import (
    Field,
    Kind,
    MessageSpec,
    Node,
    c,
    group,
    num,
    t17,
    v,
)


def _status() -> Field:
    """``returnStatus`` C..10: a status code, negative for processing errors."""
    return Field("returnStatus", Kind.STATUS, 10, 1, True)


def _outcome(info_length: int = 1000) -> tuple[Node, ...]:
    return (_status(), t17("returnTime"), v("returnInfo", info_length))


def _receipt(code: str, title: str, flow: str, name: str, *fields: Node) -> MessageSpec:
    body = group(name, *fields, occurs=(1, 100))
    return MessageSpec(code, title, "import" if flow == "import" else "export", "receipt", body)


CEB312 = _receipt(
    "CEB312", "电子订单回执 order receipt", "import", "OrderReturn",
    c("guid", 36), v("ebpCode", 18), v("ebcCode", 18), v("orderNo", 60), *_outcome(),
)  # fmt: skip

CEB412 = _receipt(
    "CEB412", "支付凭证回执 payment receipt", "import", "PaymentReturn",
    c("guid", 36), v("payCode", 18), v("payTransactionId", 60), *_outcome(),
)  # fmt: skip

CEB512 = _receipt(
    "CEB512", "物流运单回执 waybill receipt", "import", "LogisticsReturn",
    c("guid", 36), v("logisticsCode", 18), v("logisticsNo", 60), *_outcome(),
)  # fmt: skip

CEB622 = _receipt(
    "CEB622", "进口清单回执 inventory receipt", "import", "InventoryReturn",
    c("guid", 36), c("customsCode", 4, opt=True), v("ebpCode", 18, opt=True),
    v("ebcCode", 18, opt=True), v("agentCode", 18, opt=True), v("copNo", 20),
    c("preNo", 18), c("invtNo", 18, opt=True), *_outcome(),
)  # fmt: skip

# CEB626 is not in the note's tables: same shape as CEB622 per public integration code ([I]).
CEB626 = _receipt(
    "CEB626", "退货申请单回执 return receipt", "import", "InvtRefundReturn",
    c("guid", 36), c("customsCode", 4, opt=True), v("ebpCode", 18, opt=True),
    v("ebcCode", 18, opt=True), v("agentCode", 18, opt=True), v("copNo", 20),
    c("preNo", 18), c("invtNo", 18, opt=True), *_outcome(),
)  # fmt: skip

CEB900 = _receipt(
    "CEB900", "报文格式校验回执 message format receipt", "import", "MessageReturn",
    c("guid", 36), _status(), v("returnInfo", 5000), t17("returnTime"),
    v("oriCopMsgId", 255), v("oriMessageType", 15), Field("oriBizMessage"),
)  # fmt: skip

CEB304 = _receipt(
    "CEB304", "订单回执 export order receipt", "export", "OrderReturn",
    c("guid", 36), v("ebpCode", 18), v("ebcCode", 18), v("orderNo", 60), *_outcome(),
)  # fmt: skip

CEB404 = _receipt(
    "CEB404", "收款单回执 export payment-receipt receipt", "export", "ReceiptsReturn",
    c("guid", 36), v("ebcCode", 18), v("orderNo", 60), v("payNo", 60, opt=True), *_outcome(),
)  # fmt: skip

CEB506 = _receipt(
    "CEB506", "物流运单回执 export waybill receipt", "export", "LogisticsReturn",
    c("guid", 36), v("logisticsCode", 18), v("logisticsNo", 32), *_outcome(),
)  # fmt: skip

CEB604 = _receipt(
    "CEB604", "出口清单回执 export inventory receipt", "export", "InventoryReturn",
    c("guid", 36), v("agentCode", 18), v("copNo", 30), c("preNo", 18), v("invtNo", 20),
    v("ebcCode", 18), v("ebpCode", 18), v("orderNo", 60), c("statisticsFlag", 1), *_outcome(),
)  # fmt: skip

CEB608 = _receipt(
    "CEB608", "清单总分单回执 master waybill receipt", "export", "WayBillReturn",
    c("guid", 36), v("agentCode", 18), v("logisticsCode", 18), v("copNo", 30), c("preNo", 18),
    v("billNo", 37), num("msgSeqNo", 9), *_outcome(),
)  # fmt: skip

CEB702 = _receipt(
    "CEB702", "汇总申请单回执 summary receipt", "export", "SummaryReturn",
    c("guid", 36), v("agentCode", 18), v("ebcCode", 18), v("copNo", 30), c("preNo", 18),
    c("sumNo", 18, opt=True), num("msgSeqNo", 9), *_outcome(),
)  # fmt: skip

RECEIPT_SPECS = (
    CEB312, CEB412, CEB512, CEB622, CEB626, CEB900,
    CEB304, CEB404, CEB506, CEB604, CEB608, CEB702,
)  # fmt: skip

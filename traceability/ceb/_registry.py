"""Every supported CEB message type: its title, direction and model; the specs are generated.

The element tree of each message comes from its model (see ``_generate``):
nothing here restates a field.
"""

from __future__ import annotations

from traceability.ceb import models
from traceability.ceb._generate import Flow, MessageKind, build_spec
from traceability.ceb.spec import MessageSpec
from traceability.trade import models as documents
from traceability.trade.fields import CebModel
from traceability.trade.heads import ExportDeclared

Table = tuple[tuple[str, str, type[CebModel]], ...]  # (code, title, model)
Declarations = tuple[tuple[str, type[ExportDeclared]], ...]  # (title, model): code = message_type

_IMPORT_DECLARATIONS: Declarations = (
    ("电子订单 import order", documents.ImportOrder),
    ("支付凭证 import payment voucher", documents.ImportPayment),
    ("物流运单 import waybill", documents.ImportWaybill),
    ("进口清单 import inventory", documents.ImportInventory),
    # CEB625 is not in the CEB note's tables: its fields follow the 2018 spec as
    # quoted in public integration code (secondary source, marked [I] in docs/ceb.md).
    ("退货申请单 import return application", models.ReturnApplication),
    ("撤销申请单 import inventory cancellation", models.ImportInventoryCancel),
)
_EXPORT_DECLARATIONS: Declarations = (
    ("电子订单 export order", documents.ExportOrder),
    ("收款单 export receipt of payment", documents.ExportReceipt),
    ("物流运单 export waybill", documents.ExportWaybill),
    ("申报清单 export inventory", documents.ExportInventory),
    ("清单总分单 export master waybill over inventories", models.MasterWaybill),
    ("汇总申请单 export summary application", models.SummaryApplication),
    ("撤销申请单 export inventory cancellation", models.ExportInventoryCancel),
)
_IMPORT_RECEIPTS: Table = (
    ("CEB312", "电子订单回执 order receipt", models.OrderReturn),
    ("CEB412", "支付凭证回执 payment receipt", models.PaymentReturn),
    ("CEB512", "物流运单回执 waybill receipt", models.LogisticsReturn),
    ("CEB622", "进口清单回执 inventory receipt", models.ImportInventoryReturn),
    # CEB626 is not in the note's tables: same shape as CEB622 per public integration code ([I]).
    ("CEB626", "退货申请单回执 return receipt", models.InvtRefundReturn),
    ("CEB624", "撤销申请单回执 inventory cancellation receipt", models.ImportInventoryCancelReturn),
    ("CEB900", "报文格式校验回执 message format receipt", models.MessageReturn),
)
_EXPORT_RECEIPTS: Table = (
    ("CEB304", "订单回执 export order receipt", models.OrderReturn),
    ("CEB404", "收款单回执 export payment-receipt receipt", models.ReceiptsReturn),
    ("CEB506", "物流运单回执 export waybill receipt", models.ExportLogisticsReturn),
    ("CEB604", "出口清单回执 export inventory receipt", models.ExportInventoryReturn),
    ("CEB606", "撤销申请单回执 export cancellation receipt", models.ExportInventoryCancelReturn),
    ("CEB608", "清单总分单回执 master waybill receipt", models.WayBillReturn),
    ("CEB702", "汇总申请单回执 summary receipt", models.SummaryReturn),
)


def _coded(declarations: Declarations) -> Table:
    """Declarations with their codes: each model names its own ``message_type``."""
    return tuple((model.message_type, title, model) for title, model in declarations)


_TABLES: tuple[tuple[Flow, MessageKind, Table], ...] = (
    ("import", "declaration", _coded(_IMPORT_DECLARATIONS)),
    ("export", "declaration", _coded(_EXPORT_DECLARATIONS)),
    ("import", "receipt", _IMPORT_RECEIPTS),
    ("export", "receipt", _EXPORT_RECEIPTS),
)

SPECS: dict[str, MessageSpec] = {
    code: build_spec(code, title, flow, kind, model)
    for flow, kind, table in _TABLES
    for code, title, model in table
}
"""The spec of each message type, generated from its model."""

MODELS: dict[str, type[CebModel]] = {
    code: model for _, _, table in _TABLES for code, _, model in table
}
"""The model of each message type's business element."""

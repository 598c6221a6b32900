"""Three documents (三单) of cross-border e-commerce: CEB models, modes, matching.

See :mod:`traceability.trade.models` for the documents and the trade key,
:mod:`traceability.trade.modes` for the customs modes,
:mod:`traceability.trade.matching` and :mod:`traceability.trade.rules` for the
matcher, and :mod:`traceability.trade.samples` for consistent sample trades.
"""

from traceability.trade.errors import InconsistentTrade, InvalidTradeKey, UnknownMessageType
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.matching import match_trade, run_rule
from traceability.trade.models import (
    DOCUMENT_MODELS,
    ExportInventory,
    ExportInventoryItem,
    ExportOrder,
    ExportOrderItem,
    ExportReceipt,
    ExportWaybill,
    ImportInventory,
    ImportInventoryItem,
    ImportOrder,
    ImportOrderItem,
    ImportPayment,
    ImportWaybill,
    Inventory,
    Order,
    Payment,
    TradeDocument,
    TradeKey,
    Waybill,
    message_type_of,
    parse_document,
    trade_id,
)
from traceability.trade.modes import (
    MODE_RULES,
    Direction,
    DocumentKind,
    ModeRules,
    TradeMode,
    mode_rules,
)
from traceability.trade.rules import RULES, RULES_BY_ID, Rule
from traceability.trade.verdict import (
    RULES_VERSION,
    Notice,
    RuleFailure,
    Verdict,
    VerdictStatus,
    verdict_hash,
)

__all__ = [
    "DOCUMENT_MODELS",
    "MODE_RULES",
    "RULES",
    "RULES_BY_ID",
    "RULES_VERSION",
    "Direction",
    "DocumentKind",
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
    "InconsistentTrade",
    "InvalidTradeKey",
    "Inventory",
    "MatchContext",
    "ModeRules",
    "Notice",
    "Order",
    "Payment",
    "Rule",
    "RuleFailure",
    "TradeDocument",
    "TradeDocuments",
    "TradeKey",
    "TradeMode",
    "UnknownMessageType",
    "Verdict",
    "VerdictStatus",
    "Waybill",
    "match_trade",
    "message_type_of",
    "mode_rules",
    "parse_document",
    "run_rule",
    "trade_id",
    "verdict_hash",
]

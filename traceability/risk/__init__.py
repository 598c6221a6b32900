"""The risk engine (风险防控): explainable cross-trade rules over plain trade records.

* :func:`risk_trade` builds a :class:`RiskTrade` from a trade's parsed CEB documents;
* :func:`scan_trades` runs every rule of :data:`RISK_RULES` over a batch, and
  :class:`RiskEngine` takes trades one at a time with the same result;
* each :class:`RiskAlert` names its rule, its trades (``"<ebpCode>/<orderNo>"``), the
  evidence that tripped it and the thresholds used (:class:`RiskThresholds`).

Pure: no clock (windows use the orders' appTime), no I/O, Decimal money.
"""

from traceability.risk._rule_type import GroupKey, Scope
from traceability.risk.alerts import Evidence, RiskAlert
from traceability.risk.engine import RISK_RULES, RiskEngine, RiskRule, scan_trades
from traceability.risk.errors import InvalidRiskTrade
from traceability.risk.normalise import (
    normalise_address,
    normalise_id_number,
    normalise_phone,
    normalise_text,
)
from traceability.risk.record import RiskLine, RiskTrade, risk_trade
from traceability.risk.thresholds import RiskThresholds

__all__ = [
    "RISK_RULES",
    "Evidence",
    "GroupKey",
    "InvalidRiskTrade",
    "RiskAlert",
    "RiskEngine",
    "RiskLine",
    "RiskRule",
    "RiskThresholds",
    "RiskTrade",
    "Scope",
    "normalise_address",
    "normalise_id_number",
    "normalise_phone",
    "normalise_text",
    "risk_trade",
    "scan_trades",
]

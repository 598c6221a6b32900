"""The stored form of what the risk rules read of a trade, and of the rules' groups.

A :class:`~traceability.risk.RiskTrade` is kept as JSON in ``risk_trade`` (decimals as
strings, times in ISO 8601), so the groups a new document touches can be judged again
without re-reading any document. A group is named by ``sha-256(rule, JSON key)``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from traceability.risk import RISK_RULES, RiskLine, RiskRule, RiskTrade
from traceability.trade.models import TradeKey
from traceability.trade.modes import Direction, TradeMode

__all__ = [
    "RULES",
    "SCAN_START",
    "Group",
    "group_hash",
    "groups_of",
    "key_from_json",
    "record_hash",
    "record_json",
    "trade_from_json",
    "trade_id_of_ref",
]

#: The rules the service runs, by id.
RULES: dict[str, RiskRule] = {rule.id: rule for rule in RISK_RULES}

#: A rule's group: (rule id, the group key as JSON text).
Group = tuple[str, str]

#: The mark of "the first appTime seen moved earlier": every group of a rule reading it
#: (``uses_scan_start``) is judged again.
SCAN_START: Group = ("*scan_start", "null")

_TEXT_FIELDS = (
    "currency", "buyer_id", "buyer_name", "buyer_phone", "consignee_phone",
    "consignee_address", "payer_id", "pay_code", "ebc_code", "logistics_code",
)  # fmt: skip
_MONEY_FIELDS = ("goods_value", "freight", "insured_fee")


def record_json(trade: RiskTrade) -> str:
    """The canonical JSON text of ``trade`` (sorted keys: equal trades, equal text)."""
    value: dict[str, Any] = {name: getattr(trade, name) for name in _TEXT_FIELDS}
    value |= {name: str(getattr(trade, name)) for name in _MONEY_FIELDS}
    value |= {
        "ebpCode": trade.key.ebpCode,
        "orderNo": trade.key.orderNo,
        "appTime": trade.app_time.isoformat(),
        "direction": trade.direction.value,
        "mode": trade.mode.value if trade.mode else None,
        "lines": [
            [line.item_no, str(line.unit_price), str(line.qty), line.item_name]
            for line in trade.lines
        ],
    }
    # Only when goods came back: the records of trades without returns keep their text.
    if trade.returned_value:
        value["returned_value"] = str(trade.returned_value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def record_hash(text: str) -> str:
    """sha-256 of a record's JSON text, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def trade_from_json(text: str) -> RiskTrade:
    """The :class:`RiskTrade` a :func:`record_json` text holds."""
    value = json.loads(text)
    return RiskTrade(
        key=TradeKey(value["ebpCode"], value["orderNo"]),
        app_time=datetime.fromisoformat(value["appTime"]),
        direction=Direction(value["direction"]),
        currency=value["currency"],
        goods_value=Decimal(value["goods_value"]),
        freight=Decimal(value["freight"]),
        insured_fee=Decimal(value["insured_fee"]),
        lines=tuple(
            RiskLine(item_no, Decimal(price), Decimal(qty), name)
            for item_no, price, qty, name in value["lines"]
        ),
        buyer_id=value["buyer_id"],
        buyer_name=value["buyer_name"],
        buyer_phone=value["buyer_phone"],
        consignee_phone=value["consignee_phone"],
        consignee_address=value["consignee_address"],
        payer_id=value["payer_id"],
        pay_code=value["pay_code"],
        ebc_code=value["ebc_code"],
        logistics_code=value["logistics_code"],
        mode=TradeMode(value["mode"]) if value["mode"] else None,
        returned_value=Decimal(value.get("returned_value", "0")),
    )


def _key_json(key: object) -> str:
    return json.dumps(key, ensure_ascii=False, separators=(",", ":"))


def key_from_json(text: str) -> str | tuple[str | int, ...]:
    """A group key back from its JSON text (lists become the tuples the rules use)."""
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else str(value)


def groups_of(trade: RiskTrade, rules: Iterable[RiskRule] = RISK_RULES) -> set[Group]:
    """Every group of every rule that ``trade`` belongs to."""
    return {(rule.id, _key_json(key)) for rule in rules for key in rule.keys(trade)}


def group_hash(group: Group) -> str:
    """The name of a group in the tables: sha-256 of rule id, NUL, key JSON."""
    rule, key = group
    return hashlib.sha256(f"{rule}\0{key}".encode()).hexdigest()


def trade_id_of_ref(ref: str) -> str:
    """The trade id of an alert's trade ref (``"<ebpCode>/<orderNo>"``)."""
    return hashlib.sha256(ref.encode("utf-8")).hexdigest()

"""The settings of every risk rule, with the defaults of issue 16's table.

Thresholds are settings: the service and the CLI build a :class:`RiskThresholds`
from their configuration and hand it to the engine; the domain reads none itself.
Money is CNY and :class:`~decimal.Decimal`; ratios are decimals (``0.95`` = 95 %).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal

from traceability.risk.errors import InvalidRiskTrade

__all__ = ["RiskThresholds"]


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    """Every threshold of every rule; each field is one setting (README "Risk rules")."""

    single_limit: Decimal = Decimal(5000)
    """The retail-import single-transaction limit, CNY (split orders, threshold hugging)."""
    split_order_window_hours: int = 24
    """risk.split_order: orders of one buyer whose appTimes lie at most this far apart."""
    split_order_min_orders: int = 2
    """risk.split_order: at least this many orders in the window."""
    shared_address_min_buyers: int = 5
    """risk.shared_address: distinct buyer ID numbers at one address."""
    shared_address_window_days: int = 30
    """risk.shared_address: window in which they are counted."""
    shared_phone_min_buyers: int = 3
    """risk.shared_phone: distinct buyer ID numbers giving one telephone number."""
    shared_phone_window_days: int = 90
    """risk.shared_phone: window in which they are counted."""
    annual_limit: Decimal = Decimal(26000)
    """risk.annual_limit: a buyer's calendar-year (China time) customs value must not pass this."""
    hugging_low_ratio: Decimal = Decimal("0.95")
    """risk.threshold_hugging: an order at or above this share of ``single_limit`` hugs it."""
    hugging_min_orders: int = 3
    """risk.threshold_hugging: hugging orders of one buyer needed in the window."""
    hugging_window_days: int = 90
    """risk.threshold_hugging: window in which they are counted."""
    price_low_ratio: Decimal = Decimal("0.3")
    """risk.price_outlier: a unit price under this share of the item's median is an outlier."""
    price_high_ratio: Decimal = Decimal(3)
    """risk.price_outlier: a unit price over this multiple of the item's median is an outlier."""
    price_min_lines: int = 10
    """risk.price_outlier: lines of the item that must have been seen before judging."""
    shared_payer_min_buyers: int = 5
    """risk.shared_payer: distinct buyer ID numbers one payer ID number pays for."""
    shared_payer_window_days: int = 30
    """risk.shared_payer: window in which they are counted."""
    new_company_watch_days: int = 30
    """risk.new_company_spike: the scan must have seen trades this long before a company's
    first trade for the company to count as new (at the start of a scan, every company is)."""
    new_company_first_days: int = 30
    """risk.new_company_spike: how long after its first trade a company counts as new."""
    new_company_window_days: int = 7
    """risk.new_company_spike: length of the window in which its orders are counted."""
    new_company_min_orders: int = 50
    """risk.new_company_spike: orders of the new company within one window that flag it."""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.type in ("Decimal", Decimal):
                object.__setattr__(self, item.name, _positive_decimal(item.name, value))
            elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRiskTrade(f"must be a positive integer, got {value!r}", item.name)
        if self.hugging_low_ratio > 1:
            raise InvalidRiskTrade("must not exceed 1", "hugging_low_ratio")
        if self.price_low_ratio >= 1 or self.price_high_ratio <= 1:
            raise InvalidRiskTrade("low ratio must be < 1 and high ratio > 1", "price_low_ratio")

    @property
    def split_order_window(self) -> timedelta:
        """``split_order_window_hours`` as a duration."""
        return timedelta(hours=self.split_order_window_hours)

    @property
    def hugging_floor(self) -> Decimal:
        """The lowest customs value that hugs the limit (4,750 by default)."""
        return self.single_limit * self.hugging_low_ratio


def _positive_decimal(name: str, value: object) -> Decimal:
    """A decimal setting from a Decimal or an int; a float is refused (no binary money)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InvalidRiskTrade(f"must be a Decimal or an integer, got {value!r}", name)
    number = Decimal(value)
    if not (number.is_finite() and number > 0):
        raise InvalidRiskTrade(f"must be a positive finite number, got {value!r}", name)
    return number

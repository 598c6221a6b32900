"""The rules of typed financing that need no chain: which trade may carry which kind, the
cap at the trade's value less returns, the currency, and amounts in minor units.

The LifecycleRegistry enforces the same rules (it is the judge); these come first so that a
refusal names the rule and the numbers.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from api.db.models import TradeRecord
from api.errors import Conflict, UnprocessableContent
from api.financing_schemas import FinancingKindName
from api.money import to_fen
from api.services.lifecycle_chain import minor_units
from traceability.trade.code_lists import CODE_LISTS

__all__ = [
    "available_value",
    "check_cap",
    "check_trade_kind",
    "currency_code",
    "minor_amount",
]

_ISO_TO_CEB = {iso: ceb for ceb, iso in CODE_LISTS["currency"].codes.items()}


def currency_code(text: str) -> str:
    """The CEB currency code of ``text`` (a CEB code such as 142, or ISO letters such as
    CNY); 422 naming ``currency`` if it is neither."""
    value = text.strip().upper()
    if value in CODE_LISTS["currency"].codes:
        return value
    if value in _ISO_TO_CEB:
        return _ISO_TO_CEB[value]
    raise UnprocessableContent(
        f"currency {text[:8]!r} is not a currency code sandan knows (142 or CNY, 502 or USD...)",
        field="currency",
    )


def check_trade_kind(kind: FinancingKindName, trade: TradeRecord) -> None:
    """409 unless ``trade`` may carry financing of ``kind``: order financing on a matched
    trade not yet released, receivable financing on a released one, a tax-refund pledge on a
    released export trade; never on a cancelled trade."""
    if trade.cancelled_at is not None:
        raise Conflict("a cancelled trade cannot be financed", code="trade_cancelled")
    if trade.status != "match":
        raise Conflict(
            f"only a matched trade can be financed; this one is {trade.status}",
            code="not_matched",
        )
    if kind == "order" and trade.released_at is not None:
        raise Conflict(
            "order financing is before the goods ship; this trade is released: finance it as "
            "a receivable",
            code="already_released",
            field="kind",
        )
    if kind in ("receivable", "taxRefundPledge") and trade.released_at is None:
        raise Conflict(
            f"{kind} financing needs a released trade (the goods shipped); this one is not",
            code="not_released",
            field="kind",
        )
    if kind == "taxRefundPledge" and trade.direction != "export":
        raise Conflict(
            "a tax-refund pledge needs an export trade; this one is an import",
            code="not_export",
            field="kind",
        )


def available_value(trade: TradeRecord) -> tuple[Decimal, Decimal]:
    """(declared value, accepted returns) of ``trade``, in its currency; 409 if it has none."""
    try:
        value = Decimal(trade.customs_value or "")
        returned = Decimal(trade.returned_value or "0")
    except InvalidOperation as exc:
        raise Conflict(
            "the trade has no declared value to finance against", code="no_declared_value"
        ) from exc
    return value, returned


def check_cap(limit: Decimal, value: Decimal, returned: Decimal, what: str) -> None:
    """409 ``over_value`` naming the numbers when ``limit`` exceeds ``value - returned``."""
    available = value - returned
    if limit > available:
        shown = {
            "limit": to_fen(limit),
            "value": to_fen(value),
            "returned": to_fen(returned),
            "available": to_fen(available),
        }
        raise Conflict(
            f"the limit {shown['limit']} is more than the {what}'s value {shown['value']} less "
            f"returns {shown['returned']}: at most {shown['available']}",
            code="over_value",
            field="limit",
            extra=shown,
        )


def minor_amount(amount: Decimal, currency: str, field: str) -> int:
    """``amount`` of ``currency`` in minor units; 422 naming ``field`` if it is finer."""
    try:
        return minor_units(amount, currency)
    except ValueError as exc:
        raise UnprocessableContent(f"{field}: {exc}", field=field) from exc

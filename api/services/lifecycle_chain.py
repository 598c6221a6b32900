"""What every step after release shares on LifecycleRegistry: amounts in minor units, the
trade's value declared once, and the contract's refusals as 409s.

LifecycleRegistry keeps each trade's amounts as integers in the minor unit (fen, cent) of
the trade's currency. The value it checks returns, FX settlements and financing limits
against is the trade's declared customs value, declared on chain once by the anchorer
(:func:`ensure_value_declared`); the database's ``trade.chain_value`` mirrors what the chain
holds, after the chain said it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from api.errors import Conflict
from api.services.chain_actions import position_of
from ledger_client import ContractReverted

if TYPE_CHECKING:
    from sqlmodel import Session

    from api.db.models import TradeRecord
    from api.runtime import Runtime
    from ledger_client import LifecycleRegistryClient

__all__ = [
    "MINOR_DIGITS",
    "ensure_value_declared",
    "ensure_values_declared",
    "from_minor_units",
    "lifecycle_conflict",
    "minor_units",
]

#: Decimal places of a currency's minor unit, by CEB (JGS-20) numeric code and ISO 4217
#: alphabetic code. The yen and the won have no minor unit; the others sandan meets have
#: two. An unlisted currency is refused rather than guessed.
MINOR_DIGITS: dict[str, int] = {
    **dict.fromkeys(("142", "CNY"), 2),
    **dict.fromkeys(("502", "USD"), 2),
    **dict.fromkeys(("300", "EUR"), 2),
    **dict.fromkeys(("303", "GBP"), 2),
    **dict.fromkeys(("110", "HKD"), 2),
    **dict.fromkeys(("121", "MOP"), 2),
    **dict.fromkeys(("132", "SGD"), 2),
    **dict.fromkeys(("501", "CAD"), 2),
    **dict.fromkeys(("601", "AUD"), 2),
    **dict.fromkeys(("609", "NZD"), 2),
    **dict.fromkeys(("331", "CHF"), 2),
    **dict.fromkeys(("330", "SEK"), 2),
    **dict.fromkeys(("326", "NOK"), 2),
    **dict.fromkeys(("302", "DKK"), 2),
    **dict.fromkeys(("344", "RUB"), 2),
    **dict.fromkeys(("136", "THB"), 2),
    **dict.fromkeys(("143", "TWD"), 2),
    **dict.fromkeys(("116", "JPY"), 0),
    **dict.fromkeys(("133", "KRW"), 0),
}
#: LifecycleRegistry stores amounts as uint64.
_UINT64_MAX = 2**64 - 1


def _digits(currency: str) -> int:
    digits = MINOR_DIGITS.get(currency.strip().upper())
    if digits is None:
        raise ValueError(f"currency {currency!r} is not one sandan knows the minor unit of")
    return digits


def minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` of ``currency`` in its minor units (fen, cents): ``Decimal("12.34")`` of
    142 (CNY) is 1234. Refused (ValueError naming the amount) when it is not a finite,
    non-negative number, has more decimals than the currency has, or does not fit in 64 bits.
    """
    digits = _digits(currency)
    try:
        finite = amount.is_finite()
    except AttributeError:
        raise ValueError(f"amount {amount!r} is not a decimal number") from None
    if not finite or amount < 0:
        raise ValueError(f"amount {amount} is not a non-negative number")
    try:
        scaled = amount.scaleb(digits)
        units = int(scaled)
    except (InvalidOperation, OverflowError) as exc:
        raise ValueError(f"amount {amount} is out of range") from exc
    if scaled != units:
        raise ValueError(
            f"amount {amount} has more than {digits} decimal places for currency {currency}"
        )
    if units > _UINT64_MAX:
        raise ValueError(f"amount {amount} is too large for the chain")
    return units


def from_minor_units(units: int, currency: str) -> Decimal:
    """The decimal amount of ``units`` minor units of ``currency`` (1234 of 142 is 12.34)."""
    digits = _digits(currency)
    return Decimal(units).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def ensure_value_declared(*, session: Session, runtime: Runtime, trade: TradeRecord) -> int:
    """The trade's value on LifecycleRegistry in minor units, declared by the anchorer from
    the trade's customs value and currency if the chain holds none yet; ``trade.chain_value``
    is saved with what the chain holds. Once declared, a value never changes: a chain that
    already holds one (declared by an earlier request whose reply was lost) is mirrored."""
    return ensure_values_declared(session=session, runtime=runtime, trades=[trade])[trade.trade_id]


def ensure_values_declared(
    *, session: Session, runtime: Runtime, trades: Sequence[TradeRecord]
) -> dict[str, int]:
    """:func:`ensure_value_declared` for many trades (a netting's), by trade id: one
    ``declareValues`` call per verdict batch for the trades the chain holds no value of."""
    held: dict[str, int] = {t.trade_id: t.chain_value for t in trades if t.chain_value is not None}
    pending = [t for t in trades if t.chain_value is None]
    if not pending:
        return held
    lifecycle = runtime.ledger().lifecycle()
    by_batch: dict[int, dict[int, TradeRecord]] = {}
    for trade in pending:
        batch, position = position_of(trade)
        by_batch.setdefault(batch, {})[position] = trade
    for batch, positions in sorted(by_batch.items()):
        undeclared = {
            position: _declared_value(trade)
            for position, trade in positions.items()
            if lifecycle.trade_life(batch, position).value == 0
        }
        if undeclared:
            try:
                lifecycle.declare_values(batch, undeclared)
            except ContractReverted as exc:
                if exc.error_name != "LifecycleRegistryValueAlreadyDeclared":
                    raise lifecycle_conflict(exc) from exc
                # Another request declared one between our read and our write: declare the
                # others one by one, and let the chain's values stand.
                _declare_each(lifecycle, batch, undeclared)
        for position, trade in positions.items():
            trade.chain_value = lifecycle.trade_life(batch, position).value
            held[trade.trade_id] = trade.chain_value
            session.add(trade)
    session.commit()
    return held


def _declare_each(lifecycle: LifecycleRegistryClient, batch: int, values: dict[int, int]) -> None:
    for position, value in values.items():
        try:
            lifecycle.declare_values(batch, {position: value})
        except ContractReverted as exc:
            if exc.error_name != "LifecycleRegistryValueAlreadyDeclared":
                raise lifecycle_conflict(exc) from exc


def _declared_value(trade: TradeRecord) -> int:
    """The trade's customs value in minor units; a 409 naming the trade (``tradeId``) if it
    has none the chain can hold."""

    def refused(message: str) -> Conflict:
        return Conflict(message, code="value_not_declared", extra={"tradeId": trade.trade_id})

    if not trade.customs_value or not trade.currency:
        raise refused("the trade has no declared customs value and currency to put on chain")
    try:
        amount = Decimal(trade.customs_value)
    except InvalidOperation:
        raise refused(
            f"the trade's customs value {trade.customs_value!r} is not a number"
        ) from None
    try:
        units = minor_units(amount, trade.currency)
    except ValueError as exc:
        raise refused(str(exc)) from None
    if units == 0:
        raise refused("the trade's customs value is zero")
    return units


def _trade(args: tuple[Any, ...]) -> str:
    return f"trade ({args[0]}, {args[1]})"


#: Each LifecycleRegistry error: its code and how to say it from the error's arguments.
_REFUSALS: dict[str, tuple[str, Callable[[tuple[Any, ...]], str]]] = {
    "LifecycleRegistryUnauthorized": (
        "not_authorized_on_chain",
        lambda a: f"account {a[0]} lacks the role this step needs on chain",
    ),
    "LifecycleRegistryTradeCount": (
        "trade_count",
        lambda a: f"{a[0]} trades in one call: one to the contract's maximum",
    ),
    "LifecycleRegistryLengthMismatch": (
        "length_mismatch",
        lambda a: f"{a[0]} trades but {a[1]} amounts or hashes",
    ),
    "LifecycleRegistryTradeState": (
        "trade_state",
        lambda a: (
            f"{_trade(a)} is in state {_state_name(a[2])} on chain, which does not allow this"
        ),
    ),
    "LifecycleRegistryZeroAmount": (
        "zero_amount",
        lambda a: f"the amount for {_trade(a)} is zero",
    ),
    "LifecycleRegistryValueAlreadyDeclared": (
        "value_already_declared",
        lambda a: f"{_trade(a)} already has value {a[2]} (minor units) declared on chain",
    ),
    "LifecycleRegistryValueNotDeclared": (
        "value_not_declared",
        lambda a: f"{_trade(a)} has no value declared on chain",
    ),
    "LifecycleRegistryTradeCancelled": (
        "trade_cancelled",
        lambda a: f"{_trade(a)} was cancelled by customs",
    ),
    "LifecycleRegistryZeroHash": (
        "zero_hash",
        lambda a: "a hash committed on chain is zero",
    ),
    "LifecycleRegistryReturnExceedsValue": (
        "return_exceeds_value",
        lambda a: f"a return of {a[2]} on {_trade(a)} exceeds the {a[3]} left to return",
    ),
    "LifecycleRegistryTradeReturned": (
        "trade_returned",
        lambda a: f"{_trade(a)} has returns recorded ({a[2]}): it cannot be cancelled",
    ),
    "LifecycleRegistryTradeFxSettled": (
        "trade_fx_settled",
        lambda a: f"{_trade(a)} has foreign exchange settled ({a[2]}): it cannot be cancelled",
    ),
    "LifecycleRegistryTradeFinanced": (
        "trade_financed",
        lambda a: f"{_trade(a)} is under live financing {a[2]}",
    ),
    "LifecycleRegistryLegacyFinancing": (
        "trade_financed",
        lambda a: f"{_trade(a)} carries undischarged TradeRegistry financing {a[2]}",
    ),
    "LifecycleRegistrySettlementHashUsed": (
        "settlement_already_recorded",
        lambda a: f"this settlement was recorded before, as FX settlement {a[1]}",
    ),
    "LifecycleRegistryFxExceedsValue": (
        "fx_exceeds_value",
        lambda a: f"settling {a[2]} on {_trade(a)} exceeds the {a[3]} left to settle",
    ),
    "LifecycleRegistryTotalOverflow": (
        "amount_too_large",
        lambda a: "the settlement's total is too large for the chain",
    ),
    "LifecycleRegistryFinancingKind": (
        "financing_kind",
        lambda a: f"financing kind {a[0]} cannot be opened this way",
    ),
    "LifecycleRegistryFinancingLimit": (
        "financing_limit",
        lambda a: f"the financing limit {a[0]} must be above zero and at most {a[1]}",
    ),
    "LifecycleRegistryUnknownFinancing": (
        "unknown_financing",
        lambda a: f"there is no financing {a[0]} on chain",
    ),
    "LifecycleRegistryNotFinancier": (
        "not_financier",
        lambda a: f"financing {a[0]} belongs to another bank",
    ),
    "LifecycleRegistryFinancingClosed": (
        "financing_closed",
        lambda a: f"financing {a[0]} is closed",
    ),
    "LifecycleRegistryZeroFinancingAmount": (
        "zero_amount",
        lambda a: f"the amount for financing {a[0]} is zero",
    ),
    "LifecycleRegistryDrawdownExceedsLimit": (
        "drawdown_exceeds_limit",
        lambda a: f"drawing {a[1]} on financing {a[0]} exceeds the {a[2]} left under its limit",
    ),
    "LifecycleRegistryRepayExceedsOutstanding": (
        "repayment_exceeds_outstanding",
        lambda a: f"repaying {a[1]} on financing {a[0]} exceeds the {a[2]} outstanding",
    ),
    "LifecycleRegistryFinancingOutstanding": (
        "financing_outstanding",
        lambda a: f"financing {a[0]} still has {a[1]} outstanding",
    ),
    "LifecycleRegistryInvalidReceiptId": (
        "invalid_receipt_id",
        lambda a: "the warehouse receipt id is not a valid receipt id",
    ),
    "LifecycleRegistryInvalidReceipt": (
        "invalid_receipt",
        lambda a: "the warehouse receipt has no warehouse or no value",
    ),
    "LifecycleRegistryReceiptState": (
        "receipt_state",
        lambda a: f"the warehouse receipt is {_receipt_state_name(a[1])} on chain",
    ),
}


def _state_name(value: int) -> str:
    from ledger_client import TradeState

    return TradeState(value).name.lower()


def _receipt_state_name(value: int) -> str:
    from ledger_client import ReceiptState

    state = ReceiptState(value)
    return "unknown" if state is ReceiptState.NONE else state.name.lower()


def lifecycle_conflict(exc: ContractReverted) -> Conflict:
    """LifecycleRegistry's refusal as a 409 with a snake_case ``code`` and a message naming
    the trade, financing or amount concerned; any other revert as ``chain_refused``."""
    known = _REFUSALS.get(exc.error_name)
    if known is None:
        return Conflict(f"the chain refused: {exc}", code="chain_refused")
    code, say = known
    return Conflict(say(tuple(exc.args)), code=code)

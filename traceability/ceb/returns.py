"""Matching a return application to the released trade it returns goods of.

An import return (CEB625 退货申请单) names the original trade by its order (``ebpCode`` +
``orderNo``), its inventory (``invtNo``) and the e-commerce company (``ebcCode``); a retail
export return (CEB213, 2022-05) names the export inventory (``invtNo``, 原出口清单号) and
the company. It is accepted when:

* the trade exists and customs released it (``return.trade``, ``return.released``),
  and it was not cancelled;
* the return names the same inventory, company (and, for an import, buyer) as the
  inventory customs released (``return.inventory``, ``return.company``, ``return.buyer``);
* every line is a line of that inventory (same ``gnum``, ``gcode`` and ``unit``:
  ``return.item``) and its quantity, added to what earlier accepted returns of the trade
  took back, is no more than was declared (``return.quantity``);
* it is applied for within the return period of the release (``return.period``: a
  retail import within 30 days, by default; the period is the caller's setting).

Failures are shaped like the three-document verdict's: the rule, the field path
(``InvtRefundList[gnum=2].qty``), what was expected and what was found. Nothing here
reads the clock or a database: the caller passes ``now`` and what it stored.

The amount returned is each line's quantity at the inventory line's unit price, to the
fen. A return that takes back the last of every line returns the whole trade: its
amount is what remains of the declared value (goods, freight and insurance), so a
whole return leaves nothing of the trade counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from traceability.ceb.models import ExportReturnApplication, ReturnApplication
from traceability.trade.fields import canonical_decimal
from traceability.trade.models import ExportInventory, ImportInventory, TradeKey
from traceability.trade.report import TextRecord

__all__ = [
    "RETURN_RULES",
    "AnyReturn",
    "OriginalTrade",
    "ReturnFailure",
    "ReturnLine",
    "ReturnStatus",
    "ReturnVerdict",
    "match_return",
    "return_key",
]

AnyReturn = ReturnApplication | ExportReturnApplication
"""An import (CEB625) or export (CEB213) return application."""

_FEN = Decimal("0.01")
_ZERO = Decimal(0)

#: Every rule a return is judged by, with what it checks.
RETURN_RULES: Mapping[str, str] = MappingProxyType(
    {
        "return.trade": "the trade the return names exists (import: ebpCode and orderNo; "
        "export: the export inventory's invtNo)",
        "return.released": "customs released the trade and it was not cancelled",
        "return.period": "the return is applied for within the return period of the release",
        "return.inventory": "the return names the released inventory (invtNo, else copNo)",
        "return.company": "the return names the trade's e-commerce company (ebcCode)",
        "return.buyer": "an import return names the inventory's buyer (buyerIdNumber)",
        "return.item": "each returned line is a line of the inventory (gnum, gcode, unit)",
        "return.quantity": "each line's quantity, with earlier returns, is at most the declared",
    }
)


class ReturnStatus(StrEnum):
    """What became of a return application."""

    ACCEPTED = "accepted"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class ReturnFailure(TextRecord):
    """One failed rule: the field, what was expected and what was found."""

    rule: str
    field: str
    expected: str
    actual: str
    message: str


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One accepted line: how much comes back and what it is worth."""

    gnum: int
    qty: Decimal
    amount: Decimal
    declared: Decimal
    returned_before: Decimal

    def to_json_dict(self) -> dict[str, Any]:
        """Decimals as strings."""
        return {
            "gnum": self.gnum,
            "qty": canonical_decimal(self.qty),
            "amount": _money(self.amount),
            "declared": canonical_decimal(self.declared),
            "returnedBefore": canonical_decimal(self.returned_before),
        }


@dataclass(frozen=True, slots=True)
class OriginalTrade:
    """What the matcher is told of the trade a return names.

    ``invt_no`` is the inventory number customs assigned (from its receipt), else the
    inventory's own; ``returned`` the quantity per ``gnum`` that earlier accepted
    returns of this trade took back and ``returned_value`` their amount; ``value`` the
    declared value (customs value, trade currency).
    """

    key: TradeKey
    inventory: ImportInventory | ExportInventory | None
    value: Decimal
    released_at: datetime | None
    invt_no: str | None = None
    cancelled: bool = False
    returned: Mapping[int, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    returned_value: Decimal = _ZERO


@dataclass(frozen=True, slots=True)
class ReturnVerdict:
    """The result of :func:`match_return`."""

    status: ReturnStatus
    failures: tuple[ReturnFailure, ...]
    lines: tuple[ReturnLine, ...] = ()
    #: The value this return takes back (trade currency; 0 when refused).
    amount: Decimal = _ZERO
    #: All accepted returns of the trade, this one included.
    returned_total: Decimal = _ZERO
    #: Every line of the trade is now wholly returned.
    whole: bool = False

    @property
    def accepted(self) -> bool:
        """The return was accepted."""
        return self.status is ReturnStatus.ACCEPTED

    @property
    def failed_rules(self) -> tuple[str, ...]:
        """Distinct ids of the failed rules, in report order."""
        return tuple(dict.fromkeys(f.rule for f in self.failures))

    def note(self) -> str:
        """The receipt's returnInfo: accepted, or each failure's message (at most 1,000)."""
        if self.accepted:
            state = "whole" if self.whole else "partial"
            return f"退货申请已接受 return accepted ({state}, {_money(self.amount)})"
        text = "; ".join(f"[{f.rule}] {f.field}: {f.message}" for f in self.failures)
        return text[:1000]

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-safe form, decimals as strings."""
        return {
            "status": self.status.value,
            "failures": [f.to_json_dict() for f in self.failures],
            "lines": [line.to_json_dict() for line in self.lines],
            "amount": _money(self.amount),
            "returnedTotal": _money(self.returned_total),
            "whole": self.whole,
        }


def _money(value: Decimal) -> str:
    return format(value.quantize(_FEN, rounding=ROUND_HALF_UP), "f")


def return_key(application: ReturnApplication) -> TradeKey:
    """The trade key an import return names (an export return names its inventory only)."""
    return TradeKey(application.ebpCode, application.orderNo)


class _Judge:
    def __init__(self) -> None:
        self.failures: list[ReturnFailure] = []

    def fail(self, rule: str, where: str, expected: str, actual: str, message: str) -> None:
        self.failures.append(ReturnFailure(rule, where, expected, actual, message))


def match_return(
    application: AnyReturn,
    original: OriginalTrade | None,
    *,
    now: datetime,
    period: timedelta,
) -> ReturnVerdict:
    """Judge ``application`` against ``original`` (None: no such trade) at ``now``."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    judge = _Judge()
    if original is None:
        if isinstance(application, ReturnApplication):
            key = return_key(application)
            where, wanted = "orderNo", f"a trade of {key.ebpCode}/{key.orderNo}"
            message = f"no import trade of platform {key.ebpCode} has order {key.orderNo}"
        else:
            where, wanted = "invtNo", f"an export trade released on inventory {application.invtNo}"
            message = f"no export trade was released on inventory {application.invtNo}"
        judge.fail("return.trade", where, wanted, "none", message)
        return ReturnVerdict(ReturnStatus.REFUSED, tuple(judge.failures))
    _check_release(judge, original, now, period)
    inventory = original.inventory
    if inventory is None:
        judge.fail(
            "return.inventory",
            "invtNo",
            "the trade's inventory",
            "none",
            "the trade has no inventory to return goods of",
        )
        return ReturnVerdict(ReturnStatus.REFUSED, tuple(judge.failures))
    _check_heads(judge, application, original, inventory)
    lines = _check_lines(judge, application, original, inventory)
    if judge.failures:
        return ReturnVerdict(ReturnStatus.REFUSED, tuple(judge.failures))
    return _accepted(lines, original, inventory)


def _check_release(
    judge: _Judge, original: OriginalTrade, now: datetime, period: timedelta
) -> None:
    if original.released_at is None:
        judge.fail(
            "return.released",
            "orderNo",
            "a trade customs released",
            "not released",
            "goods can be returned only from a trade customs released",
        )
        return
    if original.cancelled:
        judge.fail(
            "return.released",
            "orderNo",
            "a trade customs released",
            "cancelled",
            "the trade's inventory was cancelled: there is nothing to return",
        )
    deadline = original.released_at + period
    if now > deadline:
        days = period.days
        judge.fail(
            "return.period",
            "appTime",
            f"by {deadline.isoformat()} ({days} days after release)",
            now.isoformat(),
            f"the return period ended {days} days after the release "
            f"({original.released_at.isoformat()})",
        )


def _check_heads(
    judge: _Judge,
    application: AnyReturn,
    original: OriginalTrade,
    inventory: ImportInventory | ExportInventory,
) -> None:
    known = original.invt_no or inventory.invtNo
    if known is not None:
        if application.invtNo != known:
            judge.fail(
                "return.inventory",
                "invtNo",
                known,
                application.invtNo,
                f"the trade was released on inventory {known}, not {application.invtNo}",
            )
    else:
        # No inventory number assigned yet (no customs receipt): the enterprise's own
        # inventory number is then what both documents share.
        cop_no = application.copNo if isinstance(application, ReturnApplication) else None
        if cop_no is None or cop_no != inventory.copNo:
            judge.fail(
                "return.inventory",
                "copNo",
                str(inventory.copNo),
                str(cop_no),
                "no inventory number is known for the trade yet; the return must name "
                "the inventory's copNo",
            )
    if application.ebcCode != inventory.ebcCode:
        judge.fail(
            "return.company",
            "ebcCode",
            inventory.ebcCode,
            application.ebcCode,
            f"the trade's e-commerce company is {inventory.ebcCode}, not {application.ebcCode}",
        )
    if (
        isinstance(application, ReturnApplication)
        and isinstance(inventory, ImportInventory)
        and application.buyerIdNumber != inventory.buyerIdNumber
    ):
        judge.fail(
            "return.buyer",
            "buyerIdNumber",
            inventory.buyerIdNumber,
            application.buyerIdNumber,
            "the return names another buyer than the inventory",
        )


@dataclass(frozen=True, slots=True)
class _Asked:
    gnum: int
    qty: Decimal
    price: Decimal
    declared: Decimal
    before: Decimal


def _check_lines(
    judge: _Judge,
    application: AnyReturn,
    original: OriginalTrade,
    inventory: ImportInventory | ExportInventory,
) -> list[_Asked]:
    declared = {line.gnum: line for line in inventory.items}
    numbers = ", ".join(str(g) for g in sorted(declared))
    seen: set[int] = set()
    asked: list[_Asked] = []
    for line in application.items:
        where = f"InvtRefundList[gnum={line.gnum}]"
        if line.gnum in seen:
            judge.fail(
                "return.item",
                f"{where}.gnum",
                "each gnum once",
                str(line.gnum),
                f"line {line.gnum} is returned twice in one application",
            )
            continue
        seen.add(line.gnum)
        original_line = declared.get(line.gnum)
        if original_line is None:
            judge.fail(
                "return.item",
                f"{where}.gnum",
                f"a gnum of the inventory ({numbers})",
                str(line.gnum),
                f"the inventory has no line {line.gnum}",
            )
            continue
        for name in ("gcode", "unit"):
            want, got = getattr(original_line, name), getattr(line, name)
            if want != got:
                judge.fail(
                    "return.item",
                    f"{where}.{name}",
                    want,
                    got,
                    f"line {line.gnum} was declared with {name} {want}, not {got}",
                )
        before = original.returned.get(line.gnum, _ZERO)
        left = original_line.qty - before
        if line.qty <= 0 or line.qty > left:
            judge.fail(
                "return.quantity",
                f"{where}.qty",
                f"> 0 and <= {canonical_decimal(left)}",
                canonical_decimal(line.qty),
                f"declared {canonical_decimal(original_line.qty)}, "
                f"{canonical_decimal(before)} returned before: at most "
                f"{canonical_decimal(left)} can come back",
            )
            continue
        asked.append(_Asked(line.gnum, line.qty, original_line.price, original_line.qty, before))
    return asked


def _accepted(
    asked: list[_Asked], original: OriginalTrade, inventory: ImportInventory | ExportInventory
) -> ReturnVerdict:
    lines = tuple(
        ReturnLine(
            a.gnum,
            a.qty,
            (a.qty * a.price).quantize(_FEN, rounding=ROUND_HALF_UP),
            a.declared,
            a.before,
        )
        for a in asked
    )
    now_returned = dict(original.returned)
    for line in lines:
        now_returned[line.gnum] = now_returned.get(line.gnum, _ZERO) + line.qty
    whole = all(now_returned.get(item.gnum, _ZERO) >= item.qty for item in inventory.items)
    left = max(original.value - original.returned_value, _ZERO)
    amount = sum((line.amount for line in lines), _ZERO)
    # The last return of a trade takes what is left of its declared value (freight and
    # insurance with the goods); no return takes more than is left.
    amount = left if whole else min(amount, left)
    if amount <= 0:
        failure = ReturnFailure(
            "return.quantity",
            "InvtRefundList",
            "> 0.00",
            _money(amount),
            "the returned lines are worth nothing at the inventory's prices",
        )
        return ReturnVerdict(ReturnStatus.REFUSED, (failure,))
    return ReturnVerdict(
        ReturnStatus.ACCEPTED,
        (),
        lines,
        amount,
        original.returned_value + amount,
        whole,
    )

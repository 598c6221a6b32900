"""Per-match working state handed to every rule: resolved mode, key, and the sinks."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from traceability.trade.errors import InconsistentTrade
from traceability.trade.fields import canonical_decimal
from traceability.trade.inputs import MatchContext, TradeDocuments
from traceability.trade.models import ExportOrder, TradeKey
from traceability.trade.modes import (
    EXPORT_MODE_BY_ORDER_TYPE,
    Direction,
    DocumentKind,
    ModeRules,
    TradeMode,
    mode_rules,
)
from traceability.trade.verdict import Notice, RuleFailure

FEN = Decimal("0.01")
"""One fen (分), the unit money is compared to."""

# Wide enough that 19-digit × 19-digit products and their quantization are exact
# before rounding to the fen; passed explicitly so no thread-local context changes.
ARITH = Context(prec=80, rounding=ROUND_HALF_UP, traps=[InvalidOperation])


def fen(value: Decimal) -> Decimal:
    """``value`` rounded half-up to the fen."""
    return value.quantize(FEN, context=ARITH)


def same_fen(a: Decimal, b: Decimal) -> bool:
    """True when ``a`` and ``b`` are equal to the fen (exact equality checked first: cheap)."""
    return a == b or a.quantize(FEN, context=ARITH) == b.quantize(FEN, context=ARITH)


def text(value: Decimal) -> str:
    """A quantity or weight as it appears in failure reports (canonical form)."""
    return canonical_decimal(value)


def money(value: Decimal) -> str:
    """An amount as it appears in failure reports: at least two decimals ("893.80")."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return canonical_decimal(value)
    return format(value.quantize(FEN, context=ARITH), "f")


@dataclass(slots=True)
class MatchState:
    """The documents, context and resolved facts of one match, plus what rules report."""

    docs: TradeDocuments
    ctx: MatchContext
    direction: Direction
    rules: ModeRules
    key: TradeKey | None
    failures: list[RuleFailure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    def fail(
        self,
        rule: str,
        document: DocumentKind,
        where: str,
        expected: str,
        actual: str,
        message: str,
    ) -> None:
        """Record one failed rule."""
        self.failures.append(RuleFailure(rule, document, where, expected, actual, message))

    def note(self, rule: str, document: DocumentKind, where: str, message: str) -> None:
        """Record an observation that does not fail the trade."""
        self.notices.append(Notice(rule, document, where, message))


def resolve_mode(docs: TradeDocuments, ctx: MatchContext) -> TradeMode:
    """The trade's customs mode: given, else the inventory's, else from orderType [I].

    Import without an inventory defaults to 9610 (direct purchase): its rules
    equal 1210's apart from inventory fields. Disagreements between these
    sources are reported by the ``mode.trade_mode`` rule, not here.
    """
    if ctx.mode is not None:
        return ctx.mode
    if docs.inventory is not None:
        return docs.inventory.tradeMode
    order = docs.order
    if isinstance(order, ExportOrder):
        return EXPORT_MODE_BY_ORDER_TYPE[order.orderType]
    return TradeMode.RETAIL


def resolve_key(docs: TradeDocuments) -> TradeKey | None:
    """The trade key from the first document that carries ebpCode and orderNo."""
    for document in (docs.order, docs.payment, docs.inventory):
        if document is not None:
            return TradeKey(document.ebpCode, document.orderNo)
    return None


def prepare(docs: TradeDocuments, ctx: MatchContext) -> MatchState:
    """Build the state for matching ``docs``; :class:`InconsistentTrade` if the mode is invalid."""
    direction = docs.direction
    mode = resolve_mode(docs, ctx)
    try:
        rules = mode_rules(direction, mode)
    except ValueError as exc:
        raise InconsistentTrade(str(exc), field="tradeMode") from None
    return MatchState(docs, ctx, direction, rules, resolve_key(docs))

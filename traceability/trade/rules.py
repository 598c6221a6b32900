"""The rule table of the three-document matcher (三单比对 / 清单核放).

Each :class:`Rule` names a stable id (notes/ceb.md section 7), the directions
it applies to, whether it rests on a source [S] or on our inference [I], and a
small ``check(state)`` function that records its failures on the
:class:`~traceability.trade._state.MatchState`. Rules run in table order and
report every failure they find, so a verdict lists all of them, always in the
same order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from traceability.trade import _rules_amount as amount
from traceability.trade import _rules_linkage as linkage
from traceability.trade import _rules_parties as parties
from traceability.trade._state import MatchState
from traceability.trade.modes import Direction

_BOTH = frozenset(Direction)
_IMPORT = frozenset({Direction.IMPORT})
_EXPORT = frozenset({Direction.EXPORT})


@dataclass(frozen=True, slots=True)
class Rule:
    """One matching rule."""

    id: str
    directions: frozenset[Direction]
    basis: str
    """"S" when the rule is read in a source, "I" when it is our inference."""
    check: Callable[[MatchState], None]

    @property
    def summary(self) -> str:
        """First line of the check's docstring."""
        return (self.check.__doc__ or "").strip().splitlines()[0]


RULES: tuple[Rule, ...] = (
    Rule("mode.trade_mode", _BOTH, "S", linkage.check_trade_mode),
    Rule("linkage.order_no", _BOTH, "S", linkage.check_order_no),
    Rule("linkage.ebp_code", _BOTH, "I", linkage.check_ebp_code),
    Rule("linkage.ebc_code", _BOTH, "I", linkage.check_ebc_code),
    Rule("linkage.pay_transaction", _IMPORT, "I", linkage.check_pay_transaction),
    Rule("linkage.logistics_no", _BOTH, "I", linkage.check_logistics_no),
    Rule("uniqueness.logistics_no", _BOTH, "S", linkage.check_waybill_unique),
    Rule("uniqueness.pay_transaction", _BOTH, "I", linkage.check_payment_unique),
    Rule("amount.item_total", _BOTH, "S", amount.check_item_totals),
    Rule("amount.goods_value_sum", _BOTH, "I", amount.check_goods_value_sum),
    Rule("amount.actural_paid_formula", _IMPORT, "S", amount.check_actural_paid),
    Rule("amount.payment_equals_paid", _IMPORT, "S", amount.check_payment_amount),
    Rule("amount.receipt_charge", _EXPORT, "I", amount.check_receipt_charge),
    Rule("amount.inventory_lines", _BOTH, "I", amount.check_inventory_lines),
    Rule("currency", _BOTH, "S", amount.check_currency),
    Rule("identity.payer_is_buyer", _IMPORT, "S", parties.check_payer_is_buyer),
    Rule("identity.inventory_buyer", _IMPORT, "I", parties.check_inventory_buyer),
    Rule("consignee", _IMPORT, "S", parties.check_consignee),
    Rule("logistics.freight", _BOTH, "I", parties.check_freight),
    Rule("logistics.weight", _BOTH, "I", parties.check_weight),
    Rule("logistics.pack_no", _IMPORT, "S", parties.check_pack_no),
    Rule("limit.single_transaction", _IMPORT, "S", parties.check_single_limit),
    Rule("limit.annual", _IMPORT, "S", parties.check_annual_limit),
    Rule("time.sequence", _BOTH, "I", parties.check_time_sequence),
)
"""Every rule, in report order."""

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
"""Rules by id."""

_CHECKS: dict[Direction, tuple[Callable[[MatchState], None], ...]] = {
    direction: tuple(rule.check for rule in RULES if direction in rule.directions)
    for direction in Direction
}


def checks_for(direction: Direction) -> tuple[Callable[[MatchState], None], ...]:
    """The check functions that apply to ``direction``, in table order."""
    return _CHECKS[direction]

"""The customs-mode table and the package's public API."""

from types import ModuleType

import pytest

import traceability.trade as trade
from traceability.trade import MODE_RULES, Direction, DocumentKind, TradeMode, mode_rules
from traceability.trade.modes import ANNUAL_LIMIT, SINGLE_TRANSACTION_LIMIT


@pytest.mark.parametrize(
    ("direction", "mode", "needs_payment", "limited"),
    [
        (Direction.IMPORT, TradeMode.RETAIL, True, True),
        (Direction.IMPORT, TradeMode.BONDED, True, True),
        (Direction.EXPORT, TradeMode.RETAIL, True, False),
        (Direction.EXPORT, TradeMode.BONDED, True, False),
        (Direction.EXPORT, TradeMode.B2B_DIRECT, False, False),
        (Direction.EXPORT, TradeMode.B2B_OVERSEAS_WAREHOUSE, False, False),
    ],
)
def test_mode_rules_per_mode(
    direction: Direction, mode: TradeMode, needs_payment: bool, limited: bool
) -> None:
    rules = mode_rules(direction, mode)
    assert rules.needs_payment is needs_payment
    assert (rules.single_limit, rules.annual_limit) == (
        (SINGLE_TRANSACTION_LIMIT, ANNUAL_LIMIT) if limited else (None, None)
    )
    assert rules.required_documents[0] is DocumentKind.ORDER


@pytest.mark.parametrize("mode", [TradeMode.B2B_DIRECT, TradeMode.B2B_OVERSEAS_WAREHOUSE])
def test_mode_rules_rejects_import_b2b(mode: TradeMode) -> None:
    with pytest.raises(ValueError, match="not an import mode"):
        mode_rules(Direction.IMPORT, mode)


def test_mode_table_has_six_modes() -> None:
    assert len(MODE_RULES) == 6
    assert str(SINGLE_TRANSACTION_LIMIT) == "5000"
    assert str(ANNUAL_LIMIT) == "26000"


def test_all_lists_every_public_name() -> None:
    public = {name for name in vars(trade) if not name.startswith("_")}
    # Submodules become attributes of the package once imported; they are not its API.
    modules = {name for name in public if isinstance(getattr(trade, name), ModuleType)}
    assert set(trade.__all__) == public - modules

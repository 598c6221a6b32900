"""The rules of typed financing that need no chain: which trade takes which kind, the cap,
the currency, and the request shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from api.db.models import TradeRecord
from api.errors import Conflict, UnprocessableContent
from api.financing_schemas import FinancingMovementCreate, TypedFinancingCreate
from api.services.financing_rules import (
    available_value,
    check_cap,
    check_trade_kind,
    currency_code,
)

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def _trade(**changes: Any) -> TradeRecord:
    values: dict[str, Any] = {
        "trade_id": "t" * 64,
        "ebp_code": "3301960A01",
        "order_no": "SD1",
        "status": "match",
        "customs_value": "808.00",
        "currency": "142",
        "updated_at": NOW,
    }
    return TradeRecord(**(values | changes))


RELEASED = {"released_at": NOW}


@pytest.mark.parametrize(
    ("kind", "changes", "code"),
    [
        ("order", {}, None),
        ("order", RELEASED, "already_released"),
        ("order", {"status": "mismatch"}, "not_matched"),
        ("order", {"status": "pending"}, "not_matched"),
        ("order", {"cancelled_at": NOW}, "trade_cancelled"),
        ("receivable", RELEASED, None),
        ("receivable", {}, "not_released"),
        ("receivable", {**RELEASED, "cancelled_at": NOW}, "trade_cancelled"),
        ("taxRefundPledge", {**RELEASED, "direction": "export"}, None),
        ("taxRefundPledge", RELEASED, "not_export"),
        ("taxRefundPledge", {"direction": "export"}, "not_released"),
        ("taxRefundPledge", {"direction": "export", "status": "mismatch"}, "not_matched"),
    ],
)
def test_check_trade_kind_allows_each_kind_only_on_its_trades(
    kind: Any, changes: dict[str, Any], code: str | None
) -> None:
    trade = _trade(**changes)
    if code is None:
        check_trade_kind(kind, trade)
        return
    with pytest.raises(Conflict) as refused:
        check_trade_kind(kind, trade)
    assert refused.value.code == code


def test_available_value_is_the_declared_value_less_accepted_returns() -> None:
    assert available_value(_trade(returned_value="100.50")) == (
        Decimal("808.00"),
        Decimal("100.50"),
    )
    assert available_value(_trade()) == (Decimal("808.00"), Decimal(0))
    with pytest.raises(Conflict) as refused:
        available_value(_trade(customs_value=None))
    assert refused.value.code == "no_declared_value"


def test_check_cap_refuses_above_the_value_less_returns_naming_the_numbers() -> None:
    check_cap(Decimal("707.50"), Decimal("808.00"), Decimal("100.50"), "trade")
    with pytest.raises(Conflict) as refused:
        check_cap(Decimal("707.51"), Decimal("808.00"), Decimal("100.50"), "trade")
    error = refused.value
    assert (error.code, error.field) == ("over_value", "limit")
    assert error.extra == {
        "limit": "707.51",
        "value": "808.00",
        "returned": "100.50",
        "available": "707.50",
    }
    assert "707.51" in error.message
    assert "707.50" in error.message


@pytest.mark.parametrize(
    ("text", "code"), [("142", "142"), ("CNY", "142"), ("cny", "142"), ("USD", "502")]
)
def test_currency_code_reads_ceb_codes_and_iso_letters(text: str, code: str) -> None:
    assert currency_code(text) == code


@pytest.mark.parametrize("text", ["XXX", "999", "元"])
def test_currency_code_refuses_unknown_currencies_naming_the_field(text: str) -> None:
    with pytest.raises(UnprocessableContent) as refused:
        currency_code(text)
    assert refused.value.field == "currency"


GOOD = {"kind": "receivable", "subject": "a" * 64, "limit": "500.00", "currency": "CNY",
        "terms": {"rate": "0.0385"}}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "mortgage"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"limit": "0.00"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "1.001"}, "limit"),
        ({"limit": 500}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"limit": "1" * 16}, "limit"),
        ({"currency": "RMB1"}, "currency"),
        ({"subject": ""}, "subject"),
        ({"verdictHash": "XYZ"}, "verdictHash"),
        ({"amount": "5"}, "amount"),  # unknown fields are refused
    ],
)
def test_typed_financing_create_refuses_bad_fields_naming_them(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        TypedFinancingCreate.model_validate(GOOD | changes)
    assert field in {str(e["loc"][0]) for e in refused.value.errors()}


def test_typed_financing_create_keeps_amounts_as_text() -> None:
    body = TypedFinancingCreate.model_validate(GOOD)
    assert (body.kind, body.limit, body.verdict_hash) == ("receivable", "500.00", None)


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "", "NaN", 5])
def test_movement_create_takes_only_positive_amounts_to_the_fen(amount: Any) -> None:
    with pytest.raises(ValidationError):
        FinancingMovementCreate.model_validate({"amount": amount})
    assert FinancingMovementCreate.model_validate({"amount": "0.01"}).amount == "0.01"

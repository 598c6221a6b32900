"""The pieces of FX settlement that need no chain: currencies, and the keyed hashes that
stand for an individual and an account."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from api.db.models import TradeRecord, utcnow
from api.runtime import Runtime
from api.services.fx_settlement import currency_iso, individual_of
from tests.api.factories import app_settings


@pytest.mark.parametrize(
    ("code", "iso"),
    [("142", "CNY"), ("502", "USD"), ("usd", "USD"), (" 300 ", "EUR"), ("999", None), (None, None)],
)
def test_currency_iso_reads_customs_codes_and_letters(code: str | None, iso: str | None) -> None:
    assert currency_iso(code) == iso


def _runtime(tmp_path: Path, engine: Engine, secret: str) -> Runtime:
    settings = app_settings(tmp_path, admin_token="t", keystore_secret=secret)
    return Runtime.from_settings(settings, engine=engine)


def _trade(direction: str, buyer: str | None) -> TradeRecord:
    return TradeRecord(
        trade_id="ab" * 32,
        ebp_code="P",
        order_no="O",
        direction=direction,
        buyer_id=buyer,
        updated_at=utcnow(),
    )


def test_an_individual_is_a_keyed_hash_of_the_buyer_id(tmp_path: Path, engine: Engine) -> None:
    one = _runtime(tmp_path, engine, "secret-one")
    again = _runtime(tmp_path, engine, "secret-one")
    other = _runtime(tmp_path, engine, "secret-two")
    buyer = "110101199003071234"
    found = individual_of(one, _trade("import", buyer))
    assert found is not None
    assert len(found) == 64
    assert buyer not in found
    # Stable in a zone (same secret), case-folded, and another zone's key gives another hash.
    assert individual_of(again, _trade("import", buyer.lower())) == found
    assert individual_of(other, _trade("import", buyer)) != found
    # An export's counterpart abroad holds no Chinese quota; no ID, no individual.
    assert individual_of(one, _trade("export", buyer)) is None
    assert individual_of(one, _trade("import", None)) is None

"""The engine fed one trade at a time gives the batch scan's alerts, in any arrival order."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from tests.traceability.risk.factories import at, name, trade
from traceability.risk import (
    RISK_RULES,
    InvalidRiskTrade,
    RiskEngine,
    RiskThresholds,
    risk_trade,
    scan_trades,
)
from traceability.risk.samples import generate_trade_set


@pytest.fixture(scope="module")
def records():
    trade_set = generate_trade_set(600, seed=7)
    return [risk_trade(t.documents) for t in trade_set.trades]


def test_incremental_engine_equals_batch_scan_at_every_step(records) -> None:
    shuffled = random.Random(3).sample(records, len(records))
    engine = RiskEngine()
    for count, record in enumerate(shuffled, start=1):
        engine.add(record)
        if count % 97 == 0:  # alerts so far are the scan of the trades so far
            assert engine.alerts() == scan_trades(shuffled[:count])
    assert engine.alerts() == scan_trades(records)
    assert len(engine) == len(records)


def test_scan_is_deterministic_whatever_the_input_order(records) -> None:
    alerts = scan_trades(records)
    assert alerts == scan_trades(list(reversed(records)))
    assert {a.rule for a in alerts} == {rule.id for rule in RISK_RULES} - {"risk.new_company_spike"}
    assert list(alerts) == sorted(alerts, key=lambda a: a.sort_key)


def test_engine_replaces_a_trade_added_again_under_its_key() -> None:
    engine = RiskEngine()
    engine.add_all([trade(1, at(0), "3000"), trade(2, at(1), "3000")])
    assert [a.rule for a in engine.alerts()] == ["risk.split_order"]
    engine.add(trade(2, at(1), "1000"))  # the corrected order
    assert engine.alerts() == ()
    assert len(engine) == 2


def test_alert_json_has_rule_trades_evidence_threshold() -> None:
    [alert] = scan_trades([trade(1, at(0), "3000"), trade(2, at(1), "3000")])
    assert alert.to_json_dict() == {
        "rule": "risk.split_order",
        "trades": [name(1), name(2)],
        "evidence": alert.evidence,
        "threshold": alert.threshold,
    }


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("single_limit", Decimal(-1)),
        ("single_limit", 5000.0),
        ("annual_limit", Decimal("NaN")),
        ("shared_phone_min_buyers", 0),
        ("hugging_low_ratio", Decimal("1.1")),
        ("price_low_ratio", Decimal(2)),
    ],
)
def test_thresholds_refuse_bad_values_naming_the_setting(setting: str, value: object) -> None:
    with pytest.raises(InvalidRiskTrade) as caught:
        replace(RiskThresholds(), **{setting: value})
    assert caught.value.field == setting


def test_thresholds_take_integers_for_money() -> None:
    assert RiskThresholds(single_limit=6000).single_limit == Decimal(6000)

"""The generated mixed set: the engine finds what was planted and leaves shoppers alone."""

from __future__ import annotations

import pytest

from traceability.ceb import read_message
from traceability.risk import RiskAlert, risk_trade, scan_trades
from traceability.risk.samples import PLANTED_KINDS, generate_trade_set, score_alerts, trade_files


@pytest.fixture(scope="module")
def trade_set():
    return generate_trade_set(2000, seed=16)


@pytest.fixture(scope="module")
def score(trade_set):
    return score_alerts(trade_set, scan_trades(risk_trade(t.documents) for t in trade_set.trades))


def test_generated_set_plants_every_kind(trade_set) -> None:
    assert 2000 <= len(trade_set.trades) <= 2010
    truth = trade_set.truth()
    assert set(truth) == set(PLANTED_KINDS)
    assert all(len(names) >= 10 for names in truth.values())
    assert len(trade_set.clean()) > 0.8 * len(trade_set.trades)


@pytest.mark.parametrize("kind", PLANTED_KINDS)
def test_scan_recalls_each_planted_kind(score, kind: str) -> None:
    assert score["recall"][kind] >= 0.95


def test_scan_flags_at_most_two_percent_of_clean_trades(score) -> None:
    assert score["clean_flagged_share"] <= 0.02, score["clean_flagged"][:10]


def test_generated_set_is_the_same_for_the_same_seed(trade_set) -> None:
    again = generate_trade_set(2000, seed=16)
    assert [t.name for t in again.trades] == [t.name for t in trade_set.trades]
    assert again.truth() == trade_set.truth()
    assert again.trades[5].documents == trade_set.trades[5].documents
    assert generate_trade_set(2000, seed=17).truth() != trade_set.truth()


def test_scorer_counts_a_flagged_clean_trade_against_precision(trade_set) -> None:
    clean = sorted(trade_set.clean())[:3]
    bogus = RiskAlert("risk.shared_phone", tuple(clean), {}, {})
    score = score_alerts(trade_set, [bogus])
    assert score["clean_flagged"] == clean
    assert score["recall"]["risk.shared_phone"] == 0


def test_trade_files_are_ceb_xml_of_the_documents(trade_set) -> None:
    trade = trade_set.trades[0]
    files = trade_files(trade.documents)
    assert sorted(files) == ["logistics.xml", "order.xml", "payment.xml"]
    assert read_message(files["order.xml"]).documents == (trade.documents.order,)
    assert read_message(files["payment.xml"]).documents == (trade.documents.payment,)
    assert read_message(files["logistics.xml"]).documents == (trade.documents.waybill,)

"""GET /stats and /stats.csv: figures recomputed from the raw rows, who sees what, bad filters,
the CSV against the JSON; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.models import DocumentRecord, RiskTradeRecord, TradeRecord
from api.services.stats import CSV_HEADER, durations
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)


@dataclass
class Zone:
    """The trades of :func:`_zone` and who made them."""

    settled: str  # 9610 import, CNY: matched, released, settled, financed by bank B
    mismatched: str  # 9610 import, CNY: two failed rules
    exported: str  # 9710 export, USD: matched, released
    pending: str  # an order alone
    exporter: Actor
    regulator: Actor
    outsider: Actor


def _zone(world: World, parties: dict[str, Actor]) -> Zone:
    settled = submit(world, parties, samples.import_trade())[0]["tradeId"]
    own_numbers = samples.ImportTerms(order_no="SD20250301000003", logistics_no="SF1234567890003",
                                      pay_transaction_id="AP2025030110000003")  # fmt: skip
    mismatched = submit(world, parties, samples.short_payment_trade(own_numbers))[0]["tradeId"]
    exporter = world.actor(samples.EXPORTER[0], ["platform"])
    docs = samples.b2b_export_trade()
    exported = None
    for kind, actor in (("order", exporter), ("waybill", parties["logistics"]),
                        ("inventory", exporter)):  # fmt: skip
        exported = world.submit(actor, kind, getattr(docs, kind).to_json_dict())
    assert exported is not None
    lone = samples.import_trade(samples.ImportTerms(order_no="SD20250301000077")).order
    pending = world.submit(parties["platform"], "order", lone.to_json_dict())  # type: ignore[union-attr]
    assert pending is not None
    world.worker.drain()
    customs, bank_a = parties["customs"].headers, parties["bank_a"].headers
    financed = world.client.post(
        f"/banks/trades/{settled}/financing",
        json={"terms": {"amount": "100.00", "currency": "CNY", "rate": "0.04"}},
        headers=parties["bank_b"].headers,
    )
    assert financed.status_code == 201, financed.text
    for trade_id in (settled, exported):
        answer = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
        assert answer.status_code == 200, answer.text
    answer = world.client.post(
        f"/banks/trades/{settled}/settlement", json={"settlementRef": "FX-1"}, headers=bank_a
    )
    assert answer.status_code == 200, answer.text
    regulator = world.actor("ZJ-REG", ["regulator"])
    outsider = world.actor("EBP-OTHER", ["platform"])
    return Zone(settled, mismatched, exported, pending, exporter, regulator, outsider)


def _stats(world: World, headers: dict[str, str], **params: str) -> dict[str, Any]:
    answer = world.client.get("/stats", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _rows(world: World) -> list[tuple[TradeRecord, Any]]:
    with Session(world.runtime.engine) as session:
        stmt = select(TradeRecord, RiskTradeRecord.app_time).outerjoin(
            RiskTradeRecord,
            RiskTradeRecord.trade_id == TradeRecord.trade_id,  # type: ignore[arg-type]
        )
        return list(session.exec(stmt).all())


def test_stats_match_figures_recomputed_from_the_raw_rows(
    world: World, parties: dict[str, Actor]
) -> None:
    zone = _zone(world, parties)
    rows = _rows(world)
    assert len(rows) == 4
    figures = _stats(world, world.admin, groupBy="mode")
    assert figures["scope"] == "zone"
    assert figures["total"]["trades"] == 4

    # Counts and values per mode and currency, summed here from the trade rows.
    expected: dict[str, dict[str, Any]] = defaultdict(lambda: {"trades": 0, "values": Counter()})
    for trade, _ in rows:
        group = expected[trade.mode]  # type: ignore[index]
        group["trades"] += 1
        if trade.currency:
            group["values"][trade.currency] += Decimal(trade.customs_value or "0")
    shown = {g["key"]: g for g in figures["groups"]}
    assert set(shown) == set(expected) == {"9610", "9710"}
    for mode, group in expected.items():
        assert shown[mode]["trades"] == group["trades"]
        totals = {v["currency"]: v["total"] for v in shown[mode]["values"]}
        assert totals == {c: f"{v:.2f}" for c, v in group["values"].items()}
    assert {v["currency"] for v in figures["total"]["values"]} == {"142", "502"}  # never added

    # Match rate: match / (match + mismatch), pending apart.
    statuses = Counter(trade.status for trade, _ in rows)
    assert statuses == {"match": 2, "mismatch": 1, "pending": 1}
    total = figures["total"]
    assert (total["match"], total["mismatch"], total["pending"]) == (2, 1, 1)
    assert total["matchRate"] == f"{Decimal(2) / Decimal(3):.4f}"

    # The failed rules of the stored verdicts.
    failed = Counter(
        rule
        for trade, _ in rows
        if trade.status == "mismatch"
        for rule in {f["rule"] for f in json.loads(trade.verdict or "{}")["failures"]}
    )
    assert {r["rule"]: r["trades"] for r in figures["mismatchReasons"]} == dict(failed)
    assert set(failed) == {"amount.payment_equals_paid", "identity.payer_is_buyer"}

    # Order (appTime) to release and to settlement.
    released = [(t.released_at - at).total_seconds() for t, at in rows if t.released_at]
    settled = [(t.settled_at - at).total_seconds() for t, at in rows if t.settled_at]
    assert figures["orderToRelease"]["count"] == len(released) == 2
    assert figures["orderToRelease"]["maxSeconds"] == int(max(released))
    assert figures["orderToSettlement"]["count"] == len(settled) == 1
    assert figures["orderToSettlement"]["medianSeconds"] == int(settled[0])

    # Every document was anchored: lags for all of them, an empty outbox of documents.
    with Session(world.runtime.engine) as session:
        documents = session.exec(select(DocumentRecord)).all()
    assert len(documents) == 4 + 4 + 3 + 1
    anchoring = figures["anchoring"]
    assert anchoring["lag"]["count"] == len(documents)
    assert anchoring["lag"]["maxSeconds"] >= 0
    assert zone.pending in {trade.trade_id for trade, _ in rows}


def test_stats_group_by_country_chapter_party_and_period(
    world: World, parties: dict[str, Actor]
) -> None:
    _zone(world, parties)
    admin = world.admin
    by_country = {g["key"]: g["trades"] for g in _stats(world, admin, groupBy="country")["groups"]}
    assert by_country == {"116": 2, "122": 1, None: 1}  # origin Japan; Malaysia; no inventory
    chapters = {g["key"]: g["trades"] for g in _stats(world, admin, groupBy="hsChapter")["groups"]}
    assert chapters == {"33": 2, "96": 2, "08": 1, None: 1}  # each import trade in both
    parties_ = {g["key"]: g["trades"] for g in _stats(world, admin, groupBy="party")["groups"]}
    assert parties_ == {samples.SELLER[0]: 3, samples.EXPORTER[0]: 1}
    months = _stats(world, admin, groupBy="month")["groups"]
    assert [(g["key"], g["trades"]) for g in months] == [("2025-03", 4)]
    weeks = _stats(world, admin, groupBy="week")["groups"]
    assert [g["key"] for g in weeks] == ["2025-W09"]
    march = _stats(world, admin, periodStart="2025-03-01", periodEnd="2025-03-01", country="122")
    assert march["total"]["trades"] == 1
    assert _stats(world, admin, periodEnd="2025-02-28")["total"]["trades"] == 0
    exports = _stats(world, admin, direction="export", mode="9710", party=samples.EXPORTER[0])
    assert exports["total"]["values"] == [
        {"currency": "502", "trades": 1, "total": "3840.00"}
    ]  # FOB


def test_each_viewer_sees_the_zone_or_only_its_own_trades(
    world: World, parties: dict[str, Actor]
) -> None:
    zone = _zone(world, parties)
    seen = {
        "operator": (world.admin, "zone", 4),
        "customs": (parties["customs"].headers, "zone", 4),
        "regulator": (zone.regulator.headers, "zone", 4),
        "exporter": (zone.exporter.headers, "own", 1),
        "platform": (parties["platform"].headers, "own", 4),  # the platform of each
        "payment": (parties["payment"].headers, "own", 2),  # no receipt in the export
        "bank_a": (parties["bank_a"].headers, "own", 1),  # settled
        "bank_b": (parties["bank_b"].headers, "own", 1),  # financed
        "outsider": (zone.outsider.headers, "own", 0),
    }
    for name, (headers, scope, trades) in seen.items():
        figures = _stats(world, headers)
        assert (figures["scope"], figures["total"]["trades"]) == (scope, trades), name
        assert (figures["anchoring"] is None) == (scope == "own"), name
    exporter = _stats(world, zone.exporter.headers, groupBy="party")
    assert [g["key"] for g in exporter["groups"]] == [samples.EXPORTER[0]]
    for headers in ({}, {"Authorization": "Bearer sk_unknown"}):
        for path in ("/stats", "/stats.csv"):
            assert world.client.get(path, headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"groupBy": "colour"}, "groupBy"),
        ({"periodStart": "soon"}, "periodStart"),
        ({"periodEnd": "2026-02-30"}, "periodEnd"),
        ({"periodStart": "2026-11-02", "periodEnd": "2026-11-01"}, "periodEnd"),
        ({"mode": "9999"}, "mode"),
        ({"direction": "sideways"}, "direction"),
        ({"country": "CN"}, "country"),
        ({"country": "١٢٢"}, "country"),  # digits, but not the ASCII ones of a customs code
        ({"party": "x" * 65}, "party"),
    ],
)
def test_stats_refuse_bad_filters_naming_the_field(
    world: World, params: dict[str, str], field: str
) -> None:
    for path in ("/stats", "/stats.csv"):
        answer = world.client.get(path, params=params, headers=world.admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field


def test_stats_csv_parses_and_holds_the_json_table(world: World, parties: dict[str, Actor]) -> None:
    _zone(world, parties)
    params = {"groupBy": "hsChapter", "periodStart": "2025-03-01"}
    figures = _stats(world, world.admin, **params)
    answer = world.client.get("/stats.csv", params=params, headers=world.admin)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    header, *table = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(header) == CSV_HEADER
    expected = [
        [g["key"] or "", str(g["trades"]), str(g["match"]), str(g["mismatch"]),
         str(g["pending"]), g["matchRate"] or "", v["currency"], str(v["trades"]), v["total"]]
        for g in figures["groups"]
        for v in g["values"] or [{"currency": "", "trades": "", "total": ""}]
    ]  # fmt: skip
    assert table == expected
    assert len(table) == 4  # 33 and 96 in CNY, 08 in USD, the order alone (no inventory)


@pytest.mark.parametrize(
    ("seconds", "median", "p90", "longest"),
    [([], None, None, None), ([5], 5, 5, 5), ([4, 1, 3, 2], 2, 4, 4),
     (list(range(1, 11)), 5, 9, 10), ([0.9, 1.5], 0, 1, 1)],
)  # fmt: skip
def test_durations_give_lower_median_nearest_rank_p90_and_maximum(
    seconds: list[float], median: int | None, p90: int | None, longest: int | None
) -> None:
    figures = durations(seconds)
    assert (figures.count, figures.median_seconds) == (len(seconds), median)
    assert (figures.p90_seconds, figures.max_seconds) == (p90, longest)

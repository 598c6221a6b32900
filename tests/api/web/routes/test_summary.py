"""The summary declaration: dates or date-times in the zone's time zone, one line per
company, direction, mode and currency, totals to the fen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from api.errors import UnprocessableContent
from api.money import to_fen
from api.services.summary import period_bound
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

SHANGHAI = ZoneInfo("Asia/Shanghai")
world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("2026-11-01", False, datetime(2026, 10, 31, 16, tzinfo=UTC)),
        ("2026-11-30", True, datetime(2026, 11, 30, 16, tzinfo=UTC)),  # the whole day
        ("2026-11-01T08:00:00", False, datetime(2026, 11, 1, tzinfo=UTC)),  # naive: zone
        ("2026-11-01T08:00:00", True, datetime(2026, 11, 1, tzinfo=UTC)),  # no day added
        ("2026-11-01T00:00:00Z", False, datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T00:00:00-05:00", True, datetime(2026, 11, 1, 5, tzinfo=UTC)),
    ],
)
def test_period_bound_reads_dates_and_date_times_in_the_zone(
    text: str, end: bool, expected: datetime
) -> None:
    assert period_bound(text, field="periodEnd", zone=SHANGHAI, end=end) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-11-31", "2026-11-01T25:00"])
def test_period_bound_refuses_what_is_not_a_date_naming_the_field(text: str) -> None:
    with pytest.raises(UnprocessableContent) as exc_info:
        period_bound(text, field="periodStart", zone=SHANGHAI, end=False)
    assert exc_info.value.field == "periodStart"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("308", "308.00"),
        (Decimal("308.5"), "308.50"),
        ("0.005", "0.01"),  # half up, not half even
        ("0.015", "0.02"),
        ("2.344", "2.34"),
        (7, "7.00"),
        ("1E+2", "100.00"),
        ("not a number", "not a number"),  # shown as it is, never refused
        ("NaN", "NaN"),
    ],
)
def test_to_fen_shows_two_decimals(value: Decimal | str | int, shown: str) -> None:
    assert to_fen(value) == shown


def _release_import_and_export(world: World, parties: dict[str, Actor]) -> list[str]:
    exporter = world.actor(samples.EXPORTER[0], ["platform"])
    imported = submit(world, parties, samples.import_trade())[0]["tradeId"]
    docs = samples.export_trade()
    signers = {
        "order": exporter,
        "payment": parties["payment"],
        "waybill": parties["logistics"],
        "inventory": exporter,
    }
    exported = None
    for kind, actor in signers.items():  # the inventory, last, joins them all
        exported = world.submit(actor, kind, getattr(docs, kind).to_json_dict())
    assert exported is not None
    world.worker.drain()
    for trade_id in (imported, exported):
        released = world.client.post(
            f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
        )
        assert released.status_code == 200, released.text
    return [imported, exported]


def test_summary_lines_split_import_and_export_with_totals_to_the_fen(
    world: World, parties: dict[str, Actor]
) -> None:
    imported, exported = _release_import_and_export(world, parties)
    customs = parties["customs"].headers
    today = datetime.now(SHANGHAI).date()
    period = {
        "periodStart": (today - timedelta(days=1)).isoformat(),
        "periodEnd": (today + timedelta(days=1)).isoformat(),
    }
    answer = world.client.get("/customs/summary", params=period, headers=customs)
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert sorted(summary["tradeIds"]) == sorted([imported, exported])
    lines = {line["direction"]: line for line in summary["lines"]}
    assert sorted(lines) == ["export", "import"]
    for direction, trade_id in (("import", imported), ("export", exported)):
        trade = world.client.get(f"/trades/{trade_id}", headers=customs).json()
        assert re.fullmatch(r"\d+\.\d\d", trade["customsValue"])
        line = lines[direction]
        assert (line["tradeMode"], line["trades"]) == ("9610", 1)
        assert line["currency"] == trade["currency"]
        assert line["totalValue"] == trade["customsValue"]
    start = datetime.fromisoformat(summary["periodStart"])
    assert start == datetime.combine(today - timedelta(days=1), datetime.min.time(), SHANGHAI)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"periodStart": "soon", "periodEnd": "2026-11-30"}, "periodStart"),
        ({"periodStart": "2026-11-01", "periodEnd": "2026-02-30"}, "periodEnd"),
        ({"periodStart": "2026-11-30", "periodEnd": "2026-11-01"}, "periodEnd"),
        ({"periodStart": "2026-11-01"}, "periodEnd"),
    ],
)
def test_summary_refuses_bad_periods_naming_the_bound(
    world: World, parties: dict[str, Actor], params: dict[str, str], field: str
) -> None:
    answer = world.client.get("/customs/summary", params=params, headers=parties["customs"].headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"].endswith(field)

"""The consumer page names the producer's credit grade when the lot's brand owner (the holder
of its GTIN's company prefix) is a registered party."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.trace_fixtures import LOT_PATH, TraceParties

PAGE = {"Accept": "text/html,*/*;q=0.8"}


def test_consumer_page_shows_producer_credit_grade(world: World, captured: TraceParties) -> None:
    zh = world.client.get(LOT_PATH, headers={**PAGE, "Accept-Language": "zh-CN"})
    assert zh.status_code == 200
    assert "生产企业信用等级: producer-1 Ltd · <strong>A</strong>" in zh.text
    en = world.client.get(LOT_PATH, headers={**PAGE, "Accept-Language": "en"})
    assert "Producer credit grade: producer-1 Ltd · <strong>A</strong>" in en.text
    grade = world.client.get("/credit/producer-1/grade")
    assert grade.json() == {"party": "producer-1", "grade": "A"}

"""A lot's lineage: stages in order, gaps, time order, custody, recalls and sensor alerts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from traceability.epcis import parse_document
from traceability.epcis.samples import OrangeLot, navel_orange_chain
from traceability.lineage import StageName, build_lineage

IDS = OrangeLot()


def _chain() -> dict[str, Any]:
    return navel_orange_chain(datetime(2024, 11, 19, 23, 30, tzinfo=UTC))


def _lineage(document: dict[str, Any], **kwargs: Any):
    events = parse_document(document).events
    return build_lineage(events, gtin=IDS.gtin, lot=IDS.lot, **kwargs)


def _events(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["epcisBody"]["eventList"]


def test_build_lineage_orders_sample_chain_into_all_stages():
    lineage = _lineage(_chain())
    assert [(s.name, [e.step for e in s.events]) for s in lineage.stages] == [
        (StageName.ORIGIN, ["commissioning"]),
        (StageName.PROCESSING, ["commissioning"]),
        (StageName.INSPECTION, ["inspecting"]),
        (StageName.PACKING, ["packing"]),
        (StageName.EXPORT, ["shipping"]),
        (StageName.WAREHOUSE, ["receiving", "storing"]),
        (StageName.RETAIL, ["retail_selling"]),
    ]
    assert lineage.complete
    assert not lineage.alerts
    assert not lineage.recalled
    assert (lineage.order_numbers, lineage.waybills) == ((IDS.order_no,), (IDS.waybill,))
    assert lineage.lot_uri == f"https://id.gs1.org/01/{IDS.gtin}/10/{IDS.lot}"


def test_build_lineage_ignores_other_lots():
    other = navel_orange_chain(
        datetime(2024, 11, 19, tzinfo=UTC), OrangeLot(lot="OTHER1", sscc="069012340000000184")
    )
    mixed = _chain()
    _events(mixed).extend(_events(other))
    assert sum(len(s.events) for s in _lineage(mixed).stages) == 8


def test_build_lineage_reports_missing_stage():
    document = _chain()
    del _events(document)[2]  # no inspection
    lineage = _lineage(document)
    assert [f.kind for f in lineage.findings] == ["missing_stage"]
    assert "inspection" in lineage.findings[0].message
    assert not lineage.complete


def test_build_lineage_reports_time_going_backwards():
    document = _chain()
    _events(document)[6]["eventTime"] = "2024-11-20T00:00:00.000+01:00"  # storing before shipping
    kinds = [f.kind for f in _lineage(document).findings]
    assert "time_reversed" in kinds


def test_build_lineage_reports_broken_custody():
    document = _chain()
    _events(document)[5]["sourceList"] = [
        {"type": "owning_party", "source": "https://id.gs1.org/417/4012345000009"}
    ]
    findings = _lineage(document).findings
    assert [f.kind for f in findings] == ["broken_custody"]
    assert "4012345000009" in findings[0].message


def test_build_lineage_reports_unreached_location():
    document = _chain()
    for event in _events(document)[5:7]:
        event["readPoint"] = event["bizLocation"] = {"id": "https://id.gs1.org/414/4012345000016"}
    assert "unreached_location" in [f.kind for f in _lineage(document).findings]


@pytest.mark.parametrize(
    ("report", "message"),
    [
        (
            {"type": "Temperature", "value": 12.5, "uom": "CEL"},
            "Temperature 12.5 CEL outside 2.0–10.0",
        ),
        (
            {"type": "Temperature", "value": 5, "maxValue": 11, "uom": "CEL"},
            "Temperature 11 CEL outside",
        ),
        ({"type": "Temperature", "exception": "ALARM_CONDITION"}, "device reported"),
    ],
)
def test_build_lineage_raises_sensor_alerts(report, message):
    document = _chain()
    _events(document)[6]["sensorElementList"][0]["sensorReport"] = [report]
    alerts = _lineage(document).alerts
    assert len(alerts) == 1
    assert message in alerts[0].message


@pytest.mark.parametrize("how", ["chain", "disposition"])
def test_build_lineage_shows_recall(how):
    document = _chain()
    if how == "disposition":
        recall = copy.deepcopy(_events(document)[7]) | {
            "disposition": "recalled",
            "bizStep": "holding",
        }
        _events(document).append(recall)
    lineage = _lineage(document, recalled=how == "chain")
    assert lineage.recalled
    assert "recalled" in [f.kind for f in lineage.findings]

"""EPCIS 2.0 validation: every problem is named by its JSON path and reason."""

# The case table reads best one case per line.
# ruff: noqa: E501

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from traceability.epcis import (
    CONTEXT_URLS,
    InvalidEvent,
    build_context,
    bundled_context,
    document_issues,
    event_issues,
    parse_document,
    validate_document,
)
from traceability.epcis.context import document_loader
from traceability.epcis.samples import navel_orange_chain

CORPUS = Path(__file__).parents[2] / "data" / "epcis" / "hash_corpus.jsonld"


def _document() -> dict[str, Any]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))


def _issues_after(change) -> list[str]:
    document = _document()
    change(document["epcisBody"]["eventList"])
    return [str(i) for i in document_issues(document)]


def test_validate_document_accepts_corpus_and_sample_chain():
    validate_document(_document())
    sample = navel_orange_chain(datetime(2024, 11, 19, 23, 30, tzinfo=UTC))
    assert [e.step for e in parse_document(sample).events][-1] == "retail_selling"


def _set(index: int, key: str, value: Any):
    def change(events):
        events[index][key] = value

    return change


def _drop(index: int, key: str):
    return lambda events: events[index].pop(key)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_drop(0, "eventTime"), "epcisBody.eventList[0].eventTime: required"),
        (_set(2, "eventTime", "2024-11-03T10:00:00"), "epcisBody.eventList[2].eventTime: not an ISO 8601"),
        (_set(2, "eventTime", "2024-02-30T10:00:00Z"), "epcisBody.eventList[2].eventTime: day is out of range"),
        (_set(0, "eventTimeZoneOffset", "+8:00"), "epcisBody.eventList[0].eventTimeZoneOffset: must be"),
        (_set(0, "eventTimeZoneOffset", "+15:00"), "epcisBody.eventList[0].eventTimeZoneOffset: must be"),
        (_set(4, "action", "ADD"), "epcisBody.eventList[4].action: a TransformationEvent has no action"),
        (_drop(0, "action"), "epcisBody.eventList[0].action: required"),
        (_set(0, "action", "CREATE"), "epcisBody.eventList[0].action: must be ADD, OBSERVE or DELETE"),
        (_set(0, "bizStep", "harvesting"), "epcisBody.eventList[0].bizStep: 'harvesting' is not a CBV 2.0 BizStep"),
        (_set(0, "disposition", "cbv:Disp-rotten"), "epcisBody.eventList[0].disposition: 'cbv:Disp-rotten' is not a CBV"),
        (_set(0, "epcList", ["urn:epc:id:sgtin:6901234.012345"]), "epcisBody.eventList[0].epcList[0]: invalid identifier"),
        (_set(0, "epcList", ["https://id.gs1.org/01/06901234123457/21/1"]), "epcisBody.eventList[0].epcList[0]: invalid identifier: path./01: check digit"),
        (_set(0, "epcList", ["not a uri"]), "epcisBody.eventList[0].epcList[0]: must be an absolute URI"),
        (_drop(2, "parentID"), "epcisBody.eventList[2].parentID: required"),
        (_set(3, "bizTransactionList", []), "epcisBody.eventList[3].bizTransactionList: a TransactionEvent needs"),
        (_set(1, "quantityList", [{"quantity": 3}]), "epcisBody.eventList[1].quantityList[0].epcClass: required"),
        (_set(1, "quantityList", [{"epcClass": "urn:epc:class:lgtin:6901234.012345.A", "quantity": "3"}]), "quantityList[0].quantity: must be a JSON number"),
        (_set(1, "quantityList", [{"epcClass": "urn:epc:class:lgtin:6901234.012345.A", "quantity": 3, "uom": "kg"}]), "quantityList[0].uom: must be a UN/ECE"),
        (_set(1, "quantityList", [{"epcClass": "urn:epc:id:sgtin:6901234.012345.1"}]), "quantityList[0].epcClass: an epcClass must be a class"),
        (_set(1, "sensorElementList", [{"sensorReport": [{"type": "Temperature", "value": "6"}]}]), "sensorElementList[0].sensorReport[0].value: must be a JSON number"),
        (_set(1, "sensorElementList", [{"sensorReport": [{"type": "Heat"}]}]), "sensorElementList[0].sensorReport[0].type: 'Heat' is not a CBV 2.0 MeasurementType"),
        (_set(1, "sensorElementList", [{"sensorReport": [{"type": "Temperature", "minValue": 9, "maxValue": 2}]}]), "sensorReport[0].minValue: minValue is greater than maxValue"),
        (_set(1, "sensorElementList", [{"sensorMetadata": {"time": "yesterday"}, "sensorReport": [{"type": "Temperature"}]}]), "sensorElementList[0].sensorMetadata.time: not an ISO 8601"),
        (_set(1, "sensorElementList", [{}]), "sensorElementList[0].sensorReport: required"),
        (_set(1, "certificationInfo", [42]), "epcisBody.eventList[1].certificationInfo[0]: must be an absolute URI"),
        (_set(3, "destinationList", [{"destination": "urn:epc:id:pgln:4012345.00000"}]), "destinationList[0].type: required"),
        (_set(3, "destinationList", [{"destination": "urn:epc:id:pgln:4012345.00000", "type": "buyer"}]), "destinationList[0].type: 'buyer' is not a CBV 2.0 SDT"),
        (_set(6, "ilmd", {"ex:a": 1}), "epcisBody.eventList[6].ilmd: ILMD is only allowed on an ObjectEvent with action ADD"),
        (_set(0, "foo", 1), "epcisBody.eventList[0].foo: unknown field"),
        (_set(0, "zz:foo", 1), "epcisBody.eventList[0].zz:foo: namespace prefix 'zz' is not declared"),
        (_set(0, "ilmd", {"variety": "x"}), "epcisBody.eventList[0].ilmd.variety: unknown field"),
        (_set(4, "epcList", []), "epcisBody.eventList[4].epcList: unknown field"),
        (_set(0, "type", "SensorEvent"), "epcisBody.eventList[0].type: must be one of"),
        (_set(6, "errorDeclaration", {"reason": "incorrect_data"}), "errorDeclaration.declarationTime: required"),
    ],
)  # fmt: skip
def test_document_issues_name_field_and_reason(change, expected):
    issues = _issues_after(change)
    assert any(expected in issue for issue in issues), issues


def test_validate_document_raises_invalid_event_with_first_issue_as_field():
    document = _document()
    document["epcisBody"]["eventList"][2]["eventTime"] = "soon"
    with pytest.raises(InvalidEvent) as caught:
        validate_document(document)
    assert caught.value.field == "epcisBody.eventList[2].eventTime"
    assert caught.value.reason == "invalid_event"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("@context"), "@context"),
        (lambda d: d.update(type="EPCISQueryDocument"), "type"),
        (lambda d: d.update(schemaVersion="1.2"), "schemaVersion"),
        (lambda d: d.update(creationDate="2024"), "creationDate"),
        (lambda d: d.update(epcisBody={}), "epcisBody.eventList"),
    ],
)
def test_document_issues_check_the_envelope(mutate, path):
    document = _document()
    mutate(document)
    assert path in [issue.path for issue in document_issues(document)]


def test_bundled_context_file_equals_generated_context():
    assert bundled_context() == build_context()


def test_document_loader_serves_bundled_context_and_refuses_others():
    assert document_loader(CONTEXT_URLS[0])["document"] == build_context()
    with pytest.raises(InvalidEvent):
        document_loader("https://evil.example/context.jsonld")


def test_bundled_context_expands_bare_terms_with_pyld_offline():
    jsonld = pytest.importorskip("pyld.jsonld")
    event = copy.deepcopy(_document()["epcisBody"]["eventList"][3])
    event["@context"] = [CONTEXT_URLS[0]]
    expanded = jsonld.expand(event, {"documentLoader": document_loader})
    text = json.dumps(expanded)
    assert "https://ref.gs1.org/cbv/BizStep-shipping" in text
    assert "https://ref.gs1.org/cbv/BTT-bol" in text


def _object_event(**fields: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "action": "OBSERVE", "eventTime": "2024-11-05T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", **fields}  # fmt: skip


@pytest.mark.parametrize("prefix", ["cbvmda", "rdfs", "owl", "xsd", "dcterms", "cbv", "gs1"])
def test_every_prefix_of_the_standard_context_needs_no_declaration(prefix):
    event = _object_event(epcList=[], ilmd={f"{prefix}:lotNumber": "A1"})
    event["action"] = "ADD"
    assert event_issues(event) == []


@pytest.mark.parametrize(
    "fields",
    [
        {"epcList": []},  # the schema lets the list be empty
        {"readPoint": {"id": "urn:epc:id:sgln:4012345.00001.0"},
         "sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": 5}]}]},
    ],
)  # fmt: skip
def test_an_object_event_need_not_name_goods(fields):
    assert event_issues(_object_event(**fields)) == []


def test_an_object_event_names_goods_or_a_sensor_place():
    issues = [str(i) for i in event_issues(_object_event(quantityList=[]))]
    assert any(i.startswith("epcList: an ObjectEvent needs an epcList") for i in issues), issues


def test_sensor_report_carries_biz_rules():
    report = {"type": "Temperature", "value": 5, "bizRules": "https://example.org/rules/cold"}
    event = _object_event(epcList=[], sensorElementList=[{"sensorReport": [report]}])
    assert event_issues(event) == []

"""CBV 2.0 event hash: agreement with the GS1 reference generator, and our fixes of its bugs.

The reference generator (``epcis-event-hash-generator`` 1.9.3) is a dev-only
test oracle, run offline by the ``oracle`` fixture of this folder's conftest.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traceability.epcis import event_hash, event_hash_bytes, prehash
from traceability.epcis.hashing import HASH_PROFILES, LEGACY_PROFILE, UnknownHashProfile

CORPUS = Path(__file__).parents[2] / "data" / "epcis" / "hash_corpus.jsonld"
CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
CONTEXT: list[Any] = [CONTEXT_URL, {"ex": "https://ns.example.com/epcis/"}]


def _document(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-11-01T00:00:00Z",
        "epcisBody": {"eventList": list(events)},
    }


def _object_event(**fields: Any) -> dict[str, Any]:
    event = {
        "type": "ObjectEvent",
        "eventTime": "2024-11-01T07:30:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "epcList": ["urn:epc:id:sgtin:6901234.012345.1001"],
        "action": "OBSERVE",
        "bizStep": "inspecting",
    }
    event.update(fields)
    return event


def _corpus() -> dict[str, Any]:
    return json.loads(CORPUS.read_text(encoding="utf-8"))


def _type_first(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every bizTransaction / source / destination written type first."""
    document = copy.deepcopy(document)
    for event in document["epcisBody"]["eventList"]:
        for key in ("bizTransactionList", "sourceList", "destinationList"):
            event[key] = [
                {"type": e["type"], **e} if "type" in e else e for e in event.get(key, [])
            ]
    return document


def test_prehash_matches_reference_generator_on_corpus(oracle):
    # The reference writes a typed element in JSON key order; GS1's examples (and epcis2.js,
    # always) write the type first, which is what the default profile does whatever the order.
    document = _corpus()
    expected = oracle(_type_first(document))
    ours = [prehash(e, context=document["@context"]) for e in document["epcisBody"]["eventList"]]
    assert len(ours) == 8
    assert ours == expected


def test_legacy_profile_prehash_matches_reference_on_corpus_written_value_first(oracle):
    document = _corpus()
    expected = oracle(document)
    events = document["epcisBody"]["eventList"]
    context = document["@context"]
    assert [prehash(e, context=context, profile=LEGACY_PROFILE) for e in events] == expected


@pytest.mark.parametrize("index", range(8))
def test_event_hash_is_sha256_of_prehash_in_ni_form(index):
    document = _corpus()
    event = document["epcisBody"]["eventList"][index]
    digest = hashlib.sha256(prehash(event, context=document["@context"]).encode()).digest()
    assert event_hash_bytes(event, context=document["@context"]) == digest
    assert event_hash(event, context=document["@context"]) == (
        f"ni:///sha-256;{digest.hex()}?ver=CBV2.0"
    )


def test_prehash_of_documented_example_is_exact():
    event = _object_event(
        eventTime="2024-11-01T07:30:00.1235+08:00",
        epcList=["urn:epc:id:sgtin:6901234.012345.1002", "urn:epc:id:sgtin:6901234.012345.1001"],
        disposition="urn:epcglobal:cbv:disp:conformant",
        readPoint={"id": "urn:epc:id:sgln:6901234.00001.0"},
    )
    assert prehash(event) == (
        "eventType=ObjectEventeventTime=2024-10-31T23:30:00.124ZeventTimeZoneOffset=+08:00"
        "epcListepc=https://id.gs1.org/01/06901234123456/21/1001"
        "epc=https://id.gs1.org/01/06901234123456/21/1002"
        "action=OBSERVEbizStep=https://ref.gs1.org/cbv/BizStep-inspecting"
        "disposition=https://ref.gs1.org/cbv/Disp-conformant"
        "readPointid=https://id.gs1.org/414/6901234000016"
    )


# --- where the reference generator is wrong: we document it and assert our value -------


def test_prehash_puts_epc_list_before_parent_id_unlike_reference(oracle):
    event = {
        "type": "TransactionEvent",
        "eventTime": "2024-11-04T02:15:00.000Z",
        "eventTimeZoneOffset": "+08:00",
        "parentID": "urn:epc:id:sscc:6901234.0000000017",
        "epcList": ["urn:epc:id:sgtin:6901234.012345.1001"],
        "action": "ADD",
        "bizTransactionList": [{"bizTransaction": "urn:epcglobal:cbv:bt:6901234000004:PO1"}],
    }
    ours = prehash(event)
    assert ours.index("epcList") < ours.index("parentID")
    [reference] = oracle(_document(copy.deepcopy(event | {"bizTransactionList": [
        {"bizTransaction": "urn:epcglobal:cbv:bt:6901234000004:PO1", "type": "po"}]})))  # fmt: skip
    assert reference.index("parentID") < reference.index("epcList")


def test_prehash_keeps_source_before_destination_and_ilmd_unlike_reference(oracle):
    event = _object_event(
        action="ADD",
        bizStep="commissioning",
        sensorElementList=[{"sensorReport": [{"type": "Temperature", "value": 7}]}],
        bizTransactionList=[{"bizTransaction": "urn:epcglobal:cbv:bt:6901234000004:PO1"}],
        sourceList=[{"source": "urn:epc:id:pgln:6901234.00000", "type": "owning_party"}],
        destinationList=[{"destination": "urn:epc:id:pgln:4012345.00000", "type": "owning_party"}],
        ilmd={"ex:variety": "Newhall"},
    )
    ours = prehash(event, context=CONTEXT)
    order = ["bizTransactionList", "sourceList", "destinationList", "sensorElementList", "ilmd"]
    assert [ours.index(k) for k in order] == sorted(ours.index(k) for k in order)
    event["bizTransactionList"][0]["type"] = "po"  # the reference crashes without a type
    [reference] = oracle(_document(event))
    assert reference.index("destinationList") < reference.index("sourceList")
    assert reference.index("sensorElementList") < reference.index("bizTransactionList")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-11-01T23:59:59.9995Z", "2024-11-02T00:00:00.000Z"),
        ("2024-11-01T10:00:00.0005Z", "2024-11-01T10:00:00.001Z"),
        ("2024-11-01T10:00:00.0025Z", "2024-11-01T10:00:00.003Z"),
        ("2024-11-01T10:00:00.00249999Z", "2024-11-01T10:00:00.002Z"),
        ("2024-11-01T10:00:00Z", "2024-11-01T10:00:00.000Z"),
        ("2024-11-02T01:00:00.1-14:00", "2024-11-02T15:00:00.100Z"),
        ("2024-12-31T23:59:59.99951+01:00", "2024-12-31T23:00:00.000Z"),
    ],
)
def test_prehash_rounds_event_time_half_up_to_utc_millis(written, expected):
    assert f"eventTime={expected}" in prehash(_object_event(eventTime=written))


@pytest.mark.parametrize(
    ("written", "reference_shows"),
    [("2024-11-01T23:59:59.9995Z", None), ("2024-11-01T10:00:00.0005Z", "10:00:00.000Z")],
)
def test_reference_drops_or_rounds_half_even_where_we_round_half_up(
    oracle, written, reference_shows
):
    result = oracle(_document(_object_event(eventTime=written)))
    if reference_shows is None:
        assert result == []  # the reference silently loses the event
    else:
        assert reference_shows in result[0]


@pytest.mark.parametrize(
    ("value", "ours", "reference"),
    [("007", "=007", "=7"), (True, "=true", "=True"), ("1.50", "=1.50", "=1.5")],
)
def test_prehash_keeps_extension_strings_and_json_booleans_unlike_reference(
    oracle, value, ours, reference
):
    event = _object_event(**{"ex:code": value})
    assert prehash(event, context=CONTEXT).endswith("{https://ns.example.com/epcis/}code" + ours)
    [theirs] = oracle(_document(event))
    assert theirs.endswith("{https://ns.example.com/epcis/}code" + reference)


def test_prehash_expands_standard_curie_the_reference_leaves(oracle):
    event = _object_event(sensorElementList=[{"sensorReport": [{"type": "gs1:Temperature"}]}])
    assert "sensorReporttype=https://gs1.org/voc/Temperature" in prehash(event, context=CONTEXT)
    [theirs] = oracle(_document(event))
    assert "sensorReporttype=gs1:Temperature" in theirs


def test_prehash_of_biz_transaction_ignores_json_key_order_unlike_reference(oracle):
    first = {"bizTransaction": "urn:epcglobal:cbv:bt:6901234000004:PO1", "type": "po"}
    second = {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:6901234000004:PO1"}
    ours = {prehash(_object_event(bizTransactionList=[b])) for b in (first, second)}
    assert ours == {
        prehash(_object_event()) + "bizTransactionListtype=https://ref.gs1.org/cbv/BTT-po"
        "bizTransaction=urn:epcglobal:cbv:bt:6901234000004:PO1"
    }
    legacy = {
        prehash(_object_event(bizTransactionList=[b]), profile=LEGACY_PROFILE)
        for b in (first, second)
    }
    assert legacy == {
        prehash(_object_event())
        + "bizTransactionListbizTransaction=urn:epcglobal:cbv:bt:6901234000004:PO1"
        "type=https://ref.gs1.org/cbv/BTT-po"
    }
    theirs = {oracle(_document(_object_event(bizTransactionList=[b])))[0] for b in (first, second)}
    assert len(theirs) == 2


def test_prehash_accepts_biz_transaction_without_type_where_reference_crashes(oracle):
    event = _object_event(bizTransactionList=[{"bizTransaction": "https://example.com/bol/1"}])
    assert prehash(event).endswith("bizTransactionListbizTransaction=https://example.com/bol/1")
    with pytest.raises(IndexError):
        oracle(_document(event))


# --- normalisation rules ------------------------------------------------------------


NORMALISED = {
    "bizStep-bare-term": ("bizStep", "shipping", "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"),
    "bizStep-cbv-urn": ("bizStep", "urn:epcglobal:cbv:bizstep:shipping", "BizStep-shipping"),
    "bizStep-cbv-curie": ("bizStep", "cbv:BizStep-shipping", "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"),
    "bizStep-private-uri-kept": ("bizStep", "https://example.com/steps/hand-sorting", "=https://example.com/steps/hand"),
    "disposition-trimmed": ("disposition", " in_transit ", "disposition=https://ref.gs1.org/cbv/Disp-in_transit"),
    "parentID-sscc-urn": ("parentID", "urn:epc:id:sscc:6901234.0000000017", "parentID=https://id.gs1.org/00/069012340000000177"),
    "readPoint-sgln-urn": ("readPoint", {"id": "urn:epc:id:sgln:6901234.00001.12"}, "id=https://id.gs1.org/414/6901234000016/254/12"),
    "readPoint-link-query-dropped": ("readPoint", {"id": "https://x.cn/414/6901234000016?x=1"}, "id=https://id.gs1.org/414/6901234000016"),
    "readPoint-geo-uri": ("readPoint", {"id": "geo:25.83,114.93"}, "readPointid=geo:25.83,114.93"),
}  # fmt: skip


@pytest.mark.parametrize(("field", "value", "fragment"), NORMALISED.values(), ids=NORMALISED)
def test_prehash_normalises_values(field, value, fragment):
    assert fragment in prehash(_object_event(**{field: value}))


@pytest.mark.parametrize(
    ("urn", "link"),
    [
        ("urn:epc:id:sgtin:4012345.011111.9876", "https://id.gs1.org/01/04012345111118/21/9876"),
        ("https://id.gs1.org/01/04012345111118/10/L1/21/9876", "https://id.gs1.org/01/04012345111118/21/9876"),
        ("https://b.example/01/4012345111118/10/L1", "https://id.gs1.org/01/04012345111118/10/L1"),
        ("https://b.example/01/4012345111118/22/V2?17=250101", "https://id.gs1.org/01/04012345111118"),
    ],
)  # fmt: skip
def test_prehash_writes_epcs_as_constrained_digital_links(urn, link):
    assert f"epcListepc={link}action" in prehash(_object_event(epcList=[urn]))


@pytest.mark.parametrize(
    ("quantity", "written"),
    [
        (10, "10"),
        (10.0, "10"),
        (10.50, "10.5"),
        (0.000125, "0.000125"),
        (1e21, "1000000000000000000000"),
        (-0.0, "0"),
    ],
)
def test_prehash_writes_numbers_without_trailing_zeros(quantity, written):
    event = _object_event(
        epcList=[],
        quantityList=[{"epcClass": "urn:epc:class:lgtin:6901234.012345.A", "quantity": quantity}],
    )
    assert f"quantity={written}action" in prehash(event)


@pytest.mark.parametrize("ignored", ["eventID", "recordTime", "errorDeclaration", "comment"])
def test_prehash_leaves_out_ignored_fields(ignored):
    base = _object_event()
    value = {"declarationTime": "2024-11-02T00:00:00Z"} if ignored == "errorDeclaration" else "x"
    assert prehash(base | {ignored: value}) == prehash(base)


def test_prehash_expands_extension_keys_with_declared_and_full_namespaces():
    event = _object_event(
        **{"ex:a": "1", "https://other.example/ns#b": {"ex:c": ["2", "1"]}},
        readPoint={"id": "urn:epc:id:sgln:6901234.00001.0", "ex:dock": "D1"},
    )
    text = prehash(event, context=CONTEXT)
    assert text.endswith(
        "{https://ns.example.com/epcis/}a=1"
        "{https://other.example/ns#}b{https://ns.example.com/epcis/}c=1{https://ns.example.com/epcis/}c=2"
    )
    assert (
        "readPointid=https://id.gs1.org/414/6901234000016{https://ns.example.com/epcis/}dock=D1"
        in text
    )


# --- invariance properties --------------------------------------------------------------

_corpus_events = _corpus()["epcisBody"]["eventList"]


def _shuffled(value: Any, rng: random.Random) -> Any:
    """Same JSON with every object's keys and every list's members in a random order."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        items = [_shuffled(v, rng) for v in value]
        rng.shuffle(items)
        return items
    return value


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, len(_corpus_events) - 1), seed=st.integers(0, 2**32))
def test_event_hash_ignores_key_and_list_order(index, seed):
    event = _corpus_events[index]
    context = _corpus()["@context"]
    reordered = _shuffled(event, random.Random(seed))
    assert event_hash(reordered, context=context) == event_hash(event, context=context)


@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(0, len(_corpus_events) - 1),
    seed=st.integers(0, 2**32),
    profile=st.sampled_from(HASH_PROFILES),
)
def test_every_profile_ignores_key_and_list_order(index, seed, profile):
    event = _corpus_events[index]
    context = _corpus()["@context"]
    reordered = _shuffled(event, random.Random(seed))
    ours = event_hash(reordered, context=context, profile=profile)
    assert ours == event_hash(event, context=context, profile=profile)


_TYPED = ("bizTransactionList", "sourceList", "destinationList")


@settings(max_examples=40, deadline=None)
@given(index=st.integers(0, len(_corpus_events) - 1))
def test_profiles_differ_only_in_the_order_of_typed_elements(index):
    event = _corpus_events[index]
    context = _corpus()["@context"]
    untyped = {k: v for k, v in event.items() if k not in _TYPED}
    assert prehash(untyped, context=context) == prehash(
        untyped, context=context, profile=LEGACY_PROFILE
    )
    typed = any(any("type" in e for e in event.get(k, [])) for k in _TYPED)
    legacy = event_hash(event, context=context, profile=LEGACY_PROFILE)
    assert (event_hash(event, context=context) != legacy) is typed


def test_unknown_profile_is_refused_by_name():
    with pytest.raises(UnknownHashProfile, match="'cbv/9'"):
        event_hash(_object_event(), profile="cbv/9")


_OFFSETS = st.sampled_from(["Z", "+00:00", "+08:00", "-05:30", "+14:00", "-12:00"])


@settings(max_examples=80, deadline=None)
@given(
    millis=st.integers(0, 4_102_444_799_999),
    offset=_OFFSETS,
    extra=st.sampled_from(["", "0", "000", "4999"]),
)
def test_event_hash_ignores_time_zone_representation(millis, offset, extra):
    from datetime import UTC, datetime, timedelta

    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    sign = -1 if offset.startswith("-") else 1
    shift = (
        timedelta()
        if offset == "Z"
        else sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    )
    local = moment + shift
    written = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}{extra}{offset}"
    utc = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"
    assert event_hash(_object_event(eventTime=written)) == event_hash(_object_event(eventTime=utc))


@pytest.mark.parametrize(
    "change",
    [
        {"action": "ADD"},
        {"epcList": ["urn:epc:id:sgtin:6901234.012345.1002"]},
        {"eventTimeZoneOffset": "+09:00"},
        {"ex:new": "x"},
        {"disposition": "conformant"},
    ],
)
def test_event_hash_changes_when_content_changes(change):
    base = _object_event()
    assert event_hash(base | change, context=CONTEXT) != event_hash(base, context=CONTEXT)


def test_an_error_declaration_is_anchored_under_a_hash_of_its_own():
    from traceability.epcis import anchored_hash_bytes, correction_of, event_hash_bytes

    event = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2024-11-05T08:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
    }
    when = "2024-12-01T00:00:00Z"
    retract = event | {"errorDeclaration": {"declarationTime": when, "reason": "did_not_occur"}}
    correct = event | {"errorDeclaration": {"declarationTime": when, "reason": "incorrect_data"}}
    plain = event_hash_bytes(event)
    assert anchored_hash_bytes(event) == plain
    assert event_hash_bytes(retract) == plain  # the CBV hash leaves the declaration out
    assert len({plain, anchored_hash_bytes(retract), anchored_hash_bytes(correct)}) == 3
    assert [correction_of(e) for e in (event, retract, correct)] == [None, "retracted", "corrected"]

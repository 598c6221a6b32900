"""A warehouse that receives a pallet (an SSCC) counts the lots packed on it; barCodes of
the 9810 inventory lines name a GTIN, and a lot when they are a GS1 element string."""

from __future__ import annotations

import pytest

from api.services.warehouse import gtin_and_lot
from tests.api.conftest import World, stage_fixtures
from tests.api.trace_fixtures import CAPTURED, IDS, TraceParties

world_stage, captured = stage_fixtures("captured", CAPTURED)


def test_a_received_pallet_counts_the_cases_packed_on_it(
    world: World, captured: TraceParties
) -> None:
    answer = world.client.get("/warehouses/warehouse-1/stock", headers=captured.warehouse.headers)
    assert answer.status_code == 200, answer.text
    (item,) = answer.json()["items"]
    assert (item["gtin"], item["lot"]) == (IDS.gtin, IDS.lot)
    # The packing put 230 cases on the pallet; the store sold 12 of them.
    assert (item["received"], item["stored"], item["sold"]) == ("230", "230", "12")
    assert (item["declaredIn"], item["onHand"]) == ("0", "218")


@pytest.mark.parametrize(
    ("bar_code", "expected"),
    [
        ("06901234123456", ("06901234123456", "")),
        ("6901234123456", ("06901234123456", "")),
        ("(01)06901234123456(10)GN2411A", ("06901234123456", "GN2411A")),
        ("010690123412345610GN2411A", ("06901234123456", "GN2411A")),
        ("https://id.gs1.org/01/06901234123456/10/GN2411A", ("06901234123456", "GN2411A")),
        ("6901234123457", None),  # check digit
        ("6900000000011", None),
        ("not a barcode", None),
        ("", None),
    ],
)
def test_bar_codes_name_a_gtin_and_maybe_a_lot(
    bar_code: str, expected: tuple[str, str] | None
) -> None:
    assert gtin_and_lot(bar_code) == expected


def test_the_ledger_places_an_event_where_the_capture_policy_does() -> None:
    from api.services.trace.policy import event_gln
    from api.services.warehouse_ledger import _event_gln
    from tests.api.warehouse import events as ev
    from traceability.epcis import parse_event

    for raw in (*ev.EXPORTER_EVENTS, *ev.CARRIER_EVENTS, *ev.WAREHOUSE_EVENTS):
        event = parse_event(raw, context=ev.CONTEXT)
        assert _event_gln(event) == event_gln(event) is not None
    no_location = parse_event(
        {k: v for k, v in ev.WAREHOUSE_EVENTS[0].items() if k not in ("bizLocation",)}
        | {"readPoint": {"id": "urn:epc:id:sgln:8712345.00010.0"}},
        context=ev.CONTEXT,
    )
    assert _event_gln(no_location) == event_gln(no_location)

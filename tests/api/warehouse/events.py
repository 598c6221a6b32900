"""Hand-written EPCIS 2.0 JSON-LD events of one 9810 consignment to an overseas warehouse.

Gannan navel oranges (GTIN 06901234123456, lot GN2611A) leave the exporter's packhouse in
Ganzhou, the carrier ships them from the port to the Rotterdam warehouse, which receives,
stores, sells, ships out, takes back a return and destroys a spoiled case. A second lot
(GTIN 06901234123463, lot GN2611B) reaches the warehouse without any 9810 declaration.
Times run in the places' own offsets; every identifier carries a valid GS1 check digit.
"""

from __future__ import annotations

import copy
from typing import Any, Final

CONTEXT: Final = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
GTIN_A: Final = "06901234123456"
LOT_A: Final = "GN2611A"
GTIN_B: Final = "06901234123463"
LOT_B: Final = "GN2611B"
PACKHOUSE: Final = "6901234000023"
PORT: Final = "6901234000047"
ROTTERDAM: Final = "8712345000103"  # the overseas warehouse's dock and store
HAMBURG: Final = "4012345000108"  # another warehouse
ORDER_NO: Final = "WNL2026110001"


def _class(gtin: str, lot: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/10/{lot}"


def _place(gln: str) -> dict[str, str]:
    return {"id": f"https://id.gs1.org/414/{gln}"}


def _event(
    event_id: str, time: str, offset: str, step: str, disposition: str, gln: str, **rest: Any
) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": f"urn:uuid:{event_id}",
        "eventTime": time,
        "eventTimeZoneOffset": offset,
        "action": rest.pop("action", "OBSERVE"),
        "bizStep": step,
        "disposition": disposition,
        "readPoint": _place(gln),
        "bizLocation": _place(gln),
        **rest,
    }


def _qty(gtin: str, lot: str, quantity: int) -> list[dict[str, Any]]:
    return [{"epcClass": _class(gtin, lot), "quantity": quantity}]


def _po() -> list[dict[str, str]]:
    return [{"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:{ROTTERDAM}:{ORDER_NO}"}]


#: The exporter (brand owner) commissions both lots at its packhouse, bound for the port.
EXPORTER_EVENTS: Final = [
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a01", "2026-11-02T08:00:00.000+08:00", "+08:00",
        "commissioning", "active", PACKHOUSE, action="ADD",
        quantityList=_qty(GTIN_A, LOT_A, 230),
        destinationList=[{"type": "location", "destination": f"https://id.gs1.org/414/{PORT}"}],
    ),
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a02", "2026-11-02T09:00:00.000+08:00", "+08:00",
        "commissioning", "active", PACKHOUSE, action="ADD",
        quantityList=_qty(GTIN_B, LOT_B, 50),
        destinationList=[{"type": "location", "destination": f"https://id.gs1.org/414/{PORT}"}],
    ),
]  # fmt: skip

#: The carrier ships both lots from the port to the Rotterdam warehouse.
CARRIER_EVENTS: Final = [
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a03", "2026-11-03T10:00:00.000+08:00", "+08:00",
        "shipping", "in_transit", PORT,
        quantityList=[*_qty(GTIN_A, LOT_A, 230), *_qty(GTIN_B, LOT_B, 50)],
        bizTransactionList=_po(),
        destinationList=[
            {"type": "location", "destination": f"https://id.gs1.org/414/{ROTTERDAM}"}
        ],
    ),
]  # fmt: skip

#: The warehouse's own events at its dock: 228 of the 230 declared cases arrive.
WAREHOUSE_EVENTS: Final = [
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a04", "2026-11-27T09:30:00.000+01:00", "+01:00",
        "receiving", "in_progress", ROTTERDAM,
        quantityList=[*_qty(GTIN_A, LOT_A, 228), *_qty(GTIN_B, LOT_B, 50)],
        bizTransactionList=_po(),
    ),
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a05", "2026-11-27T11:00:00.000+01:00", "+01:00",
        "storing", "sellable_not_accessible", ROTTERDAM,
        quantityList=_qty(GTIN_A, LOT_A, 228),
    ),
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a06", "2026-11-30T16:00:00.000+01:00", "+01:00",
        "retail_selling", "retail_sold", ROTTERDAM,
        quantityList=_qty(GTIN_A, LOT_A, 40),
    ),
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a07", "2026-12-01T08:00:00.000+01:00", "+01:00",
        "shipping", "in_transit", ROTTERDAM,
        quantityList=_qty(GTIN_A, LOT_A, 20),
        destinationList=[
            {"type": "owning_party", "destination": "https://id.gs1.org/417/8712345000004"}
        ],
    ),
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a08", "2026-12-02T10:00:00.000+01:00", "+01:00",
        "receiving", "returned", ROTTERDAM,
        quantityList=_qty(GTIN_A, LOT_A, 3),
    ),
    _event(
        "5b1f0c1e-3a57-4e0d-9a52-0b6c1d8e2a09", "2026-12-02T15:00:00.000+01:00", "+01:00",
        "destroying", "destroyed", ROTTERDAM, action="DELETE",
        quantityList=_qty(GTIN_A, LOT_A, 1),
    ),
]  # fmt: skip


def document(events: list[dict[str, Any]]) -> dict[str, Any]:
    """An EPCISDocument of ``events`` (copies)."""
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-12-03T08:00:00.000+01:00",
        "epcisBody": {"eventList": copy.deepcopy(events)},
    }


def event(
    events: list[dict[str, Any]], step: str, disposition: str | None = None
) -> dict[str, Any]:
    """A copy of the one event of ``events`` with ``step`` (and ``disposition``), standalone."""
    found = [
        e for e in events
        if e["bizStep"] == step and disposition in (None, e["disposition"])
    ]  # fmt: skip
    assert len(found) == 1, (step, disposition)
    return {"@context": CONTEXT, **copy.deepcopy(found[0])}

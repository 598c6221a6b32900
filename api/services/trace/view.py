"""The JSON provenance of a lot (what ``Accept: application/json`` and ``/lineage`` return)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final, Literal

from api.services.trace.lots import Provenance
from api.services.trace.names import Names, gln_of
from api.services.trace.store import LotRef
from traceability.epcis import Event, correction_of
from traceability.gs1 import lot_uri
from traceability.lineage import StageName, stage_for

#: The one overall state of a lot, as the page's badge and the JSON's ``state`` say it.
LotState = Literal["verified", "verified_with_gaps", "not_verified", "recalled"]
#: Checks that leave an event unproven: it failed, or is not on chain yet.
FAILED_STATUSES: Final = frozenset({"hash_mismatch", "not_on_chain", "not_anchored", "unreadable"})


def lot_state(p: Provenance) -> LotState:
    """``recalled``; else ``not_verified`` when any event failed or is not anchored (or none is
    verified); else
    ``verified_with_gaps`` when an event is unsigned or the lineage has findings or alerts;
    else ``verified``. Never "verified" beside an unresolved problem."""
    if p.recall.recalled:
        return "recalled"
    statuses = {c.status for c in p.checks.values()}
    if statuses & FAILED_STATUSES or "verified" not in statuses:
        # Nothing proven at all (every event unsigned) is no verification with gaps either.
        return "not_verified"
    if "unsigned" in statuses or p.lineage.findings or p.lineage.alerts:
        return "verified_with_gaps"
    return "verified"


def stage_of(p: Provenance) -> dict[str, str]:
    """Stage name by stored event hash (events of the lineage only)."""
    by_object = {id(e): h for h, e in p.events.items()}
    return {
        by_object[id(e)]: stage.name.value
        for stage in p.lineage.stages
        for e in stage.events
        if id(e) in by_object
    }


def step_stage(event: Event | None) -> str | None:
    """The stage an event's type and business step name, for an event outside the lineage
    (unsigned, not anchored yet, failed): a shipping event is still shipping."""
    stage = stage_for(event) if event is not None else None
    return stage.value if stage else None


def product_info(p: Provenance) -> dict[str, Any]:
    """ILMD of the lot's events merged (origin first), and where it comes from."""
    ilmd: dict[str, Any] = {}
    origin: dict[str, Any] = {}
    for stage in p.lineage.stages:
        for event in stage.events:
            for key, value in event.ilmd.items():
                ilmd.setdefault(key.split(":", 1)[-1], value)
            if stage.name is StageName.ORIGIN and not origin:
                origin = {
                    "location": event.biz_location,
                    "gln": gln_of(event.biz_location or event.read_point),
                    "region": event.ilmd.get("sandan:origin"),
                    "harvested": event.event_time.isoformat(),
                }
    return {"ilmd": ilmd, "origin": origin}


def _short(value: str | None) -> str | None:
    """The last segment of a URI or URN (``.../epcis/Brix`` → ``Brix``), for display."""
    if not value:
        return value
    return re.split(r"[/:#]", value.rstrip("/"))[-1] or value


def _quantity(q: Any) -> dict[str, Any]:
    return {
        "epcClass": q.epc_class,
        "quantity": float(q.quantity) if q.quantity is not None else None,
        "uom": q.uom,
    }


def event_summary(event: Event | None, record: Any, stage: str | None) -> dict[str, Any]:
    """One event as the page and the JSON show it."""
    raw = json.loads(record.event_json) if event is None else dict(event.raw)
    base: dict[str, Any] = {
        "eventHash": record.event_hash,
        "eventID": record.event_id,
        "type": record.event_type,
        "eventTime": record.event_time.isoformat(),
        "eventTimeZoneOffset": raw.get("eventTimeZoneOffset"),
        "bizStep": event.step if event else None,
        "disposition": event.disposition_term if event else None,
        "bizLocation": record.biz_location,
        "gln": gln_of(record.biz_location or record.read_point),
        "capturedBy": record.captured_by,
        "signed": record.envelope_hash is not None,
        "stage": stage,
        "readable": event is not None,
        "errorDeclaration": raw.get("errorDeclaration"),
        "correction": correction_of(raw),
    }
    if event is None:
        return base
    quantities = (*event.quantities, *event.child_quantities, *event.output_quantities)
    base |= {
        "quantities": [_quantity(q) for q in quantities],
        "inputQuantities": [_quantity(q) for q in event.input_quantities],
        "epcs": [*event.epcs, *event.child_epcs, *([event.parent_id] if event.parent_id else [])],
        "certificationInfo": list(event.certification_info),
        "sensorReports": [
            {
                "type": s.measurement or _short(s.type),
                "value": s.value,
                "uom": s.uom,
                "exception": s.exception,
            }
            for s in event.sensor_reports
        ],
        "bizTransactions": [
            {"type": b.term or b.type, "value": b.value, "id": _short(b.value)}
            for b in event.biz_transactions
        ],
        "ilmd": {k.split(":", 1)[-1]: v for k, v in event.ilmd.items()},
    }
    return base


def mark_corrections(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Show an event an error declaration was captured for as ``corrected`` or
    ``retracted``: the declaration shares its eventID (EPCIS 2.0 §7.4.1.2)."""
    declared = {s["eventID"]: s["correction"] for s in summaries if s.get("correction")}
    for summary in summaries:
        summary["correction"] = declared.get(summary["eventID"])
    return summaries


def provenance_json(
    p: Provenance,
    *,
    base_url: str,
    material: Mapping[str, Any] | None = None,
    names: Names | None = None,
) -> dict[str, Any]:
    """The lot's provenance: product, stages, events with verification, findings, recall.

    ``material`` (:func:`api.services.trace.material.verification_material`) joins the
    ``verification`` summary, so one object holds sandan's conclusion and what a
    verifier needs to check it without sandan. ``names``
    (:func:`api.services.trace.names.names_of_lot`) adds the registered names of the
    places, recorders and product.
    """
    stages = stage_of(p)
    # The events' hash IDs were computed once with the cached parse; e.hash would rehash.
    hash_ids = {id(e): p.hash_ids[h] for h, e in p.events.items() if h in p.hash_ids}
    events = []
    for record in p.records:
        summary = event_summary(
            p.events.get(record.event_hash), record, stages.get(record.event_hash)
        )
        summary["verification"] = p.checks[record.event_hash].to_json()
        if names is not None:
            place = names.place(summary["gln"])
            summary["place"] = place.to_json() if place else None
            summary["capturedByName"] = names.parties.get(record.captured_by)
        events.append(summary)
    verified = sum(1 for c in p.checks.values() if c.status == "verified")
    return {
        "gtin": p.lot.gtin,
        "lot": p.lot.lot,
        "lotId": p.lot.lot_id,
        "digitalLink": resolver_link(base_url, p.lot),
        "canonicalDigitalLink": lot_uri(p.lot.gtin, p.lot.lot),
        "recall": p.recall.to_json(),
        "product": _product_json(p, names),
        "state": lot_state(p),
        "stages": [
            {"stage": s.name.value, "events": [hash_ids.get(id(e)) or e.hash for e in s.events]}
            for s in p.lineage.stages
        ],
        "events": mark_corrections(events),
        "findings": [
            {
                "kind": f.kind,
                "message": f.message,
                "eventHash": f.event_hash,
                "params": dict(f.params),
            }
            for f in p.lineage.findings
        ],
        "alerts": [
            {
                "eventHash": a.event_hash,
                "measurement": a.measurement,
                "value": a.value,
                "uom": a.uom,
                "message": a.message,
            }
            for a in p.lineage.alerts
        ],
        "orderNumbers": list(p.lineage.order_numbers),
        "waybills": list(p.lineage.waybills),
        "complete": p.lineage.complete,
        "verification": {
            "total": len(p.checks),
            "verified": verified,
            "allVerified": verified == len(p.checks),
            "method": "CBV 2.0 hash recomputed from the stored event; Merkle proof checked "
            "with TraceRegistry.verifyEvent (one call per event)",
            **(material or {}),
        },
    }


def _product_json(p: Provenance, names: Names | None) -> dict[str, Any]:
    """The ILMD and origin, with the registered product and the origin's place when known."""
    info = product_info(p)
    if names is None:
        return info
    place = names.place(info["origin"].get("gln"))
    if info["origin"]:
        info["origin"]["place"] = place.to_json() if place else None
    registered = names.product
    info["registered"] = registered.to_json() if registered else None
    info["name"] = registered.name if registered else info["ilmd"].get("variety")
    info["places"] = {gln: place.to_json() for gln, place in sorted(names.places.items())}
    return info


def resolver_link(base_url: str, lot: LotRef) -> str:
    """The lot's Digital Link on this resolver."""
    return lot_uri(lot.gtin, lot.lot).replace("https://id.gs1.org", base_url.rstrip("/"), 1)

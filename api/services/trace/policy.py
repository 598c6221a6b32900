"""Who may capture which EPCIS events: the capture policy by role, business step and place.

=================  =====================================================================
role               may capture (CBV 2.0 business steps)
=================  =====================================================================
producer           commissioning, creating_class_instance, encoding, packing, repackaging,
                   unpacking, assembling, disassembling, decommissioning, destroying, and
                   every TransformationEvent (washing, grading, processing)
inspector          inspecting, sampling, sensor_reporting; the only role that may attach
                   ``certificationInfo`` to an event
logistics          shipping, departing, arriving, receiving, loading, unloading,
                   transporting, staging_outbound, consigning
warehouse          receiving, storing, accepting, arriving, unloading, picking, holding,
                   stocking, stock_taking, cycle_counting, retail_selling (sandan has no
                   retailer role: the importer's warehouse reports sales to consumers)
=================  =====================================================================

Places: a party whose administrator registered its locations (GLNs) may only
record events whose ``bizLocation`` (else ``readPoint``) is one of them. A
producer must have registered locations: a harvest or a transformation is a
claim about a place, so it is accepted only at the producer's own farm or
packhouse. An event without a CBV business step is refused, because no rule
could say who may record it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Final

from api.errors import PermissionDenied
from traceability.epcis import Event, EventType, parse_link

#: Business steps each role may capture (the table of the module docstring).
CAPTURE_STEPS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "producer": frozenset(
            {"commissioning", "creating_class_instance", "encoding", "packing", "repackaging",
             "unpacking", "assembling", "disassembling", "decommissioning", "destroying"}
        ),
        "inspector": frozenset({"inspecting", "sampling", "sensor_reporting"}),
        "logistics": frozenset(
            {"shipping", "departing", "arriving", "receiving", "loading", "unloading",
             "transporting", "staging_outbound", "consigning"}
        ),
        "warehouse": frozenset(
            {"receiving", "storing", "accepting", "arriving", "unloading", "picking", "holding",
             "stocking", "stock_taking", "cycle_counting", "retail_selling"}
        ),
    }
)  # fmt: skip

#: Roles that must have registered locations before capturing anything.
LOCATION_BOUND_ROLES: Final = frozenset({"producer"})


def roles_for(event: Event) -> frozenset[str]:
    """The roles allowed to capture ``event`` (empty when no role may)."""
    if event.certification_info:
        return frozenset({"inspector"})
    if event.type is EventType.TRANSFORMATION:
        return frozenset({"producer"})
    step = event.step
    return frozenset(role for role, steps in CAPTURE_STEPS.items() if step in steps)


def event_gln(event: Event) -> str | None:
    """The GLN where the event happened: its bizLocation, else its readPoint."""
    for place in (event.biz_location, event.read_point):
        link = parse_link(place) if place else None
        if link is not None and link.key_ai == "414":
            return link.key
    return None


def check_capture(
    event: Event, *, party_code: str, roles: Collection[str], locations: Collection[str], path: str
) -> None:
    """Raise 403 naming the field when ``roles`` (and ``locations``) may not capture ``event``."""
    allowed = roles_for(event)
    held = set(roles) & allowed
    prefix = f"{path}." if path else ""
    if not held:
        field = "certificationInfo" if event.certification_info else "bizStep"
        what = (
            "certificationInfo"
            if event.certification_info
            else f"a {event.type.value} with bizStep {event.step or event.biz_step or '(none)'}"
        )
        needed = " or ".join(sorted(allowed)) or "no role (use a CBV business step)"
        raise PermissionDenied(
            f"party {party_code} may not capture {what}: needs {needed}",
            field=prefix + field,
            code="role_not_allowed",
        )
    must_place = bool(held & LOCATION_BOUND_ROLES) and held <= LOCATION_BOUND_ROLES
    if not locations and not must_place:
        return
    gln = event_gln(event)
    if gln is None or gln not in locations:
        raise PermissionDenied(
            f"party {party_code} may only capture events at its registered locations "
            f"({', '.join(sorted(locations)) or 'none registered'}); "
            f"this one is at {gln or 'none'}",
            field=prefix + "bizLocation",
            code="location_not_allowed",
        )


def check_gln(gln: str, *, field: str) -> None:
    """422 naming ``field`` when ``gln`` is not a GLN with a valid check digit."""
    from api.errors import UnprocessableContent
    from traceability.gs1 import is_digital_link

    if not is_digital_link(f"https://id.gs1.org/414/{gln}"):
        raise UnprocessableContent(f"{gln} is not a valid GLN (check digit)", field=field)

"""Who may capture which EPCIS events: the capture policy by role, business step and place.

=================  =====================================================================
role               may capture (CBV 2.0 business steps)
=================  =====================================================================
producer           commissioning, creating_class_instance, encoding, packing, repackaging,
                   unpacking, assembling, disassembling, decommissioning, destroying,
                   killing, installing, removing, repairing, replacing, other, and every
                   TransformationEvent (washing, grading, processing)
inspector          inspecting, sampling, sensor_reporting; the only role that may attach
                   ``certificationInfo`` to an event
logistics          shipping, departing, arriving, receiving, loading, unloading,
                   transporting, staging_outbound, consigning, entering_exiting,
                   collecting, void_shipping, other
warehouse          receiving, storing, accepting, arriving, unloading, picking, holding,
                   stocking, stock_taking, cycle_counting, retail_selling, dispensing,
                   reserving, entering_exiting, shipping, destroying, other (sandan has no
                   retailer role: the importer's warehouse reports sales to consumers; an
                   overseas warehouse ships and destroys the stock it holds, its ledger
                   in :mod:`api.services.warehouse_ledger`)
=================  =====================================================================

Places: a party whose administrator registered its locations (GLNs) may only
record events whose ``bizLocation`` (else ``readPoint``) is one of them. A
producer must have registered locations: a harvest or a transformation is a
claim about a place, so it is accepted only at the producer's own farm or
packhouse. Every CBV 2.0 business step is open to some role (a test holds the
table to the vocabulary). A business step of a party's own vocabulary (a URI
outside the CBV) is open to every role, since sandan cannot tell what it means;
the lot rule below still decides which lots it may touch. An event without any
business step is refused, because no rule could say who may record it; every
refusal names the roles that may capture the event.

Lots: who may add events to a lot (a class ``01/<gtin>/10/<lot>``, an instance of
it, or a container the lot is packed into, also as the parent of a packing or an
unpacking). Each lot an event touches is judged on its own, against the lot's
*accepted* events (those stored and linked to it, including earlier events of
the same capture); a capture naming a lot the party may not touch is refused
(403, ``lot_not_held``, naming the lot and the reason). Unsigned events are
accepted events too (their recorder is known by its API key), but they never
count as verified provenance (:mod:`api.services.trace.lots`).

=====================  ==================================================================
grant                  the capturing party ...
=====================  ==================================================================
brand owner            owns the GTIN: a GS1 company prefix registered to it (``PUT
                       /parties/{code}/company-prefixes``, administrator) starts the
                       GTIN (digits 2.. of the GTIN-14). The only grant for a lot
                       without accepted events: nobody else may start a lot.
custody                is named by an accepted event of the lot: one of its registered
                       GLNs is a ``sourceList`` or ``destinationList`` entry (owning_party,
                       possessing_party or location), or it recorded an accepted
                       event of the lot itself (it held it then)
location               records the event at one of its registered GLNs, and the lot
                       has already been at one of its GLNs (an accepted event's
                       bizLocation or readPoint; sent to one is custody)
inspector              holds the inspector role and records an observation step
                       (inspecting, sampling, sensor_reporting) of a lot with accepted
                       events, as inspectors may recall any lot; such observations move no
                       custody: their sources, destinations, places and recorder grant
                       nobody anything
=====================  ==================================================================

Anything else is refused. A signature is not a grant: a correctly signed event of
a party outside these rows is refused like an unsigned one.

Error declarations: the event captured again with an ``errorDeclaration`` (EPCIS 2.0's
way to retract or correct it) is judged by :func:`check_declaration` alone: only the
party that recorded the declared event, or the brand owner of a lot it touches, may
declare an error on it (403, ``not_declarer``). The role and lot rows above do not
apply: the declaration adds nothing to the lot but a statement about a recorded event.
Once declared, the event and its declarations grant nobody anything (they no longer
count as the lot's accepted events); corrective events, judged as any other, do.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from api.errors import PermissionDenied
from traceability.epcis import Event, EventType, parse_link
from traceability.epcis.model import Party

#: Business steps each role may capture (the table of the module docstring).
CAPTURE_STEPS: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "producer": frozenset(
            {"commissioning", "creating_class_instance", "encoding", "packing", "repackaging",
             "unpacking", "assembling", "disassembling", "decommissioning", "destroying",
             "killing", "installing", "removing", "repairing", "replacing", "other"}
        ),
        "inspector": frozenset({"inspecting", "sampling", "sensor_reporting"}),
        "logistics": frozenset(
            {"shipping", "departing", "arriving", "receiving", "loading", "unloading",
             "transporting", "staging_outbound", "consigning", "entering_exiting",
             "collecting", "void_shipping", "other"}
        ),
        "warehouse": frozenset(
            {"receiving", "storing", "accepting", "arriving", "unloading", "picking", "holding",
             "stocking", "stock_taking", "cycle_counting", "retail_selling", "dispensing",
             "reserving", "entering_exiting", "shipping", "destroying", "other"}
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
    if step is None and event.biz_step:
        # A business step of the party's own vocabulary (CBV 2.0 allows them): sandan cannot
        # tell what it means, so any capturing role may record it; the lot rule still decides.
        return frozenset(CAPTURE_STEPS)
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
        needed = (
            " or ".join(f"role {r}" for r in sorted(allowed))
            or "a CBV 2.0 business step (no role may capture an event without one)"
        )
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


# --- lots: brand owner, custody, location ----------------------------------------------

#: Business steps that only observe a lot: they hand it to nobody (table above).
OBSERVATION_STEPS: Final = CAPTURE_STEPS["inspector"]
#: Source and destination types that name who holds the goods, or where they go.
CUSTODY_TERMS: Final = frozenset({"owning_party", "possessing_party", "location"})
Grant = Literal["brand owner", "custody", "location", "inspector"]


@dataclass(frozen=True)
class Capturer:
    """A capturing party as the lot rule sees it: its code, roles and registered GLNs."""

    code: str
    roles: frozenset[str]
    locations: frozenset[str]


@dataclass(frozen=True)
class LotCustody:
    """What a lot's accepted events say about who held it, and who owns its GTIN."""

    gtin: str
    lot: str
    owners: frozenset[str] = frozenset()  # party codes of the GTIN's brand owner
    recorders: frozenset[str] = frozenset()  # parties that recorded a custody event of it
    handed: frozenset[str] = frozenset()  # GLNs named as a source or destination
    visited: frozenset[str] = frozenset()  # GLNs where its events happened
    events: int = field(default=0, compare=False)

    def after(self, event: Event, recorder: str) -> LotCustody:
        """These facts once ``event``, recorded by ``recorder``, is accepted for the lot."""
        count = self.events + 1
        if event.step in OBSERVATION_STEPS:
            return LotCustody(
                self.gtin, self.lot, self.owners, self.recorders, self.handed, self.visited, count
            )
        gln = event_gln(event)
        return LotCustody(
            self.gtin,
            self.lot,
            self.owners,
            self.recorders | {recorder},
            self.handed | handed_glns((*event.sources, *event.destinations)),
            self.visited | ({gln} if gln else set()),
            count,
        )

    def grant(self, event: Event, party: Capturer) -> Grant | None:
        """The row of the rule that lets ``party`` add ``event`` to the lot, or None."""
        if party.code in self.owners:
            return "brand owner"
        if not self.events:
            return None
        # check_capture has already held the inspector to its own places, if it has any.
        if "inspector" in party.roles and event.step in OBSERVATION_STEPS:
            return "inspector"
        if party.code in self.recorders or party.locations & self.handed:
            return "custody"
        if event_gln(event) in party.locations and party.locations & self.visited:
            return "location"
        return None

    def refusal(self, party: Capturer) -> str:
        """Why ``party`` may not add events to the lot (for the 403 message)."""
        if not self.events:
            owner = ", ".join(sorted(self.owners)) or "no party (no company prefix registered)"
            return f"it has no accepted events, and only its brand owner ({owner}) may start it"
        return (
            f"party {party.code} is not its brand owner and never held it (no accepted event "
            "of the lot ships or hands it to the party, or happened at its locations)"
        )


def handed_glns(parties: Iterable[Party]) -> frozenset[str]:
    """GLNs of the sources or destinations that name a holder or a place."""
    found = set()
    for party in parties:
        link = parse_link(party.value) if party.term in CUSTODY_TERMS else None
        if link is not None and link.key_ai in ("414", "417"):
            found.add(link.key)
    return frozenset(found)


def owns_gtin(prefix: str, gtin: str) -> bool:
    """Whether a GS1 company prefix starts a GTIN-14 (after its indicator digit)."""
    return gtin[1:].startswith(prefix)


def check_lot(event: Event, custody: LotCustody, *, party: Capturer, field: str) -> Grant:
    """The grant letting ``party`` add ``event`` to the lot; raise 403 naming the lot otherwise."""
    grant = custody.grant(event, party)
    if grant is None:
        raise PermissionDenied(
            f"may not add events to lot {custody.lot} of GTIN {custody.gtin}: "
            + custody.refusal(party),
            field=field,
            code="lot_not_held",
        )
    return grant


def check_declaration(
    *, party_code: str, recorder: str, owners: Collection[str], event_id: str, field: str
) -> None:
    """403 naming ``field`` unless ``party_code`` recorded the declared event or owns a lot
    of it (the rule of the module docstring)."""
    if party_code == recorder or party_code in owners:
        return
    owner = ", ".join(sorted(owners)) or "none"
    raise PermissionDenied(
        f"party {party_code} may not declare an error on event {event_id}: only the party "
        f"that recorded it ({recorder}) or the brand owner of its lots ({owner}) may",
        field=field,
        code="not_declarer",
    )

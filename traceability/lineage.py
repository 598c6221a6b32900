"""A lot's provenance chain, from origin through processing, inspection and export to retail.

``build_lineage`` takes validated events, the lot (GTIN + lot number) and the
recall status read from the chain, and returns a ``Lineage`` a page can
render. Problems are reported as findings, never raised: missing stages, time
going backwards, custody that does not hand over (the owning party a step
ships to is not the one that receives), goods seen at a place they were not
shipped to, and a recall. Sensor readings outside declared ranges, or flagged
by the sensor itself, become alerts.

An event belongs to the lot when it names the lot's class (``01/<gtin>/10/<lot>``),
an input of a transformation that produced the lot, or a container (SSCC) the
lot was packed into.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from traceability.epcis.model import Event, EventType, SensorReport, parse_link
from traceability.gs1 import lot_uri

__all__ = [
    "DEFAULT_RANGES",
    "Alert",
    "Finding",
    "Lineage",
    "Stage",
    "StageName",
    "build_lineage",
    "stage_for",
]


class StageName(StrEnum):
    """Stages of a farm-to-consumer chain, in order."""

    ORIGIN = "origin"
    PROCESSING = "processing"
    INSPECTION = "inspection"
    PACKING = "packing"
    EXPORT = "export"
    WAREHOUSE = "warehouse"
    RETAIL = "retail"


_ORDER: Final = list(StageName)
_STEP_STAGE: Final = {
    "commissioning": StageName.ORIGIN,
    "creating_class_instance": StageName.ORIGIN,
    "inspecting": StageName.INSPECTION,
    "sampling": StageName.INSPECTION,
    "packing": StageName.PACKING,
    "repackaging": StageName.PACKING,
    "staging_outbound": StageName.EXPORT,
    "consigning": StageName.EXPORT,
    "shipping": StageName.EXPORT,
    "departing": StageName.EXPORT,
    "loading": StageName.EXPORT,
    "transporting": StageName.EXPORT,
    "arriving": StageName.WAREHOUSE,
    "receiving": StageName.WAREHOUSE,
    "unloading": StageName.WAREHOUSE,
    "storing": StageName.WAREHOUSE,
    "accepting": StageName.WAREHOUSE,
    "stocking": StageName.RETAIL,
    "retail_selling": StageName.RETAIL,
}

#: Declared acceptable ranges per measurement type and unit (fresh citrus cold chain).
DEFAULT_RANGES: Final[Mapping[tuple[str, str], tuple[float, float]]] = {
    ("Temperature", "CEL"): (2.0, 10.0),
    ("MassConcentration", "NA"): (0.0, 1.0),  # mg/kg: under the residue limit
}


@dataclass(frozen=True)
class Stage:
    """One stage of the chain and its events in time order."""

    name: StageName
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Finding:
    """A problem in the chain: machine ``kind``, human ``message``, the event concerned.

    ``params`` are the message's parts as plain values (stage and step names, URIs, times),
    so a page can say the same in another language or with the places' names.
    """

    kind: str
    message: str
    event_hash: str | None = None
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Alert:
    """A sensor reading outside its declared range, or flagged by the device."""

    event_hash: str
    measurement: str
    value: float | None
    uom: str | None
    message: str


@dataclass(frozen=True)
class Lineage:
    """A lot's provenance: stages in order, findings, alerts and trade references."""

    gtin: str
    lot: str
    lot_uri: str
    stages: tuple[Stage, ...]
    findings: tuple[Finding, ...]
    alerts: tuple[Alert, ...]
    recalled: bool
    order_numbers: tuple[str, ...]
    waybills: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every stage is present and nothing was found wrong."""
        return not self.findings and all(stage.events for stage in self.stages)


def build_lineage(
    events: Iterable[Event],
    *,
    gtin: str,
    lot: str,
    recalled: bool = False,
    ranges: Mapping[tuple[str, str], tuple[float, float]] = DEFAULT_RANGES,
) -> Lineage:
    """Order the lot's events into stages and report gaps, broken custody and alerts."""
    chosen = sorted(_about_lot(list(events), gtin, lot), key=lambda e: e.event_time)
    grouped: dict[StageName, list[Event]] = {name: [] for name in StageName}
    findings: list[Finding] = []
    for event in chosen:
        stage = stage_for(event)
        if stage is None:
            findings.append(
                Finding(
                    "unclassified",
                    f"business step {event.biz_step} has no stage",
                    event.hash,
                    (("step", event.step or str(event.biz_step)),),
                )
            )
        else:
            grouped[stage].append(event)
    stages = tuple(Stage(name, tuple(grouped[name])) for name in StageName)
    findings += _gaps(stages) + _time_order(stages) + _custody(chosen)
    recalled = recalled or any(e.disposition_term == "recalled" for e in chosen)
    if recalled:
        findings.append(Finding("recalled", "this lot is under recall"))
    transactions = [(b.term, _transaction_id(b.value)) for e in chosen for b in e.biz_transactions]
    return Lineage(
        gtin=gtin,
        lot=lot,
        lot_uri=lot_uri(gtin, lot),
        stages=stages,
        findings=tuple(findings),
        alerts=tuple(a for e in chosen for r in e.sensor_reports if (a := _alert(e, r, ranges))),
        recalled=recalled,
        order_numbers=tuple(dict.fromkeys(v for t, v in transactions if t == "po")),
        waybills=tuple(dict.fromkeys(v for t, v in transactions if t == "bol")),
    )


def _classes(event: Event) -> set[str]:
    """(gtin, lot) keys of every class and instance the event names, as 'gtin|lot'."""
    keys: set[str] = set()
    quantities = (*event.quantities, *event.child_quantities, *event.output_quantities)
    for value in (
        *(q.epc_class for q in quantities),
        *event.epcs,
        *event.child_epcs,
        *event.output_epcs,
    ):
        link = parse_link(value)
        if link is not None and link.gtin and link.lot:
            keys.add(f"{link.gtin}|{link.lot}")
    return keys


def _about_lot(events: list[Event], gtin: str, lot: str) -> list[Event]:
    target = f"{gtin}|{lot}"
    direct = [e for e in events if target in _classes(e)]
    upstream = {
        f"{link.gtin}|{link.lot}"
        for e in direct
        if e.type is EventType.TRANSFORMATION
        for q in e.input_quantities
        if (link := parse_link(q.epc_class)) is not None and link.gtin and link.lot
    }
    containers = {e.parent_id for e in direct if e.type is EventType.AGGREGATION and e.parent_id}
    chosen = []
    for event in events:
        named = (
            _classes(event) | set(event.epcs) | ({event.parent_id} if event.parent_id else set())
        )
        if target in named or named & upstream or named & containers:
            chosen.append(event)
    return chosen


def stage_for(event: Event) -> StageName | None:
    """The stage an event belongs to by its type and business step (None: no stage fits)."""
    if event.type is EventType.TRANSFORMATION:
        return StageName.PROCESSING
    if event.type is EventType.AGGREGATION and event.step in (None, "packing"):
        return StageName.PACKING
    if event.certification_info and event.step is None:
        return StageName.INSPECTION
    return _STEP_STAGE.get(event.step or "")


def _gaps(stages: tuple[Stage, ...]) -> list[Finding]:
    return [
        Finding(
            "missing_stage", f"no {s.name.value} event recorded", None, (("stage", s.name.value),)
        )
        for s in stages
        if not s.events
    ]


def _time_order(stages: tuple[Stage, ...]) -> list[Finding]:
    """A stage must not start before an earlier stage's last event."""
    findings: list[Finding] = []
    latest: Event | None = None
    for stage in stages:
        for event in stage.events:
            if latest is not None and event.event_time < latest.event_time:
                findings.append(
                    Finding(
                        "time_reversed",
                        f"{stage.name.value} event at {event.event_time.isoformat()} is earlier "
                        f"than {latest.step or latest.type} at {latest.event_time.isoformat()}",
                        event.hash,
                        (
                            ("stage", stage.name.value),
                            ("time", event.event_time.isoformat()),
                            ("earlier", latest.step or latest.type.value),
                            ("earlierTime", latest.event_time.isoformat()),
                        ),
                    )
                )
        if stage.events:
            latest = max(stage.events, key=lambda e: e.event_time)
    return findings


def _custody(events: list[Event]) -> list[Finding]:
    """Each declared destination must be the next declared source, and the next place."""
    findings: list[Finding] = []
    for index, event in enumerate(events):
        for kind in ("owning_party", "location"):
            sent_to = {d.value for d in event.destinations if d.term == kind}
            if not sent_to:
                continue
            following = _next_with(events[index + 1 :], kind)
            if following is None:
                continue
            got_from, where = following
            if kind == "owning_party" and got_from and not (got_from & sent_to):
                findings.append(
                    Finding(
                        "broken_custody",
                        _custody_message(event, sent_to, got_from),
                        event.hash,
                        (
                            ("step", event.step or event.type.value),
                            ("to", ", ".join(sorted(sent_to))),
                            ("from", ", ".join(sorted(got_from))),
                        ),
                    )
                )
            if kind == "location" and where not in sent_to:
                findings.append(
                    Finding(
                        "unreached_location",
                        f"goods shipped to {', '.join(sorted(sent_to))} but next seen at {where}",
                        event.hash,
                        (("to", ", ".join(sorted(sent_to))), ("at", str(where))),
                    )
                )
    return findings


def _next_with(events: list[Event], kind: str) -> tuple[set[str], str | None] | None:
    for event in events:
        if kind == "owning_party" and any(s.term == kind for s in event.sources):
            return {s.value for s in event.sources if s.term == kind}, None
        if kind == "location" and (event.biz_location or event.read_point):
            return set(), event.biz_location or event.read_point
    return None


def _custody_message(event: Event, sent_to: set[str], got_from: set[str]) -> str:
    return (
        f"{event.step or event.type} hands the goods to {', '.join(sorted(sent_to))} "
        f"but the next step receives them from {', '.join(sorted(got_from))}"
    )


def _transaction_id(value: str) -> str:
    """``urn:epcglobal:cbv:bt:<gln>:<id>`` → ``<id>``; other references as written."""
    return value.rsplit(":", 1)[1] if value.startswith("urn:epcglobal:cbv:bt:") else value


def _alert(
    event: Event, report: SensorReport, ranges: Mapping[tuple[str, str], tuple[float, float]]
) -> Alert | None:
    name = report.measurement or report.type or "reading"
    if report.exception:
        return Alert(
            event.hash, name, report.value, report.uom, f"device reported {report.exception}"
        )
    limits = ranges.get((name, report.uom or ""))
    if limits is None:
        return None
    low, high = limits
    seen = [
        v for v in (report.value, report.min_value, report.max_value) if isinstance(v, int | float)
    ]
    bad = [v for v in seen if not low <= v <= high]
    if not bad:
        return None
    return Alert(
        event.hash,
        name,
        report.value,
        report.uom,
        f"{name} {bad[0]} {report.uom} outside {low}–{high}",
    )

"""GS1 Application Identifier tables shared by Digital Link parsing and compression.

Which AIs are primary keys, which key qualifiers may follow each key and in
what order, and a lookup of an AI in the table ``biip`` ships (GS1 General
Specifications). This module imports nothing else from ``traceability.gs1``, so
both ``digital_link`` and ``compression`` can build on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from biip import ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier

__all__ = ["CONSTRAINED_QUALIFIERS", "KEYS", "QUALIFIERS", "KeySpec", "known_ai"]


@dataclass(frozen=True)
class KeySpec:
    """What the standard allows after one primary key AI."""

    name: str
    #: Allowed qualifier sequences; the qualifiers used must keep this order.
    qualifier_orders: tuple[tuple[str, ...], ...] = ()
    #: Digits covered by a GS1 mod-10 check digit: (start, end) slice of the value.
    check_span: tuple[int, int] | None = None


#: Primary key AIs of GS1 Digital Link 1.2, with their qualifiers.
KEYS: dict[str, KeySpec] = {
    "01": KeySpec("GTIN", (("22", "10", "21"), ("235",)), (0, 14)),
    "8006": KeySpec("ITIP", (("22", "10", "21"),), (0, 14)),
    "00": KeySpec("SSCC", (), (0, 18)),
    "414": KeySpec("GLN", (("254",), ("7040",)), (0, 13)),
    "417": KeySpec("PGLN", (("7040",),), (0, 13)),
    "8017": KeySpec("GSRN-P", (("8019",),), (0, 18)),
    "8018": KeySpec("GSRN", (("8019",),), (0, 18)),
    "253": KeySpec("GDTI", (), (0, 13)),
    "255": KeySpec("GCN", (), (0, 13)),
    "401": KeySpec("GINC"),
    "402": KeySpec("GSIN", (), (0, 17)),
    "8003": KeySpec("GRAI", (), (1, 14)),
    "8004": KeySpec("GIAI"),
    "8010": KeySpec("CPID", (("8011",),)),
    "8013": KeySpec("GMN"),
}

#: Every key qualifier AI: these belong in the path, never in the query.
QUALIFIERS = frozenset(q for spec in KEYS.values() for o in spec.qualifier_orders for q in o)

#: Finest identification level kept by the constrained form, per primary key.
CONSTRAINED_QUALIFIERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "01": (("21",), ("10",), ("235",)),
    "8006": (("21",), ("10",)),
    "414": (("254",),),
    "8010": (("8011",),),
}


def known_ai(ai: str) -> GS1ApplicationIdentifier | None:
    """The GS1 AI spelled exactly ``ai``, or None (``extract`` also matches a shorter prefix)."""
    try:
        spec = GS1ApplicationIdentifier.extract(ai)
    except ParseError:
        return None
    return spec if spec.ai == ai else None

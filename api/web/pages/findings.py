"""Findings, alerts and places of the consumer page in plain words, in the page's language.

A lineage finding carries its parts as plain values (stage, step, URIs, times);
here they become the stage's and step's words, and a location's or party's
GS1 URI the place's registered name (else ``GLN <digits>``): the page never
shows a kind id or an ``id.gs1.org`` URI.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from api.services.trace.i18n import Lang, translate
from api.services.trace.names import Names, gln_of
from api.services.trace.words import amount, measurement_label, step_label
from traceability.lineage import Alert, Finding


def place_item(names: Names, gln: str | None, lang: Lang) -> dict[str, Any] | None:
    """What the page shows of a place: its name and address in ``lang``, and its GLN."""
    if not gln:
        return None
    place = names.place(gln)
    return {
        "gln": gln,
        "name": place.name_in(lang) if place else None,
        "address": place.address_in(lang) if place else None,
        "region": place.region if place else None,
    }


def _where(value: str, names: Names, lang: Lang) -> str:
    """A location's or party's URI (or several, comma-separated) as names or GLNs."""
    words = []
    for uri in (v.strip() for v in value.split(",")):
        gln = gln_of(uri)
        place = names.place(gln)
        name = place.name_in(lang) if place else None
        digits = gln or _digits(uri)
        words.append(name or (f"GLN {digits}" if digits else uri))
    return "、".join(words) if lang == "zh" else ", ".join(words)


def _digits(uri: str) -> str | None:
    """The GLN digits of a location or party URI even when its check digit is wrong."""
    found = re.search(r"/(?:414|417)/(\d{13})\b", uri)
    return found.group(1) if found else None


def _moment(value: str) -> str:
    try:
        return f"{datetime.fromisoformat(value):%Y-%m-%d %H:%M}"
    except ValueError:
        return value


def _param(key: str, value: str, names: Names, lang: Lang) -> str:
    if key == "stage":
        return translate(lang, f"stage.{value}")
    if key in ("step", "earlier"):
        return step_label(lang, value, value)
    if key in ("to", "from", "at"):
        return _where(value, names, lang)
    if key in ("time", "earlierTime"):
        return _moment(value)
    return value


def finding_text(finding: Finding, lang: Lang, names: Names) -> str:
    """One lineage finding as a sentence in ``lang``."""
    template = translate(lang, f"finding.{finding.kind}", "")
    params = {k: _param(k, v, names, lang) for k, v in finding.params}
    try:
        return template.format(**params) if template else translate(lang, "finding.other")
    except (KeyError, IndexError):
        return translate(lang, "finding.other")


def alert_text(alert: Alert, lang: Lang) -> str:
    """An out-of-range or faulty sensor reading as a sentence in ``lang``."""
    what = measurement_label(lang, alert.measurement.split(":")[-1])
    if alert.value is None or alert.message.startswith("device reported"):
        return translate(lang, "alert.device").format(what=what)
    value = amount(float(alert.value), alert.uom, lang, alert.measurement)
    return translate(lang, "alert").format(what=what, value=value)

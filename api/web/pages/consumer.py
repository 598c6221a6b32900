"""The consumer page of a lot: server-rendered HTML, no script, no external resource.

Jinja2 autoescaping escapes every value taken from events (they come from
parties and may hold HTML); only http(s) certificate URIs become links. The
stylesheet is inlined from ``api/web/static/consumer.css`` and allowed by its hash
in a strict Content-Security-Policy, so even a value that escaped escaping
could not run a script or load anything.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from api.services.trace.i18n import TEXT, Lang, translate
from api.services.trace.lots import Provenance
from api.services.trace.material import ChainRef
from api.services.trace.names import Names
from api.services.trace.view import (
    event_summary,
    lot_state,
    mark_corrections,
    product_info,
    resolver_link,
    stage_of,
    step_stage,
)
from api.services.trace.words import (
    amount,
    disposition_label,
    items_text,
    measurement_label,
    quantity_text,
    step_label,
)
from api.web.pages.findings import alert_text, finding_text, place_item

#: The ``api`` directory (``api`` is a namespace package, so importlib.resources cannot serve it).
_PACKAGE = Path(__file__).resolve().parents[1]


# Module-level on purpose: the Jinja environment and the stylesheet are functions of the
# package's own files (read-only package data, the same for every runtime of this install),
# not of any database or chain, and the environment holds no per-request state.
@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_PACKAGE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates are package files: compiled once per process, never re-read per page.
        auto_reload=False,
    )
    return env


@lru_cache(maxsize=1)
def stylesheet() -> str:
    """The page's CSS (package data)."""
    return (_PACKAGE / "static" / "consumer.css").read_text(encoding="utf-8")


def content_security_policy() -> str:
    """No scripts, no remote anything; only our inline stylesheet and our own images."""
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode("utf-8")).digest()).decode()
    return (
        "default-src 'none'; "
        f"style-src 'sha256-{digest}'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def local_time(moment: datetime, offset: str | None) -> str:
    """``2024-11-05 08:00 UTC+08:00`` in the event's own time zone."""
    zone = UTC
    if offset and len(offset) == 6 and offset[0] in "+-":
        sign = 1 if offset[0] == "+" else -1
        try:
            zone = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        except ValueError:
            zone = UTC
    local = moment.astimezone(zone)
    z = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} UTC{z[:3]}:{z[3:]}"


def _safe_url(value: Any) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def _event_items(p: Provenance, lang: Lang, names: Names) -> list[dict[str, Any]]:
    stages = stage_of(p)
    items = []
    for record in p.records:
        event = p.events.get(record.event_hash)
        summary = event_summary(event, record, stages.get(record.event_hash))
        check = p.checks[record.event_hash]
        stage = summary["stage"] or step_stage(event)
        summary["when"] = local_time(record.event_time, summary.get("eventTimeZoneOffset"))
        summary["stageLabel"] = translate(lang, f"stage.{stage or 'none'}")
        summary["stepLabel"] = step_label(lang, summary["bizStep"], summary["type"])
        summary["dispositionLabel"] = disposition_label(lang, summary["disposition"])
        summary["place"] = place_item(names, summary["gln"], lang)
        summary["amounts"] = _amounts(summary, lang)
        summary["readings"] = [
            {"what": measurement_label(lang, s["type"]), "value": _reading(s, lang)}
            for s in summary.get("sensorReports") or []
        ]
        summary["recorder"] = names.parties.get(record.captured_by)
        summary["check"] = check
        summary["checkLabel"] = translate(lang, f"status.{check.status}")
        summary["certificates"] = [
            {"text": c, "href": _safe_url(c)} for c in summary.get("certificationInfo", [])
        ]
        items.append(summary)
    return mark_corrections(items)


def _amounts(summary: dict[str, Any], lang: Lang) -> list[str]:
    """The event's quantities in words, else how many items it names: never an empty line."""
    found = [
        text
        for q in summary.get("quantities") or []
        if (text := quantity_text(lang, q["quantity"], q["uom"]))
    ]
    epcs = summary.get("epcs") or []
    pallets = all("/00/" in epc for epc in epcs)
    return found or ([items_text(lang, len(epcs), pallets=pallets)] if epcs else [])


def _reading(report: dict[str, Any], lang: Lang) -> str:
    value = report["value"]
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    return amount(float(value), report["uom"], lang, report["type"])


def verifier_link(lot_url: str, chain: ChainRef) -> str:
    """The browser verifier's address for this lot, pinned to the registries named here.

    The registries travel in the link so the verifier page opens with them filled in;
    the shopper can compare them with the ones the zone operator publishes.
    """
    registries = (chain.trace_registry, chain.party_registry)
    query = [("lot", lot_url), *(("registry", r) for r in registries)]
    return "/verify?" + urlencode(query, quote_via=quote, safe="")


def render_lot_page(
    p: Provenance,
    *,
    lang: Lang,
    base_url: str,
    chain: ChainRef,
    names: Names | None = None,
    producer_grade: tuple[str, str] | None = None,
    returns: Sequence[Mapping[str, Any]] = (),
) -> str:
    """The HTML page of a lot in ``lang``, naming the chain and registries it was checked on,
    the credit grade of its producer (``(name, grade)``) when it is a registered party, and
    the accepted returns of the trades its goods went to (shown apart from the events)."""
    names = names or Names()
    events = _event_items(p, lang, names)
    link = resolver_link(base_url, p.lot)
    info = product_info(p)
    verified = sum(1 for c in p.checks.values() if c.status == "verified")
    t = TEXT[lang]
    state = lot_state(p)
    product = names.product
    variety = info["ilmd"].get("variety")
    context = {
        "lang": lang,
        "t": t,
        "css": Markup(stylesheet()),  # noqa: S704  (our own package file, not user data)
        "lot": p.lot,
        "link": link,
        "chain": chain,
        "verifier": verifier_link(link, chain),
        "recall": p.recall,
        "ilmd": [(translate(lang, f"ilmd.{k}", k), v) for k, v in info["ilmd"].items()],
        "origin": info["origin"],
        "origin_place": place_item(names, info["origin"].get("gln"), lang),
        "title": product.name_in(lang) if product else (variety or t["product"]),
        "brand": product.brand_in(lang) if product else None,
        "producer_grade": producer_grade,
        "variety": variety if product else None,
        "state": state,
        "state_label": t[f"state.{state}"],
        "state_note": t[f"state_note.{state}"],
        "events": events,
        "inspections": [e for e in events if e.get("stage") == "inspection"],
        "alerts": [alert_text(a, lang) for a in p.lineage.alerts],
        "findings": [
            finding_text(f, lang, names) for f in p.lineage.findings if f.kind != "recalled"
        ],
        "summary": t["summary"].format(verified=verified, total=len(p.checks)),
        "all_verified": verified == len(p.checks),
        "orders": list(p.lineage.order_numbers),
        "returns": list(returns),
        "waybills": list(p.lineage.waybills),
        "recalled_by": t["recalled_by"].format(
            by=names.parties.get(p.recall.by or "", p.recall.by or "?")
        ),
    }
    return _environment().get_template("lot.html").render(context)


def render_product_page(gtin: str, lots: list[dict[str, str]], *, lang: Lang) -> str:
    """The product-level page: the lots of a GTIN with recorded events."""
    context = {
        "lang": lang,
        "t": TEXT[lang],
        "css": Markup(stylesheet()),  # noqa: S704  (our own package file, not user data)
        "gtin": gtin,
        "lots": lots,
    }
    return _environment().get_template("product.html").render(context)

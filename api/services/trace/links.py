"""The GS1 Digital Link resolver's links: link types, RFC 9264 linksets, negotiation, QR codes.

A lot's Digital Link answers with, by link type (``https://gs1.org/voc/<type>``):

===================  ==============================================  ===================
link type            target                                          media type
===================  ==============================================  ===================
gs1:defaultLink      the consumer page (``/lots/{gtin}/{lot}``)      text/html
gs1:pip              the consumer page                               text/html
gs1:traceability     the lineage (``/lots/{gtin}/{lot}/lineage``)    application/json
gs1:epcis            the EPCIS query for the lot (API key needed)    application/ld+json
gs1:recallStatus     the recall status read from the chain           application/json
gs1:certificationInfo  each certificate named by an inspection       (the issuer's)
===================  ==============================================  ===================
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode

from api.services.trace.i18n import accept_quality
from api.services.trace.store import LotRef
from traceability.gs1 import lot_uri

GS1_VOC = "https://gs1.org/voc/"
LINKSET_TYPE = "application/linkset+json"
Representation = Literal["html", "json", "linkset"]

#: QR label geometry: ~25 mm square at 300 dpi, with the standard quiet zone.
LABEL_MM = 25.0
LABEL_DPI = 300
QUIET_ZONE = 4


@dataclass(frozen=True)
class Link:
    """One typed link of a Digital Link."""

    link_type: str  # short, e.g. "pip"
    href: str
    title: str
    media_type: str | None = None
    hreflang: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A link target object of RFC 9264."""
        out: dict[str, Any] = {"href": self.href, "title": self.title}
        if self.media_type:
            out["type"] = self.media_type
        if self.hreflang:
            out["hreflang"] = list(self.hreflang)
        return out


def lot_links(base_url: str, lot: LotRef, certificates: list[str]) -> list[Link]:
    """The links of a lot's Digital Link, default first."""
    base = base_url.rstrip("/")
    path = f"{base}/lots/{lot.gtin}/{quote(lot.lot, safe='')}"
    page = ("text/html", ("zh", "en"))
    query = urlencode({"MATCH_anyEPCClass": lot_uri(lot.gtin, lot.lot)})
    links = [
        Link("defaultLink", path, "Product provenance page / 产品溯源页", *page),
        Link("pip", path, "Product information and provenance", *page),
        Link(
            "traceability",
            f"{path}/lineage",
            "Traceability: lineage and on-chain checks",
            "application/json",
        ),
        Link(
            "epcis",
            f"{base}/events?{query}",
            "EPCIS 2.0 events of this lot (API key required)",
            "application/ld+json",
        ),
        Link("recallStatus", f"{path}/recall-status", "Recall status on chain", "application/json"),
    ]
    for uri in dict.fromkeys(certificates):
        if uri.startswith(("https://", "http://")):
            links.append(Link("certificationInfo", uri, "Inspection certificate"))
    return links


def linkset(anchor: str, links: list[Link]) -> dict[str, Any]:
    """The RFC 9264 JSON linkset: one context object, relation types as GS1 Web URIs."""
    context: dict[str, Any] = {"anchor": anchor}
    for link in links:
        context.setdefault(GS1_VOC + link.link_type, []).append(link.to_json())
    return {"linkset": [context]}


def link_header(anchor_linkset_url: str, links: list[Link]) -> str:
    """An HTTP Link header: the linkset itself and the main typed links."""
    parts = [f'<{anchor_linkset_url}>; rel="linkset"; type="{LINKSET_TYPE}"']
    parts += [
        f'<{link.href}>; rel="{GS1_VOC}{link.link_type}"'
        for link in links
        if link.link_type in ("pip", "traceability", "recallStatus")
    ]
    return ", ".join(parts)


def pick_link(links: list[Link], link_type: str) -> Link | None:
    """The first link of ``link_type`` (``gs1:pip``, ``pip`` or its full URI)."""
    short = link_type.removeprefix("gs1:").removeprefix(GS1_VOC)
    return next((link for link in links if link.link_type == short), None)


def negotiate(accept: str | None) -> Representation:
    """Linkset, JSON or HTML by the Accept header's q-values (HTML by default)."""
    best: tuple[float, Representation] = (0.0, "html")
    for position, item in enumerate((accept or "").split(",")):
        media, _, params = item.strip().partition(";")
        kind = _representation(media.strip().lower())
        if kind is None:
            continue
        weight = accept_quality(params) - position * 1e-6
        if weight > best[0]:
            best = (weight, kind)
    return best[1]


def _representation(media: str) -> Representation | None:
    if media == LINKSET_TYPE:
        return "linkset"
    if media in ("application/json", "application/ld+json"):
        return "json"
    if media in ("text/html", "application/xhtml+xml", "text/*", "*/*"):
        return "html"
    return None


def resolver_description(base_url: str) -> dict[str, Any]:
    """``/.well-known/gs1resolver``: what this resolver supports."""
    base = base_url.rstrip("/")
    types = ["defaultLink", "pip", "traceability", "epcis", "recallStatus", "certificationInfo"]
    return {
        "name": "sandan GS1 Digital Link resolver",
        "resolverRoot": base,
        "supportedPrimaryKeys": ["01"],
        "supportedQualifiers": {"01": ["10", "21"]},
        "supportedLinkType": [
            {"namespace": GS1_VOC, "prefix": "gs1:", "linkType": t} for t in types
        ],
        "linkTypeDefaultCanBeLinkset": True,
        "linksetMediaType": LINKSET_TYPE,
        "supportedContextValuesEnumerated": {"lang": ["zh", "en"]},
        "qrCode": f"{base}/qr?dl=<Digital Link>&format=png|svg",
        "validatedAgainst": "GS1 Digital Link URI syntax 1.2; check digits verified",
    }


@dataclass(frozen=True)
class LabelQr:
    """A label-sized QR code and what a printer needs to know about it."""

    data: bytes
    version: int
    error: str


def label_qr(uri: str, kind: Literal["png", "svg"], *, xml_declaration: bool = False) -> LabelQr:
    """A label-sized QR code of ``uri`` (ECC M, ~25 mm at 300 dpi, quiet zone of 4 modules)."""
    import segno  # imported here: only the QR route and command need it

    code = segno.make(uri, error="m", boost_error=False, micro=False)
    modules = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    out = io.BytesIO()
    if kind == "png":
        scale = max(1, round(LABEL_MM / 25.4 * LABEL_DPI / modules))
        code.save(out, kind="png", scale=scale, border=QUIET_ZONE, dpi=LABEL_DPI)
    else:
        code.save(
            out,
            kind="svg",
            scale=LABEL_MM / modules,
            border=QUIET_ZONE,
            unit="mm",
            xmldecl=xml_declaration,
        )
    return LabelQr(out.getvalue(), int(code.version), str(code.error))


def qr_image(uri: str, kind: Literal["png", "svg"]) -> bytes:
    """A label-sized QR code of ``uri`` as the resolver serves it."""
    return label_qr(uri, kind).data

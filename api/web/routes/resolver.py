"""The GS1 Digital Link resolver, the consumer page and label QR codes (public, no API key).

``/01/{gtin}[/10/{lot}][/21/{serial}]`` answers by content negotiation: the
consumer page for browsers, the JSON provenance for ``application/json``, the
RFC 9264 linkset for ``application/linkset+json`` or ``?linkType=all``, and a
307 redirect for ``?linkType=gs1:<type>``. Invalid URIs get a 400 whose
``field`` names the bad part (``path./01`` for a wrong check digit...).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session, col, select

from api.db.trace_models import TraceEventEpcRecord, TraceEventLotRecord
from api.db.trace_version import Stamp, read_stamp
from api.errors import BadRequest, NotFound
from api.runtime import Runtime
from api.services import returns as trace_returns
from api.services.risk.views import producer_grade
from api.services.trace import links as trace_links
from api.services.trace import lots as trace_lots
from api.services.trace import material as trace_material
from api.services.trace import names as trace_names
from api.services.trace.answers import (
    CACHE_CONTROL,
    Answer,
    cached_answer,
    etag_of,
    live_answer,
    matches_etag,
)
from api.services.trace.i18n import Lang, choose_lang
from api.services.trace.store import LotRef
from api.services.trace.view import provenance_json
from api.web.deps import RuntimeDep, SessionDep
from api.web.errors import ErrorBodyResponses, error_response
from api.web.pages.consumer import content_security_policy, render_lot_page, render_product_page
from traceability.epcis import InvalidDigitalLink
from traceability.gs1 import DigitalLink, build_digital_link, parse_digital_link

router = APIRouter(tags=["resolver"], responses=ErrorBodyResponses)
#: What a lot's answer depends on besides its URI: the representation and the page's language.
VARY = "Accept, Accept-Language"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _parse(uri: str, field_prefix: str = "") -> DigitalLink:
    try:
        return _parsed(uri)
    except InvalidDigitalLink as exc:
        field = f"{field_prefix}{exc.field}" if exc.field else field_prefix or None
        raise BadRequest(exc.message, field=field, code=exc.reason) from exc


# Module-level: a pure function of one string returning a frozen value; every scan of a
# label repeats the same URI, and checking each AI costs more than the cached answer.
@lru_cache(maxsize=4096)
def _parsed(uri: str) -> DigitalLink:
    return parse_digital_link(uri)


@router.get("/.well-known/gs1resolver")
def describe_resolver(request: Request) -> dict[str, Any]:
    """What this resolver supports (GS1 resolver description)."""
    return trace_links.resolver_description(_base(request))


@router.get(
    "/qr",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def qr_code(
    dl: Annotated[str, Query(max_length=2000, description="A GS1 Digital Link URI")],
    format: Annotated[Literal["png", "svg"], Query()] = "png",
) -> Response:
    """A label-sized QR code (error correction M, ~25 mm at 300 dpi) of a checked Digital Link."""
    _parse(dl, "dl.")
    media = "image/png" if format == "png" else "image/svg+xml"
    return Response(
        trace_links.qr_image(dl, format),
        media_type=media,
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/lots/{gtin}/{lot}", response_model=None)
def lot_page(
    gtin: str, lot: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """A lot's consumer page (HTML) or JSON provenance, by the Accept header."""
    ref = trace_lots.lot_ref(gtin, lot)
    return _represent(request, session, runtime, ref, {}, kind=None)


@router.get("/01/{rest:path}", response_model=None)
def resolve(rest: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Resolve a GS1 Digital Link: page, JSON, linkset or a redirect by linkType."""
    link = _parse(_link_uri(request))
    options = dict(link.other_query)
    assert link.gtin is not None
    if link.lot is None and link.serial is None:
        return _product(request, session, link.gtin, options)
    ref = LotRef(link.gtin, link.lot) if link.lot else _lot_of_item(session, link)
    return _represent(request, session, runtime, ref, options, kind=None)


@router.head("/01/{rest:path}", response_model=None, include_in_schema=False)
def resolve_head(rest: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """HEAD of a Digital Link, as GS1 resolvers answer it: GET's status and headers (a
    redirect's Location, the Link header, the media type), no body."""
    return _head_of(resolve(rest, request, session, runtime))


def _head_of(answer: Response) -> Response:
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return Response(status_code=answer.status_code, headers=headers)


def _link_uri(request: Request) -> str:
    """The Digital Link a request's path and query are, on GS1's canonical host."""
    raw_path = request.scope.get("raw_path", request.url.path.encode()).decode("latin-1")
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"https://id.gs1.org{raw_path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class StoredResolution:
    """A stored answer the fast path may send once its stamp is found to hold."""

    key: Hashable
    answer: Answer

    def response(self, request: Request) -> Response:
        """What :func:`resolve` or :func:`resolve_head` would answer with it."""
        if self.answer.missing is not None:
            return error_response(self.answer.missing)
        response = answer_response(self.answer, request.headers.get("if-none-match"))
        return _head_of(response) if request.method == "HEAD" else response


def refresh_resolution(request: Request, runtime: Runtime) -> None:
    """Build a lot's stored answer again ahead of its expiry, as :func:`resolve` would."""
    link = _parse(_link_uri(request))
    assert link.gtin is not None
    assert link.lot is not None
    with Session(runtime.engine, expire_on_commit=False) as session:
        ref = LotRef(link.gtin, link.lot)
        _represent(request, session, runtime, ref, dict(link.other_query), kind=None, refresh=True)


def stored_resolution(request: Request, runtime: Runtime) -> StoredResolution | None:
    """The live stored answer a Digital Link GET or HEAD of a lot would be sent, or None.

    The resolver's fast path (:mod:`api.web.fast`): the same key as :func:`resolve`
    (content negotiation, language, link options), without FastAPI's routing,
    dependencies or a session; it sends it once the stamp holds (a kept 404 as the
    error handler renders it). Anything else (a serial, a linkType redirect, a bad
    link, no live stored answer) is None.
    """
    try:
        link = _parsed(_link_uri(request))
    except InvalidDigitalLink:
        return None
    if link.gtin is None or link.lot is None or link.serial is not None:
        return None
    options = dict(link.other_query)
    link_type = options.get("linkType")
    if link_type and link_type != "all":
        return None
    kind = "linkset" if link_type == "all" else negotiate_kind(request)
    lang = _lang(kind, options, request.query_params.get("lang"), request.headers)
    key = answer_key(_base(request), LotRef(link.gtin, link.lot), options, kind, lang)
    answer = live_answer(runtime, key)
    if answer is None or (answer.missing is not None and request.method == "HEAD"):
        return None  # the route's HEAD of a 404 keeps its body's length: left to it
    return StoredResolution(key, answer)


def _lot_of_item(session: Session, link: DigitalLink) -> LotRef:
    """The lot a serialised item belongs to, from the events that name it."""
    item = link.constrained()
    stmt = (
        select(TraceEventLotRecord)
        .join(
            TraceEventEpcRecord,
            col(TraceEventEpcRecord.event_id) == col(TraceEventLotRecord.event_id),
        )
        .where(TraceEventEpcRecord.epc == item)
    )
    lots = {(r.gtin, r.lot) for r in session.exec(stmt).all() if r.gtin == link.gtin}
    if len(lots) != 1:
        what = "no recorded event names" if not lots else "several lots claim"
        raise NotFound(f"{what} item {item}", field="path./21")
    gtin, lot = lots.pop()
    return LotRef(gtin, lot)


def _represent(
    request: Request,
    session: Session,
    runtime: Runtime,
    ref: LotRef,
    options: dict[str, str],
    *,
    kind: trace_links.Representation | None,
    refresh: bool = False,
) -> Response:
    """A lot's answer: a redirect by linkType, or the page, JSON or linkset, kept as bytes
    (see :mod:`api.services.trace.answers`) and answered 304 to a matching If-None-Match."""
    base = _base(request)
    trace_lots.autocommit_reads(session)
    link_type = options.get("linkType")
    if link_type and link_type != "all":
        return _redirect(request, session, runtime, ref, link_type)
    kind = "linkset" if link_type == "all" else negotiate_kind(request)
    lang = _lang(kind, options, request.query_params.get("lang"), request.headers)
    key = answer_key(base, ref, options, kind, lang)
    answer = cached_answer(
        runtime,
        key,
        ref.lot_id,
        lambda lots: _stamp_now(session, lots),
        lambda: _build(base, session, runtime, ref, kind, lang),
        refresh=refresh,
        probe=lambda: _lots_of(session, runtime, ref),
    )
    assert answer is not None
    return answer_response(answer, request.headers.get("if-none-match"))


def _lang(
    kind: trace_links.Representation,
    options: dict[str, str],
    lang_query: str | None,
    headers: Mapping[str, str],
) -> Lang | None:
    """The page's language (None for JSON and the linkset, which have none)."""
    if kind != "html":
        return None
    return choose_lang(options.get("lang") or lang_query, headers.get("accept-language"))


def answer_key(
    base: str,
    ref: LotRef,
    options: dict[str, str],
    kind: trace_links.Representation,
    lang: Lang | None,
) -> tuple[Hashable, ...]:
    """The key a lot's answer is stored under (:mod:`api.services.trace.answers`)."""
    return (base, ref.gtin, ref.lot, tuple(sorted(options.items())), kind, lang)


def answer_response(answer: Answer, if_none_match: str | None) -> Response:
    """The stored answer as a response: its bytes, or a 304 to a matching If-None-Match."""
    headers = dict(answer.headers)
    headers |= {"ETag": answer.etag, "Cache-Control": CACHE_CONTROL}
    if matches_etag(if_none_match, answer.etag):
        return Response(status_code=304, headers=headers)
    return Response(answer.body, media_type=answer.media_type, headers=headers)


def _lots_of(session: Session, runtime: Runtime, ref: LotRef) -> tuple[str, ...]:
    """The lots a lot's answer depends on: itself and those it was made from."""
    trace_lots.autocommit_reads(session)
    upstream = trace_lots.upstream_lots(session, ref, caches=runtime.caches)
    return (ref.lot_id, *(lot.lot_id for lot in upstream))


def _stamp_now(session: Session, lots: Iterable[str]) -> Stamp:
    """The stamp of ``lots``, the session's connection then handed back to the pool: a
    request may now wait for another's build of the same answer, and a crowd of them
    must not hold every pooled connection meanwhile (its own build starts a new read)."""
    stamp = read_stamp(session.connection(), lots)
    session.rollback()
    return stamp


def _history(session: Session, runtime: Runtime, ref: LotRef) -> trace_lots.LotHistory:
    history = trace_lots.lot_history(session, ref, caches=runtime.caches)
    if not history.records:
        raise NotFound(f"no events recorded for lot {ref.lot} of GTIN {ref.gtin}", field="path./10")
    return history


def _anchor(base: str, ref: LotRef) -> str:
    return f"{base}/01/{ref.gtin}/10/{quote(ref.lot, safe='')}"


def _redirect(
    request: Request, session: Session, runtime: Runtime, ref: LotRef, link_type: str
) -> Response:
    """The 307 to the lot's link of ``link_type`` (not kept: a Location, no body)."""
    base = _base(request)
    history = _history(session, runtime, ref)
    certificates = trace_lots.certificates_of(history.records, caches=runtime.caches)
    links = trace_links.lot_links(base, ref, certificates)
    chosen = trace_links.pick_link(links, link_type)
    if chosen is None:
        available = ", ".join(sorted({f"gs1:{x.link_type}" for x in links}))
        raise NotFound(
            f"no link of type {link_type}; available: {available}",
            field="query.linkType",
            code="link_type_not_found",
        )
    headers = {
        "Link": trace_links.link_header(f"{_anchor(base, ref)}?linkType=all", links),
        "Vary": VARY,
    }
    return RedirectResponse(chosen.href, status_code=307, headers=headers)


def _build(
    base: str,
    session: Session,
    runtime: Runtime,
    ref: LotRef,
    kind: trace_links.Representation,
    lang: Lang | None,
) -> Answer:
    """Build the lot's page, JSON or linkset now (the path a stored answer saves)."""
    trace_lots.autocommit_reads(session)  # its connection was handed back after the stamp
    anchor = _anchor(base, ref)
    history = _history(session, runtime, ref)
    certificates = trace_lots.certificates_of(history.records, caches=runtime.caches)
    links = trace_links.lot_links(base, ref, certificates)
    headers = {
        "Link": trace_links.link_header(f"{anchor}?linkType=all", links),
        "Vary": VARY,
    }
    response: Response
    if kind == "linkset":
        body = trace_links.linkset(anchor, links)
        response = JSONResponse(body, media_type=trace_links.LINKSET_TYPE)
    else:
        found = trace_lots.provenance(session=session, runtime=runtime, lot=ref, history=history)
        names = trace_names.names_of_lot(session, found)
        chain = trace_material.chain_ref(runtime)
        if kind == "json":
            envelopes = trace_material.signing_material(
                session, found.records, caches=runtime.caches
            )
            material = trace_material.verification_material(
                found, chain=chain, envelopes=envelopes, caches=runtime.caches
            )
            body = provenance_json(found, base_url=base, material=material, names=names)
            body["returns"] = trace_returns.lot_returns(session, found.lineage.order_numbers)
            response = JSONResponse(body)
        else:
            assert lang is not None
            grade = producer_grade(session, runtime, ref.gtin)
            html = render_lot_page(
                found,
                lang=lang,
                base_url=base,
                chain=chain,
                names=names,
                producer_grade=grade,
                returns=trace_returns.lot_returns(session, found.lineage.order_numbers),
            )
            response = HTMLResponse(html)
            headers |= _page_headers(lang)
    body_bytes = bytes(response.body)
    media_type = response.headers["content-type"]
    depends = (ref.lot_id, *(lot.lot_id for lot in history.upstream))  # as _lots_of
    etag = etag_of(body_bytes)
    return Answer(body_bytes, media_type, tuple(headers.items()), etag, (), 0.0, None, depends)


def negotiate_kind(request: Request) -> trace_links.Representation:
    """The representation the Accept header asks for."""
    return trace_links.negotiate(request.headers.get("accept"))


def _page_headers(lang: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Content-Language": "zh-CN" if lang == "zh" else "en",
    }


def _product(request: Request, session: Session, gtin: str, options: dict[str, str]) -> Response:
    """Product level (``/01/{gtin}``): the lots of this GTIN with recorded events."""
    rows = session.exec(
        select(TraceEventLotRecord.lot).where(TraceEventLotRecord.gtin == gtin).distinct()
    ).all()
    if not rows:
        raise NotFound(f"no lots recorded for GTIN {gtin}", field="path./01")
    base = _base(request)
    lots = [
        {"lot": lot, "digitalLink": build_digital_link(gtin, lot=lot, host=base)}
        for lot in sorted(rows)
    ]
    anchor = f"{base}/01/{gtin}"
    kind = "linkset" if options.get("linkType") == "all" else negotiate_kind(request)
    if kind == "linkset":
        context = {
            "anchor": anchor,
            trace_links.GS1_VOC + "pip": [
                {"href": item["digitalLink"], "title": f"Lot {item['lot']}"} for item in lots
            ],
        }
        return JSONResponse({"linkset": [context]}, media_type=trace_links.LINKSET_TYPE)
    if kind == "json":
        return JSONResponse({"gtin": gtin, "lots": lots})
    lang = choose_lang(options.get("lang"), request.headers.get("accept-language"))
    return HTMLResponse(render_product_page(gtin, lots, lang=lang), headers=_page_headers(lang))

"""One check for every route that reads a body: the Content-Type must be the one it reads.

Without it a JSON body sent as ``text/plain`` (or with no Content-Type) reaches FastAPI
as bytes and fails as "Input should be a valid dictionary", which tells the sender
nothing about the header they got wrong. The accepted types are those a route's OpenAPI
request body lists (its ``openapi_extra``), or JSON for a route FastAPI parses a body
for; parameters such as ``charset`` are ignored.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.routing import APIRoute

from api.errors import UnsupportedMediaType

__all__ = ["accepted_media_types", "require_declared_media_type"]

_JSON = "application/json"


def accepted_media_types(route: APIRoute) -> tuple[str, ...]:
    """The media types ``route`` reads its body as (none: it reads no body)."""
    declared = (route.openapi_extra or {}).get("requestBody", {}).get("content")
    if declared:
        return tuple(declared)
    return (_JSON,) if route.body_field is not None else ()


def require_declared_media_type(request: Request) -> None:
    """415 naming ``Content-Type`` when a body is sent as a type its route does not read."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not _has_body(request):
        return
    accepted = accepted_media_types(route)
    if not accepted:
        return
    sent = request.headers.get("content-type")
    media = (sent or "").split(";", 1)[0].strip().lower()
    if any(_matches(media, wanted) for wanted in accepted):
        return
    got = f"got {sent!r}" if sent else "none was sent"
    raise UnsupportedMediaType(
        f"Content-Type must be {' or '.join(accepted)} for {request.method} {route.path}; {got}",
        field="Content-Type",
    )


def _matches(media: str, wanted: str) -> bool:
    # FastAPI reads any JSON type as JSON: application/json and the +json suffix types.
    if wanted == _JSON:
        return media == _JSON or (media.startswith("application/") and media.endswith("+json"))
    return media == wanted


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    if length is not None:
        return length.strip() not in ("", "0")
    return "transfer-encoding" in request.headers

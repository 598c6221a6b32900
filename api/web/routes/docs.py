"""API documentation pages that work offline: Swagger UI and ReDoc from files this package
ships (swagger-ui-dist 5.35.0, redoc 2.5.4, their licences beside them), never a CDN.

FastAPI's default pages load their JavaScript from a CDN, so on a machine without
internet `/docs` and `/redoc` are blank. The same pages are served here with every
asset from ``api/web/static/docs/``, under a Content-Security-Policy that lets the page
reach nothing but this service (ReDoc's own "powered by" logo from its CDN included): the
pages' inline scripts are allowed by their hashes, not by ``unsafe-inline``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from types import MappingProxyType
from typing import Final

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from api.errors import NotFound

router = APIRouter(include_in_schema=False)

_ASSETS = Path(__file__).resolve().parent.parent / "static" / "docs"
#: The only files served, with their media types (no path is ever built from the URL).
_FILES: Final = MappingProxyType(
    {
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
        "favicon-32x32.png": "image/png",
        "redoc.standalone.js": "text/javascript",
    }
)


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _self_only(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a CSP naming only this origin, and its inline scripts by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(bytes(page.body))
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'self' {hashes}; worker-src blob:; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
    return page


def _asset_url(request: Request, name: str) -> str:
    return str(request.url_for("docs_asset", name=name).path)


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for this service's OpenAPI document."""
    return _self_only(
        get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} — API",
            swagger_js_url=_asset_url(request, "swagger-ui-bundle.js"),
            swagger_css_url=_asset_url(request, "swagger-ui.css"),
            swagger_favicon_url=_asset_url(request, "favicon-32x32.png"),
        )
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc for this service's OpenAPI document (no web fonts: nothing leaves the page)."""
    return _self_only(
        get_redoc_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} — API reference",
            redoc_js_url=_asset_url(request, "redoc.standalone.js"),
            redoc_favicon_url=_asset_url(request, "favicon-32x32.png"),
            with_google_fonts=False,
        )
    )


@router.get("/docs/assets/{name}", name="docs_asset")
def docs_asset(name: str) -> FileResponse:
    """One of the documentation pages' own files, cached for a day."""
    media_type = _FILES.get(name)
    if media_type is None:
        raise NotFound(f"no documentation asset {name!r}", field="name")
    return FileResponse(
        _ASSETS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"}
    )

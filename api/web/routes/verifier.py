"""The browser verifier page (public, no API key): ``GET /verify``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.web.pages.verifier import content_security_policy, render_verifier_page

router = APIRouter(tags=["resolver"])


@router.get("/verify", response_class=HTMLResponse)
def verifier_page() -> HTMLResponse:
    """Check a trade bundle or a lot against the chain in the browser, without Python."""
    return HTMLResponse(
        render_verifier_page(),
        headers={
            "Content-Security-Policy": content_security_policy(),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache",
        },
    )

"""`/docs` and `/redoc` render in Chromium with every request outside the service refused:
the API documentation works on a machine without internet."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SCREENSHOTS, LiveApp

pytestmark = pytest.mark.browser


def _offline_page(chromium: Any, base_url: str) -> tuple[Any, list[str]]:
    """A page whose every request to anywhere but the service is aborted (and recorded)."""
    own = urlsplit(base_url).netloc
    refused: list[str] = []
    page = chromium.new_page()

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if urlsplit(url).netloc == own or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    return page, refused


def test_swagger_ui_renders_every_operation_offline(chromium: Any, live_app: LiveApp) -> None:
    page, refused = _offline_page(chromium, live_app.base_url)
    page.goto(f"{live_app.base_url}/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = live_app.client.get("/openapi.json").json()["paths"]
    expected = sum(len(ops) for ops in operations.values())
    assert page.locator(".opblock").count() == expected
    assert "sandan" in page.inner_text(".info")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-docs-swagger.png"))
    assert refused == []


def test_redoc_renders_offline(chromium: Any, live_app: LiveApp) -> None:
    page, refused = _offline_page(chromium, live_app.base_url)
    page.goto(f"{live_app.base_url}/redoc")
    page.wait_for_selector("h1", timeout=20_000)
    page.wait_for_function(
        "() => document.body.innerText.includes('Register a party')"
        " || document.querySelectorAll('[data-section-id]').length > 10",
        timeout=20_000,
    )
    assert "sandan" in page.inner_text("h1")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-docs-redoc.png"))
    assert refused == []


def test_docs_assets_are_served_by_name_only(live_app: LiveApp) -> None:
    ok = live_app.client.get("/docs/assets/swagger-ui-bundle.js")
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("text/javascript")
    for name in ("..%2Fmain.py", "LICENSE.redoc", "nothing.js"):
        assert live_app.client.get(f"/docs/assets/{name}").status_code == 404

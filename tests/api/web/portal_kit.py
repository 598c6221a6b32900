"""What the workbench's tests share: a browser of their own on the app, its CSRF token, sign-in."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import World

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, html
    return found.group(1)


def new_browser(world: World) -> TestClient:
    """A client of its own (its own cookie jar), on the same app."""
    return TestClient(world.client.app, base_url="http://testserver")


def sign_in(browser: TestClient, credential: str) -> Any:
    page = browser.get("/")
    assert page.status_code == 200, page.text
    return browser.post(
        "/signin",
        data={"credential": credential, "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )

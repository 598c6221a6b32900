"""Browser fixtures: Debian's Chromium through Playwright, and the real app served by uvicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.anchoring.worker import AnchorWorker
from api.db.engine import make_engine
from api.runtime import Runtime
from api.web.main import create_app
from tests.api.conftest import postgres_schema
from tests.api.factories import app_settings, deployed_ledger
from tests.browser.served import ServedSandan, serve_sandan
from tests.conftest import free_port
from tests.live_server import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_TOKEN = "browser-admin-token"
SCREENSHOTS = Path(__file__).parent / "screenshots"
#: The served process's idle session length: the settings' smallest unit is a minute, so
#: the expiry test ages the session row instead of waiting.
SESSION_IDLE_MINUTES = 5


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("SANDAN_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail(f"{CHROMIUM} is required when SANDAN_REQUIRE_ALL_BACKENDS=1 (make browser)")
        pytest.skip(f"{CHROMIUM} not installed (run `make browser`)")


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A persistent-less Chromium context (fresh user data dir), phone-sized."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 390, "height": 1400},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        try:
            yield context
        finally:
            context.close()


@dataclass
class LiveApp:
    """The app served over real HTTP, plus an in-process client and worker on the same runtime."""

    base_url: str
    client: TestClient
    runtime: Runtime
    worker: AnchorWorker


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    """uvicorn on a free 127.0.0.1 port in a thread; in-process chain; SQLite file."""
    ledger = deployed_ledger()
    port = free_port()
    settings = app_settings(
        tmp_path,
        admin_token=ADMIN_TOKEN,
        keystore_secret="browser-secret",
        public_base_url=f"http://127.0.0.1:{port}",
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'sandan.db'}")
    runtime = Runtime.from_settings(settings, engine=engine, ledger_factory=lambda: ledger)
    app = create_app(runtime=runtime)
    try:
        with serve_in_thread(app, port), TestClient(app) as client:
            yield LiveApp(settings.public_base_url, client, runtime, AnchorWorker(runtime))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    """One headless Chromium for a whole module: launching it per test costs seconds."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_context(chromium_browser: Any) -> Iterator[Any]:
    """A fresh context (no cookies) of the module's Chromium for each test."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context
    finally:
        context.close()


def watched_page(context: Any, base_url: str, width: int) -> tuple[Any, list[str]]:
    """A page at ``width`` px that records console errors and refuses other hosts."""
    own = urlsplit(base_url).netloc
    problems: list[str] = []
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).netloc == own:
            request_route.continue_()
        else:
            problems.append(f"request to {request_route.request.url}")
            request_route.abort()

    page.route("**/*", route)
    return page, problems


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedSandan]:
    """A real ``sandan serve`` process for the module, on its own anvil: on a SQLite file,
    and on a fresh private PostgreSQL schema (skipped without SANDAN_TEST_POSTGRES_URL,
    failed under SANDAN_REQUIRE_ALL_BACKENDS=1)."""
    tmp = tmp_path_factory.mktemp(f"served-{request.param}")
    settings = {"SANDAN_SESSION_IDLE_MINUTES": str(SESSION_IDLE_MINUTES)}
    if request.param == "sqlite":
        with serve_sandan(tmp, admin_token=ADMIN_TOKEN, extra_settings=settings) as live:
            yield live
    else:
        with (
            postgres_schema() as url,
            serve_sandan(
                tmp, admin_token=ADMIN_TOKEN, database_url=url, extra_settings=settings
            ) as live,
        ):
            yield live

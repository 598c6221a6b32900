"""Browser fixtures: Debian's Chromium through Playwright, and the real app served by uvicorn."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.anchoring.worker import AnchorWorker
from api.db.engine import make_engine
from api.runtime import Runtime
from api.web.main import create_app
from tests.api.factories import app_settings, deployed_ledger
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


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    """A persistent-less Chromium context (fresh user data dir), phone-sized."""
    if not CHROMIUM.exists():
        if os.environ.get("SANDAN_REQUIRE_ALL_BACKENDS") == "1":
            pytest.fail(f"{CHROMIUM} is required when SANDAN_REQUIRE_ALL_BACKENDS=1 (make browser)")
        pytest.skip(f"{CHROMIUM} not installed (run `make browser`)")
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

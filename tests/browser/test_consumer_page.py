"""The consumer page in headless Chromium: verified, then one stored event tampered with."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from api.db.trace_models import TraceEventRecord
from api.demo.trace import run_trace_demo
from tests.browser.conftest import ADMIN_TOKEN, SCREENSHOTS, LiveApp

pytestmark = pytest.mark.browser
DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "consumer-page.png"


def _statuses(page: Any) -> dict[str, str]:
    checks = page.locator("[data-testid=check]")
    return {
        checks.nth(i).get_attribute("data-hash"): checks.nth(i).get_attribute("data-status")
        for i in range(checks.count())
    }


def _tamper_inspection(live_app: LiveApp) -> str:
    """Change the lab's temperature reading in the stored inspection event; return its hash."""
    with Session(live_app.runtime.engine) as session:
        record = session.exec(
            select(TraceEventRecord).where(TraceEventRecord.event_json.contains("inspecting"))  # type: ignore[attr-defined]
        ).one()
        event = json.loads(record.event_json)
        event["sensorElementList"][0]["sensorReport"][0]["value"] = 4.5
        record.event_json = json.dumps(event, ensure_ascii=False)
        session.add(record)
        session.commit()
        return record.event_hash


def test_consumer_page_shows_verified_lot_then_tampered_event(
    live_app: LiveApp, chromium: Any, tmp_path: Path
) -> None:
    demo = run_trace_demo(
        live_app.client, ADMIN_TOKEN, live_app.worker, tmp_path, lambda _line: None, "browser"
    )
    url = demo["digitalLink"]
    assert url.startswith(live_app.base_url)
    SCREENSHOTS.mkdir(exist_ok=True)
    page = chromium.new_page()
    blocked: list[str] = []
    page.on(
        "request", lambda r: None if r.url.startswith(live_app.base_url) else blocked.append(r.url)
    )

    for lang in ("zh", "en"):
        response = page.goto(f"{url}?lang={lang}")
        assert response is not None
        assert response.status == 200
        statuses = _statuses(page)
        assert len(statuses) == 8
        assert set(statuses.values()) == {"verified"}
        assert page.locator("[data-testid=recall-banner]").count() == 0
        page.screenshot(
            path=str(SCREENSHOTS / f"consumer-page-verified-{lang}.png"), full_page=True
        )
    assert "8 of 8 events verified on chain" in page.locator("[data-testid=summary]").inner_text()
    page.goto(f"{url}?lang=zh")
    page.screenshot(path=str(SCREENSHOTS / "consumer-page-first-screen-zh.png"))

    tampered = _tamper_inspection(live_app)
    for lang in ("zh", "en"):
        page.goto(f"{url}?lang={lang}")
        statuses = _statuses(page)
        assert statuses.pop(tampered) == "hash_mismatch"
        assert set(statuses.values()) == {"verified"}
        page.screenshot(
            path=str(SCREENSHOTS / f"consumer-page-tampered-{lang}.png"), full_page=True
        )
    failed = page.locator(f"[data-testid=check][data-hash='{tampered}']").inner_text()
    assert "FAILED: record changed after anchoring" in failed
    assert "7 of 8 events verified on chain" in page.locator("[data-testid=summary]").inner_text()
    assert blocked == []
    if os.environ.get("SANDAN_UPDATE_DOCS_SCREENSHOT") == "1":  # refresh the README's picture
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(SCREENSHOTS / "consumer-page-first-screen-zh.png", DOCS_SCREENSHOT)

"""The traceability demo end to end on the in-process chain."""

from __future__ import annotations

from pathlib import Path

from api.demo.trace import run_trace_demo
from tests.api.conftest import ADMIN_TOKEN, World


def test_run_trace_demo_verifies_every_event(world: World, tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_trace_demo(world.client, ADMIN_TOKEN, world.worker, tmp_path, lines.append, "t1")
    assert result["allVerified"], result
    assert len(result["events"]) == 8
    assert {e["status"] for e in result["events"]} == {"verified"}
    assert all(e["blockNumber"] and e["txHash"] for e in result["events"])
    assert Path(result["qr"]["png"]).read_bytes().startswith(b"\x89PNG")
    assert b"<svg" in Path(result["qr"]["svg"]).read_bytes()
    assert result["digitalLink"].endswith("/01/06901234123456/10/GNT1")
    assert result["findings"] == []
    assert any("8 of 8 events verified" in line for line in lines)

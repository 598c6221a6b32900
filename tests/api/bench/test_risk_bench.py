"""The risk bench: both figures measured, the XML one against the 60 s target."""

from __future__ import annotations

from pathlib import Path

from api.bench import risk
from api.bench.context import BenchContext


def test_risk_bench_reports_engine_and_xml_scan_scaled_to_10k(tmp_path: Path) -> None:
    ctx = BenchContext(quick=True, workdir=tmp_path, postgres_url=None)
    ctx.size = lambda quick, full: 200  # type: ignore[method-assign]
    metrics = {m.name: m for m in risk.run(ctx)}
    assert set(metrics) == {"risk.engine_10k_seconds", "risk.scan_10k_seconds"}
    engine, xml = metrics["risk.engine_10k_seconds"], metrics["risk.scan_10k_seconds"]
    assert engine.value is not None
    assert xml.value is not None
    assert 0 < engine.value < xml.value  # parsing XML dominates
    assert xml.target is not None
    assert (xml.target.limit, xml.target.direction) == (60, "at_most")
    written = len(list((tmp_path / "risk-trades").iterdir()))
    assert 200 <= written <= 205
    assert f"{written} scanned" in xml.notes

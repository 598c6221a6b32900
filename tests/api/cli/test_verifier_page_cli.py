"""``sandan verifier-page -o FILE``: the page of GET /verify as one file, without the web stack."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import build_app
from api.web.pages.verifier import render_verifier_page
from tests.probe import modules_loaded_by, top_level

HEAVY = {"web3", "eth_account", "sqlalchemy", "sqlmodel", "fastapi", "starlette", "uvicorn"}


def test_verifier_page_writes_the_served_page(tmp_path: Path) -> None:
    out = tmp_path / "verify.html"
    result = CliRunner().invoke(build_app(), ["verifier-page", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert out.read_text(encoding="utf-8") == render_verifier_page()


def test_verifier_page_loads_no_web_stack(tmp_path: Path) -> None:
    out = tmp_path / "verify.html"
    code = f"""
import contextlib, io, sys
sys.argv = ["sandan", "verifier-page", "-o", {str(out)!r}]
from api.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit:
        pass
"""
    assert top_level(modules_loaded_by(code)) & HEAVY == set()
    assert out.stat().st_size > 100_000

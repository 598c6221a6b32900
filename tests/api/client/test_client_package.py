"""``api.client`` declares its API and stays light to import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import api.client

ROOT = Path(__file__).resolve().parents[3]


def test_client_all_matches_public_members() -> None:
    public = {
        name
        for name, value in vars(api.client).items()
        if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert set(api.client.__all__) == public
    assert api.client.__all__ == sorted(
        api.client.__all__, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )


def test_import_client_loads_no_web_database_or_chain_module() -> None:
    heavy = ["sqlmodel", "sqlalchemy", "fastapi", "starlette", "web3", "ledger_client"]
    code = f"import sys, api.client; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
        env={"PYTHONPATH": str(ROOT)},
    ).stdout.strip()  # fmt: skip
    assert loaded == ""

"""The committed verifier bundle is exactly what the sources and the lockfile build."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import require_all_backends
from tests.verifier.conftest import BUNDLE, VERIFIER_DIR


def test_committed_verifier_bundle_is_rebuilt_byte_for_byte(node: str, tmp_path: Path) -> None:
    if not (VERIFIER_DIR / "node_modules" / "esbuild").is_dir():
        if require_all_backends():
            pytest.fail(
                "verifier/node_modules is required (make setup runs npm ci --prefix verifier)"
            )
        pytest.skip("verifier/node_modules not installed (make setup)")
    rebuilt = tmp_path / "verifier.js"
    subprocess.run(
        [node, str(VERIFIER_DIR / "build.mjs"), str(rebuilt)],
        check=True,
        cwd=VERIFIER_DIR,
        timeout=120,
    )
    assert rebuilt.read_bytes() == BUNDLE.read_bytes(), (
        "api/web/static/verifier/verifier.js is stale: run `make verifier` and commit it"
    )

"""Fixtures of the browser verifier's tests: node, and the vectors the Python code makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import require_tool
from tests.verifier.vectors import build_vectors

ROOT = Path(__file__).resolve().parents[2]
VERIFIER_DIR = ROOT / "verifier"
BUNDLE = ROOT / "api" / "web" / "static" / "verifier" / "verifier.js"


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary (the npm toolchain of `make setup` brings it)."""
    return require_tool("node", "node is required (make setup installs it)")


@pytest.fixture(scope="session")
def vectors_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vectors of :mod:`tests.verifier.vectors` as a JSON file."""
    path = tmp_path_factory.mktemp("verifier") / "vectors.json"
    path.write_text(json.dumps(build_vectors(), ensure_ascii=False), encoding="utf-8")
    return path

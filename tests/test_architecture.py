"""The layout holds: import-linter's contracts (pyproject.toml) and no module cycle anywhere.

Imports point one way (README "Architecture"): traceability and ledger_client at
the bottom, never importing each other; api composes them, its rooms layered
web/cli/demo/bench → services → runtime → anchoring → db; the offline verifier
uses traceability and ledger_client only; a ``_private`` module is imported only
inside its own package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("traceability", "ledger_client", "api")


def module_cycles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """For each direct import a → b that b leads back from, the chain a → b → … → a."""
    found = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back is not None:
                found.append((importer, *back))
    return found


def test_import_contracts_are_kept() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is a dev dependency"
    result = subprocess.run(
        [lint, "--no-cache", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" KEPT") >= 9, result.stdout  # every contract was read


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_import_without_cycles(package: str) -> None:
    graph = grimp.build_graph(package, cache_dir=None)
    assert module_cycles(graph) == []

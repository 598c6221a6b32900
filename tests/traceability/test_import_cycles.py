"""No two modules of ``traceability`` import each other, directly or through others.

The graph counts every import grimp sees: at module level, inside functions and
under ``if TYPE_CHECKING:``. ``traceability.gs1`` sits below ``traceability.epcis``.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

from tests.test_architecture import module_cycles

PACKAGE = "traceability"


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # cache_dir=None: the test writes nothing to disk.
    return grimp.build_graph(PACKAGE, cache_dir=None)


def test_traceability_modules_import_withoutmodule_cycles(graph: grimp.ImportGraph) -> None:
    assert module_cycles(graph) == []


def test_traceability_subpackages_import_withoutmodule_cycles(graph: grimp.ImportGraph) -> None:
    # Cycles between the children of ``traceability`` (modules or whole subpackages).
    assert graph.nominate_cycle_breakers(PACKAGE) == set()


def test_gs1_does_not_import_epcis(graph: grimp.ImportGraph) -> None:
    chains = graph.find_shortest_chains(importer="traceability.gs1", imported="traceability.epcis")
    assert chains == set()


def test_cycle_scan_finds_cycle_inside_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Guard against a scan that can never fail: b imports a only inside a function.
    package = tmp_path / "cyclepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from cyclepkg import b\n")
    (package / "b.py").write_text("def late() -> None:\n    from cyclepkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclepkg", cache_dir=None)
    assert module_cycles(graph) == [
        ("cyclepkg.a", "cyclepkg.b", "cyclepkg.a"),
        ("cyclepkg.b", "cyclepkg.a", "cyclepkg.b"),
    ]

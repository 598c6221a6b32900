"""The domain package stays pure: no web, chain, database or HTTP libraries, no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import traceability
from tests.probe import modules_loaded_by, top_level

FORBIDDEN_MODULES = [
    "web3",
    "solcx",
    "fastapi",
    "starlette",
    "sqlmodel",
    "sqlalchemy",
    "httpx",
    "eth_tester",
    "ledger_client",
    "api",
]

# Each (object, attribute) call reads the clock; the domain takes ``now`` as a parameter.
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("time", "process_time"),
    ("time", "thread_time"),
    ("time", "localtime"),
    ("time", "gmtime"),
}
#: Modules whose import alone means a clock is read somewhere (``from time import perf_counter``).
CLOCK_MODULES = {"time"}

PACKAGE_DIR = Path(traceability.__file__).parent
SOURCES = sorted(PACKAGE_DIR.rglob("*.py"))

IMPORT_EVERYTHING = """
import importlib, pkgutil
import traceability
for info in pkgutil.walk_packages(traceability.__path__, "traceability."):
    importlib.import_module(info.name)
"""


def test_import_traceability_loads_no_forbidden_module() -> None:
    loaded = top_level(modules_loaded_by(IMPORT_EVERYTHING))
    assert loaded & set(FORBIDDEN_MODULES) == set()


def _clock_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            found += [f"line {node.lineno}: import {n}" for n in names if n in CLOCK_MODULES]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if (name, node.func.attr) in CLOCK_CALLS:
                found.append(f"line {node.lineno}: {name}.{node.func.attr}()")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(PACKAGE_DIR)))
def test_traceability_module_never_reads_clock(path: Path) -> None:
    assert _clock_calls(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_clock_scan_finds_clock_calls() -> None:
    # Guard against a scan that can never fail.
    tree = ast.parse("import datetime\nx = datetime.datetime.now()\ny = time.time()\n")
    assert _clock_calls(tree) == ["line 2: datetime.now()", "line 3: time.time()"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("t = time.perf_counter()\n", ["line 1: time.perf_counter()"]),
        ("t = time.monotonic()\n", ["line 1: time.monotonic()"]),
        ("t = time.monotonic_ns()\n", ["line 1: time.monotonic_ns()"]),
        ("from time import perf_counter\n", ["line 1: import time"]),
        ("import time as clock\n", ["line 1: import time"]),
    ],
)
def test_clock_scan_finds_performance_counters(source: str, expected: list[str]) -> None:
    assert _clock_calls(ast.parse(source)) == expected

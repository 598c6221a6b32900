"""Ledger-client fixtures: solc runs once per distinct input in a session.

Several tests compile the very same sources with the very same compiler (the drift
check, the stale-artifact check, ``sandan compile --check``). solc is deterministic,
so its output for one (standard-JSON input, binary) pair is computed once and reused:
each test still goes through the whole compile and compare path above ``_run_solc``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ledger_client.compile as compile_module

_SOLC_OUTPUTS: dict[tuple[str, str, int], dict[str, Any]] = {}
_REAL_RUN_SOLC: Callable[[dict[str, Any], Path], dict[str, Any]] = compile_module._run_solc


def _run_solc_once(standard_input: dict[str, Any], solc: Path) -> dict[str, Any]:
    stat = solc.stat()
    key = (json.dumps(standard_input, sort_keys=True), str(solc.resolve()), stat.st_mtime_ns)
    if key not in _SOLC_OUTPUTS:
        _SOLC_OUTPUTS[key] = _REAL_RUN_SOLC(standard_input, solc)  # errors are not kept
    return copy.deepcopy(_SOLC_OUTPUTS[key])


@pytest.fixture(autouse=True)
def _solc_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compile_module, "_run_solc", _run_solc_once)

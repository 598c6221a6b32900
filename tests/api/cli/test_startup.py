"""``sandan --help`` and ``sandan verify --help`` load no web3, database or web stack.

CPU time is measured outside the suite (closing note, README); here the rule behind
it is held: what a command's help imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("web3", "eth_account", "sqlalchemy", "sqlmodel", "fastapi", "starlette", "lxml")
PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["sandan", *json.loads(sys.argv[1])]
from api.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def _loaded_after(*args: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args", [("--help",), ("verify", "--help"), ("ceb", "--help"), ("epcis", "--help")]
)
def test_help_loads_no_heavy_module(args: tuple[str, ...]) -> None:
    assert _loaded_after(*args) == []


def test_offline_verifier_loads_no_database_or_web_module() -> None:
    code = (
        "import sys, api.verify.verifier; "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'sqlalchemy', 'sqlmodel', 'fastapi', 'starlette', 'psycopg'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

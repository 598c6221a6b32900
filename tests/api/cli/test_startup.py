"""``sandan --help`` and ``sandan verify --help`` load no web3, database or web stack.

CPU time is measured outside the suite (closing note, README); here the rule behind
it is held: what a command's help imports.
"""

from __future__ import annotations

import pytest

from tests.probe import modules_loaded_by, top_level

HEAVY = {"web3", "eth_account", "sqlalchemy", "sqlmodel", "fastapi", "starlette", "lxml"}
HELP = """
import contextlib, io, sys
sys.argv = ["sandan", *{args!r}]
from api.cli import main
with contextlib.redirect_stdout(io.StringIO()):  # the probe's answer is stdout's only line
    try:
        main()
    except SystemExit:
        pass
"""


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("verify", "--help"),
        ("verify-lot", "--help"),
        ("verifier-page", "--help"),
        ("ceb", "--help"),
        ("epcis", "--help"),
        ("authorize", "--help"),
        ("authorize", "release", "--help"),
    ],
)
def test_help_loads_no_heavy_module(args: tuple[str, ...]) -> None:
    assert top_level(modules_loaded_by(HELP.format(args=list(args)))) & HEAVY == set()


def test_offline_verifier_loads_no_database_or_web_module() -> None:
    loaded = top_level(modules_loaded_by("import api.verify.verifier"))
    assert loaded & {"sqlalchemy", "sqlmodel", "fastapi", "starlette", "psycopg"} == set()


def test_lot_verifier_loads_no_web3_database_or_web_module() -> None:
    # verify-lot reads the chain over plain JSON-RPC with the verifier's own ABI codec:
    # web3 or eth_abi would only cost start-up time.
    code = "import api.cli.verify_lot, api.verify.lot, api.verify.lot_chain, api.verify.lot_input"
    heavy = {"web3", "eth_account", "eth_abi", "sqlalchemy", "sqlmodel", "fastapi", "starlette"}
    assert top_level(modules_loaded_by(code)) & heavy == set()

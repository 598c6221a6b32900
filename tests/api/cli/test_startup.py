"""``sandan --help`` and ``sandan verify --help`` load no web3, database or web stack.

CPU time is measured outside the suite (closing note, README); here the rule behind
it is held: what a command's help imports.
"""

from __future__ import annotations

from pathlib import Path

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
        ("risk", "--help"),
        ("risk", "scan", "--help"),
        ("epcis", "--help"),
        ("authorize", "--help"),
        ("authorize", "release", "--help"),
        ("keygen", "--help"),
        ("sign", "--help"),
        ("submit", "--help"),
    ],
)
def test_help_loads_no_heavy_module(args: tuple[str, ...]) -> None:
    assert top_level(modules_loaded_by(HELP.format(args=list(args)))) & HEAVY == set()


DATA = Path(__file__).resolve().parents[2] / "data"
#: What the offline tools never need: the chain client stack, the web and the database.
TOOL_HEAVY = HEAVY - {"lxml"} | {"py_ecc", "eth_abi", "eth_utils", "eth_keys", "eth_typing"}


@pytest.mark.parametrize(
    ("args", "worker"),
    [
        (("dl", "parse", "https://id.gs1.org/01/09506000134352/10/ABC123"), "traceability.gs1"),
        (
            ("epcis", "hash", str(DATA / "epcis" / "hash_corpus.jsonld")),
            "traceability.epcis.hashing",
        ),
        (
            ("ceb", "convert", str(DATA / "ceb" / "export" / "waybill_group.xml")),
            "traceability.ceb",
        ),
        (("risk", "scan", str(DATA / "ceb"), "--json"), "traceability.risk.engine"),
    ],
)
def test_offline_tools_load_no_chain_web_or_database_module(
    args: tuple[str, ...], worker: str
) -> None:
    loaded = modules_loaded_by(HELP.format(args=list(args)))
    assert worker in loaded  # the command ran, not just its argument parsing
    assert top_level(loaded) & TOOL_HEAVY == set()


def test_keygen_and_sign_load_no_chain_web_or_database_module(tmp_path: Path) -> None:
    key = tmp_path / "farm.key"
    keygen = ("keygen", "--alg", "ed25519", "-o", str(key))
    loaded = modules_loaded_by(HELP.format(args=list(keygen)))
    assert key.exists()  # the command ran
    assert top_level(loaded) & TOOL_HEAVY == set()
    harvest = Path(__file__).resolve().parents[3] / "scripts" / "first-hour" / "harvest.json"
    sign = ("sign", "--key", str(key), "--party", "FARM1", "--key-id", "farm-1")
    sign += ("--type", "epcis-event", str(harvest))
    loaded = modules_loaded_by(HELP.format(args=list(sign)))
    assert "traceability.signing.envelope" in loaded
    assert top_level(loaded) & TOOL_HEAVY == set()


def test_epcis_cli_profiles_are_the_hashers() -> None:
    """The CLI spells the profile names out (its help imports no traceability module)."""
    from api.cli import epcis as cli
    from traceability.epcis import hashing

    assert (cli.DEFAULT_PROFILE, cli.HASH_PROFILES) == (
        hashing.DEFAULT_PROFILE,
        hashing.HASH_PROFILES,
    )


def test_help_loads_no_domain_module() -> None:
    """``sandan --help`` builds every command's help from signatures alone."""
    assert "traceability" not in top_level(modules_loaded_by(HELP.format(args=["--help"])))


def test_offline_verifier_loads_no_database_or_web_module() -> None:
    loaded = top_level(modules_loaded_by("import api.verify.verifier"))
    assert loaded & {"sqlalchemy", "sqlmodel", "fastapi", "starlette", "psycopg"} == set()


def test_lot_verifier_loads_no_web3_database_or_web_module() -> None:
    # verify-lot reads the chain over plain JSON-RPC with the verifier's own ABI codec:
    # web3 or eth_abi would only cost start-up time.
    code = "import api.cli.verify_lot, api.verify.lot, api.verify.lot_chain, api.verify.lot_input"
    heavy = {"web3", "eth_account", "eth_abi", "sqlalchemy", "sqlmodel", "fastapi", "starlette"}
    assert top_level(modules_loaded_by(code)) & heavy == set()

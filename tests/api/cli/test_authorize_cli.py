"""``sandan authorize``: the signed JSON relays through TradeRegistryClient on the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from api.cli.authorize import register
from ledger_client import LedgerSettings, TradeState, recover_authorization_signer
from ledger_client.events import SettlementConfirmed, TradeReleased
from traceability.merkle import MerkleTree
from traceability.trade.verdict import trade_verdict_key


def _trade_id(order_no: str) -> bytes:
    return hashlib.sha256(f"EBP001/{order_no}".encode()).digest()


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke ``authorize`` commands in process."""
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["authorize", *map(str, args)])


def _key_file(world, party: str, directory: Path, *, prefix: str = "0x") -> Path:
    path = directory / f"{party}.key"
    path.write_text(prefix + bytes(world.accounts[party].key).hex() + "\n")
    return path


def _offline(world, *, nonce: int = 0) -> list[str]:
    deadline = world.w3.eth.get_block("latest")["timestamp"] + 600
    return [
        "--nonce", nonce, "--deadline", deadline, "--chain-id", world.w3.eth.chain_id,
        "--registry", world.deployment.trade_registry.address,
    ]  # fmt: skip


def _verdict(trade_id: bytes) -> bytes:
    return hashlib.sha256(trade_id).digest()


def _pair(trade_id: bytes) -> str:
    """The release argument of ``trade_id``: the trade and the verdict it is released on."""
    return f"{trade_id.hex()}:{_verdict(trade_id).hex()}"


def _matched(world, count: int) -> list[bytes]:
    ids = [_trade_id(f"SO{i}") for i in range(count)]
    world.trade().record_verdicts(ids, [_verdict(i) for i in ids], [True] * count)
    return ids


def test_authorize_release_signs_what_release_with_sig_accepts(run, chain_world, tmp_path):
    ids = _matched(chain_world, 3)
    key = _key_file(chain_world, "customs", tmp_path, prefix="")
    result = run("release", *map(_pair, ids), "--key-file", key, *_offline(chain_world))
    assert result.exit_code == 0, result.output
    signed = json.loads(result.stdout)
    customs = chain_world.address("customs")
    assert (signed["action"], signed["signer"], signed["nonce"]) == ("release", customs, 0)
    keys = [trade_verdict_key(i, _verdict(i)) for i in ids]
    assert signed["tradesRoot"] == "0x" + MerkleTree.build(keys).root.hex()
    assert sorted(signed["tradeIds"]) == sorted(i.hex() for i in ids)
    assert signed["verdictHashes"] == [_verdict(bytes.fromhex(t)).hex() for t in signed["tradeIds"]]
    assert recover_authorization_signer(signed["typedData"], signed["signature"]) == customs
    relayed = chain_world.trade("outsider").release_with_sig(
        signed["signer"],
        signed["tradeIds"],
        signed["verdictHashes"],
        signed["proofFlags"],
        signed["nonce"],
        signed["deadline"],
        signed["signature"],
    )
    assert relayed.events == tuple(
        TradeReleased(trade_id=bytes.fromhex(t), verdict_hash=bytes.fromhex(v), customs=customs)
        for t, v in zip(signed["tradeIds"], signed["verdictHashes"], strict=True)
    )
    assert {chain_world.trade().trade(i).state for i in ids} == {TradeState.RELEASED}


def test_authorize_settle_reads_registry_and_chain_from_deployment_file(run, chain_world, tmp_path):
    (trade_id,) = _matched(chain_world, 1)
    verdict = _verdict(trade_id)
    chain_world.trade("customs").release(trade_id, verdict)
    chain_world.deployment.save(LedgerSettings().deployment_file)
    ref = hashlib.sha256(b"SWIFT-REF-1").digest()
    key = _key_file(chain_world, "bank", tmp_path)
    result = run(
        "settle", trade_id.hex(), "--ref", "0x" + ref.hex(), "--verdict", verdict.hex(),
        "--key-file", key, "--nonce", 0,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    signed = json.loads(result.stdout)
    domain = signed["typedData"]["domain"]
    assert (domain["chainId"], domain["verifyingContract"]) == (
        chain_world.deployment.chain_id,
        chain_world.deployment.trade_registry.address,
    )
    assert (signed["action"], signed["data"]) == ("confirmSettlement", "0x" + ref.hex())
    assert signed["verdictHash"] == verdict.hex()
    relayed = chain_world.trade("outsider").confirm_settlement_with_sig(
        signed["signer"], trade_id, verdict, ref, 0, signed["deadline"], signed["signature"]
    )
    assert relayed.events == (
        SettlementConfirmed(trade_id, verdict, ref, chain_world.address("bank")),
    )


@pytest.mark.parametrize(
    ("command", "extra", "action", "data"),
    [
        (
            "finance",
            ("--terms", "ab" * 32, "--verdict", "cd" * 32),
            "registerFinancing",
            "0x" + "ab" * 32,
        ),
        ("discharge", (), "dischargeFinancing", "0x" + "00" * 32),
    ],
)
def test_authorize_financing_commands_sign_their_data(
    run, chain_world, tmp_path, command, extra, action, data
):
    key = _key_file(chain_world, "bank", tmp_path)
    trade = _trade_id("SO1").hex()
    result = run(command, trade, *extra, "--key-file", key, *_offline(chain_world, nonce=4))
    assert result.exit_code == 0, result.output
    signed = json.loads(result.stdout)
    assert (signed["action"], signed["data"], signed["nonce"], signed["proofFlags"]) == (
        action,
        data,
        4,
        [],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("release", "abcd:" + "cd" * 32), "is not 64 hex digits", id="short-trade-id"),
        pytest.param(("release", "ab" * 32), "TRADE_ID:VERDICT_HASH", id="no-verdict"),
        pytest.param(("release", "ab" * 32 + ":12"), "is not 64 hex digits", id="short-verdict"),
        pytest.param(
            ("settle", "ab" * 32, "--ref", "00" * 32, "--verdict", "cd" * 32),
            "non-zero",
            id="zero-ref",
        ),
        pytest.param(
            ("settle", "ab" * 32, "--verdict", "cd" * 32), "Missing option '--ref'", id="no-ref"
        ),
        pytest.param(
            ("settle", "ab" * 32, "--ref", "01" * 32), "Missing option '--verdict'", id="no-verdict"
        ),
        pytest.param(
            ("release", "ab" * 32 + ":" + "cd" * 32, "ab" * 32 + ":" + "ef" * 32),
            "twice",
            id="duplicate",
        ),
    ],
)
def test_authorize_rejects_bad_arguments(run, chain_world, tmp_path, args, message):
    key = _key_file(chain_world, "customs", tmp_path)
    result = run(*args, "--key-file", key, *_offline(chain_world))
    assert result.exit_code == 2
    assert message in result.output


def test_authorize_explains_unusable_key_and_missing_deployment(run, chain_world, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    pair = "ab" * 32 + ":" + "cd" * 32
    result = run("release", pair, "--key-file", bad, *_offline(chain_world))
    assert (result.exit_code, "private key is not a 32-byte hex string" in result.output) == (
        2,
        True,
    )
    key = _key_file(chain_world, "customs", tmp_path)
    result = run("release", pair, "--key-file", key, "--nonce", 0)
    assert (result.exit_code, "no deployment file" in result.output) == (2, True)


@pytest.mark.node
def test_authorize_reads_nonce_from_the_node(run, anvil_world, tmp_path):
    ids = _matched(anvil_world, 2)
    anvil_world.deployment.save(LedgerSettings().deployment_file)
    key = _key_file(anvil_world, "customs", tmp_path)
    url = anvil_world.w3.provider.endpoint_uri
    first = json.loads(run("release", _pair(ids[0]), "--key-file", key, "--rpc-url", url).stdout)
    relayer = anvil_world.trade("outsider")
    relayer.release_with_sig(
        first["signer"],
        [ids[0]],
        [_verdict(ids[0])],
        [],
        first["nonce"],
        first["deadline"],
        first["signature"],
    )
    result = run("release", _pair(ids[1]), "--key-file", key, "--rpc-url", url)
    assert result.exit_code == 0, result.output
    second = json.loads(result.stdout)
    assert (first["nonce"], second["nonce"]) == (0, 1)
    assert second["typedData"]["domain"]["chainId"] == 31337
    relayer.release_with_sig(
        second["signer"],
        [ids[1]],
        [_verdict(ids[1])],
        [],
        1,
        second["deadline"],
        second["signature"],
    )
    assert anvil_world.trade().trade(ids[1]).state is TradeState.RELEASED

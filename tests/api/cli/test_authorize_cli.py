"""``sandan authorize``: it finds the trades' place on chain (verdict batch and positions),
signs the v2 authorization, and what it prints relays on chain and through the API.

Online, the command reads the chain through ``--rpc-url``: on anvil that is the node's URL;
on the in-process eth-tester chain the test maps one URL to the test's own ``Web3`` (the
command's only seam to the chain is ``ledger_client.make_web3``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner, Result

import ledger_client
from api.cli.authorize import register
from api.db import crud
from ledger_client import (
    LedgerSettings,
    Signed,
    Supersession,
    TradeState,
    discharge_subject,
    mask_of,
    recover_authorization_signer,
    selection_subject,
    settlement_data,
)
from ledger_client.events import (
    FinancingDischarged,
    FinancingRegistered,
    SettlementsConfirmed,
    TradesReleased,
)
from tests.api.conftest import stage_fixtures
from tests.api.services.test_self_custody import CUSTODIANS, _anchored, relayed_body
from tests.conftest import ChainWorld
from traceability.ordered_merkle import OrderedMerkleTree, settlement_leaf, verdict_leaf

#: The URL the eth-tester runs give ``--rpc-url``: ``make_web3`` answers it with the test's chain.
IN_PROCESS = "http://in-process.invalid"


def _trade_id(order_no: str) -> bytes:
    return hashlib.sha256(f"EBP001/{order_no}".encode()).digest()


def _verdict(trade_id: bytes) -> bytes:
    return hashlib.sha256(trade_id).digest()


def _pair(trade_id: bytes, verdict: bytes | None = None) -> str:
    """The release argument of ``trade_id``: the trade and the verdict it is released on."""
    return f"{trade_id.hex()}:{(verdict or _verdict(trade_id)).hex()}"


@pytest.fixture
def run() -> Callable[..., Result]:
    """Invoke ``authorize`` commands in process."""
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["authorize", *map(str, args)])


def _chain_seam(monkeypatch: pytest.MonkeyPatch, w3: Any) -> None:
    real = ledger_client.make_web3
    monkeypatch.setattr(
        ledger_client, "make_web3", lambda url=None: w3 if url == IN_PROCESS else real(url)
    )


@pytest.fixture(params=["eth-tester", pytest.param("anvil", marks=pytest.mark.node)])
def online(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """A chain world and the ``--rpc-url`` that reaches it."""
    if request.param == "anvil":
        world = request.getfixturevalue("anvil_world")
        return world, str(world.w3.provider.endpoint_uri)
    world = request.getfixturevalue("chain_world")
    _chain_seam(monkeypatch, world.w3)
    return world, IN_PROCESS


def _key_file(world: ChainWorld, party: str, directory: Path, *, prefix: str = "0x") -> Path:
    path = directory / f"{party}.key"
    path.write_text(prefix + bytes(world.accounts[party].key).hex() + "\n")
    return path


def _online(world: ChainWorld, url: str, key: Path) -> list[Any]:
    return [
        "--key-file",
        key,
        "--rpc-url",
        url,
        "--registry",
        world.deployment.trade_registry.address,
    ]


def _offline(world: ChainWorld, key: Path, *, nonce: int = 0) -> list[Any]:
    deadline = world.w3.eth.get_block("latest")["timestamp"] + 600
    return [
        "--key-file", key, "--nonce", nonce, "--deadline", deadline,
        "--chain-id", world.w3.eth.chain_id, "--registry", world.deployment.trade_registry.address,
    ]  # fmt: skip


def _record(world: ChainWorld, ids: list[bytes], verdicts: list[bytes] | None = None, **kw: Any):
    """Record a verdict batch of matched ``ids``; its number and root."""
    client = world.trade()
    verdicts = verdicts or [_verdict(t) for t in ids]
    result = client.record_verdict_batch(ids, verdicts, [True] * len(ids), **kw)
    event = client.recorded_batch(result)
    return event.batch, event.root


def _signed(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    signed: dict[str, Any] = json.loads(result.stdout)
    return signed


def _by(signed: dict[str, Any]) -> Signed:
    return Signed(signed["signer"], signed["nonce"], signed["deadline"], signed["signature"])


# Online: the command finds the batch ---------------------------------------------------------


def test_authorize_release_finds_the_batch_and_signs_what_release_with_sig_accepts(
    run, online, tmp_path
):
    world, url = online
    _record(world, [_trade_id(f"OLD{i}") for i in range(3)])
    ids = [_trade_id(f"SO{i}") for i in range(4)]
    batch, root = _record(world, ids)
    key = _key_file(world, "customs", tmp_path, prefix="")
    signed = _signed(run("release", _pair(ids[3]), _pair(ids[1]), *_online(world, url, key)))
    customs = world.address("customs")
    assert (signed["action"], signed["signer"], signed["nonce"]) == ("releaseTrades", customs, 0)
    assert (signed["batch"], signed["positions"]) == (batch, [3, 1])
    assert signed["tradeIds"] == [ids[3].hex(), ids[1].hex()]
    assert signed["verdictHashes"] == [_verdict(ids[3]).hex(), _verdict(ids[1]).hex()]
    subject = world.trade().selection_subject(batch, [1, 3])
    assert (
        signed["subject"]
        == "0x" + subject.hex()
        == "0x" + selection_subject(batch, root, [1, 3]).hex()
    )
    assert signed["typedData"]["domain"]["chainId"] == world.w3.eth.chain_id
    assert recover_authorization_signer(signed["typedData"], signed["signature"]) == customs
    relayed = world.trade("outsider").release_trades_with_sig(
        signed["batch"], signed["positions"], _by(signed)
    )
    assert relayed.events == (TradesReleased(batch, customs, tuple(mask_of([1, 3]))),)
    states = [world.trade().trade_at(batch, p).state for p in range(4)]
    assert states == [TradeState.RELEASED if p in (1, 3) else TradeState.MATCHED for p in range(4)]
    # The next authorization reads the nonce the relayed one used up.
    again = _signed(run("release", _pair(ids[0]), *_online(world, url, key)))
    assert again["nonce"] == 1
    world.trade("outsider").release_trades_with_sig(batch, [0], _by(again))


def test_authorize_settle_finance_and_discharge_find_their_place_online(run, online, tmp_path):
    world, url = online
    ids = [_trade_id(f"SO{i}") for i in range(2)]
    batch, _ = _record(world, ids)
    trade_id, verdict = ids[1], _verdict(ids[1])
    world.trade("customs").release_trades(batch, [1])
    key = _key_file(world, "bank", tmp_path)
    relayer, bank = world.trade("outsider"), world.address("bank")
    mask = tuple(mask_of([1]))

    terms = hashlib.sha256(b"terms").digest()
    financed = _signed(run("finance", trade_id.hex(), "--terms", terms.hex(), "--verdict",
                           verdict.hex(), *_online(world, url, key)))  # fmt: skip
    assert (financed["action"], financed["data"]) == ("registerFinancing", "0x" + terms.hex())
    assert (financed["batch"], financed["positions"]) == (batch, [1])
    result = relayer.register_financing_with_sig(batch, [1], terms, _by(financed))
    assert result.events == (FinancingRegistered(1, batch, bank, terms, mask),)

    ref = hashlib.sha256(b"SWIFT-REF-1").digest()
    settled = _signed(run("settle", trade_id.hex(), "--ref", "0x" + ref.hex(), "--verdict",
                          verdict.hex(), *_online(world, url, key)))  # fmt: skip
    assert settled["data"] == "0x" + settlement_data([ref]).hex()
    assert settled["verdictHash"] == verdict.hex()
    result = relayer.confirm_settlements_with_sig(batch, {1: ref}, _by(settled))
    root = OrderedMerkleTree([settlement_leaf(batch, 1, ref)]).root
    assert result.events == (SettlementsConfirmed(1, batch, bank, root, mask),)

    discharged = _signed(run("discharge", trade_id.hex(), *_online(world, url, key)))
    assert (discharged["action"], discharged["financingId"]) == ("dischargeFinancing", 1)
    assert discharged["subject"] == "0x" + discharge_subject(1, [1]).hex()
    assert discharged["nonce"] == 2
    result = relayer.discharge_financing_with_sig(1, [1], _by(discharged))
    assert result.events == (FinancingDischarged(1, batch, bank, mask),)


def test_authorize_refuses_a_trade_on_another_verdict(run, online, tmp_path):
    world, url = online
    (trade_id,) = ids = [_trade_id("SO1")]
    batch, _ = _record(world, ids)
    key = _key_file(world, "customs", tmp_path)
    result = run("release", _pair(trade_id, b"\x0e" * 32), *_online(world, url, key))
    assert result.exit_code == 2
    assert f"sits in batch {batch} on verdict {_verdict(trade_id).hex()}, not {'0e' * 32}" in (
        result.output
    )


def test_authorize_signs_the_newest_verdict_and_refuses_a_superseded_one(run, online, tmp_path):
    world, url = online
    (trade_id,) = ids = [_trade_id("SO1")]
    old, _ = _record(world, ids)
    earlier = verdict_leaf(old, 0, trade_id, _verdict(trade_id), True)
    proof = tuple(OrderedMerkleTree([earlier]).proof(0))
    newer = hashlib.sha256(b"corrected waybill").digest()
    supersession = Supersession(0, old, 0, _verdict(trade_id), True, proof)
    new, root = _record(world, ids, [newer], supersessions=[supersession])
    key = _key_file(world, "customs", tmp_path)

    stale = run("release", _pair(trade_id), "--batch", old, *_online(world, url, key))
    assert stale.exit_code == 2
    assert f"verdict in batch {old} was superseded: judge its new verdict" in stale.output
    judged_old = run("release", _pair(trade_id), *_online(world, url, key))
    assert judged_old.exit_code == 2
    assert f"sits in batch {new} on verdict {newer.hex()}" in judged_old.output
    signed = _signed(run("release", _pair(trade_id, newer), *_online(world, url, key)))
    assert (signed["batch"], signed["positions"]) == (new, [0])
    assert signed["subject"] == "0x" + selection_subject(new, root, [0]).hex()
    world.trade("outsider").release_trades_with_sig(new, [0], _by(signed))
    assert world.trade().trade_at(new, 0).state is TradeState.RELEASED


def test_authorize_refuses_trades_of_two_batches_and_a_batch_without_them(run, online, tmp_path):
    world, url = online
    first, second = _trade_id("SO1"), _trade_id("SO2")
    one, _ = _record(world, [first])
    _record(world, [second])
    key = _key_file(world, "customs", tmp_path)
    both = run("release", _pair(first), _pair(second), *_online(world, url, key))
    assert both.exit_code == 2
    assert "no verdict batch on chain holds all of these trades" in both.output
    elsewhere = run("release", _pair(second), "--batch", one, *_online(world, url, key))
    assert elsewhere.exit_code == 2
    assert f"trade {second.hex()} is not in verdict batch {one}" in elsewhere.output
    unknown = run("release", _pair(first), "--batch", 9, *_online(world, url, key))
    assert unknown.exit_code == 2
    assert "there is no verdict batch 9 on chain" in unknown.output


def test_authorize_discharge_refuses_a_trade_without_open_financing(run, online, tmp_path):
    world, url = online
    (trade_id,) = ids = [_trade_id("SO1")]
    batch, _ = _record(world, ids)
    key = _key_file(world, "bank", tmp_path)
    result = run("discharge", trade_id.hex(), *_online(world, url, key))
    assert result.exit_code == 2
    assert f"carries no open financing in verdict batch {batch}: nothing to discharge" in (
        result.output
    )


# Offline: the caller names the place ----------------------------------------------------------


def test_authorize_release_offline_signs_the_named_positions(run, chain_world, tmp_path):
    ids = [_trade_id(f"SO{i}") for i in range(3)]
    batch, root = _record(chain_world, ids)
    key = _key_file(chain_world, "customs", tmp_path)
    args = [f"{_pair(ids[2])}@2", f"{_pair(ids[0])}@0"]
    where = ["--batch", batch, "--root", root.hex()]
    signed = _signed(run("release", *args, *where, *_offline(chain_world, key)))
    assert (signed["batch"], signed["positions"], signed["nonce"]) == (batch, [2, 0], 0)
    assert signed["subject"] == "0x" + chain_world.trade().selection_subject(batch, [0, 2]).hex()
    relayed = chain_world.trade("outsider").release_trades_with_sig(batch, [2, 0], _by(signed))
    assert relayed.events == (
        TradesReleased(batch, chain_world.address("customs"), tuple(mask_of([0, 2]))),
    )


def test_authorize_offline_signs_a_wrong_position_the_chain_then_refuses(
    run, chain_world, tmp_path
):
    """Offline, the command cannot check the place: the contract does, as the subject of
    another position of the batch is not what the officer meant to sign."""
    ids = [_trade_id(f"SO{i}") for i in range(2)]
    batch, root = _record(chain_world, ids)
    key = _key_file(chain_world, "customs", tmp_path)
    where = ["--batch", batch, "--root", root.hex()]
    signed = _signed(run("release", f"{_pair(ids[0])}@1", *where, *_offline(chain_world, key)))
    relayer = chain_world.trade("outsider")
    relayer.release_trades_with_sig(batch, [1], _by(signed))  # it signed position 1: so be it
    with pytest.raises(ledger_client.ContractReverted) as exc_info:
        relayer.release_trades_with_sig(batch, [0], _by(signed))
    assert exc_info.value.error_name == "TradeRegistryInvalidSigner"


def test_authorize_settle_offline_reads_registry_and_chain_from_deployment_file(
    run, chain_world, tmp_path
):
    ids = [_trade_id("SO1")]
    batch, root = _record(chain_world, ids)
    chain_world.trade("customs").release_trades(batch, [0])
    chain_world.deployment.save(LedgerSettings().deployment_file)
    ref = hashlib.sha256(b"SWIFT-REF-1").digest()
    key = _key_file(chain_world, "bank", tmp_path)
    signed = _signed(run(
        "settle", ids[0].hex(), "--ref", "0x" + ref.hex(), "--verdict", _verdict(ids[0]).hex(),
        "--key-file", key, "--nonce", 0, "--batch", batch, "--root", root.hex(), "--position", 0,
    ))  # fmt: skip
    domain = signed["typedData"]["domain"]
    assert (domain["chainId"], domain["verifyingContract"]) == (
        chain_world.deployment.chain_id,
        chain_world.deployment.trade_registry.address,
    )
    relayed = chain_world.trade("outsider").confirm_settlements_with_sig(
        batch, {0: ref}, _by(signed)
    )
    assert relayed.events[0].bank == chain_world.address("bank")


@pytest.mark.parametrize(
    ("command", "extra", "action", "data"),
    [
        ("finance", ("--terms", "ab" * 32, "--verdict", "cd" * 32, "--root", "ef" * 32),
         "registerFinancing", "0x" + "ab" * 32),
        ("discharge", ("--financing", 3), "dischargeFinancing", "0x" + "00" * 32),
    ],
)  # fmt: skip
def test_authorize_financing_commands_sign_their_data_offline(
    run, chain_world, tmp_path, command, extra, action, data
):
    key = _key_file(chain_world, "bank", tmp_path)
    trade = _trade_id("SO1").hex()
    where = ("--batch", 5, "--position", 7)
    result = run(command, trade, *extra, *where, *_offline(chain_world, key, nonce=4))
    signed = _signed(result)
    assert (signed["action"], signed["data"], signed["nonce"]) == (action, data, 4)
    assert (signed["batch"], signed["positions"]) == (5, [7])
    expected = (
        discharge_subject(3, [7])
        if command == "discharge"
        else selection_subject(5, bytes.fromhex("ef" * 32), [7])
    )
    assert signed["subject"] == "0x" + expected.hex()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("release", "abcd:" + "cd" * 32), "is not 64 hex digits", id="short-trade-id"),
        pytest.param(("release", "ab" * 32), "TRADE_ID:VERDICT_HASH", id="no-verdict"),
        pytest.param(("release", "ab" * 32 + ":12"), "is not 64 hex digits", id="short-verdict"),
        pytest.param(
            ("release", _pair(b"\1" * 32) + "@x"), "Invalid value for @POSITION", id="position"
        ),
        pytest.param(
            ("settle", "ab" * 32, "--ref", "00" * 32, "--verdict", "cd" * 32, "--position", 0),
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
            ("release", _pair(b"\1" * 32) + "@0", _pair(b"\1" * 32) + "@1"), "twice", id="duplicate"
        ),
        pytest.param(
            ("release", _pair(b"\1" * 32) + "@0", _pair(b"\2" * 32) + "@0"),
            "its own position",
            id="same-position",
        ),
        pytest.param(
            ("release", _pair(b"\1" * 32) + "@0", _pair(b"\2" * 32)),
            "each trade's position",
            id="unplaced",
        ),
        pytest.param(("release", _pair(b"\1" * 32) + "@0", "--root", "12"), "64 hex", id="root"),
    ],
)
def test_authorize_rejects_bad_arguments(run, chain_world, tmp_path, args, message):
    key = _key_file(chain_world, "customs", tmp_path)
    where = ["--batch", 1] if "--root" in args else ["--batch", 1, "--root", "ef" * 32]
    result = run(*args, *where, *_offline(chain_world, key))
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("release", _pair(b"\1" * 32) + "@0", "--batch", 1), "give --root"),
        (("discharge", "ab" * 32, "--batch", 1, "--position", 0), "give --financing"),
        (("release", _pair(b"\1" * 32) + "@0", "--batch", 0), "--batch"),
    ],
)
def test_authorize_offline_names_what_is_missing(run, chain_world, tmp_path, args, message):
    key = _key_file(chain_world, "bank", tmp_path)
    result = run(*args, *_offline(chain_world, key))
    assert result.exit_code == 2
    assert message in result.output


def test_authorize_explains_unusable_key_missing_deployment_and_node(run, chain_world, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    pair = _pair(b"\1" * 32) + "@0"
    where = ["--batch", 1, "--root", "ef" * 32]
    result = run("release", pair, *where, *_offline(chain_world, bad))
    assert (result.exit_code, "private key is not a 32-byte hex string" in result.output) == (
        2,
        True,
    )
    key = _key_file(chain_world, "customs", tmp_path)
    result = run("release", pair, "--key-file", key, "--nonce", 0, *where)
    assert (result.exit_code, "no deployment file" in result.output) == (2, True)
    registry = chain_world.deployment.trade_registry.address
    result = run("release", _pair(b"\1" * 32), "--key-file", key, "--registry", registry)
    assert (result.exit_code, "no embedded node running" in result.output) == (2, True)


# End to end: what the command prints is what the API relays --------------------------------


world_stage, custodians = stage_fixtures("custodians", CUSTODIANS)


def test_the_api_relays_what_authorize_prints(run, world, custodians, monkeypatch, tmp_path):
    parties, officer, clerk = custodians.actors, custodians.officer, custodians.clerk
    trade_id = _anchored(world, parties)
    customs, bank = parties["customs"].headers, parties["bank_a"].headers
    # What customs reads before it signs: the verdict, and where it sits on chain.
    shown = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    verdict = world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()["verdictHash"]
    batch = shown["verdictBatch"]
    _chain_seam(monkeypatch, world.ledger.w3)
    keys = {}
    for name, account in (("officer", officer), ("clerk", clerk)):
        keys[name] = tmp_path / f"{name}.key"
        keys[name].write_text(account.key.hex())
    chain = ["--rpc-url", IN_PROCESS, "--registry", world.ledger.trade_registry_address]

    as_officer = ["--key-file", keys["officer"], *chain]
    release = _signed(run("release", f"{trade_id}:{verdict}", "--batch", batch, *as_officer))
    assert (release["batch"], release["positions"]) == (batch, [shown["verdictPosition"]])
    body = relayed_body(release, ledger_client.AuthorizationAction.RELEASE)
    answer = world.client.post("/customs/releases/signed", json=body, headers=customs)
    assert answer.status_code == 200, answer.text
    assert (
        answer.json()[0]["txHash"]
        == world.client.get(f"/trades/{trade_id}", headers=customs).json()["releaseTx"]
    )

    ref, terms = "ab" * 32, "cd" * 32
    steps = [
        ("settle", ("--ref", ref, "--verdict", verdict), "settlement/signed",
         {"settlementRef": ref}, ledger_client.AuthorizationAction.CONFIRM_SETTLEMENT),
        ("finance", ("--terms", terms, "--verdict", verdict), "financing/signed",
         {"termsHash": terms}, ledger_client.AuthorizationAction.REGISTER_FINANCING),
        ("discharge", (), "financing/discharge/signed", {},
         ledger_client.AuthorizationAction.DISCHARGE_FINANCING),
    ]  # fmt: skip
    for command, extra, path, named, action in steps:
        signed = _signed(run(command, trade_id, *extra, "--key-file", keys["clerk"], *chain))
        body = relayed_body(signed, action) | named
        done = world.client.post(f"/banks/trades/{trade_id}/{path}", json=body, headers=bank)
        assert done.status_code == 200, (command, done.text)
        assert done.json()["by"] == "BANK-SELF"
    assert world.ledger.trade.nonces(clerk.address) == 3
    with Session(world.runtime.engine) as session:
        trade = crud.get_trade(session=session, trade_id=trade_id)
        assert trade is not None
        assert (trade.settlement_ref, trade.financing_id) == (ref, None)

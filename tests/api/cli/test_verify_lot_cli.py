"""``sandan verify-lot``: a lot captured through the API, checked over JSON-RPC."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from api.cli import build_app
from api.cli import verify_lot as verify_lot_cli
from api.services.live_verify import provider_rpc
from api.verify.rpc import JsonRpc
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.trace_fixtures import CAPTURED, LOT_PATH
from tests.conftest import free_port
from tests.live_server import serve_in_thread
from traceability import Algorithm, SigningKey, sign_envelope

JSON = {"Accept": "application/json"}


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("lot_json", CAPTURED)])


@pytest.fixture
def lot_json(world: World) -> dict[str, Any]:
    """The lot's JSON as the resolver answers it, once the sample chain is anchored."""
    CAPTURED.of(world)  # the world starts with the chain captured and anchored
    response = world.client.get(LOT_PATH, headers=JSON)
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def batches(world: World, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The test's chain as verify-lot's JSON-RPC node; collects the request bodies it gets."""
    sent: list[object] = []

    def node(command: str, url: str | None) -> JsonRpc:
        rpc = provider_rpc(world.ledger.w3)  # a new one per run: its counts are that run's
        answer = rpc.transport
        assert answer is not None

        def send(body: object) -> object:
            sent.append(body)
            return answer(body)

        rpc.transport = send
        return rpc

    monkeypatch.setattr(verify_lot_cli, "rpc_for", node)
    return sent


@pytest.fixture
def registries(world: World) -> list[str]:
    """``--registry`` for the deployment's TraceRegistry and PartyRegistry."""
    deployment = world.ledger.deployment
    addresses = (deployment.trace_registry.address, deployment.party_registry.address)
    return [arg for address in addresses for arg in ("--registry", address)]


@pytest.fixture
def verify_lot(
    tmp_path: Path, batches: list[object], registries: list[str]
) -> Callable[..., Result]:
    """Run ``sandan verify-lot`` on a lot JSON (written to a file) or a URL."""

    def run(lot: dict[str, Any] | str, *args: str, roots: list[str] | None = None) -> Result:
        source = lot
        if not isinstance(lot, str):
            path = tmp_path / "lot.json"
            path.write_text(json.dumps(lot), encoding="utf-8")
            source = str(path)
        argv = ["verify-lot", source, *(registries if roots is None else roots)]
        return CliRunner().invoke(build_app(), [*argv, *args])

    return run


def _report(result: Result) -> dict[str, Any]:
    return dict(json.loads(result.stdout))


def _failed(result: Result) -> list[dict[str, Any]]:
    return [c for c in _report(result)["checks"] if c["status"] == "failed"]


def test_verify_lot_passes_a_genuine_lot_from_a_file_or_its_digital_link(
    world: World, verify_lot: Callable[..., Result], batches: list[object], lot_json: dict[str, Any]
) -> None:
    result = verify_lot(lot_json, "--json")
    assert result.exit_code == 0, result.output
    report = _report(result)
    assert report["verified"] is True
    assert report["trustRoots"] == "--registry"
    names = [c["check"] for c in report["checks"]]
    for check in ("signer registered", "key valid when anchored", "signer's role",
                  "anchor transaction", "anchored on chain", "in its signed envelope"):  # fmt: skip
        assert sum(n.endswith(f": {check}") for n in names) == 8, check
    assert sum(n.endswith(": signature") for n in names) == 4  # one envelope per party
    # One verifyEvent per event, one signerAt per (key, block) and one receipt per anchoring
    # transaction, in one batch after the chain id: two requests in all.
    material = lot_json["verification"]
    signers = {
        (material["envelopes"][e["envelopeHash"]]["publicKey"]["keyId"], e["anchor"]["blockNumber"])
        for e in material["events"]
    }
    receipts = {e["anchor"]["txHash"] for e in material["events"]}
    assert report["chainCalls"] == {
        "eth_chainId": 1, "eth_call": 8 + len(signers), "eth_getTransactionReceipt": len(receipts)
    }  # fmt: skip
    batch = 8 + len(signers) + len(receipts)
    assert [len(b) if isinstance(b, list) else 1 for b in batches] == [1, batch]
    batches.clear()
    with serve_in_thread(world.client.app, free_port()) as base:
        fetched = verify_lot(base + LOT_PATH)
    assert fetched.exit_code == 0, fetched.output
    assert fetched.stdout.rstrip().endswith("VERIFIED")
    assert len(batches) == 2


def test_verify_lot_trusts_only_registries_pinned_for_the_node_chain(
    world: World, verify_lot: Callable[..., Result], lot_json: dict[str, Any], tmp_path: Path
) -> None:
    deployment = world.ledger.deployment
    trace, party = deployment.trace_registry.address, deployment.party_registry.address
    for chain_offset, exit_code in ((0, 0), (1, 1)):
        zone = {"name": "zone", "chainId": world.ledger.chain_id + chain_offset,
                "registries": [trace, party]}  # fmt: skip
        trust = tmp_path / f"trust-{chain_offset}.json"
        trust.write_text(json.dumps({"zones": [zone]}), encoding="utf-8")
        result = verify_lot(lot_json, "--json", roots=["--trust", str(trust)])
        assert result.exit_code == exit_code, result.output
        assert _report(result)["trustRoots"] == f"trust file {trust}"
    result = verify_lot(lot_json, "--json", roots=["--registry", trace])
    assert result.exit_code == 1
    assert [c["found"] for c in _failed(result)] == [f"registry {party} is not a trusted registry"]
    assert _report(result)["chainCalls"] == {"eth_chainId": 1}  # the untrusted are not asked


def _edit_event(material: dict[str, Any]) -> None:
    material["events"][3]["event"]["childQuantityList"][0]["quantity"] = 229


def _edit_proof(material: dict[str, Any]) -> None:
    proof = material["events"][0]["anchor"]["proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]


def _name_another_transaction(material: dict[str, Any]) -> None:
    # A real anchoring transaction of this lot, but of another batch.
    first = material["events"][0]["anchor"]
    first["txHash"] = next(
        e["anchor"]["txHash"] for e in material["events"] if e["anchor"]["root"] != first["root"]
    )


def _sign_with_an_unregistered_key(material: dict[str, Any]) -> None:
    # A forger re-signs a genuine, anchored event with a key of their own under the
    # producer's name: the signature and the anchor hold, the PartyRegistry does not.
    entry = material["events"][0]
    payload = material["envelopes"][entry["envelopeHash"]]["envelope"]["payload"]
    key = SigningKey.generate(Algorithm.ED25519)
    forged = sign_envelope(
        payload["document"],
        doc_type="epcis-event",
        party=payload["party"],
        key_id="rogue-k1",
        signing_key=key,
        salt=bytes(16),
        issued_at=datetime.fromisoformat(payload["issuedAt"].replace("Z", "+00:00")),
    )
    entry["envelopeHash"] = forged.content_hash.hex()
    material["envelopes"][entry["envelopeHash"]] = {
        "envelope": forged.to_wire(),
        "publicKey": {"keyId": "rogue-k1", "party": payload["party"], "alg": "Ed25519",
                      "publicKey": key.public_key},
    }  # fmt: skip


def test_verify_lot_names_the_failed_check(
    verify_lot: Callable[..., Result], lot_json: dict[str, Any]
) -> None:
    events = lot_json["verification"]["events"]
    # One captured lot for every case: capturing is what costs.
    cases = [
        (_edit_event, ": event hash", events[3]["eventHash"], "differs"),
        (_edit_proof, ": anchored on chain", f"in block {events[0]['anchor']['blockNumber']}",
         "which was never anchored"),
        (_name_another_transaction, ": anchor transaction",
         f"LotBatchAnchored(root={events[0]['anchor']['root']}", "differs"),
        (_sign_with_an_unregistered_key, ": signer registered", "key rogue-k1 registered",
         "no such key"),
    ]  # fmt: skip
    for edit, check, expected, found in cases:
        lot = copy.deepcopy(lot_json)
        edit(lot["verification"])
        result = verify_lot(lot, "--json")
        assert result.exit_code == 1, (edit.__name__, result.output)
        ((failed,),) = [_failed(result)]
        assert failed["check"].endswith(check), edit.__name__
        assert expected in failed["expected"], edit.__name__
        if found == "differs":
            assert failed["found"] != failed["expected"]
        else:
            assert found in failed["found"], edit.__name__
    text = verify_lot(lot)  # the last case, as a person reads it
    assert "expected: key rogue-k1 registered" in text.stdout
    assert text.stdout.rstrip().endswith("NOT AUTHENTIC")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is not a readable file"),
        ("{not json", "is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "deeper than 64"),
        ('{"gtin": "06901234123456"}', "not a sandan lot"),
    ],
)
def test_verify_lot_refuses_unusable_input(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "lot.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        build_app(), ["verify-lot", str(path), "--registry", "0x" + "1" * 40]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_verify_lot_reports_an_unreachable_node(tmp_path: Path) -> None:
    path = tmp_path / "lot.json"
    material = {
        "format": "sandan-lot/1",
        "chain": {"chainId": 1, "traceRegistry": "0x" + "1" * 40, "partyRegistry": None},
        "events": [],
        "envelopes": {},
    }
    path.write_text(json.dumps({"verification": material}), encoding="utf-8")
    dead = f"http://127.0.0.1:{free_port()}"
    argv = ["verify-lot", str(path), "--rpc-url", dead, "--registry", "0x" + "1" * 40]
    result = CliRunner().invoke(build_app(), argv)
    assert result.exit_code == 3, result.output
    assert "cannot reach the chain" in result.output

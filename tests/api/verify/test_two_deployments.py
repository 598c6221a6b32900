"""The forgery drill of the trust model: two sandan deployments share one chain (anvil).

The forger controls nothing of the real deployment. It deploys its own copy of the
registries on the same chain, registers the real party codes with keys of its own,
submits invented trades that get matched, anchored and released, and exports a
bundle. Against its own registries that bundle is internally consistent; against
the registries a bank pins, ``sandan verify`` must refuse it and name the check.
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.anchoring.worker import AnchorWorker
from api.cli import build_app
from api.config import ApiSettings
from api.runtime import Runtime
from api.verify.rpc import JsonRpc
from api.verify.trust import load_trust_roots
from ledger_client import (
    LedgerSettings,
    PartyRegistryClient,
    TradeRegistryClient,
    deploy_registries,
    dev_accounts,
    make_web3,
)
from tests.api.verify.forgery import failed_checks, forge_order, order_index
from traceability import Algorithm, SigningKey
from traceability.signing.registry_ids import algorithm_code, key_hash, party_id

pytestmark = pytest.mark.node

TAG = "26120100"  # the same party codes in both deployments: the forger copies them


def _run_deployment(anvil_url: str, folder: Path) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Deploy registries on anvil, run the demo flow through a fresh sandan on them; return
    its bundles and its registry addresses."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from fastapi.testclient import TestClient

    from api.demo.trade import DemoRun, run_trade_demo
    from api.web.main import create_app

    folder.mkdir(parents=True)
    w3 = make_web3(anvil_url)
    admin = dev_accounts(w3, 1)[0]
    deployment = deploy_registries(w3, admin, grants={"ANCHORER_ROLE": [admin.address]})
    deployment.save(folder / "deployment.json")
    settings = ApiSettings(
        ledger=LedgerSettings(
            data_dir=folder, rpc_url=anvil_url, deployment_file=folder / "deployment.json"
        ),
        database_url=f"sqlite:///{folder / 'sandan.db'}",
        admin_token="drill-admin-token",
        keystore_secret="drill-keystore",
        batch_wait_seconds=0.0,
        rate_limit_per_minute=0,
    )
    runtime = Runtime.from_settings(settings)
    with TestClient(create_app(runtime=runtime)) as client:
        run = DemoRun(
            client=client,
            admin_token=runtime.admin_token,
            worker=AnchorWorker(runtime),
            out_dir=folder / "out",
            rpc=JsonRpc(anvil_url),
            trust=load_trust_roots(deployment_file=folder / "deployment.json"),
            emit=lambda _m: None,
            tag=TAG,
        )
        outcomes = run_trade_demo(run)
    runtime.engine.dispose()
    bundles = [
        json.loads(Path(o.bundle_path).read_text(encoding="utf-8"))
        for o in outcomes
        if o.bundle_path
    ]
    # Each deployment's bundles verify against its own registries: the forgery is well made.
    assert bundles
    assert all(o.verification and o.verification["authentic"] for o in outcomes if o.bundle_path)
    registries = {
        "trade": deployment.trade_registry.address,
        "party": deployment.party_registry.address,
    }
    return bundles, registries


@pytest.fixture(scope="module")
def drill(anvil_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The real deployment's and the forger's bundles, on one anvil."""
    root = tmp_path_factory.mktemp("two-deployments")
    real, real_registries = _run_deployment(anvil_url, root / "real")
    forged, forger_registries = _run_deployment(anvil_url, root / "forger")
    return {
        "url": anvil_url,
        "root": root,
        "real": real[0],
        "forged": forged[0],
        "registries": real_registries,
        "forger_registries": forger_registries,
    }


def _verify(drill: dict[str, Any], bundle: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    path = drill["root"] / f"{name}.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    registries = drill["registries"]
    result = CliRunner().invoke(
        build_app(),
        [
            "verify",
            str(path),
            "--registry",
            registries["trade"],
            "--registry",
            registries["party"],
            "--rpc-url",
            drill["url"],
            "--json",
        ],
    )
    return result.exit_code, json.loads(result.output)


def _failed(report: dict[str, Any]) -> dict[str, str | None]:
    return failed_checks(report["checks"])


def test_the_genuine_bundle_verifies_against_the_pinned_registries(drill: dict[str, Any]) -> None:
    code, report = _verify(drill, drill["real"], "genuine")
    assert code == 0, report
    assert report["outcome"] == "authentic"
    # verifyDocument and signerAt per document, verifyVerdict, verifySettlement if settled,
    # and verdictBatchOf (the party lists' commitment).
    settled = drill["real"]["settlement"] is not None
    calls = 2 * len(drill["real"]["documents"]) + 1 + settled + 1
    assert report["chainCalls"]["eth_call"] == calls
    assert report["chainCalls"]["eth_getTransactionByHash"] == 1


def test_the_forgers_bundle_is_refused_naming_the_untrusted_registry(
    drill: dict[str, Any],
) -> None:
    assert drill["forged"]["ebpCode"] == drill["real"]["ebpCode"]  # the real party codes
    code, report = _verify(drill, drill["forged"], "forged")
    assert code == 1
    failed = _failed(report)
    forger = drill["forger_registries"]["trade"].lower()
    assert failed["TradeRegistry trusted"] == f"registry {forger} is not a trusted registry"


def test_the_forgers_bundle_with_the_real_addresses_swapped_in_is_refused(
    drill: dict[str, Any],
) -> None:
    forged = copy.deepcopy(drill["forged"])
    forged["chain"]["tradeRegistry"] = drill["registries"]["trade"]
    forged["chain"]["partyRegistry"] = drill["registries"]["party"]
    code, report = _verify(drill, forged, "forged-swapped")
    assert code == 1
    failed = _failed(report)
    assert any(name.endswith("anchored on chain") for name in failed), failed
    assert any(name.endswith("signer registered") for name in failed), failed


def test_a_genuine_bundle_with_an_edited_transaction_hash_is_refused(
    drill: dict[str, Any],
) -> None:
    for step in ("release", "verdict"):
        edited = copy.deepcopy(drill["real"])
        tx = edited[step]["txHash"]
        edited[step]["txHash"] = tx[:-1] + ("0" if tx[-1] != "0" else "1")
        code, report = _verify(drill, edited, f"edited-{step}")
        assert code == 1
        assert _failed(report)[f"{step} transaction"] == "no such transaction on this chain"


def test_a_genuine_bundle_with_its_registry_swapped_is_refused(drill: dict[str, Any]) -> None:
    swapped = copy.deepcopy(drill["real"])
    swapped["chain"]["partyRegistry"] = drill["forger_registries"]["party"]
    code, report = _verify(drill, swapped, "registry-swapped")
    assert code == 1
    assert "PartyRegistry trusted" in _failed(report)


# --- signers the real PartyRegistry refuses, on anvil -------------------------------------
# The forger here holds the real anchorer (the worst case): its hashes are in the real
# TradeRegistry, and only the PartyRegistry, as of the anchoring block, tells them apart.


def _real_clients(drill: dict[str, Any]) -> tuple[TradeRegistryClient, PartyRegistryClient]:
    w3 = make_web3(drill["url"])
    operator = dev_accounts(w3, 1)[0]  # anchorer and registrar of the real deployment
    return (
        TradeRegistryClient(w3, drill["registries"]["trade"], operator),
        PartyRegistryClient(w3, drill["registries"]["party"], operator),
    )


def _signer_failures(drill: dict[str, Any], forged: dict[str, Any], name: str) -> dict[str, Any]:
    code, report = _verify(drill, forged, name)
    assert code == 1
    prefix = f"documents[{order_index(forged)}] CEB311: "
    return {k.removeprefix(prefix): v for k, v in failed_checks(report["checks"]).items()}


def _register(party: PartyRegistryClient, code: str, key_id: str, key: SigningKey) -> None:
    party.add_key(party_id(code), key_hash(key_id), algorithm_code(key.alg), key.public_key)


def test_an_order_signed_by_a_key_registered_after_its_batch_is_refused(
    drill: dict[str, Any],
) -> None:
    trade, party = _real_clients(drill)
    platform = drill["real"]["ebpCode"]
    key = SigningKey.generate(Algorithm.ED25519)
    forged = forge_order(trade, drill["real"], party=platform, key_id="late-1", signing_key=key)
    _register(party, platform, "late-1", key)  # after the batch
    failed = _signer_failures(drill, forged, "late-key")
    assert failed["key valid when anchored"].startswith("registered in block")


def test_an_order_signed_by_a_key_revoked_before_its_batch_is_refused(
    drill: dict[str, Any],
) -> None:
    trade, party = _real_clients(drill)
    platform = drill["real"]["ebpCode"]
    key = SigningKey.generate(Algorithm.ED25519)
    _register(party, platform, "revoked-1", key)
    party.revoke_key(key_hash("revoked-1"), 0, "stolen")
    forged = forge_order(trade, drill["real"], party=platform, key_id="revoked-1", signing_key=key)
    failed = _signer_failures(drill, forged, "revoked-key")
    assert "revoked from block" in failed["key valid when anchored"]


def test_an_order_signed_by_another_partys_registered_key_is_refused(
    drill: dict[str, Any],
) -> None:
    trade, party = _real_clients(drill)
    payer = next(d for d in drill["real"]["documents"] if d["messageType"] == "CEB411")
    payer_code = payer["envelope"]["payload"]["party"]
    key = SigningKey.generate(Algorithm.ED25519)
    _register(party, payer_code, "payer-2", key)
    forged = forge_order(
        trade, drill["real"], party=drill["real"]["ebpCode"], key_id="payer-2", signing_key=key
    )
    failed = _signer_failures(drill, forged, "other-party-key")
    assert failed["signer registered"] == "registered to another party"

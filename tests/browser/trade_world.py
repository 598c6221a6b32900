"""A real trade world for the browser verifier: anvil, the service over HTTP, the demo's bundles.

The page reaches the chain the way a bank's browser would, over JSON-RPC to a real node
(anvil answers CORS for any origin), so the in-process chain of the other browser tests
cannot serve here. One world per test module: the demo's trades are read-only afterwards,
and each test tampers with its own copy of a bundle.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.anchoring.worker import AnchorWorker
from api.config import ApiSettings
from api.db.engine import make_engine
from api.db.models import TradeRecord
from api.demo.parties import bearer, register_party
from api.demo.trade import DemoRun, TradeOutcome, run_trade_demo
from api.runtime import Runtime
from api.services.customs_play import customs_receipt_xml
from api.verify.rpc import JsonRpc
from api.verify.trust import TrustRoots, load_trust_roots
from api.verify.verifier import Report, verify_bundle
from api.web.main import create_app
from ledger_client import (
    DEV_PARTIES,
    EmbeddedNode,
    EmbeddedNodeError,
    LedgerSettings,
    TradeRegistryClient,
    deploy_registries,
    dev_accounts,
    dev_role_grants,
    find_anvil,
    make_web3,
)
from tests.browser.conftest import ADMIN_TOKEN
from tests.conftest import free_port, require_all_backends
from tests.live_server import serve_in_thread
from traceability import Algorithm, SigningKey, new_salt, sign_envelope
from traceability.ceb import CustomsStatus
from traceability.merkle import MerkleTree


@dataclass
class TradeWorld:
    """The served app, its node and the demo's outcomes."""

    base_url: str
    rpc_url: str
    client: TestClient
    runtime: Runtime
    outcomes: list[TradeOutcome]
    trust: TrustRoots
    bank_headers: dict[str, str]
    customs_headers: dict[str, str]

    @property
    def registries(self) -> list[str]:
        """The deployment's TradeRegistry and PartyRegistry: the roots a bank would pin."""
        ledger = self.runtime.ledger()
        return [ledger.trade_registry_address, ledger.party_registry_address]

    def bundle(self, index: int) -> dict[str, Any]:
        """A fresh copy of demo trade ``index``'s bundle (0 clean import, 1 export, 2 short)."""
        response = self.client.get(
            f"/banks/trades/{self.outcomes[index].trade_id}/bundle", headers=self.bank_headers
        )
        assert response.status_code == 200, response.text
        return copy.deepcopy(response.json())

    def send_receipt(self, index: int, message_type: str, status: CustomsStatus, info: str) -> None:
        """Customs sends its receipt for demo trade ``index`` over its API key; anchored."""
        with Session(self.runtime.engine) as session:
            trade = session.get(TradeRecord, self.outcomes[index].trade_id)
            assert trade is not None
            xml = customs_receipt_xml(
                session=session,
                trade=trade,
                message_type=message_type,
                status=status,
                info=info,
                now=datetime.now(UTC),
            )
        headers = self.customs_headers | {"Content-Type": "application/xml"}
        answer = self.client.post("/customs/receipts", content=xml, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        AnchorWorker(self.runtime).drain()

    def python_verdict(self, bundle: dict[str, Any]) -> Report:
        """What ``sandan verify`` concludes about ``bundle`` on this node."""
        return verify_bundle(bundle, JsonRpc(self.rpc_url), self.trust)


def _anvil() -> Path:
    try:
        return find_anvil(LedgerSettings())
    except EmbeddedNodeError as exc:
        if require_all_backends():
            pytest.fail(f"anvil is required (SANDAN_REQUIRE_ALL_BACKENDS=1): {exc}")
        pytest.skip(f"anvil not available: {exc}")


def _settings(data_dir: Path, rpc_url: str, port: int) -> ApiSettings:
    return ApiSettings(
        ledger=LedgerSettings(data_dir=data_dir, rpc_url=rpc_url),
        admin_token=ADMIN_TOKEN,
        keystore_secret="browser-secret",
        public_base_url=f"http://127.0.0.1:{port}",
        batch_wait_seconds=0.0,
        rate_limit_per_minute=0,
    )


def trade_world(tmp: Path) -> Iterator[TradeWorld]:
    """Start anvil, deploy, serve the app and run the trade demo; stop everything after."""
    node = EmbeddedNode(tmp / "anvil", free_port(), anvil=_anvil(), state=False)
    node.start()
    try:
        port = free_port()
        settings = _settings(tmp / "data", node.rpc_url, port)
        w3 = make_web3(node.rpc_url)
        accounts = dev_accounts(w3, len(DEV_PARTIES))
        deployment = deploy_registries(w3, accounts[0], grants=dev_role_grants(accounts))
        settings.ledger.deployment_file.parent.mkdir(parents=True, exist_ok=True)
        deployment.save(settings.ledger.deployment_file)
        engine = make_engine(f"sqlite:///{tmp / 'sandan.db'}")
        runtime = Runtime.from_settings(settings, engine=engine)
        app = create_app(runtime=runtime)
        trust = load_trust_roots(deployment_file=settings.ledger.deployment_file)
        with serve_in_thread(app, port), TestClient(app) as client:
            run = DemoRun(
                client=client,
                admin_token=ADMIN_TOKEN,
                worker=AnchorWorker(runtime),
                out_dir=tmp / "out",
                rpc=JsonRpc(node.rpc_url),
                trust=trust,
                emit=lambda _line: None,
                tag="browser",
            )
            outcomes = run_trade_demo(run)
            bank = register_party(client, bearer(ADMIN_TOKEN), "BANK-VERIFIER", ("bank",))
            yield TradeWorld(
                settings.public_base_url,
                node.rpc_url,
                client,
                runtime,
                outcomes,
                trust,
                bank.headers,
                run.parties["GACC-HZ"].headers,
            )
        engine.dispose()
    finally:
        node.stop()


def forge_order_signed_by_unregistered_key(world: TradeWorld, bundle: dict[str, Any]) -> str:
    """Replace the order with the same document signed by a key the PartyRegistry never saw.

    The forgery is anchored for real (as a compromised anchorer could), so every hash, proof
    and receipt checks out: only the signer rule can catch it. Returns the forged key id.
    """
    entry = next(d for d in bundle["documents"] if d["envelope"]["payload"]["docType"] == "order")
    payload = entry["envelope"]["payload"]
    key = SigningKey.generate(Algorithm.ED25519)
    key_id = f"{payload['party']}-forged"
    envelope = sign_envelope(
        payload["document"],
        doc_type="order",
        party=payload["party"],
        key_id=key_id,
        signing_key=key,
        salt=new_salt(),
        issued_at=datetime.now(UTC),
    )
    tree = MerkleTree.build([envelope.content_hash])
    batch_id = os.urandom(32)
    ledger = world.runtime.ledger()
    anchorer = dev_accounts(ledger.w3, 1)[0]  # the deployer also anchors (dev grants)
    tx = TradeRegistryClient(ledger.w3, ledger.trade_registry_address, anchorer).anchor_batch(
        tree.root, 1, batch_id
    )
    entry["contentHash"] = envelope.content_hash.hex()
    entry["envelope"] = envelope.to_wire()
    entry["publicKey"] = {
        "keyId": key_id,
        "party": payload["party"],
        "alg": key.alg.value,
        "publicKey": key.public_key,
    }
    entry["anchor"] = {
        "root": tree.root.hex(),
        "proof": [],
        "batchId": batch_id.hex(),
        "txHash": str(tx.tx_hash),
        "blockNumber": tx.block_number,
    }
    return key_id

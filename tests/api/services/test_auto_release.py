"""Graded release through the API: customs signs a standing policy with its own key, sandan
relays it, the worker releases the low-risk matched trades within it and records, anchors
and proves each decision; everything outside it waits for customs."""

from __future__ import annotations

import hashlib
import json
import time
from decimal import Decimal
from typing import Any

import typer
from eth_account import Account
from eth_utils.crypto import keccak
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli.authorize import register
from api.db.models import AutoReleaseRecord
from api.services.risk.grading import grade_of_inputs
from api.verify.verifier import Outcome
from ledger_client import (
    AuthorizationAction,
    Decision,
    ReleasePolicy,
    TradeState,
    authorization_typed_data,
    decision_leaf,
    release_policy_typed_data,
    sign_authorization,
)
from ledger_client.events import TradesReleased, TradesReleasedUnderPolicy
from tests.api.conftest import World, stage_fixtures
from tests.api.services.test_self_custody import CUSTODIANS, Custodians
from tests.api.web.routes.test_trade_flow import submit
from traceability.trade import samples

world_stage, custodians = stage_fixtures("custodians", CUSTODIANS)

POLICIES = "/customs/release-policies"


def _policy_body(world: World, officer: Any, **terms: Any) -> dict[str, Any]:
    now = int(time.time())
    given: dict[str, Any] = {
        "grades": ["low"],
        "modes": ["9610"],
        "max_value": 5_000_00,
        "valid_from": now - 60,
        "valid_until": now + 86_400,
        "salt": hashlib.sha256(json.dumps(terms, sort_keys=True).encode()).digest(),
    }
    given.update(terms)
    policy = ReleasePolicy(
        grades=frozenset(given["grades"]),
        modes=frozenset(given["modes"]),
        max_value=given["max_value"],
        valid_from=given["valid_from"],
        valid_until=given["valid_until"],
        salt=given["salt"],
    )
    typed = release_policy_typed_data(
        policy, world.ledger.chain_id, world.ledger.trade_registry_address
    )
    signature = sign_authorization(typed, officer.key)
    fen = given["max_value"]
    return {
        "grades": given["grades"],
        "modes": given["modes"],
        "maxValue": f"{fen // 100}.{fen % 100:02d}",
        "validFrom": given["valid_from"],
        "validUntil": given["valid_until"],
        "salt": policy.salt.hex(),
        "signer": officer.address,
        "signature": signature.hex,
    }


def _trade(n: int, **terms: Any) -> samples.TradeDocuments:
    return samples.import_trade(
        samples.ImportTerms(
            order_no=f"AUTO{n:04d}",
            logistics_no=f"SF90000000{n:05d}",
            pay_transaction_id=f"APAUTO{n:04d}",
            **terms,
        )
    )


def _adopt(world: World, custodians: Custodians, **terms: Any) -> dict[str, Any]:
    customs = custodians.actors["customs"].headers
    body = _policy_body(world, custodians.officer, **terms)
    adopted = world.client.post(POLICIES, json=body, headers=customs)
    assert adopted.status_code == 201, adopted.text
    return dict(adopted.json())


def _decisions(world: World, trade_id: str) -> list[dict[str, Any]]:
    with Session(world.runtime.engine) as session:
        rows = session.exec(
            select(AutoReleaseRecord).where(AutoReleaseRecord.trade_id == trade_id)
        ).all()
        return [r.model_dump() for r in rows]


def _assert_left_to_customs(
    world: World, custodians: Custodians, docs: samples.TradeDocuments
) -> None:
    """Submit ``docs`` and drain the worker: the trade is neither released nor decided."""
    trade_id = submit(world, custodians.actors, docs)[0]["tradeId"]
    world.worker.drain()
    customs = custodians.actors["customs"].headers
    assert world.client.get(f"/trades/{trade_id}", headers=customs).json()["releasedAt"] is None
    assert _decisions(world, trade_id) == []


def test_low_risk_matched_trades_are_released_under_customs_policy(
    world: World, custodians: Custodians
) -> None:
    parties = custodians.actors
    customs = parties["customs"].headers
    trade_id = submit(world, parties, _trade(1))[0]["tradeId"]
    world.worker.drain()
    policy = _adopt(world, custodians)
    assert policy["inForce"] is True
    on_chain = world.ledger.trade.release_policy_of(policy["policyId"])
    assert on_chain is not None
    assert on_chain.signer == custodians.officer.address

    world.worker.drain()
    trade = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert trade["releasedAt"] is not None
    listed = world.client.get(f"/customs/auto-releases?tradeId={trade_id}", headers=customs)
    assert listed.status_code == 200, listed.text
    (decision,) = listed.json()["data"]
    assert (decision["outcome"], decision["grade"], decision["mode"]) == ("released", "low", "9610")

    # Re-check the decision from what the API gave, against the chain alone.
    inputs = json.dumps(
        decision["inputs"], ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    assert hashlib.sha256(inputs.encode()).hexdigest() == decision["inputsHash"]
    assert grade_of_inputs(decision["inputs"])[0] == decision["grade"]
    stored = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert Decimal(stored["customsValue"]) * 100 == decision["valueFen"]
    leaf = decision_leaf(
        decision["verdictBatch"],
        decision["verdictPosition"],
        Decision("low", "9610", decision["valueFen"], bytes.fromhex(decision["inputsHash"])),
    )
    node = leaf
    for sibling in map(bytes.fromhex, decision["proof"]):
        node = _pair(node, sibling)
    assert node.hex() == decision["decisionsRoot"]
    block = world.ledger.trade.result_of(trade["releaseTx"]).block_number
    released, under = world.ledger.trade.find_events(TradesReleased, block, block) + tuple(
        world.ledger.trade.find_events(TradesReleasedUnderPolicy, block, block)
    )
    assert released.customs == custodians.officer.address  # customs' key, through its policy
    assert under.decisions_root.hex() == decision["decisionsRoot"]
    # The facts the contract checked are the decision's.
    facts = bytes.fromhex(decision["releaseFacts"])
    assert keccak(facts) == under.facts_hash
    k = decision["factIndex"]
    assert facts[8 * k : 8 * k + 8] == bytes([0, 0]) + decision["valueFen"].to_bytes(6, "big")
    assert under.policy_id.hex() == policy["policyId"]
    batch, position = decision["verdictBatch"], decision["verdictPosition"]
    assert world.ledger.trade.trade_at(batch, position).state is TradeState.RELEASED
    # A bank checks the automatically released trade like any other, against the chain.
    bank = parties["bank_a"].headers
    bundle = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=bank).json()
    assert bundle["release"]["txHash"] == trade["releaseTx"]
    assert world.verify(bundle).outcome is Outcome.AUTHENTIC


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def test_trades_outside_the_policy_wait_for_customs_with_the_reason(
    world: World, custodians: Custodians
) -> None:
    parties = custodians.actors
    customs = parties["customs"].headers
    _adopt(world, custodians, max_value=100_00)  # 100 yuan: the sample trade is dearer
    trade_id = submit(world, parties, _trade(2))[0]["tradeId"]
    world.worker.drain()
    trade = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert trade["releasedAt"] is None
    (decision,) = world.client.get(
        f"/customs/auto-releases?tradeId={trade_id}", headers=customs
    ).json()["data"]
    assert decision["outcome"] == "skipped"
    assert "exceeds the policy's 100.00" in decision["reason"]
    # Decided once: further passes leave it to customs, who releases it by hand.
    world.worker.drain()
    assert len(_decisions(world, trade_id)) == 1
    releasable = world.client.get("/customs/releasable", headers=customs).json()
    assert trade_id in {t["tradeId"] for t in releasable["data"]}


def test_a_revoked_policy_releases_nothing_more(world: World, custodians: Custodians) -> None:
    parties, officer = custodians.actors, custodians.officer
    customs = parties["customs"].headers
    policy = _adopt(world, custodians)
    nonce = world.ledger.trade.nonces(officer.address)
    deadline = int(time.time()) + 3600
    typed = authorization_typed_data(
        AuthorizationAction.REVOKE_RELEASE_POLICY,
        bytes.fromhex(policy["policyId"]),
        bytes(32),
        nonce,
        deadline,
        world.ledger.chain_id,
        world.ledger.trade_registry_address,
    )
    body = {
        "signer": officer.address,
        "nonce": nonce,
        "deadline": deadline,
        "signature": sign_authorization(typed, officer.key).hex,
    }
    revoked = world.client.post(
        f"{POLICIES}/{policy['policyId']}/revoke", json=body, headers=customs
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["inForce"] is False
    assert world.ledger.trade.release_policy_of(policy["policyId"]).revoked is True
    again = world.client.post(f"{POLICIES}/{policy['policyId']}/revoke", json=body, headers=customs)
    assert again.status_code == 409

    _assert_left_to_customs(world, custodians, _trade(3))


def test_policy_adoption_refuses_what_is_not_customs_signature(
    world: World, custodians: Custodians
) -> None:
    parties = custodians.actors
    customs = parties["customs"].headers
    stranger = Account.create()
    body = _policy_body(world, stranger)
    refused = world.client.post(POLICIES, json=body, headers=customs)
    assert refused.status_code == 403
    assert (refused.json()["error"], refused.json()["field"]) == ("not_your_account", "signer")

    forged = {**_policy_body(world, custodians.officer), "maxValue": "99999.00"}
    refused = world.client.post(POLICIES, json=forged, headers=customs)
    assert refused.status_code == 422
    assert refused.json()["field"] == "signature"

    # A bank may not bring a policy, whatever it signed.
    bank = parties["bank_a"].headers
    not_customs = world.client.post(
        POLICIES, json=_policy_body(world, custodians.clerk), headers=bank
    )
    assert not_customs.status_code == 403

    for field, value in (
        ("grades", ["high"]),
        ("grades", []),
        ("modes", ["0110"]),
        ("maxValue", "5,000"),
        ("validUntil", 0),
        ("salt", "xyz"),
    ):
        bad = world.client.post(POLICIES, json={**body, field: value}, headers=customs)
        assert bad.status_code == 422, (field, bad.text)
        assert field in json.dumps(bad.json())


def test_cli_signs_a_policy_the_api_adopts(world: World, custodians: Custodians, tmp_path) -> None:
    key_file = tmp_path / "customs.key"
    key_file.write_text(custodians.officer.key.hex())
    app = typer.Typer()
    register(app)
    args = [
        "authorize",
        "policy",
        "--grades",
        "low",
        "--modes",
        "9610,1210",
        "--max-value",
        "2000.00",
        "--valid-until",
        str(int(time.time()) + 3600),
        "--key-file",
        str(key_file),
        "--chain-id",
        str(world.ledger.chain_id),
        "--registry",
        world.ledger.trade_registry_address,
    ]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    adopted = world.client.post(POLICIES, json=body, headers=custodians.actors["customs"].headers)
    assert adopted.status_code == 201, adopted.text
    assert done.stderr.strip().endswith(adopted.json()["policyId"])
    assert adopted.json()["maxValue"] == "2000.00"


def test_a_trade_the_contract_refuses_is_set_aside_for_customs(
    world: World, custodians: Custodians
) -> None:
    parties = custodians.actors
    customs = parties["customs"].headers
    _adopt(world, custodians)
    trade_id = submit(world, parties, _trade(4))[0]["tradeId"]
    # Another customs office (with a custodial account) lists the platform before the worker
    # runs: the decision is queued off chain, and the contract refuses the release.
    office = world.actor("GACC-LIST", ["customs"], chain_account=True)
    platform = parties["platform"].code
    listed = world.client.post(
        f"/parties/{platform}/listing",
        json={"reason": "suspected fictitious trade", "until": "2099-01-01T00:00:00+00:00"},
        headers=office.headers,
    )
    assert listed.status_code == 201, listed.text
    world.worker.drain()
    assert world.client.get(f"/trades/{trade_id}", headers=customs).json()["releasedAt"] is None
    (decision,) = world.client.get(
        f"/customs/auto-releases?tradeId={trade_id}", headers=customs
    ).json()["data"]
    assert decision["outcome"] == "refused"
    assert "TradeRegistryPartyListed" in decision["reason"]
    one = world.client.get(f"/customs/auto-releases/{decision['id']}", headers=customs)
    assert one.json()["inputsHash"] == decision["inputsHash"]
    assert world.client.get("/customs/auto-releases/999999", headers=customs).status_code == 404
    bank = parties["bank_a"].headers
    assert world.client.get("/customs/auto-releases", headers=bank).status_code == 403


def test_the_skip_reasons_name_what_is_outside_the_policy() -> None:
    from datetime import UTC, datetime

    from api.db.models import ReleasePolicyRecord, TradeRecord
    from api.services.auto_release import _skip_reason, _value_fen

    now = datetime.now(UTC)
    policy = ReleasePolicyRecord(
        policy_id="ab" * 32,
        customs_code="GACC",
        signer="0x" + "00" * 20,
        grades="low",
        modes="9610",
        max_value_fen=500_000,
        valid_from=now,
        valid_until=now,
        salt="00" * 32,
        signature="0x",
        adopted_tx="0x",
        adopted_block=1,
        created_at=now,
    )

    def trade(value: str | None, currency: str | None = "142") -> TradeRecord:
        return TradeRecord(
            trade_id="cd" * 32,
            ebp_code="E",
            order_no="O",
            customs_value=value,
            currency=currency,
            updated_at=now,
        )

    assert _value_fen(trade("4999.99")) == (499_999, None)
    assert _value_fen(trade("1.005"))[1] == "the customs value 1.005 is not a whole number of fen"
    assert "currency 502" in (_value_fen(trade("10", "502"))[1] or "")
    assert _value_fen(trade(None))[1] == "the trade declares no customs value"
    assert "not a number" in (_value_fen(trade("abc"))[1] or "")
    within = trade("5000.00")
    assert _skip_reason(policy, within, "low", 500_000, None) is None
    assert "exceeds" in (_skip_reason(policy, within, "low", 500_001, None) or "")
    assert "grade medium is not among" in (_skip_reason(policy, within, "medium", 1, None) or "")
    assert "grade high (held)" in (_skip_reason(policy, within, "high", 1, None) or "")


def test_cli_signs_a_revocation_the_api_relays(
    world: World, custodians: Custodians, tmp_path
) -> None:
    policy = _adopt(world, custodians, max_value=4_999_00)
    key_file = tmp_path / "customs.key"
    key_file.write_text(custodians.officer.key.hex())
    app = typer.Typer()
    register(app)
    nonce = world.ledger.trade.nonces(custodians.officer.address)
    args = [
        "authorize",
        "revoke-policy",
        policy["policyId"],
        "--key-file",
        str(key_file),
        "--nonce",
        str(nonce),
        "--chain-id",
        str(world.ledger.chain_id),
        "--registry",
        world.ledger.trade_registry_address,
    ]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    customs = custodians.actors["customs"].headers
    revoked = world.client.post(
        f"{POLICIES}/{policy['policyId']}/revoke", json=body, headers=customs
    )
    assert revoked.status_code == 200, revoked.text
    listed = world.client.get(POLICIES, headers=customs).json()
    (mine,) = [p for p in listed if p["policyId"] == policy["policyId"]]
    assert (mine["inForce"], mine["revokedTx"]) == (False, revoked.json()["revokedTx"])
    bad = world.client.post(f"{POLICIES}/{'ab' * 32}/revoke", json=body, headers=customs)
    assert bad.status_code == 404


def test_a_policy_out_of_force_on_chain_queues_nothing(
    world: World, custodians: Custodians
) -> None:
    # Customs' signer loses its role on chain without sandan's database knowing: the chain
    # says the policy is no longer in force, and the worker queues nothing under it.
    _adopt(world, custodians, max_value=4_998_00)
    world.ledger.revoke_roles(custodians.officer.address, ["CUSTOMS_ROLE"])
    _assert_left_to_customs(world, custodians, _trade(5))


def test_a_release_the_chain_has_is_found_not_sent_again(
    world: World, custodians: Custodians
) -> None:
    # As after a crash between the chain accepting the release and the database recording
    # it: the batch is back to "sent" and the trade unreleased in the database. A new
    # worker finds the release on chain by its decisions root instead of sending it again.
    from sqlalchemy import update

    from api.db.models import AnchorBatchRecord, OutboxRecord, TradeRecord
    from api.services.auto_release import anchor_worker

    parties = custodians.actors
    customs = parties["customs"].headers
    _adopt(world, custodians, max_value=4_997_00)
    trade_id = submit(world, parties, _trade(6))[0]["tradeId"]
    world.worker.drain()
    released = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert released["releasedAt"] is not None
    with Session(world.runtime.engine) as session:
        row = session.exec(
            select(OutboxRecord).where(
                OutboxRecord.kind == "release", OutboxRecord.subject == trade_id
            )
        ).one()
        session.execute(
            update(AnchorBatchRecord)
            .where(AnchorBatchRecord.id == row.batch_id)
            .values(state="sent", tx_hash=None, block_number=None, confirmed_at=None)
        )
        session.execute(
            update(TradeRecord)
            .where(TradeRecord.trade_id == trade_id)
            .values(released_at=None, release_tx=None, release_block=None)
        )
        session.execute(
            update(AutoReleaseRecord)
            .where(AutoReleaseRecord.trade_id == trade_id)
            .values(outcome="queued")
        )
        session.commit()
    anchor_worker(world.runtime).drain()
    again = world.client.get(f"/trades/{trade_id}", headers=customs).json()
    assert again["releaseTx"] == released["releaseTx"]
    (decision,) = world.client.get(
        f"/customs/auto-releases?tradeId={trade_id}", headers=customs
    ).json()["data"]
    assert decision["outcome"] == "released"


def test_a_trade_customs_holds_is_left_out_of_every_automatic_release(
    world: World, custodians: Custodians
) -> None:
    parties = custodians.actors
    customs = parties["customs"].headers
    trade_id = submit(world, parties, _trade(7))[0]["tradeId"]
    world.worker.drain()
    held = world.client.post(
        f"/customs/trades/{trade_id}/hold", json={"reason": "查验：品名待核"}, headers=customs
    )
    assert held.status_code == 201, held.text
    assert held.json()["heldBy"] == parties["customs"].code
    _adopt(world, custodians)
    world.worker.drain()
    assert world.client.get(f"/trades/{trade_id}", headers=customs).json()["releasedAt"] is None
    (decision,) = _decisions(world, trade_id)
    assert decision["outcome"] == "skipped"
    assert "held by customs" in decision["reason"]


def test_a_release_under_policy_is_told_when_the_chain_confirms_it(
    world: World, custodians: Custodians
) -> None:
    parties = custodians.actors
    trade_id = submit(world, parties, _trade(1))[0]["tradeId"]
    world.worker.drain()
    policy = _adopt(world, custodians)

    def released(name: str) -> list[dict[str, Any]]:
        inbox = world.client.get("/inbox", headers=parties[name].headers).json()["data"]
        return [n for n in inbox if n["kind"] == "trade.released"]

    assert released("platform") == []  # adopted, nothing released on chain yet: nothing told
    world.worker.drain()
    trade = world.client.get(f"/trades/{trade_id}", headers=parties["customs"].headers).json()
    for name in ("platform", "customs"):
        (note,) = released(name)
        assert note["tradeId"] == trade_id
        assert note["data"]["policyId"] == policy["policyId"]
        assert note["data"]["txHash"] == trade["releaseTx"]
    assert released("bank_a") == []

"""Customs and banks sign with their own keys; sandan only relays (no key held by sandan)."""

from __future__ import annotations

import time
from typing import Any

from eth_account import Account
from sqlmodel import Session

from api.db import crud
from api.services.authorizations import prepare_authorization
from api.verify.verifier import Outcome
from ledger_client import AuthorizationAction, sign_authorization
from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.web.routes.test_trade_flow import submit
from traceability.trade import samples


def _signed(
    world: World,
    key: Any,
    action: AuthorizationAction,
    trade_ids: list[str],
    data: bytes | None = None,
    *,
    nonce: int | None = None,
    deadline: int | None = None,
) -> dict[str, Any]:
    ids = [bytes.fromhex(t) for t in trade_ids]
    judged = action is not AuthorizationAction.DISCHARGE_FINANCING
    verdicts = [bytes.fromhex(_verdict_of(world, t)) for t in trade_ids] if judged else None
    prepared = prepare_authorization(
        action,
        ids,
        data,
        verdict_hashes=verdicts,
        nonce=world.ledger.trade.nonces(key.address) if nonce is None else nonce,
        deadline=deadline if deadline is not None else int(time.time()) + 3600,
        chain_id=world.ledger.chain_id,
        registry=world.ledger.trade_registry_address,
    )
    signature = sign_authorization(prepared.typed_data, key.key)
    body = prepared.to_json(signature)
    named = ("verdictHashes", "verdictHash")
    return {k: body[k] for k in ("signer", "nonce", "deadline", "signature")} | {
        "tradeIds": body["tradeIds"],
        "proofFlags": body["proofFlags"],
        **{k: body[k] for k in named if k in body},
    }


def _verdict_of(world: World, trade_id: str) -> str:
    """The verdict customs or a bank reads before signing (GET /trades/{id}/verdict shows it)."""
    with Session(world.runtime.engine) as session:
        trade = crud.get_trade(session=session, trade_id=trade_id)
        assert trade is not None
        assert trade.verdict_hash is not None
        return trade.verdict_hash


def test_customs_releases_and_a_bank_settles_with_their_own_keys(world: World) -> None:
    parties: dict[str, Actor] = {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"]),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"]),
        "customs": world.actor("GACC-SELF", ["customs"]),
        "bank_a": world.actor("BANK-SELF", ["bank"]),
    }
    officer, clerk = Account.create(), Account.create()
    for code, account in (("GACC-SELF", officer), ("BANK-SELF", clerk)):
        done = world.client.put(
            f"/parties/{code}/chain-account", json={"address": account.address}, headers=world.admin
        )
        assert done.status_code == 200, done.text
    results = submit(world, parties, samples.import_trade())
    trade_id = results[0]["tradeId"]
    world.worker.drain()
    customs = parties["customs"].headers

    stranger = _signed(world, Account.create(), AuthorizationAction.RELEASE, [trade_id])
    refused = world.client.post("/customs/releases/signed", json=stranger, headers=customs)
    assert refused.status_code == 403
    assert refused.json()["error"] == "not_your_account"

    expired = _signed(world, officer, AuthorizationAction.RELEASE, [trade_id], deadline=1)
    late = world.client.post("/customs/releases/signed", json=expired, headers=customs)
    assert late.status_code == 409
    assert late.json()["error"] == "expired"

    body = _signed(world, officer, AuthorizationAction.RELEASE, [trade_id])
    misnamed = {**body, "verdictHashes": ["ab" * 32]}
    stale = world.client.post("/customs/releases/signed", json=misnamed, headers=customs)
    assert stale.status_code == 409
    assert (stale.json()["error"], stale.json()["field"]) == ("verdict_changed", "verdictHashes[0]")
    released = world.client.post("/customs/releases/signed", json=body, headers=customs)
    assert released.status_code == 200, released.text
    assert released.json()[0]["tradeId"] == trade_id
    replayed = world.client.post("/customs/releases/signed", json=body, headers=customs)
    assert replayed.status_code == 409  # already released in the database, before the chain

    ref = bytes.fromhex("ab" * 32)
    settle = _signed(world, clerk, AuthorizationAction.CONFIRM_SETTLEMENT, [trade_id], ref)
    settle_body = {
        k: settle[k] for k in ("signer", "nonce", "deadline", "signature", "verdictHash")
    }
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement/signed",
        json={**settle_body, "settlementRef": ref.hex()},
        headers=parties["bank_a"].headers,
    )
    assert settled.status_code == 200, settled.text
    again = world.client.post(
        f"/banks/trades/{trade_id}/settlement/signed",
        json={**settle_body, "settlementRef": ref.hex()},
        headers=parties["bank_a"].headers,
    )
    assert again.status_code == 409
    assert again.json()["error"] == "nonce_used"

    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert bundle["release"]["txHash"] == released.json()[0]["txHash"]
    assert world.verify(bundle).outcome is Outcome.AUTHENTIC

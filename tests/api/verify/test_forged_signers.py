"""Forgeries that only the PartyRegistry catches: every hash and proof is right, the signer is not.

The attacker here controls sandan's anchorer (the worst case the design allows):
it can put any hash on chain, in the real TradeRegistry. What it cannot do is
make a document count as signed by a registered party. Each test builds such a
document, anchors it directly, swaps it into a genuine bundle, and checks that
``sandan verify`` (against the real, pinned registries) names the failed check.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api.verify.verifier import Outcome
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.verify.forgery import failed_checks, forge_order, order_index
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability import Algorithm, SigningKey
from traceability.signing.registry_ids import algorithm_code, key_hash, party_id
from traceability.trade import samples


def _released_trade(world: World) -> tuple[dict[str, Actor], dict[str, Any]]:
    """The trade flow's parties, and a released trade's bundle, authentic against the
    pinned registries."""
    parties = FLOW_PARTIES.build(world)
    results = submit(world, parties, samples.import_trade())
    trade_id = results[0]["tradeId"]
    world.worker.drain()
    released = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert released.status_code == 200, released.text
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert world.verify(bundle).outcome is Outcome.AUTHENTIC
    return parties, bundle


RELEASED = WorldStage("a released trade", _released_trade)


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("genuine", RELEASED), ("parties", FLOW_PARTIES)])


@pytest.fixture
def parties(world: World) -> dict[str, Actor]:
    """The platform, payment and logistics companies, customs and two banks."""
    if world.stage is RELEASED:
        return dict(RELEASED.of(world)[0])
    return dict(FLOW_PARTIES.of(world))


@pytest.fixture
def genuine(world: World) -> dict[str, Any]:
    """A released trade's bundle, authentic against the pinned registries."""
    return copy.deepcopy(RELEASED.of(world)[1])


def _failed(report: Any) -> dict[str, str | None]:
    return failed_checks(report.checks)


def _forge_order(world: World, bundle: dict[str, Any], **signer: Any) -> dict[str, Any]:
    return forge_order(world.ledger.trade, bundle, **signer)


def _only_signer_checks_fail(report: Any) -> None:
    """Hashes, proofs, receipts and the verdict all hold: only who signed is wrong."""
    for name in _failed(report):
        assert name.rsplit(": ", 1)[-1] in {
            "signer registered",
            "key valid when anchored",
            "signer's role",
            "documents present",
            # The forged order does not count, so the verdict is recomputed without it,
            # and it is not the order the verdict judged.
            "verdict recomputed",
            "documents named by the verdict",
            "verdict on chain",
        }, name


def test_an_order_signed_with_another_partys_registered_key_is_refused(
    world: World,
    genuine: dict[str, Any],
    parties: dict[str, Actor],
) -> None:
    payment = parties["payment"]
    forged = _forge_order(
        world,
        genuine,
        party=parties["platform"].code,  # the order names the platform...
        key_id=payment.key_id,  # ...but the payment company's key signs it
        signing_key=payment.signing_key,
    )
    report = world.verify(forged)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    failed = _failed(report)
    assert failed[f"documents[{order_index(forged)}] CEB311: signer registered"] == (
        "registered to another party"
    )
    _only_signer_checks_fail(report)


def test_an_order_whose_key_was_registered_after_its_batch_is_refused(
    world: World,
    genuine: dict[str, Any],
    parties: dict[str, Actor],
) -> None:
    platform = parties["platform"]
    late_key = SigningKey.generate(Algorithm.ED25519)
    forged = _forge_order(
        world, genuine, party=platform.code, key_id="late-key", signing_key=late_key
    )
    # Registered on chain only now, after the forged order's batch was anchored.
    world.ledger.party.add_key(
        party_id(platform.code),
        key_hash("late-key"),
        algorithm_code(Algorithm.ED25519),
        late_key.public_key,
    )
    report = world.verify(forged)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    found = _failed(report)[f"documents[{order_index(forged)}] CEB311: key valid when anchored"]
    assert found is not None
    assert found.startswith("registered in block")


def test_an_order_signed_by_an_unregistered_key_is_refused(
    world: World,
    genuine: dict[str, Any],
    parties: dict[str, Actor],
) -> None:
    forged = _forge_order(
        world,
        genuine,
        party=parties["platform"].code,
        key_id="forger-key",
        signing_key=SigningKey.generate(Algorithm.ED25519),
    )
    report = world.verify(forged)
    assert _failed(report)[f"documents[{order_index(forged)}] CEB311: signer registered"] == (
        "no such key"
    )


def test_a_document_anchored_after_its_key_was_revoked_is_refused(
    world: World,
    parties: dict[str, Actor],
) -> None:
    results = submit(world, parties, samples.import_trade())
    trade_id = results[0]["tradeId"]
    platform = parties["platform"]
    # Registered on chain first, then accepted, then revoked before the order's batch.
    revoked = world.client.post(
        f"/parties/{platform.code}/keys/{platform.key_id}/revoke",
        json={"reason": "laptop stolen"},
        headers=platform.headers,
    )
    assert revoked.status_code == 200, revoked.text
    world.worker.drain()
    world.client.post(f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers)
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    report = world.verify(bundle)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    found = _failed(report)[f"documents[{order_index(bundle)}] CEB311: key valid when anchored"]
    assert found is not None
    assert "revoked from block" in found


def test_a_key_revoked_as_compromised_since_an_earlier_block_stops_verifying(
    world: World,
    genuine: dict[str, Any],
    parties: dict[str, Actor],
) -> None:
    platform = parties["platform"]
    order = genuine["documents"][order_index(genuine)]
    keys = world.client.get(f"/parties/{platform.code}/keys", headers=platform.headers).json()
    registered = next(k for k in keys if k["keyId"] == platform.key_id)
    assert registered["chainStatus"] == "confirmed"
    # Compromised since the very block its order was anchored in.
    revoked = world.client.post(
        f"/parties/{platform.code}/keys/{platform.key_id}/revoke",
        json={"reason": "key leaked", "compromisedSinceBlock": order["anchor"]["blockNumber"]},
        headers=platform.headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["chainStatus"] == "pending"
    assert world.verify(genuine).outcome is Outcome.AUTHENTIC  # not on chain yet
    world.worker.drain()
    after = world.client.get(f"/parties/{platform.code}/keys", headers=platform.headers).json()
    assert next(k for k in after if k["keyId"] == platform.key_id)["chainStatus"] == "confirmed"
    report = world.verify(genuine)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    assert f"documents[{order_index(genuine)}] CEB311: key valid when anchored" in _failed(report)


def test_compromised_since_must_lie_within_the_keys_life(
    world: World,
    parties: dict[str, Actor],
) -> None:
    platform = parties["platform"]
    url = f"/parties/{platform.code}/keys/{platform.key_id}/revoke"
    pending = world.client.post(
        url, json={"reason": "x", "compromisedSinceBlock": 1}, headers=platform.headers
    )
    assert pending.status_code == 409
    assert pending.json()["field"] == "compromisedSinceBlock"
    world.worker.drain()
    future = world.client.post(
        url, json={"reason": "x", "compromisedSinceBlock": 10**9}, headers=platform.headers
    )
    assert future.status_code == 422
    assert future.json()["field"] == "compromisedSinceBlock"


def test_documents_wait_for_their_key_to_be_on_chain(
    world: World,
    parties: dict[str, Actor],
) -> None:
    keys = world.client.get(
        f"/parties/{parties['platform'].code}/keys", headers=parties["platform"].headers
    ).json()
    assert keys[0]["chainStatus"] == "pending"
    results = submit(world, parties, samples.import_trade())
    first = world.worker.run_once(force=True)  # the registry's writes go first
    assert first.batches_confirmed >= 1
    proof = world.client.get(
        f"/documents/{results[0]['contentHash']}/proof", headers=parties["customs"].headers
    )
    trade_id, customs = results[0]["tradeId"], parties["customs"].headers
    verdict_after_first_pass = world.client.get(
        f"/trades/{trade_id}/verdict", headers=customs
    ).json()
    party = world.client.get(
        f"/parties/{parties['platform'].code}", headers=parties["platform"].headers
    ).json()
    assert party["chainStatus"] == "confirmed"
    world.worker.drain()
    anchored = world.client.get(
        f"/documents/{results[0]['contentHash']}/proof", headers=parties["customs"].headers
    ).json()
    key = world.ledger.party.key_of(key_hash(parties["platform"].key_id))
    assert key is not None
    assert key.valid_from_block < anchored["blockNumber"]
    # After the first pass the keys were on chain but the documents still held back, and
    # the verdict with them (no release can come before its documents).
    assert proof.status_code == 404
    assert proof.json()["error"] == "not_anchored"
    assert not verdict_after_first_pass["anchored"]
    assert world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()["anchored"]


def test_genuine_documents_with_a_mismatched_verdict_are_not_called_forged(
    world: World,
    parties: dict[str, Actor],
) -> None:
    results = submit(world, parties, samples.short_payment_trade())
    world.worker.drain()
    bundle = world.client.get(
        f"/banks/trades/{results[0]['tradeId']}/bundle", headers=parties["bank_a"].headers
    ).json()
    report = world.verify(bundle)
    assert report.authentic  # every check holds...
    assert report.outcome is Outcome.MISMATCH  # ...and the trade's verdict is a mismatch
    assert int(report.outcome) == 4
    rules = {reason.split(" ", 1)[0] for reason in report.mismatch_reasons}
    assert rules == {"amount.payment_equals_paid", "identity.payer_is_buyer"}
    assert report.to_json()["outcome"] == "mismatch"

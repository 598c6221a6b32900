"""Finding 2: documents swapped after release must not verify, nor take over the release.

A platform whose trade customs released and a bank settled re-signs its order and
inventory with other goods (cosmetics become gold bars, with another HS code). The
verdict commits to the hashes of the documents it judged, and release and settlement
name that verdict on chain, so neither the service nor a bundle can pass the new
documents off as the released ones. The forger here is the worst case the design
allows: it holds the platform's real key *and* sandan's anchorer, so the swapped
documents are genuinely signed and genuinely anchored.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api.verify.verifier import Outcome
from tests.api.conftest import World
from tests.api.factories import Actor
from tests.api.verify.forgery import failed_checks, forge_document
from tests.api.web.routes.test_trade_flow import (  # noqa: F401 (fixtures)
    parties,
    submit,
    world_stage,
)
from traceability import content_hash
from traceability.trade import samples

GOLD = {"name": "足金金条 999.9 Au bullion bar", "gcode": "7108120000"}


def _gold(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every item turned into gold bars (same quantities and prices)."""
    swapped = copy.deepcopy(document)
    for key in ("OrderList", "InventoryList"):
        for item in swapped.get(key, []):
            for name in ("itemName", "gname"):
                if name in item:
                    item[name] = GOLD["name"]
            if "gcode" in item:
                item["gcode"] = GOLD["gcode"]
            item["gmodel"] = "1000克/根 金条"
    return swapped


@pytest.fixture
def settled(world: World, parties: dict[str, Actor]) -> dict[str, Any]:  # noqa: F811
    """A released and settled trade's bundle, authentic against the pinned registries."""
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    world.worker.drain()
    released = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert released.status_code == 200, released.text
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement",
        json={"settlementRef": "FX-2026-GOLD"},
        headers=parties["bank_a"].headers,
    )
    assert settled.status_code == 200, settled.text
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert world.verify(bundle).outcome is Outcome.AUTHENTIC
    return bundle


def _swap(world: World, bundle: dict[str, Any], platform: Actor) -> dict[str, Any]:
    """Re-sign the bundle's order and inventory as gold bars with the platform's real key,
    anchor them (as a captured anchorer could), and put them in the bundle."""
    forged = bundle
    for index, entry in enumerate(bundle["documents"]):
        if entry["envelope"]["payload"]["docType"] in {"order", "inventory"}:
            forged = forge_document(
                world.ledger.trade,
                forged,
                index,
                _gold(entry["envelope"]["payload"]["document"]),
                party=platform.code,
                key_id=platform.key_id,
                signing_key=platform.signing_key,
            )
    return forged


def test_swapped_documents_do_not_verify(
    world: World,
    parties: dict[str, Actor],  # noqa: F811
    settled: dict[str, Any],
) -> None:
    forged = _swap(world, settled, parties["platform"])
    report = world.verify(forged)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    failed = failed_checks(report.checks)
    # Every document is genuinely signed and anchored: what fails is what the verdict judged.
    assert not [name for name in failed if "signature" in name or "anchored" in name], failed
    assert "documents named by the verdict" in failed
    assert "verdict recomputed" in failed


def test_swapped_documents_with_a_rewritten_verdict_do_not_verify(
    world: World,
    parties: dict[str, Actor],  # noqa: F811
    settled: dict[str, Any],
) -> None:
    """The forger also rewrites the bundle's verdict to name the new documents: then the
    verdict's leaf is in no verdict batch, so the release and settlement of the trade's
    position (genuine transactions) are not this verdict's."""
    forged = _swap(world, settled, parties["platform"])
    verdict = forged["verdict"]["verdict"]
    verdict["documents"] = {
        entry["envelope"]["payload"]["docType"]: entry["contentHash"]
        for entry in forged["documents"]
    }
    forged["verdict"]["verdictHash"] = content_hash(verdict).hex()
    report = world.verify(forged)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    failed = failed_checks(report.checks)
    assert "documents named by the verdict" not in failed
    assert "verdict recomputed" not in failed  # the swap is self-consistent...
    # ...but nothing on chain names it: verifyVerdict finds the leaf in no root.
    assert {"verdict on chain", "released by customs", "settlement confirmed"} <= set(failed)
    assert "no root of verdict batch" in str(failed["verdict on chain"])


def test_a_new_version_of_a_released_document_is_refused(
    world: World,
    parties: dict[str, Actor],  # noqa: F811
    settled: dict[str, Any],
) -> None:
    """Through the API the platform cannot even try: a new version of a document of a
    released trade is refused (409, naming the release), and nothing changes."""
    platform = parties["platform"]
    trade_id = settled["tradeId"]
    for entry in settled["documents"]:
        doc_type = entry["envelope"]["payload"]["docType"]
        if doc_type not in {"order", "inventory"}:
            continue
        gold = _gold(entry["envelope"]["payload"]["document"])
        response = world.client.post(
            "/documents", json=platform.envelope(doc_type, gold), headers=platform.headers
        )
        assert response.status_code == 409, response.text
        body = response.json()
        assert trade_id in body["message"]
        assert "released" in body["message"]
    world.worker.drain()
    trade = world.client.get(f"/trades/{trade_id}", headers=platform.headers).json()
    assert trade["documents"]["order"] == next(
        e["contentHash"] for e in settled["documents"] if e["messageType"] == "CEB311"
    )
    fresh = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert [d["contentHash"] for d in fresh["documents"]] == [
        d["contentHash"] for d in settled["documents"]
    ]
    assert world.verify(settled).outcome is Outcome.AUTHENTIC
    assert world.verify(fresh).outcome is Outcome.AUTHENTIC

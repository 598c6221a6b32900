"""The three-document flow end to end: submit, anchor, match, release, settle, bundle, verify."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord
from ledger_client import (
    ContractReverted,
    DocumentStatus,
    TradeRegistryClient,
    TradeState,
    VerdictLeaf,
)
from ledger_client.events import VerdictSuperseded
from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor
from traceability import Algorithm
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments


def _register_parties(world: World) -> dict[str, Actor]:
    """The platform, payment and logistics companies, customs and two banks."""
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"], alg=Algorithm.ES256K),
        "customs": world.actor("GACC-HZ", ["customs"], chain_account=True),
        "bank_a": world.actor("BANK-A", ["bank"], chain_account=True),
        "bank_b": world.actor("BANK-B", ["bank"], chain_account=True),
    }


FLOW_PARTIES = WorldStage("the trade flow's parties", _register_parties)


world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)


SIGNER = {
    "order": "platform",
    "payment": "payment",
    "waybill": "logistics",
    "inventory": "platform",
}


def submit(world: World, parties: dict[str, Actor], docs: TradeDocuments) -> list[dict[str, Any]]:
    results = []
    for kind, signer in SIGNER.items():
        document = getattr(docs, kind)
        if document is None:
            continue
        actor = parties[signer]
        response = world.client.post(
            "/documents", json=actor.envelope(kind, document.to_json_dict()), headers=actor.headers
        )
        assert response.status_code == 201, response.text
        results.append(response.json())
    return results


def test_submit_trade_matches_anchors_releases_settles(
    world: World, parties: dict[str, Actor]
) -> None:
    docs = samples.import_trade()
    results = submit(world, parties, docs)
    trade_id = results[0]["tradeId"]
    assert {r["tradeId"] for r in results} == {trade_id}
    customs = parties["customs"].headers

    verdict = world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()
    assert verdict["status"] == "match"
    assert verdict["failures"] == []
    assert verdict["anchored"] is False

    world.worker.drain()
    reader = TradeRegistryClient(world.ledger.w3, world.ledger.trade_registry_address)
    for result in results:
        proof = world.client.get(
            f"/documents/{result['contentHash']}/proof", headers=customs
        ).json()
        check = reader.verify_document(
            bytes.fromhex(result["contentHash"]), [bytes.fromhex(p) for p in proof["proof"]]
        )
        assert check.anchored
        assert check.status is DocumentStatus.ACTIVE
        assert check.root.hex() == proof["root"]
        assert check.block_number == proof["blockNumber"]
    assert world.client.get(f"/trades/{trade_id}/verdict", headers=customs).json()["anchored"]

    releasable = world.client.get("/customs/releasable", headers=customs).json()
    assert [t["tradeId"] for t in releasable["data"]] == [trade_id]
    release = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
    assert release.status_code == 200, release.text
    again = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
    assert again.status_code == 409
    assert again.json()["error"] == "already_released"

    bank = parties["bank_a"].headers
    settled = world.client.post(
        f"/banks/trades/{trade_id}/settlement", json={"settlementRef": "FX-1"}, headers=bank
    )
    assert settled.status_code == 200, settled.text

    bundle = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=bank).json()
    report = world.verify(bundle)
    assert report.authentic, [(c.name, c.found) for c in report.checks if not c.ok]
    assert {c.name for c in report.checks} >= {
        "verdict on chain",
        "released by customs",
        "settlement confirmed",
    }


def _tamper_document_field(bundle: dict[str, Any]) -> None:
    bundle["documents"][0]["envelope"]["payload"]["document"]["freight"] = "21"


def _tamper_signature(bundle: dict[str, Any]) -> None:
    signature = bundle["documents"][1]["envelope"]["signature"]
    bundle["documents"][1]["envelope"]["signature"] = (
        "B" if signature[0] == "A" else "A"
    ) + signature[1:]


def _tamper_proof(bundle: dict[str, Any]) -> None:
    proof = bundle["documents"][2]["anchor"]["proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]


def _tamper_verdict(bundle: dict[str, Any]) -> None:
    bundle["verdict"]["verdict"]["status"] = "mismatch"


def _tamper_release(bundle: dict[str, Any]) -> None:
    bundle["release"]["blockNumber"] += 1


@pytest.mark.parametrize(
    ("tamper", "failing_check"),
    [
        (_tamper_document_field, "content hash"),
        (_tamper_signature, "signature"),
        (_tamper_proof, "anchored on chain"),
        (_tamper_verdict, "verdict recomputed"),
        (_tamper_release, "released by customs"),
    ],
)
def test_verify_bundle_names_the_failed_check_when_tampered(
    world: World, parties: dict[str, Actor], tamper: Any, failing_check: str
) -> None:
    results = submit(world, parties, samples.import_trade())
    trade_id = results[0]["tradeId"]
    world.worker.drain()
    world.client.post(f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers)
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    assert world.verify(copy.deepcopy(bundle)).authentic

    tamper(bundle)
    report = world.verify(bundle)
    assert not report.authentic
    failed = [c.name for c in report.checks if not c.ok]
    assert any(failing_check in name for name in failed), failed


def test_mismatch_reports_short_payment_and_payer_not_buyer(
    world: World, parties: dict[str, Actor]
) -> None:
    results = submit(world, parties, samples.short_payment_trade())
    trade_id = results[0]["tradeId"]
    verdict = world.client.get(
        f"/trades/{trade_id}/verdict", headers=parties["customs"].headers
    ).json()
    assert verdict["status"] == "mismatch"
    rules = {f["rule"] for f in verdict["failures"]}
    assert rules == {"amount.payment_equals_paid", "identity.payer_is_buyer"}
    world.worker.drain()
    response = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert response.status_code == 409
    assert response.json()["error"] == "not_matched"


def test_second_bank_financing_is_refused_naming_the_first(
    world: World, parties: dict[str, Actor]
) -> None:
    results = submit(world, parties, samples.import_trade())
    trade_id = results[0]["tradeId"]
    world.worker.drain()
    terms = {"amount": "100.00", "currency": "CNY", "rate": "0.04"}
    first = world.client.post(
        f"/banks/trades/{trade_id}/financing",
        json={"terms": terms},
        headers=parties["bank_a"].headers,
    )
    assert first.status_code == 201, first.text
    second = world.client.post(
        f"/banks/trades/{trade_id}/financing",
        json={"terms": {**terms, "rate": "0.03"}},
        headers=parties["bank_b"].headers,
    )
    assert second.status_code == 409
    body = second.json()
    assert body["error"] == "already_financed"
    assert body["financedBy"] == "BANK-A"
    assert "0.04" not in second.text  # the first bank's terms stay private
    discharged = world.client.post(
        f"/banks/trades/{trade_id}/financing/discharge", headers=parties["bank_a"].headers
    )
    assert discharged.status_code == 200, discharged.text
    third = world.client.post(
        f"/banks/trades/{trade_id}/financing",
        json={"terms": terms},
        headers=parties["bank_b"].headers,
    )
    assert third.status_code == 201, third.text


def test_summary_declaration_aggregates_released_9610_trades_of_the_period(
    world: World, parties: dict[str, Actor]
) -> None:
    customs = parties["customs"].headers
    released = []
    for n in range(3):
        terms = samples.ImportTerms(
            order_no=f"SUM{n}", logistics_no=f"SFSUM{n}", pay_transaction_id=f"APSUM{n}"
        )
        released.append(submit(world, parties, samples.import_trade(terms))[0]["tradeId"])
    world.worker.drain()
    for trade_id in released[:2]:
        response = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
        assert response.status_code == 200, response.text
    period = {"periodStart": "2020-01-01T00:00:00+08:00", "periodEnd": "2100-01-01T00:00:00+08:00"}
    summary = world.client.get("/customs/summary", params=period, headers=customs).json()
    assert sorted(summary["tradeIds"]) == sorted(released[:2])
    (line,) = summary["lines"]
    assert line["trades"] == 2
    values = [
        world.client.get(f"/trades/{t}", headers=customs).json()["customsValue"]
        for t in released[:2]
    ]
    from decimal import Decimal

    assert Decimal(line["totalValue"]) == sum(Decimal(v) for v in values)
    empty = world.client.get(
        "/customs/summary",
        params={"periodStart": "2000-01-01T00:00:00Z", "periodEnd": "2001-01-01T00:00:00Z"},
        headers=customs,
    ).json()
    assert empty["lines"] == []
    backwards = world.client.get(
        "/customs/summary",
        params={"periodStart": "2001-01-01T00:00:00Z", "periodEnd": "2000-01-01T00:00:00Z"},
        headers=customs,
    )
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "periodEnd"


def customs_account(world: World, parties: dict[str, Actor]) -> Any:
    """Customs' custodial chain account, as the service signs with it."""
    from api.services.chain_actions import party_account

    with Session(world.runtime.engine) as session:
        party = session.get(PartyRecord, parties["customs"].code)
        assert party is not None
        return party_account(session=session, runtime=world.runtime, party=party)


def test_a_corrected_verdict_supersedes_the_mismatch_on_chain_and_is_the_one_released(
    world: World, parties: dict[str, Actor]
) -> None:
    """A mismatch is anchored, the payment company corrects its payment, the new verdict
    (a match) reaches the chain superseding the first: the first position can never be
    released, the new one is, and the bundle's verdict leaf proves it against the chain."""
    terms = samples.ImportTerms(order_no="SD20251201SUPERSEDE")
    results = submit(world, parties, samples.short_payment_trade(terms))
    trade_id = results[0]["tradeId"]
    world.worker.drain()
    with Session(world.runtime.engine) as session:
        first = session.get(TradeRecord, trade_id)
        assert first is not None
        old_place = (first.verdict_batch, first.verdict_position)
    assert None not in old_place
    reader = TradeRegistryClient(world.ledger.w3, world.ledger.trade_registry_address)
    assert reader.trade_at(*old_place).state is TradeState.MISMATCHED

    corrected = samples.import_trade(terms).payment
    assert corrected is not None
    actor = parties["payment"]
    response = world.client.post(
        "/documents",
        json=actor.envelope("payment", corrected.to_json_dict()),
        headers=actor.headers,
    )
    assert response.status_code == 201, response.text
    world.worker.drain()
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        assert trade.status == "match"
        new_place = (trade.verdict_batch, trade.verdict_position)
    assert new_place != old_place
    assert reader.trade_at(*old_place).state is TradeState.SUPERSEDED
    superseded = reader.find_events(VerdictSuperseded, 0, batch=old_place[0])
    assert [(e.position, e.new_batch, e.new_position) for e in superseded] == [
        (old_place[1], *new_place)
    ]

    customs = parties["customs"].headers
    released = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
    assert released.status_code == 200, released.text
    assert reader.trade_at(*new_place).state is TradeState.RELEASED
    # The superseded position is dead on chain, whoever asks: not even customs' own account.
    with pytest.raises(ContractReverted) as exc_info:
        TradeRegistryClient(
            world.ledger.w3,
            world.ledger.trade_registry_address,
            customs_account(world, parties),
        ).release_trades(old_place[0], [old_place[1]])
    assert exc_info.value.error_name in {
        "TradeRegistryTradeNotMatched",
        "TradeRegistryTradeSuperseded",
    }

    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    ).json()
    verdict = bundle["verdict"]
    assert (verdict["batch"], verdict["position"], verdict["matched"]) == (*new_place, True)
    leaf = VerdictLeaf(
        verdict["batch"],
        verdict["position"],
        bytes.fromhex(trade_id),
        bytes.fromhex(verdict["verdictHash"]),
        verdict["matched"],
    )
    check = reader.verify_verdict(leaf, [bytes.fromhex(p) for p in verdict["proof"]])
    assert (check.anchored, check.state, check.root.hex()) == (
        True,
        TradeState.RELEASED,
        verdict["root"],
    )

"""A zone of the SM3 digest profile, end to end on SQLite and PostgreSQL.

Every content hash the service commits to (documents, JSON and CEB XML; the verdict that
names them; financing terms; party records) is SM3, recomputed here by OpenSSL's command
line as the independent implementation; the trade's bundle says ``digestProfile: sm3``
and ``sandan verify`` proves it against the chain; a bundle that states another profile
than its hashes were taken with proves nothing.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from api.verify.verifier import Outcome, UnusableBundle
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from tests.api.verify.forgery import failed_checks
from tests.api.web.routes.test_documents_xml import XML_PARTIES, submit_sample_trade
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from tests.sm2_openssl import sm3_digest
from traceability import DigestProfile, canonical_json
from traceability.trade import samples


@pytest.fixture
def zone_digest() -> DigestProfile:
    return DigestProfile.SM3


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("parties", FLOW_PARTIES), ("xml_parties", XML_PARTIES)])


@pytest.fixture
def parties(world: World) -> dict[str, Actor]:
    return dict(FLOW_PARTIES.of(world))


@pytest.fixture
def xml_parties(world: World) -> dict[str, Actor]:
    return dict(XML_PARTIES.of(world))


def _sm3_of(value: Any) -> str:
    """OpenSSL's SM3 of the RFC 8785 bytes of ``value``, as hex."""
    return sm3_digest(canonical_json(value)).hex()


def _settled_bundle(world: World, parties: dict[str, Actor], trade_id: str) -> dict[str, Any]:
    world.worker.drain()
    customs, bank = parties["customs"].headers, parties["bank_a"].headers
    steps = [
        ("customs/trades/{}/release", customs, None, 200),
        ("banks/trades/{}/settlement", bank, {"settlementRef": "FX-SM3-1"}, 200),
        ("banks/trades/{}/financing", bank, {"terms": {"amount": "80.00", "currency": "CNY"}}, 201),
    ]
    for path, headers, body, status in steps:
        response = world.client.post("/" + path.format(trade_id), json=body, headers=headers)
        assert response.status_code == status, response.text
    response = world.client.get(f"/banks/trades/{trade_id}/bundle", headers=bank)
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    return bundle


def test_documents_verdict_terms_and_records_are_sm3_and_the_bundle_verifies(
    world: World, parties: dict[str, Actor]
) -> None:
    assert world.runtime.digest is DigestProfile.SM3
    results = submit(world, parties, samples.import_trade())
    trade_id = results[0]["tradeId"]
    bundle = _settled_bundle(world, parties, trade_id)

    assert bundle["format"] == "sandan-bundle/4"
    assert bundle["digestProfile"] == "sm3"
    for entry in bundle["documents"]:
        payload = entry["envelope"]["payload"]
        assert entry["contentHash"] == _sm3_of(payload)
        assert entry["contentHash"] != DigestProfile.SHA256.digest(canonical_json(payload)).hex()
    assert {r["contentHash"] for r in results} == {d["contentHash"] for d in bundle["documents"]}
    verdict = bundle["verdict"]
    assert verdict["verdictHash"] == _sm3_of(verdict["verdict"])
    # The verdict names the documents by their SM3 hashes, so it commits to them.
    assert set(verdict["verdict"]["documents"].values()) == {
        d["contentHash"] for d in bundle["documents"]
    }
    terms = {"tradeId": trade_id, "bank": "BANK-A", "terms": {"amount": "80.00", "currency": "CNY"}}
    assert bundle["financing"]["termsHash"] == _sm3_of(terms)
    me = world.client.get("/parties/me", headers=parties["platform"].headers).json()
    record = {"code": me["code"], "name": me["name"], "uscc": None, "customsCode": None}
    assert me["recordHash"] == _sm3_of(record)
    # The trade id names the trade; it is not a commitment, and stays SHA-256.
    assert (
        trade_id
        == DigestProfile.SHA256.digest(f"{bundle['ebpCode']}/{bundle['orderNo']}".encode()).hex()
    )

    report = world.verify(bundle)
    assert report.outcome is Outcome.AUTHENTIC, failed_checks(report.checks)
    (profile,) = [c for c in report.checks if c.name == "digest profile"]
    assert profile.detail.startswith("sm3: document and verdict hashes are recomputed with SM3")


def test_a_bundle_stating_another_profile_proves_nothing(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = submit(world, parties, samples.import_trade())[0]["tradeId"]
    bundle = _settled_bundle(world, parties, trade_id)

    for claimed in ({"digestProfile": "sha256"}, {"format": "sandan-bundle/3"}):
        report = world.verify({**copy.deepcopy(bundle), **claimed})
        assert report.outcome is Outcome.NOT_AUTHENTIC, claimed
        failed = failed_checks(report.checks)
        assert all(f"{d['messageType']}" in " ".join(failed) for d in bundle["documents"])
        assert any(name.endswith("content hash") for name in failed), failed
        assert "verdict recomputed" in failed

    for unusable in ({"digestProfile": "sm4"}, {"digestProfile": None}):
        with pytest.raises(UnusableBundle, match="digestProfile: unknown digest profile"):
            world.verify({**copy.deepcopy(bundle), **unusable})


def test_ceb_xml_documents_are_anchored_by_the_sm3_of_their_payload(
    world: World, xml_parties: dict[str, Actor]
) -> None:
    trade_id = submit_sample_trade(world, xml_parties)
    world.worker.drain()
    customs = xml_parties["customs"].headers
    released = world.client.post(f"/customs/trades/{trade_id}/release", headers=customs)
    assert released.status_code == 200, released.text
    bundle = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=xml_parties["bank"].headers
    ).json()
    assert bundle["digestProfile"] == "sm3"
    for entry in bundle["documents"]:
        assert entry["contentHash"] == _sm3_of(entry["envelope"]["payload"])
    report = world.verify(bundle)
    assert report.outcome is Outcome.AUTHENTIC, failed_checks(report.checks)
    assert any("rebuilt from the XML" in c.detail for c in report.checks)

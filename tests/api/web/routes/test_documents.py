"""Submitting signed documents: every rejection names its reason and changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger_client import DocumentStatus
from tests.api.conftest import World, WorldStage, stage_by_fixture
from tests.api.factories import Actor
from traceability import Algorithm, SigningKey
from traceability.trade import samples


def _platform_and_customs(world: World) -> dict[str, Actor]:
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "customs": world.actor("GACC", ["customs"], chain_account=True),
    }


#: Both parties registered once per backend: a test that uses either starts from there.
PARTIES = WorldStage("the platform and customs", _platform_and_customs)


@pytest.fixture
def world_stage(request: pytest.FixtureRequest) -> WorldStage[Any] | None:
    return stage_by_fixture(request, [("platform", PARTIES), ("customs", PARTIES)])


@pytest.fixture
def platform(world: World) -> Actor:
    """The platform that signs the sample orders."""
    return PARTIES.of(world)["platform"]


@pytest.fixture
def customs(world: World) -> Actor:
    """Customs (sees every trade)."""
    return PARTIES.of(world)["customs"]


def order_json(order_no: str = "SD20250301000001") -> dict[str, Any]:
    """A valid CEB311 order."""
    return samples.import_order_json(samples.ImportTerms(order_no=order_no))


def post(world: World, actor: Actor, envelope: dict[str, Any]) -> Any:
    return world.client.post("/documents", json=envelope, headers=actor.headers)


def count_documents(world: World, customs: Actor) -> int:
    return int(world.client.get("/trades", headers=customs.headers).json()["count"])


def test_submit_order_is_idempotent_for_identical_bytes(world: World, platform: Actor) -> None:
    envelope = platform.envelope("order", order_json())
    first = post(world, platform, envelope)
    assert first.status_code == 201
    again = post(world, platform, envelope)
    assert again.status_code == 200
    assert again.json()["contentHash"] == first.json()["contentHash"]
    assert again.json()["created"] is False


def _forge(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    envelope["payload"]["document"]["freight"] = "99"
    return envelope


def _foreign_key(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    other = SigningKey.generate(Algorithm.ED25519)
    return platform.__class__(platform.code, platform.api_key, platform.key_id, other).envelope(
        "order", envelope["payload"]["document"]
    )


def _unknown_key(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    return platform.envelope("order", envelope["payload"]["document"], key_id="nobody-k9")


def _future(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    later = datetime.now(UTC) + timedelta(hours=2)
    return platform.envelope("order", envelope["payload"]["document"], issued_at=later)


def _bad_amount(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    document = {**envelope["payload"]["document"], "goodsValue": "12.3456789"}
    return platform.envelope("order", document)


def _wrong_doc_type(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    return platform.envelope("payment", envelope["payload"]["document"])


def _other_party(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    return platform.envelope("order", envelope["payload"]["document"], party="SOMEONE-ELSE")


def _not_named(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    document = {**envelope["payload"]["document"], "ebpCode": "3301960Z99", "ebcCode": "3301960Z98"}
    return platform.envelope("order", document)


def _float_money(envelope: dict[str, Any], platform: Actor) -> dict[str, Any]:
    document = {**envelope["payload"]["document"], "freight": 20.1}
    return platform.envelope("order", document)


@pytest.mark.parametrize(
    ("mutate", "status", "error", "field"),
    [
        (_forge, 401, "bad_signature", "signature"),
        (_foreign_key, 401, "bad_signature", "signature"),
        (_unknown_key, 401, "unknown_key", "payload.keyId"),
        (_future, 422, "issued_in_future", "payload.issuedAt"),
        (_bad_amount, 422, "invalid_document", "payload.document.goodsValue"),
        (_float_money, 422, "invalid_document", "payload.document.freight"),
        (_wrong_doc_type, 403, "role_not_allowed", "payload.docType"),
        (_other_party, 403, "forbidden", "payload.party"),
        (_not_named, 403, "signer_not_named", "payload.document.ebpCode"),
    ],
)
def test_submit_rejects_with_reason_and_field_and_stores_nothing(
    world: World, platform: Actor, customs: Actor, mutate: Any, status: int, error: str, field: str
) -> None:
    envelope = mutate(platform.envelope("order", order_json()), platform)
    response = post(world, platform, envelope)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["field"] == field
    assert count_documents(world, customs) == 0


def test_submit_refuses_replayed_salt_with_another_body(world: World, platform: Actor) -> None:
    salt = b"0123456789abcdef"
    assert (
        post(world, platform, platform.envelope("order", order_json("A1"), salt=salt)).status_code
        == 201
    )
    replay = post(world, platform, platform.envelope("order", order_json("A2"), salt=salt))
    assert replay.status_code == 409
    assert replay.json()["error"] == "replayed_envelope"


def test_submit_refuses_revoked_key(world: World, platform: Actor) -> None:
    response = world.client.post(
        f"/parties/{platform.code}/keys/{platform.key_id}/revoke",
        json={"reason": "laptop stolen"},
        headers=platform.headers,
    )
    assert response.status_code == 200
    refused = post(world, platform, platform.envelope("order", order_json()))
    assert refused.status_code == 401
    assert refused.json()["error"] == "key_revoked"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer sk_wrong"}, 401), ({"Authorization": "Basic x"}, 401)],
)
def test_submit_requires_a_party_key(
    world: World, platform: Actor, headers: dict[str, str], status: int
) -> None:
    response = world.client.post(
        "/documents", json=platform.envelope("order", order_json()), headers=headers
    )
    assert response.status_code == status


def test_corrected_order_supersedes_on_chain(world: World, platform: Actor, customs: Actor) -> None:
    first = post(world, platform, platform.envelope("order", order_json())).json()
    corrected = {**order_json(), "note": "收货电话更正"}
    second = post(world, platform, platform.envelope("order", corrected))
    assert second.status_code == 201
    body = second.json()
    assert body["version"] == 2
    assert body["supersedes"] == first["contentHash"]
    world.worker.drain()
    old = world.client.get(f"/documents/{first['contentHash']}", headers=customs.headers).json()
    assert old["supersededBy"] == body["contentHash"]
    status = world.ledger.trade.document_status(bytes.fromhex(first["contentHash"]))
    assert status.status is DocumentStatus.SUPERSEDED
    assert status.successor is not None
    assert status.successor.hex() == body["contentHash"]


def test_bulk_ndjson_accepts_good_lines_and_reports_bad_ones(
    world: World, platform: Actor, customs: Actor
) -> None:
    good = [platform.envelope("order", order_json(f"B{i}")) for i in range(3)]
    lines = [
        json.dumps(good[0]),
        "{not json",
        json.dumps(good[1]),
        json.dumps({"payload": {}}),
        json.dumps(good[2]),
    ]
    response = world.client.post(
        "/documents/bulk",
        content="\n".join(lines).encode(),
        headers={**platform.headers, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 2)
    assert [r["status"] for r in body["results"]] == [201, 422, 201, 422, 201]
    assert body["results"][1]["error"]["field"] == "line[2]"
    assert count_documents(world, customs) == 3


def test_trade_list_filters_pages_and_hides_other_platforms_trades(
    world: World, platform: Actor, customs: Actor
) -> None:
    for i in range(5):
        post(world, platform, platform.envelope("order", order_json(f"P{i}")))
    stranger = world.actor("3301960X77", ["platform"])
    page = world.client.get("/trades?limit=2&offset=2", headers=customs.headers).json()
    assert (page["count"], len(page["data"])) == (5, 2)
    assert world.client.get("/trades?status=pending", headers=customs.headers).json()["count"] == 5
    assert world.client.get("/trades?status=match", headers=customs.headers).json()["count"] == 0
    assert world.client.get("/trades", headers=platform.headers).json()["count"] == 5
    assert world.client.get("/trades", headers=stranger.headers).json()["count"] == 0
    trade_id = page["data"][0]["tradeId"]
    assert world.client.get(f"/trades/{trade_id}", headers=stranger.headers).status_code == 404
    assert world.client.get("/trades?limit=0", headers=customs.headers).status_code == 422


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        pytest.param("bank", "post", "/customs/trades/{t}/release", id="bank-releases"),
        pytest.param("logistics", "post", "/banks/trades/{t}/financing", id="logistics-finances"),
        pytest.param("platform", "get", "/banks/trades/{t}/bundle", id="platform-reads-bundle"),
        pytest.param("payment", "get", "/customs/releasable", id="payment-lists-releasable"),
    ],
)
def test_routes_refuse_parties_without_the_role(
    world: World, platform: Actor, role: str, method: str, path: str
) -> None:
    trade_id = post(world, platform, platform.envelope("order", order_json())).json()["tradeId"]
    actor = world.actor(f"X-{role}", [role])
    kwargs: dict[str, Any] = {"headers": actor.headers}
    if "financing" in path:
        kwargs["json"] = {"terms": {"amount": "1"}}
    response = getattr(world.client, method)(path.format(t=trade_id), **kwargs)
    assert response.status_code == 403
    assert response.json()["error"] == "role_not_allowed"


def _scenario(prefix: str, buyer_id: str) -> list[tuple[str, samples.ImportTerms, bool]]:
    """Trades whose verdicts depend on each other: annual limit and a reused payment."""
    pricey = (samples.Line("相机", "某牌 微单相机", "8525899000", Decimal(1), Decimal("4600")),)
    buyer = ("王小明", buyer_id, "13800138000")
    trades = [
        (f"{prefix}L{n}", samples.ImportTerms(
            order_no=f"{prefix}L{n}", lines=pricey, buyer=buyer,
            logistics_no=f"SF{prefix}L{n}", pay_transaction_id=f"AP{prefix}L{n}",
        ), False)
        for n in range(6)
    ]  # fmt: skip
    shared = samples.ImportTerms(
        order_no=f"{prefix}D0", logistics_no=f"SF{prefix}D0", pay_transaction_id=f"AP{prefix}DUP"
    )
    twin = samples.ImportTerms(
        order_no=f"{prefix}D1", logistics_no=f"SF{prefix}D1", pay_transaction_id=f"AP{prefix}DUP"
    )
    return [*trades, (shared.order_no, shared, False), (twin.order_no, twin, False)]


def _verdicts(
    world: World, customs: Actor, trade_ids: dict[str, str]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    found = {}
    for label, trade_id in trade_ids.items():
        verdict = world.client.get(f"/trades/{trade_id}/verdict", headers=customs.headers).json()
        found[label[1:]] = (
            verdict["status"],
            tuple(sorted({f["rule"] for f in verdict["failures"]})),
        )
    return found


def test_bulk_and_single_submissions_reach_the_same_verdicts(
    world: World, platform: Actor, customs: Actor
) -> None:
    from tests.api.factories import Actor as _Actor  # noqa: F401

    payer = world.actor(samples.PAYER_COMPANY[0], ["payment"])
    carrier = world.actor(samples.CARRIER[0], ["logistics"])
    signers = {"order": platform, "payment": payer, "waybill": carrier}
    builders = {
        "order": samples.import_order_json,
        "payment": samples.import_payment_json,
        "waybill": samples.import_waybill_json,
    }
    single_ids: dict[str, str] = {}
    for label, terms, _ in _scenario("S", "110101199001010011"):
        for kind, build in builders.items():
            response = post(world, signers[kind], signers[kind].envelope(kind, build(terms)))
            assert response.status_code == 201, response.text
            single_ids[label] = response.json()["tradeId"] or single_ids.get(label, "")
    bulk_ids: dict[str, str] = {}
    for kind, build in builders.items():
        scenario = _scenario("B", "110101199001010022")
        body = "\n".join(json.dumps(signers[kind].envelope(kind, build(t))) for _, t, _ in scenario)
        response = world.client.post(
            "/documents/bulk",
            content=body.encode(),
            headers={**signers[kind].headers, "Content-Type": "application/x-ndjson"},
        )
        assert response.json()["accepted"] == len(scenario), response.text
        if kind == "order":
            for (label, _, _), result in zip(scenario, response.json()["results"], strict=True):
                record = world.client.get(
                    f"/documents/{result['contentHash']}", headers=customs.headers
                )
                bulk_ids[label] = record.json()["tradeId"]
    single = _verdicts(world, customs, single_ids)
    bulk = _verdicts(world, customs, bulk_ids)
    assert single == bulk
    # The sixth trade of one buyer crosses the 26,000 annual limit, whichever the path.
    assert single["L5"][0] == "mismatch"
    assert {single[f"L{n}"][0] for n in range(5)} == {"match"}
    # One payment used for two orders fails the duplicates rule on the second.
    assert single["D1"][0] == "mismatch"

"""Risk alerts, trade grades, holds and the credit database, through the real API.

A split order (one buyer, two orders two hours apart, each under the 5,000 limit, 5,850
together) is planted document by document; the alert appears once the second order is
stored, and everything else (masking, visibility, review, grades, holds, credit) is read
from there.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

from api.config import ApiSettings
from api.db.models import RiskDecisionRecord
from api.services.risk.grading import grade_of_inputs
from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor
from traceability import Algorithm
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments
from traceability.trade.models import TradeKey

SPLIT = "risk.split_order"


def _register(world: World) -> dict[str, Actor]:
    return {
        "platform": world.actor(samples.PLATFORM[0], ["platform"]),
        "payment": world.actor(samples.PAYER_COMPANY[0], ["payment"], alg=Algorithm.ES256),
        "logistics": world.actor(samples.CARRIER[0], ["logistics"], alg=Algorithm.ES256K),
        "customs": world.actor("GACC-HZ", ["customs"], chain_account=True),
        "bank": world.actor("BANK-A", ["bank"], chain_account=True),
        "regulator": world.actor("AMR-HZ", ["regulator"]),
    }


RISK_PARTIES = WorldStage("the risk tests' parties", _register)
world_stage, parties = stage_fixtures("parties", RISK_PARTIES)

SIGNER = {"order": "platform", "payment": "payment", "waybill": "logistics"}


def _trade(
    n: int, hours: float, price: str = "2900", buyer: tuple[str, str, str] | None = None
) -> TradeDocuments:
    terms = samples.ImportTerms(
        order_no=f"SD2025030100{n:04d}",
        lines=(samples.Line("奶粉", "900g", "0402100000", Decimal(1), Decimal(price)),),
        placed_at=samples.BASE_TIME + timedelta(hours=hours),
        logistics_no=f"SF90000000{n:05d}",
        pay_transaction_id=f"AP20250301900{n:05d}",
        buyer=buyer or samples.BUYER,
    )
    return samples.import_trade(terms, inventory=False)


def _submit(world: World, parties: dict[str, Actor], docs: TradeDocuments) -> str:
    for kind, signer in SIGNER.items():
        world.submit(parties[signer], kind, getattr(docs, kind).to_json_dict())
    assert docs.order is not None
    return TradeKey.of(docs.order).trade_id.hex()


def _alerts(world: World, actor: Actor, **query: Any) -> dict[str, Any]:
    response = world.client.get("/risk/alerts", params=query, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _plant(world: World, parties: dict[str, Actor]) -> tuple[str, str]:
    first = _submit(world, parties, _trade(1, 0))
    second = _submit(world, parties, _trade(2, 2))
    return first, second


def test_split_order_alert_appears_when_second_order_arrives(
    world: World, parties: dict[str, Actor]
) -> None:
    first = _submit(world, parties, _trade(1, 0))
    assert _alerts(world, parties["customs"])["count"] == 0
    second = _submit(world, parties, _trade(2, 2))
    body = _alerts(world, parties["customs"])
    assert body["count"] == 1
    (alert,) = body["data"]
    assert alert["rule"] == SPLIT
    assert sorted(alert["tradeIds"]) == sorted([first, second])
    assert alert["status"] == "open"
    assert alert["active"] is True
    assert alert["evidence"]["buyerIdNumber"] == samples.BUYER[1]
    assert alert["evidence"]["orders"] == 2
    assert alert["threshold"]["single_limit"] == "5000"
    assert alert["masked"] is False


def test_split_order_under_the_limit_raises_no_alert(
    world: World, parties: dict[str, Actor]
) -> None:
    _submit(world, parties, _trade(1, 0, price="2000"))
    _submit(world, parties, _trade(2, 2, price="2000"))
    assert _alerts(world, parties["customs"])["count"] == 0


@pytest.mark.parametrize(
    ("role", "masked"), [("customs", False), ("regulator", False), ("bank", True)]
)
def test_alert_evidence_is_masked_but_for_customs_and_regulator(
    world: World, parties: dict[str, Actor], role: str, masked: bool
) -> None:
    _plant(world, parties)
    (alert,) = _alerts(world, parties[role])["data"]
    buyer = alert["evidence"]["buyerIdNumber"]
    assert alert["masked"] is masked
    if masked:
        assert buyer == "1101**********1234"
        assert samples.BUYER[1] not in str(alert)
    else:
        assert buyer == samples.BUYER[1]
    assert alert["evidence"]["orders"] == 2  # counts and sums stay visible


def test_risk_routes_refuse_other_roles(world: World, parties: dict[str, Actor]) -> None:
    _plant(world, parties)
    logistics = parties["logistics"].headers
    for path in ("/risk/alerts", "/risk/alerts/1", f"/credit/{samples.PLATFORM[0]}"):
        response = world.client.get(path, headers=logistics)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "role_not_allowed"
    review = world.client.post(
        "/risk/alerts/1/review", json={"status": "confirmed", "note": "x"},
        headers=parties["bank"].headers,
    )  # fmt: skip
    assert review.status_code == 403
    assert world.client.get("/risk/alerts").status_code == 401


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"rule": "risk.nope"}, "rule"),
        ({"status": "closed"}, "status"),
        ({"trade": "xyz"}, "trade"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-11-02", "to": "2026-11-01"}, "to"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_alert_list_names_the_bad_field(
    world: World, parties: dict[str, Actor], query: dict[str, Any], field: str
) -> None:
    response = world.client.get("/risk/alerts", params=query, headers=parties["customs"].headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_alert_list_filters_and_pages(world: World, parties: dict[str, Actor]) -> None:
    first, _ = _plant(world, parties)
    customs = parties["customs"]
    assert _alerts(world, customs, rule=SPLIT)["count"] == 1
    assert _alerts(world, customs, rule="risk.shared_address")["count"] == 0
    assert _alerts(world, customs, status="open")["count"] == 1
    assert _alerts(world, customs, status="confirmed")["count"] == 0
    assert _alerts(world, customs, trade=first)["count"] == 1
    assert _alerts(world, customs, trade="0" * 64)["count"] == 0
    today = datetime.now(UTC).date()
    assert _alerts(world, customs, **{"from": str(today - timedelta(days=1))})["count"] == 1
    assert _alerts(world, customs, to=str(today - timedelta(days=1)))["count"] == 0
    page = _alerts(world, customs, limit=1, offset=1)
    assert (page["count"], page["data"], page["limit"], page["offset"]) == (1, [], 1, 1)


def _review(world: World, actor: Actor, alert_id: int, status: str, note: str) -> Any:
    return world.client.post(
        f"/risk/alerts/{alert_id}/review", json={"status": status, "note": note},
        headers=actor.headers,
    )  # fmt: skip


def test_review_keeps_history(world: World, parties: dict[str, Actor]) -> None:
    _plant(world, parties)
    (alert,) = _alerts(world, parties["customs"])["data"]
    confirmed = _review(world, parties["customs"], alert["id"], "confirmed", "split to pass")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "confirmed"
    again = _review(world, parties["regulator"], alert["id"], "confirmed", "same")
    assert again.status_code == 409
    dismissed = _review(world, parties["regulator"], alert["id"], "dismissed", "a household")
    assert dismissed.status_code == 200
    read = world.client.get(f"/risk/alerts/{alert['id']}", headers=parties["bank"].headers)
    reviews = read.json()["reviews"]
    assert [(r["reviewer"], r["fromStatus"], r["toStatus"], r["note"]) for r in reviews] == [
        ("GACC-HZ", "open", "confirmed", "split to pass"),
        ("AMR-HZ", "confirmed", "dismissed", "a household"),
    ]
    assert read.json()["status"] == "dismissed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "open", "note": "x"}, "status"),
        ({"status": "reopened", "note": "x"}, "status"),
        ({"status": "confirmed", "note": ""}, "note"),
        ({"status": "confirmed"}, "note"),
    ],
)
def test_review_names_the_bad_field(
    world: World, parties: dict[str, Actor], body: dict[str, Any], field: str
) -> None:
    _plant(world, parties)
    response = world.client.post(
        "/risk/alerts/1/review", json=body, headers=parties["customs"].headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_review_of_unknown_alert_is_404(world: World, parties: dict[str, Actor]) -> None:
    response = _review(world, parties["customs"], 999, "confirmed", "x")
    assert response.status_code == 404
    assert response.json()["field"] == "alertId"


def test_alert_keeps_id_and_review_when_its_trades_change(
    world: World, parties: dict[str, Actor]
) -> None:
    _plant(world, parties)
    (alert,) = _alerts(world, parties["customs"])["data"]
    _review(world, parties["customs"], alert["id"], "confirmed", "split")
    third = _submit(world, parties, _trade(3, 4))
    (grown,) = _alerts(world, parties["customs"])["data"]
    assert grown["id"] == alert["id"]
    assert grown["status"] == "confirmed"
    assert third in grown["tradeIds"]
    assert len(grown["tradeIds"]) == 3


def test_trade_view_lists_alerts_and_grade(world: World, parties: dict[str, Actor]) -> None:
    first, _ = _plant(world, parties)
    clean = _submit(
        world, parties, _trade(9, 0, buyer=("李雷", "320102198807154321", "13900139000"))
    )
    customs = parties["customs"]
    view = world.client.get(f"/trades/{first}", headers=customs.headers).json()
    assert [a["rule"] for a in view["alerts"]] == [SPLIT]
    assert view["risk"]["grade"] == "medium"
    assert [f["factor"] for f in view["risk"]["factors"]] == ["alert"]
    other = world.client.get(f"/trades/{clean}", headers=customs.headers).json()
    assert other["alerts"] == []
    assert other["risk"]["grade"] == "low"
    _review(world, customs, view["alerts"][0]["id"], "confirmed", "split")
    view = world.client.get(f"/trades/{first}", headers=customs.headers).json()
    assert view["risk"]["grade"] == "high"
    assert view["risk"]["held"] is True


def test_regulator_sees_only_trades_of_alerts(world: World, parties: dict[str, Actor]) -> None:
    first, _ = _plant(world, parties)
    clean = _submit(
        world, parties, _trade(9, 0, buyer=("李雷", "320102198807154321", "13900139000"))
    )
    regulator = parties["regulator"].headers
    assert world.client.get(f"/trades/{first}", headers=regulator).status_code == 200
    assert world.client.get(f"/trades/{clean}", headers=regulator).status_code == 404


def test_high_risk_trade_is_held_unless_overridden(
    world: World, parties: dict[str, Actor], engine: Any
) -> None:
    first, _ = _plant(world, parties)
    world.worker.drain()
    customs = parties["customs"]
    (alert,) = _alerts(world, customs)["data"]
    _review(world, customs, alert["id"], "confirmed", "split")
    graded = world.client.get(f"/trades/{first}", headers=customs.headers).json()["risk"]
    assert graded["grade"] == "high"
    held = world.client.post(f"/customs/trades/{first}/release", headers=customs.headers)
    assert held.status_code == 409, held.text
    assert held.json()["error"] == "high_risk_hold"
    assert SPLIT in held.json()["message"]
    released = world.client.post(
        f"/customs/trades/{first}/release",
        json={"riskOverride": {"reason": "buyer documented two gifts"}},
        headers=customs.headers,
    )
    assert released.status_code == 200, released.text
    with Session(engine) as session:
        rows = session.exec(
            select(RiskDecisionRecord).where(RiskDecisionRecord.trade_id == first)
        ).all()
    kinds = [r.kind for r in rows]
    assert "hold" in kinds
    assert "override" in kinds
    assert "grade" in kinds
    override = next(r for r in rows if r.kind == "override")
    assert override.reason == "buyer documented two gifts"
    assert override.party_code == "GACC-HZ"
    for row in rows:  # every decision can be re-checked from its stored inputs
        assert row.inputs_hash == hashlib.sha256(row.inputs.encode()).hexdigest()
        assert grade_of_inputs(json.loads(row.inputs))[0] == row.grade == "high"
    assert graded["inputsHash"] in {r.inputs_hash for r in rows}


def _credit(world: World, actor: Actor, party: str, **query: Any) -> dict[str, Any]:
    response = world.client.get(f"/credit/{party}", params=query, headers=actor.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _factor(record: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(f for f in record["factors"] if f["factor"] == name)
    return found


def test_credit_lists_factors_and_is_reproducible_at_a_past_date(
    world: World, parties: dict[str, Actor]
) -> None:
    platform = samples.PLATFORM[0]
    _plant(world, parties)
    regulator = parties["regulator"]
    record = _credit(world, regulator, platform)
    assert _factor(record, "mismatched_trades")["basis"] == 2
    assert _factor(record, "mismatched_trades")["count"] == 0
    assert record["grade"] == "A"
    assert record["score"] == 100
    assert {f["factor"] for f in record["factors"]} >= {"confirmed_alerts", "customs_holds"}
    assert all(f["weight"] > 0 for f in record["factors"])
    time.sleep(0.01)
    before = datetime.now(UTC).isoformat()
    past = _credit(world, regulator, platform, at=before)
    (alert,) = _alerts(world, parties["customs"])["data"]
    _review(world, parties["customs"], alert["id"], "confirmed", "split")
    _submit(world, parties, _trade(3, 4))
    now = _credit(world, regulator, platform)
    confirmed = _factor(now, "confirmed_alerts")
    assert (confirmed["count"], confirmed["points"], confirmed["detail"]) == (1, 10, {SPLIT: 1})
    assert now["score"] == 90
    assert now["grade"] == "A"
    assert _factor(now, "mismatched_trades")["basis"] == 3
    assert _credit(world, regulator, platform, at=before) == past  # later events change nothing
    assert _factor(past, "confirmed_alerts")["count"] == 0


def test_credit_grade_is_public_and_bad_input_named(
    world: World, parties: dict[str, Actor]
) -> None:
    platform = samples.PLATFORM[0]
    grade = world.client.get(f"/credit/{platform}/grade")
    assert grade.status_code == 200
    assert grade.json() == {"party": platform, "grade": "A"}
    assert world.client.get("/credit/NOBODY/grade").status_code == 404
    bad = world.client.get(
        f"/credit/{platform}", params={"at": "yesterday"}, headers=parties["bank"].headers
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "at"
    unknown = world.client.get("/credit/NOBODY", headers=parties["bank"].headers)
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "party"


def test_risk_settings_map_onto_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDAN_RISK_SPLIT_ORDER_MIN_ORDERS", "3")
    monkeypatch.setenv("SANDAN_RISK_SINGLE_LIMIT", "6000")
    thresholds = ApiSettings().risk.thresholds()
    assert (thresholds.split_order_min_orders, thresholds.single_limit) == (3, Decimal(6000))
    monkeypatch.setenv("SANDAN_RISK_HUGGING_LOW_RATIO", "1.5")
    with pytest.raises(ValueError, match="SANDAN_RISK_HUGGING_LOW_RATIO"):
        ApiSettings()


def test_risk_threshold_setting_changes_alerts(world: World, parties: dict[str, Actor]) -> None:
    world.runtime.settings.risk.__dict__["split_order_min_orders"] = 3  # as if set in env
    _plant(world, parties)
    assert _alerts(world, parties["customs"])["count"] == 0


def test_a_new_alert_notifies_customs_and_the_regulator_only(
    world: World, parties: dict[str, Actor]
) -> None:
    first, second = _plant(world, parties)
    (alert,) = _alerts(world, parties["customs"])["data"]  # reading judges the marked groups
    _alerts(world, parties["regulator"])  # judged once: no second notification

    def opened(actor: Actor) -> list[dict[str, Any]]:
        inbox = world.client.get("/inbox", headers=actor.headers).json()["data"]
        return [n for n in inbox if n["kind"] == "alert.opened"]

    for name in ("customs", "regulator"):
        (note,) = opened(parties[name])
        assert note["data"]["alertId"] == alert["id"]
        assert note["data"]["rule"] == SPLIT
        assert sorted(note["data"]["tradeIds"]) == sorted([first, second])
    for name in ("platform", "payment", "logistics", "bank"):
        assert opened(parties[name]) == [], name

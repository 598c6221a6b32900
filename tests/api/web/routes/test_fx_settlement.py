"""Foreign-exchange settlement (收结汇): a bank settles on released, matched trades, one or
many at once (轧差结算), never more than each trade; the chain holds the settlement's hash
and caps each trade; the individuals' quota view shows e-commerce settlements apart."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlmodel import Session, select

from api.db.fx_models import FxSettlementRecord
from api.db.models import ChainAccountRecord, PartyRecord, TradeRecord
from api.money import to_fen
from api.services import fx_settlement
from tests.api.conftest import World, stage_fixtures
from tests.api.fx_fixtures import FX_WORLD, FxWorld
from tests.conftest import free_port
from tests.live_server import serve_in_thread
from traceability import content_hash

world_stage, fx = stage_fixtures("fx", FX_WORLD)

ACCOUNT = "6222 0210 0112 3456 789"
TODAY = date(2026, 12, 4)


def _trade(world: World, trade_id: str) -> TradeRecord:
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        session.expunge(trade)
        return trade


def _set(world: World, trade_id: str, **values: Any) -> None:
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        for name, value in values.items():
            setattr(trade, name, value)
        session.add(trade)
        session.commit()


def _cap(world: World, trade_id: str) -> Decimal:
    """The lesser of the trade's declared value and its payment (what a settlement may
    reach), from the service's own reading of the payment record."""
    trade = _trade(world, trade_id)
    with Session(world.runtime.engine) as session:
        paid = fx_settlement.payment_amount(session, trade)
    value = Decimal(trade.customs_value or "0")
    return min(value, paid[0]) if paid is not None else value


def _body(
    shares: list[tuple[str, str]],
    *,
    currency: str = "USD",
    rate: str = "7.1000",
    **changes: Any,
) -> dict[str, Any]:
    total = sum((Decimal(a) for _, a in shares), Decimal(0))
    return {
        "amount": str(total),
        "currency": currency,
        "rate": rate,
        "account": ACCOUNT,
        "valueDate": TODAY.isoformat(),
        "trades": [{"tradeId": t, "amount": a} for t, a in shares],
        **changes,
    }


def _post(world: World, fx: FxWorld, body: dict[str, Any], who: str = "bank_a") -> Any:
    return world.client.post("/banks/fx-settlements", json=body, headers=fx.parties[who].headers)


def _usd_for(amount: Decimal, rate: Decimal) -> str:
    """The most dollars whose conversion at ``rate`` stays within ``amount``."""
    usd = (amount / rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    while (usd * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) > amount:
        usd -= Decimal("0.01")
    return str(usd)


def test_a_bank_settles_dollars_on_a_yuan_trade_committed_on_chain(
    world: World, fx: FxWorld
) -> None:
    trade_id = fx.trades["import"]
    answer = _post(world, fx, _body([(trade_id, "20.00")], reference="FX-2026-0001"))
    assert answer.status_code == 201, answer.text
    settled = answer.json()
    (share,) = settled["trades"]
    assert (share["amount"], share["tradeAmount"], share["tradeCurrency"]) == (
        "20.00",
        "142.00",
        "142",
    )
    assert share["fxSettledValue"] == "142.00"
    assert _trade(world, trade_id).fx_settled_value == "142.00"
    # The hash on chain is the record's, and the record holds no account number.
    assert content_hash(settled["record"], world.runtime.digest).hex() == settled["settlementHash"]
    assert "3456789" not in answer.text
    assert settled["accountMasked"] == "****6789"
    assert settled["record"]["account"] == settled["accountHash"]
    trade = _trade(world, trade_id)
    life = world.ledger.lifecycle().trade_life(trade.verdict_batch, trade.verdict_position)
    assert life.fx_settled == 14200
    assert life.value == int(Decimal(trade.customs_value or "0") * 100)
    on_chain = world.ledger.lifecycle().fx_settlement_of(settled["chainSettlementId"])
    assert on_chain.settlement_hash.hex() == settled["settlementHash"]
    # The individual is the buyer, as a keyed hash: never the ID number.
    assert share["individual"]
    assert len(share["individual"]) == 64
    assert "110101199003071234" not in answer.text


def test_settlements_add_up_per_trade_and_never_exceed_it(world: World, fx: FxWorld) -> None:
    trade_id = fx.trades["import"]
    cap = _cap(world, trade_id)
    rate = Decimal("7.1")
    first = _post(world, fx, _body([(trade_id, "10.00")], rate="7.1"))
    assert first.status_code == 201, first.text
    rest = _usd_for(cap - Decimal("71.00"), rate)
    second = _post(world, fx, _body([(trade_id, rest)], rate="7.1", reference="FX-2"))
    assert second.status_code == 201, second.text
    settled = Decimal(_trade(world, trade_id).fx_settled_value or "0")
    over = _post(world, fx, _body([(trade_id, "1.00")], rate="7.1", reference="FX-3"))
    assert over.status_code == 409, over.text
    refusal = over.json()
    assert refusal["error"] == "fx_over_trade"
    (detail,) = refusal["trades"]
    assert detail["tradeId"] == trade_id
    assert detail["settled"] == str(settled)
    assert detail["requested"] == "7.10"
    assert trade_id in refusal["message"]
    assert str(settled) in refusal["message"]
    assert _trade(world, trade_id).fx_settled_value == str(settled)


def test_returns_lower_what_may_still_be_settled(world: World, fx: FxWorld) -> None:
    trade_id = fx.trades["import"]
    cap = _cap(world, trade_id)
    _set(world, trade_id, returned_value=str(cap - Decimal("50.00")))
    over = _post(world, fx, _body([(trade_id, "50.01")], currency="CNY", rate="1"))
    assert over.status_code == 409, over.text
    assert over.json()["trades"][0]["available"] == "50.00"
    within = _post(world, fx, _body([(trade_id, "50.00")], currency="CNY", rate="1"))
    assert within.status_code == 201, within.text


def test_netting_settles_many_trades_at_once(world: World, fx: FxWorld) -> None:
    imported, exported = fx.trades["import"], fx.trades["export"]
    answer = _post(world, fx, _body([(imported, "10.00"), (exported, "15.50")], rate="7.2"))
    assert answer.status_code == 201, answer.text
    shares = {s["tradeId"]: s["tradeAmount"] for s in answer.json()["trades"]}
    assert shares == {imported: "72.00", exported: "111.60"}
    assert answer.json()["amount"] == "25.50"
    for trade_id, amount in shares.items():
        trade = _trade(world, trade_id)
        assert trade.fx_settled_value == amount
        life = world.ledger.lifecycle().trade_life(trade.verdict_batch, trade.verdict_position)
        assert life.fx_settled == int(Decimal(amount) * 100)
    on_chain = world.ledger.lifecycle().fx_settlement_of(answer.json()["chainSettlementId"])
    assert (on_chain.count, on_chain.total) == (2, 7200 + 11160)
    with Session(world.runtime.engine) as session:
        bank_account = session.get(ChainAccountRecord, "BANK-A")
    assert bank_account is not None
    assert on_chain.bank.lower() == bank_account.address.lower()  # the bank's own account


def test_the_chain_judges_what_the_database_no_longer_shows(world: World, fx: FxWorld) -> None:
    """A database that forgot a settlement (restored from an old backup, say) does not let
    the trade be settled twice: the chain caps it at its declared value and says so."""
    trade_id = fx.trades["export"]
    value = Decimal(_trade(world, trade_id).customs_value or "0")
    first = _post(world, fx, _body([(trade_id, str(value))], currency="CNY", rate="1"))
    assert first.status_code == 201, first.text
    _set(world, trade_id, fx_settled_value=None)
    again = _post(world, fx, _body([(trade_id, "1.00")], currency="CNY", rate="1"))
    assert again.status_code == 409, again.text
    refusal = again.json()
    assert refusal["error"] == "fx_exceeds_value"
    assert (refusal["tradeId"], refusal["field"]) == (trade_id, "trades[0].tradeId")
    assert refusal["message"].startswith(f"trade {trade_id}: ")


def test_a_bank_without_its_own_chain_account_is_refused(world: World, fx: FxWorld) -> None:
    custodyless = world.actor("BANK-C", ["bank"])
    answer = world.client.post(
        "/banks/fx-settlements",
        json=_body([(fx.trades["import"], "1.00")]),
        headers=custodyless.headers,
    )
    assert answer.status_code == 403, answer.text
    assert _trade(world, fx.trades["import"]).chain_value is None  # nothing was sent


def test_netting_where_one_trade_is_over_settles_none(world: World, fx: FxWorld) -> None:
    imported, exported = fx.trades["import"], fx.trades["export"]
    too_much = str(_cap(world, exported) + 1)
    answer = _post(
        world, fx, _body([(imported, "10.00"), (exported, too_much)], currency="CNY", rate="1")
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "fx_over_trade"
    assert [t["tradeId"] for t in answer.json()["trades"]] == [exported]
    for trade_id in (imported, exported):
        trade = _trade(world, trade_id)
        assert trade.fx_settled_value is None
    with Session(world.runtime.engine) as session:
        assert session.exec(select(FxSettlementRecord)).all() == []


@pytest.mark.parametrize("who", ["platform", "customs", "regulator", "payment"])
def test_only_a_bank_records_a_settlement(world: World, fx: FxWorld, who: str) -> None:
    answer = _post(world, fx, _body([(fx.trades["import"], "10.00")]), who=who)
    assert answer.status_code == 403, answer.text
    assert _trade(world, fx.trades["import"]).fx_settled_value is None


def test_an_unreleased_or_cancelled_trade_is_not_settled(world: World, fx: FxWorld) -> None:
    unreleased = _post(world, fx, _body([(fx.trades["import_unreleased"], "10.00")]))
    assert unreleased.status_code == 409, unreleased.text
    assert unreleased.json()["error"] == "not_released"
    assert unreleased.json()["field"] == "trades[0].tradeId"
    _set(world, fx.trades["export"], cancelled_at=datetime.now(UTC))
    cancelled = _post(
        world, fx, _body([(fx.trades["import"], "1.00"), (fx.trades["export"], "10.00")])
    )
    assert cancelled.status_code == 409, cancelled.text
    assert cancelled.json()["error"] == "trade_cancelled"
    assert cancelled.json()["tradeId"] == fx.trades["export"]
    assert _trade(world, fx.trades["import"]).fx_settled_value is None
    _set(world, fx.trades["import"], status="mismatch")
    mismatched = _post(world, fx, _body([(fx.trades["import"], "1.00")]))
    assert mismatched.status_code == 409
    assert mismatched.json()["error"] == "not_matched"
    unknown = _post(world, fx, _body([("ab" * 32, "1.00")]))
    assert unknown.status_code == 404
    assert unknown.json()["field"] == "trades[0].tradeId"


@pytest.mark.parametrize("rate", ["0", "0.0", "-7.1", "abc", "1e5", "7.12345678901", ""])
def test_an_invalid_rate_is_refused_naming_it(world: World, fx: FxWorld, rate: str) -> None:
    answer = _post(world, fx, _body([(fx.trades["import"], "10.00")], rate=rate))
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"].endswith("rate")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "10.001"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "11.00"}, "amount"),  # not the sum of the shares
        ({"currency": "usd"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"account": "12"}, "account"),
        ({"valueDate": "2026-02-30"}, "valueDate"),
        ({"trades": []}, "trades"),
    ],
)
def test_bad_settlement_fields_are_refused_naming_them(
    world: World, fx: FxWorld, change: dict[str, Any], field: str
) -> None:
    answer = _post(world, fx, _body([(fx.trades["import"], "10.00")], **change))
    assert answer.status_code == 422, answer.text
    assert field in (answer.json()["field"] or "")


def test_currency_mismatches_are_refused(world: World, fx: FxWorld) -> None:
    # A yuan settlement of a yuan trade converts at 1, nothing else.
    same = _post(world, fx, _body([(fx.trades["import"], "10.00")], currency="CNY", rate="7.1"))
    assert same.status_code == 422, same.text
    assert (same.json()["error"], same.json()["field"]) == ("currency_mismatch", "rate")
    # One rate cannot convert into both yuan and dollars.
    mixed = _post(
        world, fx, _body([(fx.trades["import"], "10.00"), (fx.trades["export_usd"], "10.00")])
    )
    assert mixed.status_code == 422, mixed.text
    assert mixed.json()["error"] == "currency_mismatch"
    assert mixed.json()["field"] == "trades[1].tradeId"
    twice = _post(
        world, fx, _body([(fx.trades["import"], "10.00"), (fx.trades["import"], "10.00")])
    )
    assert twice.status_code == 422
    assert twice.json()["field"] == "trades[1].tradeId"
    dollars = _post(world, fx, _body([(fx.trades["export_usd"], "100.00")], rate="1"))
    assert dollars.status_code == 201, dollars.text
    assert dollars.json()["trades"][0]["tradeAmount"] == "100.00"


def test_a_reference_names_one_settlement(world: World, fx: FxWorld) -> None:
    body = _body([(fx.trades["import"], "1.00")], reference="FX-REPLAY")
    assert _post(world, fx, body).status_code == 201
    replay = _post(world, fx, body)
    assert replay.status_code == 409, replay.text
    assert replay.json()["error"] == "duplicate_reference"
    assert _trade(world, fx.trades["import"]).fx_settled_value == "7.10"
    # Another bank's reference space is its own.
    assert _post(world, fx, body, who="bank_b").status_code == 201


def test_who_reads_a_settlement(world: World, fx: FxWorld) -> None:
    made = _post(world, fx, _body([(fx.trades["export"], "5.00")])).json()
    path = f"/banks/fx-settlements/{made['id']}"
    for who in ("exporter", "bank_a"):  # told, in the commit that recorded it
        inbox = world.client.get("/inbox", headers=fx.parties[who].headers).json()
        (told,) = [n for n in inbox["data"] if n["kind"] == "trade.fx_settled"]
        assert told["data"]["settlementId"] == made["id"]
    inbox = world.client.get("/inbox", headers=fx.parties["bank_b"].headers).json()
    assert [n for n in inbox["data"] if n["kind"] == "trade.fx_settled"] == []
    for who, status in (
        ("bank_a", 200),
        ("exporter", 200),  # the trade's e-commerce company
        ("payment", 200),  # it signed the trade's receipt
        ("regulator", 200),
        ("bank_b", 404),
        ("bystander", 404),
        ("customs", 404),  # customs reads trades, not the banks' settlements
        ("platform", 200),  # the platform the export order names (ebpCode)
    ):
        answer = world.client.get(path, headers=fx.parties[who].headers)
        assert answer.status_code == status, (who, answer.text)
    listed = world.client.get(
        "/banks/fx-settlements",
        params={"tradeId": fx.trades["export"]},
        headers=fx.parties["exporter"].headers,
    ).json()
    assert [s["id"] for s in listed["data"]] == [made["id"]]
    assert listed["count"] == 1
    assert (
        world.client.get("/banks/fx-settlements", headers=fx.parties["bank_b"].headers).json()[
            "data"
        ]
        == []
    )


def test_the_quota_view_shows_e_commerce_settlements_apart(world: World, fx: FxWorld) -> None:
    made = _post(world, fx, _body([(fx.trades["import"], "20.00")])).json()
    individual = made["trades"][0]["individual"]
    year = {"year": TODAY.year}
    view = world.client.get(
        f"/fx/quota/{individual}", params=year, headers=fx.parties["bank_a"].headers
    )
    assert view.status_code == 200, view.text
    quota = view.json()
    assert quota["totals"] == {
        "quota": "50000.00",
        "counted": "0.00",
        "apart": "20.00",
        "remaining": "50000.00",
        "unconverted": 0,
    }
    (entry,) = quota["entries"]
    assert entry["counts"] is False
    assert "三单合一" in entry["reason"]
    assert entry["bank"] == "BANK-A"
    # Another bank sees the national totals, not who made the entry.
    other = world.client.get(
        f"/fx/quota/{individual}", params=year, headers=fx.parties["bank_b"].headers
    ).json()
    assert other["entries"][0]["bank"] is None
    assert other["totals"] == quota["totals"]
    # A trade no longer verified: its settlement counts against the quota.
    _set(world, fx.trades["import"], status="mismatch")
    world.runtime.settings = world.runtime.settings.model_copy(
        update={"fx_individual_quota_usd": Decimal(30)}
    )
    counted = world.client.get(
        f"/fx/quota/{individual}", params=year, headers=fx.parties["regulator"].headers
    ).json()
    assert counted["totals"]["counted"] == "20.00"
    assert counted["totals"]["remaining"] == "10.00"
    assert counted["entries"][0]["counts"] is True
    per_bank = world.client.get(
        "/banks/fx-quota", params=year, headers=fx.parties["bank_a"].headers
    ).json()
    assert [q["individual"] for q in per_bank["data"]] == [individual]
    assert (
        world.client.get(
            "/banks/fx-quota", params=year, headers=fx.parties["bank_b"].headers
        ).json()["data"]
        == []
    )
    refused = world.client.get(
        f"/fx/quota/{individual}", params=year, headers=fx.parties["platform"].headers
    )
    assert refused.status_code == 403
    # Asked by ID number (in the body): the same view; someone unknown has it all left.
    by_id = world.client.post(
        "/fx/quota/lookup",
        json={"idNumber": "110101199003071234", **year},
        headers=fx.parties["regulator"].headers,
    )
    assert by_id.status_code == 200, by_id.text
    assert by_id.json() == counted
    nobody = world.client.get(f"/fx/quota/{'0' * 64}", headers=fx.parties["bank_a"].headers)
    assert nobody.status_code == 200
    assert nobody.json()["entries"] == []
    assert nobody.json()["totals"]["remaining"] == "30.00"
    refused = world.client.post(
        "/fx/quota/lookup",
        json={"idNumber": "110101199003071234"},
        headers=fx.parties["platform"].headers,
    )
    assert refused.status_code == 403


def test_a_share_neither_side_of_which_is_in_dollars_is_listed_not_added(
    world: World, fx: FxWorld
) -> None:
    made = _post(world, fx, _body([(fx.trades["import"], "10.00")], currency="EUR", rate="7.7"))
    assert made.status_code == 201, made.text
    individual = made.json()["trades"][0]["individual"]
    quota = world.client.get(
        f"/fx/quota/{individual}",
        params={"year": TODAY.year},
        headers=fx.parties["regulator"].headers,
    ).json()
    assert quota["totals"]["unconverted"] == 1
    assert quota["totals"]["apart"] == "0.00"
    assert quota["entries"][0]["usd"] is None


def test_exports_name_no_individual_and_feed_the_tax_refund_record(
    world: World, fx: FxWorld
) -> None:
    made = _post(world, fx, _body([(fx.trades["export_usd"], "300.00")], rate="1")).json()
    assert made["trades"][0]["individual"] is None
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    records = world.client.get(
        "/tax-refund/records",
        params={"from": today.replace(day=1).isoformat(), "to": today.isoformat()},
        headers=fx.parties["exporter"].headers,
    ).json()
    (record,) = [r for r in records["data"] if r["tradeId"] == fx.trades["export_usd"]]
    assert record["fxReceived"] == "300.00"
    assert record["fxSettlements"] == [made["id"]]
    assert record["fxSettledOn"] == TODAY.isoformat()


def test_the_service_settles_for_the_demo(world: World, fx: FxWorld) -> None:
    with Session(world.runtime.engine) as session:
        bank = session.get(PartyRecord, "BANK-A")
        assert bank is not None
        settled = fx_settlement.settle(
            session=session,
            runtime=world.runtime,
            party=bank,
            amount="12.00",
            currency="USD",
            rate="7.05",
            account=ACCOUNT,
            value_date=TODAY,
            trades=[(fx.trades["import"], "12.00")],
        )
    assert settled.trades[0].trade_amount == "84.60"


def test_returns_after_settlement_unback_the_newest_share_first(world: World, fx: FxWorld) -> None:
    trade_id = fx.trades["import"]
    older = _post(world, fx, _body([(trade_id, "10.00")], rate="7.1")).json()
    newer = _post(world, fx, _body([(trade_id, "10.00")], rate="7.1")).json()
    individual = older["trades"][0]["individual"]
    # Returns accepted afterwards leave 71.00 + 35.50 of the trade: the 142.00 settled on it
    # is 35.50 over, half of the newer share (71.00 yuan, 10 dollars).
    _set(world, trade_id, returned_value=str(_cap(world, trade_id) - Decimal("106.50")))
    quota = world.client.get(
        f"/fx/quota/{individual}",
        params={"year": TODAY.year},
        headers=fx.parties["regulator"].headers,
    ).json()
    assert (quota["totals"]["counted"], quota["totals"]["apart"]) == ("5.00", "15.00")
    by_id = {e["settlementId"]: e for e in quota["entries"]}
    assert (by_id[older["id"]]["counts"], by_id[older["id"]]["countedAmount"]) == (False, "0.00")
    assert (by_id[newer["id"]]["counts"], by_id[newer["id"]]["countedAmount"]) == (True, "5.00")
    assert "returned" in by_id[newer["id"]]["reason"]


def _one_call_at_a_time(monkeypatch: pytest.MonkeyPatch, world: World) -> None:
    """The in-process chain (py-evm) is not thread-safe: its calls are made one at a time,
    as a node orders transactions; the requests still interleave around them."""
    provider = world.ledger.w3.provider
    original = provider.make_request
    chain_lock = threading.Lock()

    def serialised(method: Any, params: Any) -> Any:
        with chain_lock:
            return original(method, params)

    monkeypatch.setattr(provider, "make_request", serialised)
    monkeypatch.setattr(provider, "_request_func_cache", (None, None))  # rebuilt around it


def test_concurrent_settlements_of_one_trade_never_exceed_it(
    world: World, fx: FxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two banks racing on one trade, six requests of 40 % each: two fit, the others are
    refused (by the checks under row locks, or by the chain), none fails, and the database
    says what the chain says."""
    _one_call_at_a_time(monkeypatch, world)
    trade_id = fx.trades["export"]
    share = str((_cap(world, trade_id) * Decimal("0.4")).quantize(Decimal("0.01")))
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    with serve_in_thread(world.client.app, free_port()) as url:

        def bank(who: str) -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                for _ in range(3):
                    status = http.post(
                        "/banks/fx-settlements",
                        json=_body([(trade_id, share)], currency="CNY", rate="1"),
                        headers=fx.parties[who].headers,
                    ).status_code
                    with lock:
                        statuses[status] += 1

        threads = [threading.Thread(target=bank, args=(who,)) for who in ("bank_a", "bank_b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a bank is stuck (deadlock?)"
    assert statuses == Counter({201: 2, 409: 4}), statuses
    trade = _trade(world, trade_id)
    assert trade.fx_settled_value == to_fen(Decimal(share) * 2)
    life = world.ledger.lifecycle().trade_life(trade.verdict_batch, trade.verdict_position)
    assert life.fx_settled == int(Decimal(share) * 2 * 100)


def test_one_reference_raced_is_recorded_once(
    world: World, fx: FxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_call_at_a_time(monkeypatch, world)
    body = _body([(fx.trades["import"], "1.00")], reference="FX-RACE")
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    with serve_in_thread(world.client.app, free_port()) as url:

        def send() -> None:
            with httpx.Client(base_url=url, timeout=120) as http:
                status = http.post(
                    "/banks/fx-settlements", json=body, headers=fx.parties["bank_a"].headers
                ).status_code
                with lock:
                    statuses[status] += 1

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert statuses == Counter({201: 1, 409: 3}), statuses
    trade = _trade(world, fx.trades["import"])
    assert trade.fx_settled_value == "7.10"
    life = world.ledger.lifecycle().trade_life(trade.verdict_batch, trade.verdict_position)
    assert life.fx_settled == 710  # once on chain too

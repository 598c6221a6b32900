"""``sandan verify`` of the service's ``sandan-bundle/3`` bundles: each step names the trade's
position in its verdict batch, and a forgery built from other trades' real transactions,
proofs and financings fails the check of that step.

Trades ``a`` and ``b`` sit in one verdict batch, ``c`` in a later one; each is released on
its own, and ``a`` and ``b`` are settled and financed apart (by two banks).
(tests/verifier/test_trade_bundles.py holds the browser verifier to the same forgeries.)
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from api.verify.verifier import Outcome
from tests.api.conftest import World, stage_fixtures
from tests.api.factories import Actor
from tests.api.verify.forgery import failed_checks
from tests.api.web.routes.test_trade_flow import FLOW_PARTIES, submit
from traceability.trade import samples

world_stage, parties = stage_fixtures("parties", FLOW_PARTIES)


def _terms(n: int) -> samples.ImportTerms:
    return samples.ImportTerms(
        order_no=f"SDSTEP{n}", logistics_no=f"SFSTEP{n}", pay_transaction_id=f"APSTEP{n}"
    )


@dataclass
class Life:
    """The service's bundles of trades ``a``, ``b`` (one verdict batch) and ``c`` (the next)."""

    a: dict[str, Any]
    b: dict[str, Any]
    c: dict[str, Any]


def _trade(world: World, parties: dict[str, Actor], n: int) -> str:
    trade_id: str = submit(world, parties, samples.import_trade(_terms(n)))[0]["tradeId"]
    return trade_id


def _bundle(world: World, parties: dict[str, Actor], trade_id: str) -> dict[str, Any]:
    response = world.client.get(
        f"/banks/trades/{trade_id}/bundle", headers=parties["bank_a"].headers
    )
    assert response.status_code == 200, response.text
    bundle: dict[str, Any] = response.json()
    return bundle


@pytest.fixture
def life(world: World, parties: dict[str, Actor]) -> Life:
    a, b = _trade(world, parties, 1), _trade(world, parties, 2)
    world.worker.drain()
    c = _trade(world, parties, 3)
    world.worker.drain()
    for trade_id in (a, b, c):
        released = world.client.post(
            f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
        )
        assert released.status_code == 200, released.text
    for trade_id, bank in ((a, "bank_a"), (b, "bank_b")):
        headers = parties[bank].headers
        body = {"settlementRef": f"FX-{trade_id[:8]}"}
        settled = world.client.post(
            f"/banks/trades/{trade_id}/settlement", json=body, headers=headers
        )
        assert settled.status_code == 200, settled.text
        terms = {"terms": {"amount": "100.00", "currency": "CNY", "rate": f"0.0{len(bank)}"}}
        financed = world.client.post(
            f"/banks/trades/{trade_id}/financing", json=terms, headers=headers
        )
        assert financed.status_code == 201, financed.text
    life = Life(*(_bundle(world, parties, t) for t in (a, b, c)))
    assert life.a["verdict"]["batch"] == life.b["verdict"]["batch"] != life.c["verdict"]["batch"]
    return life


def test_the_service_bundle_of_a_financed_settled_trade_is_authentic(
    world: World, life: Life
) -> None:
    for bundle in (life.a, life.b, life.c):
        report = world.verify(bundle)
        assert report.outcome is Outcome.AUTHENTIC, failed_checks(report.checks)
    report = world.verify(life.a)
    assert {"verdict on chain", "released by customs", "settlement confirmed"} <= {
        c.name for c in report.checks
    }
    assert "financing registered" in {c.name for c in report.checks}


Tamper = Callable[[Life, dict[str, Any]], None]


def _flip_matched(life: Life, bundle: dict[str, Any]) -> None:
    bundle["verdict"]["matched"] = not bundle["verdict"]["matched"]


def _proof_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    bundle["verdict"]["proof"] = life.b["verdict"]["proof"]


def _another_position(life: Life, bundle: dict[str, Any]) -> None:
    bundle["verdict"].update(
        position=life.b["verdict"]["position"], proof=life.b["verdict"]["proof"]
    )


def _release_of_another_batch(life: Life, bundle: dict[str, Any]) -> None:
    bundle["release"] = life.c["release"]


def _release_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    bundle["release"] = life.b["release"]


def _settlement_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    bundle["settlement"] = life.b["settlement"]


def _settlement_reference_of_another_position(life: Life, bundle: dict[str, Any]) -> None:
    other = life.b["settlement"]
    bundle["settlement"].update(settlementRef=other["settlementRef"], proof=other["proof"])


def _financing_of_another_trade(life: Life, bundle: dict[str, Any]) -> None:
    bundle["financing"] = life.b["financing"]


def _financing_id_of_another_trade(life: Life, bundle: dict[str, Any]) -> None:
    bundle["financing"]["financingId"] = life.b["financing"]["financingId"]


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        (_flip_matched, "verdict on chain"),
        (_proof_of_another_position, "verdict on chain"),
        (_another_position, "verdict on chain"),
        (_release_of_another_batch, "released by customs"),
        (_release_of_another_position, "released by customs"),
        (_settlement_of_another_position, "settlement confirmed"),
        (_settlement_reference_of_another_position, "settlement confirmed"),
        (_financing_of_another_trade, "financing registered"),
        (_financing_id_of_another_trade, "financing registered"),
    ],
)
def test_a_step_of_another_trade_fails_its_check(
    world: World, life: Life, tamper: Tamper, check: str
) -> None:
    bundle = copy.deepcopy(life.a)
    tamper(life, bundle)
    report = world.verify(bundle)
    assert report.outcome is Outcome.NOT_AUTHENTIC
    assert check in failed_checks(report.checks), failed_checks(report.checks)


def test_a_superseded_verdict_is_not_the_trades_verdict(
    world: World, parties: dict[str, Actor]
) -> None:
    trade_id = _trade(world, parties, 4)
    world.worker.drain()
    old = _bundle(world, parties, trade_id)
    # A new version of the payment (one fen short) before release: a new verdict replaces it.
    docs = samples.short_payment_trade(_terms(4))
    payment = docs.payment
    assert payment is not None
    world.submit(parties["payment"], "payment", payment.to_json_dict())
    world.worker.drain()
    new = _bundle(world, parties, trade_id)
    assert (new["verdict"]["batch"], new["verdict"]["matched"]) != (old["verdict"]["batch"], True)
    assert world.verify(new).outcome is Outcome.MISMATCH

    failed = failed_checks(world.verify(old).checks)
    assert "superseded" in str(failed.get("verdict on chain")), failed

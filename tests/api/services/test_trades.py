"""Trade visibility and chain actions as services with a session (no HTTP), on both backends."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord, utcnow
from api.errors import Conflict, NotFound
from api.services import chain_actions, trade_queries
from tests.api.conftest import World


def _party(code: str, roles: str) -> PartyRecord:
    return PartyRecord(
        code=code, name=code, roles=roles, api_key_hash=secrets.token_hex(32), created_at=utcnow()
    )


def _trade(session: Session, *, ebp: str, status: str = "match") -> TradeRecord:
    trade = TradeRecord(
        trade_id=secrets.token_hex(32),
        ebp_code=ebp,
        order_no="O-1",
        status=status,
        updated_at=utcnow(),
    )
    session.add(trade)
    session.commit()
    return trade


@pytest.mark.parametrize(
    ("code", "roles", "visible"),
    [
        pytest.param("EBP1", "platform", True, id="its-platform"),
        pytest.param("EBP2", "platform", False, id="another-platform"),
        pytest.param("PAY1", "payment", False, id="payment-company-without-documents"),
        pytest.param("CUS1", "customs", True, id="customs"),
    ],
)
def test_require_visible_shows_a_trade_to_its_parties_and_hides_it_from_others(
    world: World, code: str, roles: str, visible: bool
) -> None:
    with Session(world.runtime.engine) as session:
        trade = _trade(session, ebp="EBP1")
        trade_id = trade.trade_id
        caller = _party(code, roles)
        if visible:
            found = trade_queries.require_visible(
                session=session, party=caller, trade_id=trade_id.upper()
            )
            assert found.trade_id == trade_id
        else:
            with pytest.raises(NotFound) as hidden:
                trade_queries.require_visible(session=session, party=caller, trade_id=trade_id)
            assert hidden.value.field == "tradeId"


def _release(world: World, session: Session, party: PartyRecord, trade: TradeRecord) -> None:
    chain_actions.release(session=session, runtime=world.runtime, party=party, trade=trade)


@pytest.mark.parametrize("trade_id", ["", "xyz", "0" * 63, "g" * 64, "0" * 65])
def test_normalise_trade_id_refuses_what_is_not_64_hex(trade_id: str) -> None:
    with pytest.raises(NotFound):
        trade_queries.normalise_trade_id(trade_id)


def _release(world: World, session: Session, trade: TradeRecord) -> object:
    customs = _party("CUS1", "customs")
    return chain_actions.release(session=session, runtime=world.runtime, party=customs, trade=trade)


def _settle(world: World, session: Session, trade: TradeRecord) -> object:
    bank = _party("BANK1", "bank")
    return chain_actions.settle(
        session=session, runtime=world.runtime, party=bank, trade=trade, reference="R-1"
    )


@pytest.mark.parametrize(
    ("status", "action", "code"),
    [
        pytest.param("mismatch", _release, "not_matched", id="release-mismatched"),
        pytest.param("pending", _release, "not_matched", id="release-pending"),
        pytest.param("match", _release, "verdict_not_anchored", id="release-verdict-not-on-chain"),
        pytest.param("match", _settle, "not_released", id="settle-before-release"),
    ],
)
def test_chain_action_refuses_a_trade_not_ready_for_it(
    world: World, status: str, action: Callable[[World, Session, TradeRecord], object], code: str
) -> None:
    with Session(world.runtime.engine) as session:
        trade = _trade(session, ebp="EBP1", status=status)
        with pytest.raises(Conflict) as refused:
            action(world, session, trade)
        assert (trade.released_at, trade.settled_at, trade.release_tx) == (None, None, None)
    assert refused.value.code == code

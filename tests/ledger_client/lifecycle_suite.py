"""LifecycleRegistry on chain: declared values, returns, cancellation, FX settlement with
netting, typed financing and warehouse receipts, each refusal with its error's arguments.
Mixed into the registry behaviour run on every backend (one deployment per session,
reverted around each test)."""

from __future__ import annotations

import hashlib

import pytest
from eth_utils.crypto import keccak

from ledger_client import (
    AuthorizationAction,
    ConfigurationError,
    ContractReverted,
    FinancingKind,
    FxSettlement,
    LifeState,
    ReceiptState,
    Signed,
    Supersession,
    TradeLife,
    TradeRegistryClient,
    TradeState,
    TypedFinancing,
    WarehouseReceipt,
    authorization_typed_data,
    load_artifacts,
    party_id,
    selection_subject,
    sign_authorization,
    trade_subject,
)
from ledger_client.events import (
    FinancingClosed,
    FinancingDrawn,
    FinancingOpened,
    FinancingRepaid,
    FxSettled,
    FxSettlementApplied,
    LifecycleRegistrySet,
    TradeCancelled,
    TradeReturned,
    TradeValueDeclared,
    WarehouseReceiptCancelled,
    WarehouseReceiptIssued,
)
from ledger_client.lifecycle_gas import deploy_contract

UINT64_MAX = 2**64 - 1
ANCHORER, CUSTOMS, BANK = (
    keccak(text="ANCHORER_ROLE"),
    keccak(text="CUSTOMS_ROLE"),
    keccak(text="BANK_ROLE"),
)
WAREHOUSE = party_id("WH-LA-1")
ZERO_ADDRESS = "0x" + "00" * 20


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple]:
    return exc_info.value.error_name, exc_info.value.args


class LifecycleBehaviour:
    """LifecycleRegistry, which takes its roles and trade states from TradeRegistry."""

    def _life_batch(self, world, label, matched=(True, True, True), *, release=(), settle=()):
        """Record a verdict batch (``matched`` per position), release and settle some of it;
        return its number."""
        trade = world.trade()
        ids = [_h(f"{label} trade {i}") for i in range(len(matched))]
        verdicts = [_h(f"{label} verdict {i}") for i in range(len(matched))]
        batch = trade.recorded_batch(trade.record_verdict_batch(ids, verdicts, list(matched))).batch
        if release:
            world.trade("customs").release_trades(batch, release)
        if settle:
            world.trade("bank").confirm_settlements(batch, {p: _h(f"ref {p}") for p in settle})
        return batch

    def _life_released(self, world, label, values=(10_000, 20_000, 30_000)):
        """A batch of released trades with their values declared; return its number."""
        positions = list(range(len(values)))
        batch = self._life_batch(world, label, (True,) * len(values), release=positions)
        world.lifecycle().declare_values(batch, dict(enumerate(values)))
        return batch

    # Declared values ----------------------------------------------------------------------

    def test_lifecycle_follows_its_trade_registry(self, world):
        lifecycle = world.lifecycle()
        assert lifecycle.trade_registry() == world.deployment.trade_registry.address
        assert lifecycle.max_trades_per_call() == 4096
        assert lifecycle.counts() == (0, 0)

    def test_declare_values_emits_one_event_per_trade(self, world):
        batch = self._life_batch(world, "declare", release=[1], settle=[1])
        world.trade("customs").release_trades(batch, [2])
        result = world.lifecycle().declare_values(batch, {2: 300, 0: 100, 1: 200})
        assert result.events == (
            TradeValueDeclared(batch=batch, position=0, value=100),
            TradeValueDeclared(batch=batch, position=1, value=200),
            TradeValueDeclared(batch=batch, position=2, value=300),
        )
        life = world.lifecycle().trade_life(batch, 1)
        assert life == TradeLife(batch, 1, 200, 0, 0, None, False)
        assert world.lifecycle().life_state(batch, 1) is LifeState.ACTIVE
        assert world.lifecycle().life_state(batch, 9) is LifeState.NONE

    def test_declare_values_is_the_anchorers(self, world):
        batch = self._life_batch(world, "declare role")
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("bank").declare_values(batch, {0: 100})
        assert _reverted(exc_info) == (
            "LifecycleRegistryUnauthorized",
            (world.address("bank"), ANCHORER),
        )

    def test_declare_values_follows_a_role_revoked_in_the_trade_registry(self, world):
        batch = self._life_batch(world, "revoked")
        world.trade("admin").revoke_role("ANCHORER_ROLE", world.address("anchorer"))
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle().declare_values(batch, {0: 100})
        assert exc_info.value.error_name == "LifecycleRegistryUnauthorized"

    @pytest.mark.parametrize(
        ("values", "expected"),
        [
            ({1: 100}, ("LifecycleRegistryTradeState", (1, int(TradeState.MISMATCHED)))),
            ({7: 100}, ("LifecycleRegistryTradeState", (7, int(TradeState.NONE)))),
            ({0: 0}, ("LifecycleRegistryZeroAmount", (0,))),
        ],
    )
    def test_declare_values_refuses_bad_trades(self, world, values, expected):
        batch = self._life_batch(world, "declare bad", (True, False, True))
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle().declare_values(batch, values)
        name, tail = expected
        assert _reverted(exc_info) == (name, (batch, *tail))

    def test_declare_values_declares_once(self, world):
        batch = self._life_batch(world, "declare twice")
        world.lifecycle().declare_values(batch, {0: 100})
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle().declare_values(batch, {1: 5, 0: 101})
        assert _reverted(exc_info) == ("LifecycleRegistryValueAlreadyDeclared", (batch, 0, 100))
        assert world.lifecycle().trade_life(batch, 1).value == 0  # the whole call reverted

    def test_declare_values_refuses_an_empty_call_and_checks_amounts_locally(self, world):
        batch = self._life_batch(world, "declare empty")
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle().declare_values(batch, {})
        assert _reverted(exc_info) == ("LifecycleRegistryTradeCount", (0,))
        with pytest.raises(ConfigurationError, match="values"):
            world.lifecycle().declare_values(batch, {0: 2**64})

    def test_a_superseded_verdict_cannot_be_declared(self, world):
        from tests.ledger_client.suite import ordered_proof, verdict_leaf_of

        trade = world.trade()
        batch = self._life_batch(world, "old")
        leaves = [
            verdict_leaf_of(batch, i, _h(f"old trade {i}"), _h(f"old verdict {i}"), True)
            for i in range(3)
        ]
        supersession = Supersession(
            0, batch, 1, _h("old verdict 1"), True, tuple(ordered_proof(leaves, 1))
        )
        trade.record_verdict_batch([_h("old trade 1")], [_h("new verdict")], [True], [supersession])
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle().declare_values(batch, {1: 100})
        assert _reverted(exc_info) == (
            "LifecycleRegistryTradeState",
            (batch, 1, int(TradeState.SUPERSEDED)),
        )

    # Returns ----------------------------------------------------------------------------------

    def test_partial_then_whole_return(self, world):
        batch = self._life_released(world, "returns")
        lifecycle = world.lifecycle()
        first = lifecycle.record_returns(batch, {0: (4_000, _h("return a"))})
        assert first.events == (
            TradeReturned(
                batch=batch,
                position=0,
                return_hash=_h("return a"),
                amount=4_000,
                returned_total=4_000,
                whole=False,
            ),
        )
        assert lifecycle.life_state(batch, 0) is LifeState.PARTLY_RETURNED
        second = lifecycle.record_returns(
            batch, {0: (6_000, _h("return b")), 1: (1, _h("return c"))}
        )
        assert [(e.position, e.returned_total, e.whole) for e in second.events] == [
            (0, 10_000, True),
            (1, 1, False),
        ]
        assert lifecycle.life_state(batch, 0) is LifeState.RETURNED
        assert lifecycle.trade_life(batch, 0).unreturned == 0
        with pytest.raises(ContractReverted) as exc_info:
            lifecycle.record_returns(batch, {0: (1, _h("return d"))})
        assert _reverted(exc_info) == ("LifecycleRegistryReturnExceedsValue", (batch, 0, 1, 0))

    def test_a_return_cannot_exceed_the_value(self, world):
        batch = self._life_released(world, "return over")
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle().record_returns(batch, {2: (30_001, _h("r"))})
        assert _reverted(exc_info) == (
            "LifecycleRegistryReturnExceedsValue",
            (batch, 2, 30_001, 30_000),
        )

    def test_returns_need_a_released_declared_trade_and_a_hash(self, world):
        batch = self._life_batch(world, "return states", release=[1])
        lifecycle = world.lifecycle()
        lifecycle.declare_values(batch, {0: 100})
        with pytest.raises(ContractReverted) as exc_info:
            lifecycle.record_returns(batch, {0: (1, _h("r"))})
        assert _reverted(exc_info) == (
            "LifecycleRegistryTradeState",
            (batch, 0, int(TradeState.MATCHED)),
        )
        with pytest.raises(ContractReverted) as exc_info:
            lifecycle.record_returns(batch, {1: (1, _h("r"))})
        assert _reverted(exc_info) == ("LifecycleRegistryValueNotDeclared", (batch, 1))
        lifecycle.declare_values(batch, {1: 100})
        with pytest.raises(ContractReverted) as exc_info:
            lifecycle.record_returns(batch, {1: (1, b"\0" * 32)})
        assert _reverted(exc_info) == ("LifecycleRegistryZeroHash", ())
        with pytest.raises(ContractReverted) as exc_info:
            lifecycle.record_returns(batch, {1: (0, _h("r"))})
        assert _reverted(exc_info) == ("LifecycleRegistryZeroAmount", (batch, 1))
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("customs").record_returns(batch, {1: (1, _h("r"))})
        assert _reverted(exc_info) == (
            "LifecycleRegistryUnauthorized",
            (world.address("customs"), ANCHORER),
        )

    def test_a_settled_trade_can_be_returned(self, world):
        batch = self._life_batch(world, "settled return", release=[0], settle=[0])
        world.lifecycle().declare_values(batch, {0: 100})
        result = world.lifecycle().record_returns(batch, {0: (100, _h("r"))})
        assert result.events[0].whole is True

    # Cancellation (撤单) ----------------------------------------------------------------------

    def test_customs_cancels_matched_and_released_trades(self, world):
        batch = self._life_batch(world, "cancel", release=[1])
        world.lifecycle().declare_values(batch, {1: 500})
        result = world.lifecycle("customs").cancel_trades(
            batch, {0: _h("ceb623 0"), 1: _h("ceb623 1")}
        )
        customs = world.address("customs")
        assert result.events == (
            TradeCancelled(batch=batch, position=0, receipt_hash=_h("ceb623 0"), customs=customs),
            TradeCancelled(batch=batch, position=1, receipt_hash=_h("ceb623 1"), customs=customs),
        )
        assert world.lifecycle().life_state(batch, 0) is LifeState.CANCELLED
        assert world.lifecycle().trade_life(batch, 1) == TradeLife(batch, 1, 500, 0, 0, None, True)

    def test_a_cancelled_trade_has_no_further_life(self, world):
        batch = self._life_batch(world, "cancelled", release=[0, 1])
        lifecycle = world.lifecycle()
        lifecycle.declare_values(batch, {1: 500})
        world.lifecycle("customs").cancel_trades(batch, {0: _h("c0"), 1: _h("c1")})
        refusals = [
            lambda: lifecycle.declare_values(batch, {0: 100}),
            lambda: lifecycle.record_returns(batch, {1: (1, _h("r"))}),
            lambda: world.lifecycle("bank").record_fx_settlement(_h("fx"), [(batch, 1, 1)]),
            lambda: world.lifecycle("bank").open_trade_financing(
                FinancingKind.ORDER, batch, 1, 1, _h("terms")
            ),
            lambda: world.lifecycle("customs").cancel_trades(batch, {1: _h("again")}),
        ]
        for attempt in refusals:
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert exc_info.value.error_name == "LifecycleRegistryTradeCancelled"
            assert exc_info.value.args[0] == batch

    def test_cancel_is_customs_and_never_after_settlement(self, world):
        batch = self._life_batch(world, "cancel refused", release=[0], settle=[0])
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("anchorer").cancel_trades(batch, {1: _h("c")})
        assert _reverted(exc_info) == (
            "LifecycleRegistryUnauthorized",
            (world.address("anchorer"), CUSTOMS),
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("customs").cancel_trades(batch, {0: _h("c")})
        assert _reverted(exc_info) == (
            "LifecycleRegistryTradeState",
            (batch, 0, int(TradeState.SETTLED)),
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("customs").cancel_trades(batch, {1: b"\0" * 32})
        assert _reverted(exc_info) == ("LifecycleRegistryZeroHash", ())

    def test_cancel_is_refused_after_returns_fx_or_financing(self, world):
        batch = self._life_released(world, "cancel after", (100, 100, 100, 100))
        lifecycle, bank = world.lifecycle(), world.lifecycle("bank")
        lifecycle.record_returns(batch, {0: (10, _h("r"))})
        bank.record_fx_settlement(_h("fx"), [(batch, 1, 20)])
        financing = bank.financing_id(
            bank.open_trade_financing(FinancingKind.RECEIVABLE, batch, 2, 50, _h("terms"))
        )
        legacy = world.trade("bank").register_financing(batch, [3], _h("legacy terms"))
        legacy_id = legacy.events[0].financing_id
        expected = {
            0: ("LifecycleRegistryTradeReturned", (batch, 0, 10)),
            1: ("LifecycleRegistryTradeFxSettled", (batch, 1, 20)),
            2: ("LifecycleRegistryTradeFinanced", (batch, 2, financing)),
            3: ("LifecycleRegistryLegacyFinancing", (batch, 3, legacy_id)),
        }
        for position, refusal in expected.items():
            with pytest.raises(ContractReverted) as exc_info:
                world.lifecycle("customs").cancel_trades(batch, {position: _h("c")})
            assert _reverted(exc_info) == refusal

    # FX settlement (收结汇) ---------------------------------------------------------------------

    def test_netting_settles_trades_of_two_verdict_batches(self, world):
        first = self._life_released(world, "net a", (10_000, 20_000))
        second = self._life_released(world, "net b", (5_000,))
        world.lifecycle().record_returns(first, {1: (2_000, _h("r"))})
        bank = world.lifecycle("bank")
        parts = [(first, 0, 10_000), (second, 0, 4_000), (first, 1, 18_000)]
        result = bank.record_fx_settlement(_h("netting 1"), parts)
        assert result.events == (
            FxSettlementApplied(
                settlement_id=1, batch=first, position=0, amount=10_000, fx_settled_total=10_000
            ),
            FxSettlementApplied(
                settlement_id=1, batch=second, position=0, amount=4_000, fx_settled_total=4_000
            ),
            FxSettlementApplied(
                settlement_id=1, batch=first, position=1, amount=18_000, fx_settled_total=18_000
            ),
            FxSettled(
                settlement_id=1,
                bank=world.address("bank"),
                settlement_hash=_h("netting 1"),
                count=3,
                total=32_000,
            ),
        )
        assert bank.settlement_id(result) == 1
        assert bank.fx_settlement_of(1) == FxSettlement(
            1, world.address("bank"), 3, 32_000, _h("netting 1")
        )
        assert bank.fx_settlement_of(2) is None
        assert bank.fx_settlement_id_of(_h("netting 1")) == 1
        assert bank.fx_settlement_id_of(_h("netting 2")) is None
        assert world.lifecycle().trade_life(second, 0).fx_settled == 4_000
        second_result = world.lifecycle("bank2").record_fx_settlement(
            _h("netting 2"), [(second, 0, 1_000)]
        )
        assert bank.settlement_id(second_result) == 2
        assert bank.counts() == (2, 0)

    def test_fx_is_capped_at_the_unreturned_value_across_settlements(self, world):
        batch = self._life_released(world, "fx cap", (10_000,))
        world.lifecycle().record_returns(batch, {0: (1_000, _h("r"))})
        bank = world.lifecycle("bank")
        bank.record_fx_settlement(_h("fx 1"), [(batch, 0, 6_000)])
        with pytest.raises(ContractReverted) as exc_info:
            bank.record_fx_settlement(_h("fx 2"), [(batch, 0, 2_000), (batch, 0, 1_001)])
        assert _reverted(exc_info) == ("LifecycleRegistryFxExceedsValue", (batch, 0, 1_001, 1_000))
        bank.record_fx_settlement(_h("fx 2"), [(batch, 0, 2_000), (batch, 0, 1_000)])
        assert world.lifecycle().trade_life(batch, 0).fx_settled == 9_000
        # A return after the settlement leaves nothing to settle, and says so.
        world.lifecycle().record_returns(batch, {0: (5_000, _h("r2"))})
        with pytest.raises(ContractReverted) as exc_info:
            bank.record_fx_settlement(_h("fx 3"), [(batch, 0, 1)])
        assert _reverted(exc_info) == ("LifecycleRegistryFxExceedsValue", (batch, 0, 1, 0))

    def test_a_settlement_hash_is_used_once_and_never_zero(self, world):
        batch = self._life_released(world, "fx hash")
        bank = world.lifecycle("bank")
        bank.record_fx_settlement(_h("fx"), [(batch, 0, 1)])
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("bank2").record_fx_settlement(_h("fx"), [(batch, 1, 1)])
        assert _reverted(exc_info) == ("LifecycleRegistrySettlementHashUsed", (_h("fx"), 1))
        with pytest.raises(ContractReverted) as exc_info:
            bank.record_fx_settlement(b"\0" * 32, [(batch, 1, 1)])
        assert _reverted(exc_info) == ("LifecycleRegistryZeroHash", ())

    def test_fx_refusals_name_the_trade(self, world):
        batch = self._life_batch(world, "fx refused", release=[1, 2])
        world.lifecycle().declare_values(batch, {0: 100, 2: 100})
        bank = world.lifecycle("bank")
        cases = [
            ([(batch, 0, 1)], ("LifecycleRegistryTradeState", (batch, 0, int(TradeState.MATCHED)))),
            ([(batch, 1, 1)], ("LifecycleRegistryValueNotDeclared", (batch, 1))),
            ([(batch, 2, 0)], ("LifecycleRegistryZeroAmount", (batch, 2))),
            ([], ("LifecycleRegistryTradeCount", (0,))),
        ]
        for parts, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                bank.record_fx_settlement(_h("fx"), parts)
            assert _reverted(exc_info) == expected
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("customs").record_fx_settlement(_h("fx"), [(batch, 2, 1)])
        assert _reverted(exc_info) == (
            "LifecycleRegistryUnauthorized",
            (world.address("customs"), BANK),
        )

    def test_a_settlement_total_beyond_64_bits_is_refused(self, world):
        batch = self._life_released(world, "fx overflow", (UINT64_MAX, UINT64_MAX))
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("bank").record_fx_settlement(
                _h("huge"), [(batch, 0, UINT64_MAX), (batch, 1, 1)]
            )
        assert _reverted(exc_info) == ("LifecycleRegistryTotalOverflow", (_h("huge"),))

    # Typed financing ----------------------------------------------------------------------------

    def test_trade_financing_opens_draws_repays_and_closes(self, world):
        batch = self._life_released(world, "finance")
        bank = world.lifecycle("bank")
        opened = bank.open_trade_financing(FinancingKind.ORDER, batch, 1, 15_000, _h("terms"))
        financing = bank.financing_id(opened)
        subject = trade_subject(batch, 1)
        assert opened.events == (
            FinancingOpened(
                financing_id=financing,
                bank=world.address("bank"),
                kind=FinancingKind.ORDER,
                subject=subject,
                limit=15_000,
                terms_hash=_h("terms"),
            ),
        )
        assert bank.live_financing_of(subject) == financing
        assert bank.trade_life(batch, 1).live_financing == financing
        assert bank.drawdown(financing, 10_000).events == (
            FinancingDrawn(financing_id=financing, amount=10_000, outstanding=10_000),
        )
        assert bank.repay(financing, 4_000).events == (
            FinancingRepaid(financing_id=financing, amount=4_000, outstanding=6_000),
        )
        bank.drawdown(financing, 5_000)
        assert bank.financing_of(financing) == TypedFinancing(
            financing_id=financing,
            bank=world.address("bank"),
            kind=FinancingKind.ORDER,
            subject=subject,
            limit=15_000,
            drawn=15_000,
            outstanding=11_000,
            terms_hash=_h("terms"),
            open=True,
        )
        with pytest.raises(ContractReverted) as exc_info:
            bank.drawdown(financing, 1)
        assert _reverted(exc_info) == (
            "LifecycleRegistryDrawdownExceedsLimit",
            (financing, 1, 0),
        )
        with pytest.raises(ContractReverted) as exc_info:
            bank.close_financing(financing)
        assert _reverted(exc_info) == ("LifecycleRegistryFinancingOutstanding", (financing, 11_000))
        with pytest.raises(ContractReverted) as exc_info:
            bank.repay(financing, 11_001)
        assert _reverted(exc_info) == (
            "LifecycleRegistryRepayExceedsOutstanding",
            (financing, 11_001, 11_000),
        )
        bank.repay(financing, 11_000)
        assert bank.close_financing(financing).events == (FinancingClosed(financing_id=financing),)
        assert bank.live_financing_of(subject) is None
        assert bank.financing_of(financing).open is False
        for attempt in (
            lambda: bank.drawdown(financing, 1),
            lambda: bank.close_financing(financing),
        ):
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert _reverted(exc_info) == ("LifecycleRegistryFinancingClosed", (financing,))
        # Closed, the trade can be financed again, by another bank too.
        bank2 = world.lifecycle("bank2")
        again = bank2.open_trade_financing(FinancingKind.TAX_REFUND_PLEDGE, batch, 1, 1, _h("t2"))
        assert bank2.financing_id(again) == financing + 1

    def test_one_live_financing_per_trade(self, world):
        batch = self._life_released(world, "finance once")
        bank = world.lifecycle("bank")
        financing = bank.financing_id(
            bank.open_trade_financing(FinancingKind.RECEIVABLE, batch, 0, 100, _h("terms"))
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("bank2").open_trade_financing(
                FinancingKind.ORDER, batch, 0, 100, _h("terms")
            )
        assert _reverted(exc_info) == ("LifecycleRegistryTradeFinanced", (batch, 0, financing))

    def test_a_trade_registry_financing_blocks_a_typed_one(self, world):
        batch = self._life_released(world, "legacy")
        legacy = world.trade("bank").register_financing(batch, [2], _h("legacy terms"))
        legacy_id = legacy.events[0].financing_id
        with pytest.raises(ContractReverted) as exc_info:
            world.lifecycle("bank2").open_trade_financing(
                FinancingKind.ORDER, batch, 2, 100, _h("terms")
            )
        assert _reverted(exc_info) == ("LifecycleRegistryLegacyFinancing", (batch, 2, legacy_id))
        world.trade("bank").discharge_financing(legacy_id, [2])
        world.lifecycle("bank2").open_trade_financing(FinancingKind.ORDER, batch, 2, 100, _h("t"))

    def test_trade_financing_refusals(self, world):
        batch = self._life_batch(world, "finance refused")
        lifecycle, bank = world.lifecycle(), world.lifecycle("bank")
        lifecycle.declare_values(batch, {0: 1_000, 2: 1_000})
        world.trade("customs").release_trades(batch, [2])
        lifecycle.record_returns(batch, {2: (400, _h("r"))})
        order = FinancingKind.ORDER
        cases = [
            (lambda: bank.open_trade_financing(order, batch, 1, 1, _h("t")),
             ("LifecycleRegistryValueNotDeclared", (batch, 1))),
            (lambda: bank.open_trade_financing(order, batch, 0, 0, _h("t")),
             ("LifecycleRegistryFinancingLimit", (0, 1_000))),
            (lambda: bank.open_trade_financing(order, batch, 2, 601, _h("t")),
             ("LifecycleRegistryFinancingLimit", (601, 600))),
            (lambda: bank.open_trade_financing(order, batch, 0, 1, b"\0" * 32),
             ("LifecycleRegistryZeroHash", ())),
            (lambda: bank.open_trade_financing(order, batch, 5, 1, _h("t")),
             ("LifecycleRegistryTradeState", (batch, 5, int(TradeState.NONE)))),
            (lambda: world.lifecycle("anchorer").open_trade_financing(order, batch, 0, 1, _h("t")),
             ("LifecycleRegistryUnauthorized", (world.address("anchorer"), BANK))),
        ]  # fmt: skip
        for attempt, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert _reverted(exc_info) == expected
        with pytest.raises(ConfigurationError, match="WAREHOUSE_RECEIPT"):
            bank.open_trade_financing(FinancingKind.WAREHOUSE_RECEIPT, batch, 0, 1, _h("t"))
        with pytest.raises(ConfigurationError, match="not 7"):
            bank.open_trade_financing(7, batch, 0, 1, _h("t"))
        # A matched trade, not yet released, can be financed on its order.
        bank.open_trade_financing(order, batch, 0, 1_000, _h("t"))

    def test_only_the_opening_bank_moves_its_financing(self, world):
        batch = self._life_released(world, "financier")
        bank, bank2 = world.lifecycle("bank"), world.lifecycle("bank2")
        financing = bank.financing_id(
            bank.open_trade_financing(FinancingKind.ORDER, batch, 0, 100, _h("t"))
        )
        expected = (financing, world.address("bank"), world.address("bank2"))
        for attempt in (
            lambda: bank2.drawdown(financing, 1),
            lambda: bank2.repay(financing, 1),
            lambda: bank2.close_financing(financing),
        ):
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert _reverted(exc_info) == ("LifecycleRegistryNotFinancier", expected)
        with pytest.raises(ContractReverted) as exc_info:
            bank.drawdown(financing + 1, 1)
        assert _reverted(exc_info) == ("LifecycleRegistryUnknownFinancing", (financing + 1,))
        with pytest.raises(ContractReverted) as exc_info:
            bank.drawdown(financing, 0)
        assert _reverted(exc_info) == ("LifecycleRegistryZeroFinancingAmount", (financing,))
        assert bank.financing_of(financing + 1) is None
        # Giving up a claim is never blocked: a bank whose role was revoked still closes.
        world.trade("admin").revoke_role("BANK_ROLE", world.address("bank"))
        bank.close_financing(financing)

    # Warehouse receipts (仓单) -------------------------------------------------------------------

    def test_warehouse_receipt_is_issued_pledged_released_and_cancelled(self, world):
        receipt_id = _h("receipt 1")
        lifecycle, bank = world.lifecycle(), world.lifecycle("bank")
        issued = lifecycle.issue_warehouse_receipt(receipt_id, WAREHOUSE, _h("record"), 80_000)
        assert issued.events == (
            WarehouseReceiptIssued(
                receipt_id=receipt_id,
                warehouse_id=WAREHOUSE,
                record_hash=_h("record"),
                value=80_000,
            ),
        )
        assert lifecycle.warehouse_receipt_of(receipt_id) == WarehouseReceipt(
            receipt_id, WAREHOUSE, _h("record"), 80_000, ReceiptState.ISSUED, None
        )
        with pytest.raises(ContractReverted) as exc_info:
            bank.open_receipt_financing(receipt_id, 80_001, _h("pledge"))
        assert _reverted(exc_info) == ("LifecycleRegistryFinancingLimit", (80_001, 80_000))
        opened = bank.open_receipt_financing(receipt_id, 60_000, _h("pledge"))
        financing = bank.financing_id(opened)
        assert opened.events[0].kind is FinancingKind.WAREHOUSE_RECEIPT
        assert opened.events[0].subject == receipt_id
        pledged = lifecycle.warehouse_receipt_of(receipt_id)
        assert (pledged.state, pledged.live_financing) == (ReceiptState.PLEDGED, financing)
        assert bank.live_financing_of(receipt_id) == financing
        for attempt in (
            lambda: world.lifecycle("bank2").open_receipt_financing(receipt_id, 1, _h("p2")),
            lambda: lifecycle.cancel_warehouse_receipt(receipt_id, _h("reason")),
        ):
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert _reverted(exc_info) == (
                "LifecycleRegistryReceiptState",
                (receipt_id, int(ReceiptState.PLEDGED)),
            )
        bank.drawdown(financing, 60_000)
        bank.repay(financing, 60_000)
        bank.close_financing(financing)
        released = lifecycle.warehouse_receipt_of(receipt_id)
        assert (released.state, released.live_financing) == (ReceiptState.ISSUED, None)
        assert lifecycle.cancel_warehouse_receipt(receipt_id, _h("sold")).events == (
            WarehouseReceiptCancelled(receipt_id=receipt_id, reason_hash=_h("sold")),
        )
        assert lifecycle.warehouse_receipt_of(receipt_id).state is ReceiptState.CANCELLED
        with pytest.raises(ContractReverted) as exc_info:
            bank.open_receipt_financing(receipt_id, 1, _h("late"))
        assert _reverted(exc_info) == (
            "LifecycleRegistryReceiptState",
            (receipt_id, int(ReceiptState.CANCELLED)),
        )

    def test_warehouse_receipt_refusals(self, world):
        lifecycle, bank = world.lifecycle(), world.lifecycle("bank")
        receipt_id = _h("receipt 2")
        lifecycle.issue_warehouse_receipt(receipt_id, WAREHOUSE, _h("record"), 1)
        trade_like = trade_subject(1, 0)
        cases = [
            (lambda: lifecycle.issue_warehouse_receipt(receipt_id, WAREHOUSE, _h("r"), 1),
             ("LifecycleRegistryReceiptState", (receipt_id, int(ReceiptState.ISSUED)))),
            (lambda: lifecycle.issue_warehouse_receipt(trade_like, WAREHOUSE, _h("r"), 1),
             ("LifecycleRegistryInvalidReceiptId", (trade_like,))),
            (lambda: lifecycle.issue_warehouse_receipt(_h("x"), WAREHOUSE, _h("r"), 0),
             ("LifecycleRegistryInvalidReceipt", (_h("x"),))),
            (lambda: lifecycle.issue_warehouse_receipt(_h("x"), b"\0" * 32, _h("r"), 1),
             ("LifecycleRegistryInvalidReceipt", (_h("x"),))),
            (lambda: lifecycle.issue_warehouse_receipt(_h("x"), WAREHOUSE, b"\0" * 32, 1),
             ("LifecycleRegistryZeroHash", ())),
            (lambda: lifecycle.cancel_warehouse_receipt(_h("never"), _h("r")),
             ("LifecycleRegistryReceiptState", (_h("never"), int(ReceiptState.NONE)))),
            (lambda: bank.open_receipt_financing(_h("never"), 1, _h("t")),
             ("LifecycleRegistryReceiptState", (_h("never"), int(ReceiptState.NONE)))),
            (lambda: bank.issue_warehouse_receipt(_h("y"), WAREHOUSE, _h("r"), 1),
             ("LifecycleRegistryUnauthorized", (world.address("bank"), ANCHORER))),
        ]  # fmt: skip
        for attempt, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert _reverted(exc_info) == expected
        assert lifecycle.warehouse_receipt_of(_h("never")) is None

    # What the client cannot send, sent raw ---------------------------------------------------

    def _raw(self, world, party, name, *args):
        """Send ``name(*args)`` to LifecycleRegistry as ``party``, past the client's checks."""
        client = world.lifecycle(party)
        fn = getattr(client._fn, name)(*args)
        return client.wait_for_receipt(client._tx.send(fn))

    def test_parallel_arrays_must_have_one_entry_per_trade(self, world):
        batch = self._life_released(world, "raw lengths")
        cases = [
            ("anchorer", "declareValues", (batch, [0, 1], [5])),
            ("anchorer", "recordReturns", (batch, [0], [1, 1], [_h("r")])),
            ("anchorer", "recordReturns", (batch, [0], [1], [_h("r"), _h("s")])),
            ("customs", "cancelTrades", (batch, [0, 1], [_h("c")])),
            ("bank", "recordFxSettlement", (_h("fx"), [(batch, 0)], [1, 2])),
        ]
        for party, name, args in cases:
            with pytest.raises(ContractReverted) as exc_info:
                self._raw(world, party, name, *args)
            assert exc_info.value.error_name == "LifecycleRegistryLengthMismatch", name

    def test_a_batch_call_takes_at_most_max_trades(self, world):
        batch = self._life_batch(world, "raw count")
        many = 4097
        with pytest.raises(ContractReverted) as exc_info:
            self._raw(world, "anchorer", "declareValues", batch, [0] * many, [1] * many)
        assert _reverted(exc_info) == ("LifecycleRegistryTradeCount", (many,))

    @pytest.mark.parametrize("kind", [FinancingKind.NONE, FinancingKind.WAREHOUSE_RECEIPT, 5])
    def test_open_trade_financing_takes_trade_kinds_only(self, world, kind):
        batch = self._life_released(world, "raw kind")
        if kind == 5:  # not a FinancingKind at all: the ABI decoder reverts without data
            with pytest.raises(ContractReverted) as exc_info:
                self._raw(world, "bank", "openTradeFinancing", kind, batch, 0, 1, _h("t"))
            assert exc_info.value.error_name == "EmptyRevert"
            return
        with pytest.raises(ContractReverted) as exc_info:
            self._raw(world, "bank", "openTradeFinancing", int(kind), batch, 0, 1, _h("t"))
        assert _reverted(exc_info) == ("LifecycleRegistryFinancingKind", (int(kind),))

    def test_trade_subject_is_computed_alike_on_and_off_chain(self, world):
        client = world.lifecycle()
        for batch, position in ((1, 0), (7, 3), (2**64 - 1, 2**32 - 1)):
            on_chain = client._tx.call(client._fn.tradeSubject(batch, position))
            assert bytes(on_chain) == trade_subject(batch, position)
        assert trade_subject(7, 3) == ((7 << 32) | 3).to_bytes(32, "big")
        with pytest.raises(ConfigurationError, match="position"):
            trade_subject(1, 2**32)

    def test_a_trade_s_life_is_found_by_its_indexed_batch_and_position(self, world):
        batch = self._life_released(world, "timeline")
        lifecycle = world.lifecycle()
        lifecycle.record_returns(batch, {0: (1, _h("r0")), 1: (2, _h("r1"))})
        world.lifecycle("bank").record_fx_settlement(_h("fx"), [(batch, 1, 3), (batch, 0, 4)])
        returned = lifecycle.find_events(TradeReturned, 0, batch=batch, position=1)
        assert [(e.amount, e.return_hash) for e in returned] == [(2, _h("r1"))]
        applied = lifecycle.find_events(FxSettlementApplied, 0, batch=batch, position=0)
        assert [(e.settlement_id, e.amount) for e in applied] == [(1, 4)]
        declared = lifecycle.find_events(TradeValueDeclared, 0, batch=batch)
        assert [e.position for e in declared] == [0, 1, 2]
        assert all(e.log is not None and e.log.address == lifecycle.address for e in declared)

    # The trade registry's guard ---------------------------------------------------------------

    def _signed(self, world, signer, action, batch, positions, data=bytes(32)) -> Signed:
        """``signer``'s authorization of ``action`` on ``positions`` of ``batch``."""
        client = world.trade()
        nonce = client.nonces(world.address(signer))
        deadline = int(world.w3.eth.get_block("latest")["timestamp"]) + 3_600
        typed = authorization_typed_data(
            action,
            selection_subject(batch, client.verdict_batch_of(batch).root, positions),
            data,
            nonce,
            deadline,
            world.w3.eth.chain_id,
            client.address,
        )
        signature = sign_authorization(typed, world.accounts[signer].key).signature
        return Signed(world.address(signer), nonce, deadline, signature)

    def test_the_deployment_names_the_guard_once_and_only_the_admin_may(self, world):
        trade, lifecycle = world.trade("admin"), world.deployment.lifecycle_registry.address
        assert trade.lifecycle_registry() == lifecycle
        with pytest.raises(ContractReverted) as exc_info:
            trade.set_lifecycle_registry(lifecycle)
        assert _reverted(exc_info) == ("TradeRegistryLifecycleRegistryAlreadySet", (lifecycle,))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("customs").set_lifecycle_registry(lifecycle)
        assert exc_info.value.error_name == "AccessControlUnauthorizedAccount"

    def test_a_fresh_trade_registry_takes_only_a_guard_that_follows_it(self, world):
        admin = world.accounts["admin"]
        built = load_artifacts()
        trade_art, life_art = built["TradeRegistry"], built["LifecycleRegistry"]
        fresh = deploy_contract(world.w3, admin, trade_art.abi, trade_art.bytecode)
        client = TradeRegistryClient(world.w3, fresh.address, admin, timeout=30)
        assert client.lifecycle_registry() is None
        # The world's LifecycleRegistry follows the world's TradeRegistry, not this one.
        for wrong in (ZERO_ADDRESS, world.deployment.lifecycle_registry.address):
            with pytest.raises(ContractReverted) as exc_info:
                client.set_lifecycle_registry(wrong)
            assert _reverted(exc_info) == ("TradeRegistryInvalidLifecycleRegistry", (wrong,))
        follower = deploy_contract(world.w3, admin, life_art.abi, life_art.bytecode, fresh.address)
        result = client.set_lifecycle_registry(follower.address)
        assert result.events == (
            LifecycleRegistrySet(registry=follower.address, admin=world.address("admin")),
        )
        assert client.lifecycle_registry() == follower.address

    def test_a_legacy_financing_waits_for_the_typed_one_to_close(self, world):
        batch = self._life_released(world, "guard typed")
        bank = world.lifecycle("bank")
        financing = bank.financing_id(
            bank.open_trade_financing(FinancingKind.RECEIVABLE, batch, 1, 100, _h("terms"))
        )
        legacy = world.trade("bank2")
        with pytest.raises(ContractReverted) as exc_info:
            legacy.register_financing(batch, [1], _h("legacy terms"))
        assert _reverted(exc_info) == ("TradeRegistryTradeTypedFinanced", (batch, 1))
        terms = _h("legacy terms")
        by = self._signed(world, "bank2", AuthorizationAction.REGISTER_FINANCING, batch, [1], terms)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").register_financing_with_sig(batch, [1], terms, by)
        assert _reverted(exc_info) == ("TradeRegistryTradeTypedFinanced", (batch, 1))
        bank.close_financing(financing)
        registered = legacy.register_financing(batch, [1], terms)
        assert legacy.trade_at(batch, 1).financing_id == registered.events[0].financing_id

    def test_one_blocked_position_refuses_the_whole_selection_naming_it(self, world):
        values = (100,) * 300  # positions 256..299 sit in the mask's second word
        batch = self._life_released(world, "guard batch", values)
        bank = world.lifecycle("bank")
        bank.open_trade_financing(FinancingKind.ORDER, batch, 270, 50, _h("terms"))
        world.lifecycle("customs").cancel_trades(batch, {290: _h("ceb623")})
        legacy = world.trade("bank2")
        with pytest.raises(ContractReverted) as exc_info:
            legacy.register_financing(batch, [3, 270, 280], _h("legacy terms"))
        assert _reverted(exc_info) == ("TradeRegistryTradeTypedFinanced", (batch, 270))
        with pytest.raises(ContractReverted) as exc_info:
            legacy.register_financing(batch, [3, 270, 290], _h("legacy terms"))
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 290))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").confirm_settlements(batch, {3: _h("r3"), 290: _h("r290")})
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 290))
        # Nothing of the refused calls stuck: the free positions go through alone.
        legacy.register_financing(batch, [3, 280], _h("legacy terms"))
        world.trade("bank").confirm_settlements(batch, {3: _h("r3"), 270: _h("r270")})
        assert legacy.trade_at(batch, 270).state is TradeState.SETTLED

    def test_a_cancelled_trade_is_neither_released_nor_settled(self, world):
        batch = self._life_batch(world, "guard cancel", (True, True, True), release=[1])
        world.lifecycle("customs").cancel_trades(batch, {0: _h("c0"), 1: _h("c1")})
        customs = world.trade("customs")
        with pytest.raises(ContractReverted) as exc_info:
            customs.release_trades(batch, [2, 0])
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 0))
        by = self._signed(world, "customs", AuthorizationAction.RELEASE, batch, [0])
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").release_trades_with_sig(batch, [0], by)
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 0))
        references = {1: _h("ref 1")}
        data = keccak(b"".join(references.values()))
        by = self._signed(world, "bank", AuthorizationAction.CONFIRM_SETTLEMENT, batch, [1], data)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").confirm_settlements_with_sig(batch, references, by)
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 1))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").confirm_settlements(batch, references)
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 1))
        assert customs.trade_at(batch, 0).state is TradeState.MATCHED
        customs.release_trades(batch, [2])
        assert customs.trade_at(batch, 2).state is TradeState.RELEASED

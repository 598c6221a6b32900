"""Typed client of ``LifecycleRegistry``: a trade's value, returns, cancellation, FX
settlement, typed financing and warehouse receipts.

As for the other registries, each write is ``send_x(...) -> TxHash`` (returns at once) and
``x(...) -> TxResult`` (sends and waits); reads return frozen dataclasses; the contract's
refusals raise :class:`~ledger_client.errors.ContractReverted` with the error's name and
arguments. Amounts are integers in minor units (fen, cents) of the trade's currency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ledger_client import _convert
from ledger_client._base import RegistryClient
from ledger_client._convert import Bytes32Like, bytes32
from ledger_client.errors import ConfigurationError
from ledger_client.events import FinancingOpened, FxSettled, events_named
from ledger_client.types import (
    Address,
    Bytes32,
    FinancingKind,
    FxSettlement,
    LifeState,
    ReceiptState,
    TradeLife,
    TxHash,
    TxResult,
    TypedFinancing,
    WarehouseReceipt,
)

__all__ = ["LifecycleRegistryClient", "trade_subject"]

#: The kinds ``openTradeFinancing`` takes; a warehouse receipt has its own function.
_TRADE_KINDS = (FinancingKind.ORDER, FinancingKind.RECEIVABLE, FinancingKind.TAX_REFUND_PLEDGE)


def trade_subject(batch: int, position: int) -> Bytes32:
    """A trade as a financing subject: ``bytes32(uint256(batch) << 32 | position)``."""
    key = (_uint(batch, 64, "batch") << 32) | _uint(position, 32, "position")
    return Bytes32(key.to_bytes(32, "big"))


class LifecycleRegistryClient(RegistryClient):
    """Client of ``LifecycleRegistry``, which takes its roles from its TradeRegistry."""

    contract_name = "LifecycleRegistry"

    # Value, returns, cancellation ------------------------------------------------------

    def send_declare_values(
        self, batch: int, values: Mapping[int, int], *, gas: int | None = None
    ) -> TxHash:
        """Send ``declareValues`` for ``{position: value}``; return the hash without waiting."""
        positions = sorted(values)
        fn = self._fn.declareValues(
            _uint(batch, 64, "batch"),
            [_uint(p, 32, "position") for p in positions],
            [_uint(values[p], 64, f"values[{p}]") for p in positions],
        )
        return self._tx.send(fn, gas=gas)

    def declare_values(self, batch: int, values: Mapping[int, int]) -> TxResult:
        """Declare trades' values once, in minor units (ANCHORER_ROLE of the TradeRegistry)."""
        return self.wait_for_receipt(self.send_declare_values(batch, values))

    def send_record_returns(
        self,
        batch: int,
        returns: Mapping[int, tuple[int, Bytes32Like]],
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``recordReturns`` for ``{position: (amount, return_hash)}``; return the hash."""
        positions = sorted(returns)
        fn = self._fn.recordReturns(
            _uint(batch, 64, "batch"),
            [_uint(p, 32, "position") for p in positions],
            [_uint(returns[p][0], 64, f"amount of position {p}") for p in positions],
            [bytes32(returns[p][1], f"return_hash of position {p}") for p in positions],
        )
        return self._tx.send(fn, gas=gas)

    def record_returns(
        self, batch: int, returns: Mapping[int, tuple[int, Bytes32Like]]
    ) -> TxResult:
        """Record accepted returns, each under its application's hash (ANCHORER_ROLE); a
        ``TradeReturned`` event per trade says whether it is now wholly returned."""
        return self.wait_for_receipt(self.send_record_returns(batch, returns))

    def send_cancel_trades(
        self, batch: int, receipts: Mapping[int, Bytes32Like], *, gas: int | None = None
    ) -> TxHash:
        """Send ``cancelTrades`` for ``{position: receipt_hash}``; return the hash."""
        positions = sorted(receipts)
        fn = self._fn.cancelTrades(
            _uint(batch, 64, "batch"),
            [_uint(p, 32, "position") for p in positions],
            [bytes32(receipts[p], f"receipt_hash of position {p}") for p in positions],
        )
        return self._tx.send(fn, gas=gas)

    def cancel_trades(self, batch: int, receipts: Mapping[int, Bytes32Like]) -> TxResult:
        """Cancel trades' inventories under customs' receipts (CUSTOMS_ROLE)."""
        return self.wait_for_receipt(self.send_cancel_trades(batch, receipts))

    # FX settlement -------------------------------------------------------------------------

    def send_record_fx_settlement(
        self,
        settlement_hash: Bytes32Like,
        parts: Iterable[tuple[int, int, int]],
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``recordFxSettlement`` for ``[(batch, position, amount), ...]``; return the hash."""
        trades: list[tuple[int, int]] = []
        amounts: list[int] = []
        for batch, position, amount in parts:
            trades.append((_uint(batch, 64, "batch"), _uint(position, 32, "position")))
            amounts.append(_uint(amount, 64, f"amount of trade ({batch}, {position})"))
        fn = self._fn.recordFxSettlement(
            bytes32(settlement_hash, "settlement_hash"), trades, amounts
        )
        return self._tx.send(fn, gas=gas)

    def record_fx_settlement(
        self, settlement_hash: Bytes32Like, parts: Iterable[tuple[int, int, int]]
    ) -> TxResult:
        """Record one FX settlement netting several trades (BANK_ROLE); its number is in the
        ``FxSettled`` event (see :meth:`settlement_id`)."""
        return self.wait_for_receipt(self.send_record_fx_settlement(settlement_hash, parts))

    @staticmethod
    def settlement_id(result: TxResult) -> int:
        """The number of the FX settlement a :meth:`record_fx_settlement` receipt recorded."""
        found = events_named(result.events, FxSettled)
        if len(found) != 1:
            raise ConfigurationError(f"transaction {result.tx_hash} recorded no FX settlement")
        return int(found[0].settlement_id)

    # Typed financing -----------------------------------------------------------------------

    def send_open_trade_financing(
        self,
        kind: FinancingKind,
        batch: int,
        position: int,
        limit: int,
        terms_hash: Bytes32Like,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``openTradeFinancing``; return the hash without waiting."""
        if kind not in _TRADE_KINDS or isinstance(kind, bool):
            names = ", ".join(k.name for k in _TRADE_KINDS)
            raise ConfigurationError(f"a trade financing is one of {names}, not {kind!r}")
        fn = self._fn.openTradeFinancing(
            int(kind),
            _uint(batch, 64, "batch"),
            _uint(position, 32, "position"),
            _uint(limit, 64, "limit"),
            bytes32(terms_hash, "terms_hash"),
        )
        return self._tx.send(fn, gas=gas)

    def open_trade_financing(
        self, kind: FinancingKind, batch: int, position: int, limit: int, terms_hash: Bytes32Like
    ) -> TxResult:
        """Open this bank's order, receivable or tax-refund-pledge financing of a trade, up to
        ``limit`` (BANK_ROLE); its number is in ``FinancingOpened`` (:meth:`financing_id`)."""
        return self.wait_for_receipt(
            self.send_open_trade_financing(kind, batch, position, limit, terms_hash)
        )

    def send_open_receipt_financing(
        self,
        receipt_id: Bytes32Like,
        limit: int,
        terms_hash: Bytes32Like,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``openReceiptFinancing``; return the hash without waiting."""
        fn = self._fn.openReceiptFinancing(
            bytes32(receipt_id, "receipt_id"),
            _uint(limit, 64, "limit"),
            bytes32(terms_hash, "terms_hash"),
        )
        return self._tx.send(fn, gas=gas)

    def open_receipt_financing(
        self, receipt_id: Bytes32Like, limit: int, terms_hash: Bytes32Like
    ) -> TxResult:
        """Open this bank's pledge financing of an issued warehouse receipt (BANK_ROLE)."""
        return self.wait_for_receipt(
            self.send_open_receipt_financing(receipt_id, limit, terms_hash)
        )

    @staticmethod
    def financing_id(result: TxResult) -> int:
        """The number of the financing an ``open_*_financing`` receipt opened."""
        found = events_named(result.events, FinancingOpened)
        if len(found) != 1:
            raise ConfigurationError(f"transaction {result.tx_hash} opened no financing")
        return int(found[0].financing_id)

    def send_drawdown(self, financing_id: int, amount: int, *, gas: int | None = None) -> TxHash:
        """Send ``drawdown``; return the hash without waiting."""
        fn = self._fn.drawdown(_uint(financing_id, 32, "financing_id"), _uint(amount, 64, "amount"))
        return self._tx.send(fn, gas=gas)

    def drawdown(self, financing_id: int, amount: int) -> TxResult:
        """Record a drawdown, up to the limit in total (the opening bank only)."""
        return self.wait_for_receipt(self.send_drawdown(financing_id, amount))

    def send_repay(self, financing_id: int, amount: int, *, gas: int | None = None) -> TxHash:
        """Send ``repay``; return the hash without waiting."""
        fn = self._fn.repay(_uint(financing_id, 32, "financing_id"), _uint(amount, 64, "amount"))
        return self._tx.send(fn, gas=gas)

    def repay(self, financing_id: int, amount: int) -> TxResult:
        """Record a repayment, at most what is outstanding (the opening bank only)."""
        return self.wait_for_receipt(self.send_repay(financing_id, amount))

    def send_close_financing(self, financing_id: int, *, gas: int | None = None) -> TxHash:
        """Send ``closeFinancing``; return the hash without waiting."""
        fn = self._fn.closeFinancing(_uint(financing_id, 32, "financing_id"))
        return self._tx.send(fn, gas=gas)

    def close_financing(self, financing_id: int) -> TxResult:
        """Close a repaid financing, freeing its trade or receipt (the opening bank only)."""
        return self.wait_for_receipt(self.send_close_financing(financing_id))

    # Warehouse receipts --------------------------------------------------------------------

    def send_issue_warehouse_receipt(
        self,
        receipt_id: Bytes32Like,
        warehouse_id: Bytes32Like,
        record_hash: Bytes32Like,
        value: int,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``issueWarehouseReceipt``; return the hash without waiting."""
        fn = self._fn.issueWarehouseReceipt(
            bytes32(receipt_id, "receipt_id"),
            bytes32(warehouse_id, "warehouse_id"),
            bytes32(record_hash, "record_hash"),
            _uint(value, 64, "value"),
        )
        return self._tx.send(fn, gas=gas)

    def issue_warehouse_receipt(
        self,
        receipt_id: Bytes32Like,
        warehouse_id: Bytes32Like,
        record_hash: Bytes32Like,
        value: int,
    ) -> TxResult:
        """Issue a warehouse receipt from the warehouse's signed record (ANCHORER_ROLE);
        ``warehouse_id`` is :func:`~ledger_client.party_id` of the warehouse's party code."""
        return self.wait_for_receipt(
            self.send_issue_warehouse_receipt(receipt_id, warehouse_id, record_hash, value)
        )

    def send_cancel_warehouse_receipt(
        self, receipt_id: Bytes32Like, reason_hash: Bytes32Like, *, gas: int | None = None
    ) -> TxHash:
        """Send ``cancelWarehouseReceipt``; return the hash without waiting."""
        fn = self._fn.cancelWarehouseReceipt(
            bytes32(receipt_id, "receipt_id"), bytes32(reason_hash, "reason_hash")
        )
        return self._tx.send(fn, gas=gas)

    def cancel_warehouse_receipt(
        self, receipt_id: Bytes32Like, reason_hash: Bytes32Like
    ) -> TxResult:
        """Cancel an issued, unpledged warehouse receipt (ANCHORER_ROLE)."""
        return self.wait_for_receipt(self.send_cancel_warehouse_receipt(receipt_id, reason_hash))

    # Views ---------------------------------------------------------------------------------

    def trade_registry(self) -> Address:
        """The TradeRegistry whose roles and trade states this registry follows."""
        return _convert.address(self._tx.call(self._fn.tradeRegistry()))

    def max_trades_per_call(self) -> int:
        """The most trades one batch call takes."""
        return int(self._tx.call(self._fn.MAX_TRADES_PER_CALL()))

    def trade_life(self, batch: int, position: int) -> TradeLife:
        """A trade's declared value, returned and FX-settled totals, live financing and
        cancellation (all zero when nothing was recorded)."""
        raw = self._tx.call(
            self._fn.tradeLifeOf(_uint(batch, 64, "batch"), _uint(position, 32, "position"))
        )
        value, returned, fx_settled, live, cancelled = raw
        return TradeLife(batch, position, value, returned, fx_settled, live or None, cancelled)

    def life_state(self, batch: int, position: int) -> LifeState:
        """Where a trade stands after its verdict."""
        fn = self._fn.lifeStateOf(_uint(batch, 64, "batch"), _uint(position, 32, "position"))
        return LifeState(self._tx.call(fn))

    def fx_settlement_of(self, settlement_id: int) -> FxSettlement | None:
        """FX settlement ``settlement_id``, or None."""
        raw = self._tx.call(self._fn.fxSettlementOf(_uint(settlement_id, 32, "settlement_id")))
        bank, count, total, settlement_hash = raw
        if int(bank, 16) == 0:
            return None
        return FxSettlement(
            settlement_id, _convert.address(bank), count, total, bytes32(settlement_hash)
        )

    def fx_settlement_id_of(self, settlement_hash: Bytes32Like) -> int | None:
        """The number of the FX settlement recorded under ``settlement_hash``, or None."""
        found = self._tx.call(
            self._fn.fxSettlementIdOf(bytes32(settlement_hash, "settlement_hash"))
        )
        return int(found) or None

    def financing_of(self, financing_id: int) -> TypedFinancing | None:
        """Typed financing ``financing_id``, or None."""
        raw = self._tx.call(self._fn.financingOf(_uint(financing_id, 32, "financing_id")))
        return _financing(financing_id, raw)

    def warehouse_receipt_of(self, receipt_id: Bytes32Like) -> WarehouseReceipt | None:
        """Warehouse receipt ``receipt_id``, or None when it was never issued."""
        key = bytes32(receipt_id, "receipt_id")
        warehouse, record, value, state, live = self._tx.call(self._fn.warehouseReceiptOf(key))
        if state == ReceiptState.NONE:
            return None
        return WarehouseReceipt(
            key, bytes32(warehouse), bytes32(record), value, ReceiptState(state), live or None
        )

    def live_financing_of(self, subject: Bytes32Like) -> int | None:
        """The live typed financing of a trade (:func:`trade_subject`) or receipt, or None."""
        found = self._tx.call(self._fn.liveFinancingOf(bytes32(subject, "subject")))
        return int(found) or None

    def counts(self) -> tuple[int, int]:
        """How many FX settlements and financings were recorded so far."""
        settlements, financings = self._tx.call(self._fn.counts())
        return int(settlements), int(financings)


def _financing(financing_id: int, raw: Any) -> TypedFinancing | None:
    limit, drawn, outstanding, kind, is_open, bank, subject, terms = raw
    if int(bank, 16) == 0:
        return None
    return TypedFinancing(
        financing_id=financing_id,
        bank=_convert.address(bank),
        kind=FinancingKind(kind),
        subject=bytes32(subject),
        limit=limit,
        drawn=drawn,
        outstanding=outstanding,
        terms_hash=bytes32(terms),
        open=is_open,
    )


def _uint(value: int, bits: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise ConfigurationError(f"{name} must be an integer in [0, 2**{bits}), got {value!r}")
    return value

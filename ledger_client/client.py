"""Typed clients of the trade and trace registries: one method per contract function.

Every write has two forms: ``send_x(...) -> TxHash`` returns at once (so many
transactions can be in flight; see :meth:`RegistryClient.wait_for_receipt`), and
``x(...) -> TxResult`` sends and waits for the configured confirmations. Reads return
frozen dataclasses. Reverts raise :class:`~ledger_client.errors.ContractReverted`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger_client import _convert
from ledger_client._base import RegistryClient
from ledger_client._convert import Bytes32Like, bytes32, bytes32_list, optional32
from ledger_client.errors import AnchorNotFound, ConfigurationError
from ledger_client.types import (
    Batch,
    Bytes32,
    DocumentCheck,
    DocumentRecord,
    DocumentStatus,
    EventCheck,
    LotBatch,
    LotStatus,
    TradeRecord,
    TradeState,
    TxHash,
    TxResult,
)

__all__ = ["TraceRegistryClient", "TradeRegistryClient"]

_UINT32_MAX = 2**32 - 1


class TradeRegistryClient(RegistryClient):
    """Client of ``TradeRegistry``: document batches, revocations and the trade state machine."""

    contract_name = "TradeRegistry"

    # Document batches ---------------------------------------------------------

    def send_anchor_batch(
        self, root: Bytes32Like, leaf_count: int, batch_id: Bytes32Like, *, gas: int | None = None
    ) -> TxHash:
        """Send ``anchorBatch``; return the transaction hash without waiting."""
        fn = self._fn.anchorBatch(bytes32(root, "root"), _uint32(leaf_count), bytes32(batch_id))
        return self._tx.send(fn, gas=gas)

    def anchor_batch(self, root: Bytes32Like, leaf_count: int, batch_id: Bytes32Like) -> TxResult:
        """Anchor the Merkle root of ``leaf_count`` document hashes (ANCHORER_ROLE)."""
        return self.wait_for_receipt(self.send_anchor_batch(root, leaf_count, batch_id))

    def batch_of(self, root: Bytes32Like) -> Batch | None:
        """Return the batch anchored under ``root``, or None."""
        key = bytes32(root, "root")
        anchorer, leaf_count, block_number = self._tx.call(self._fn.batchOf(key))
        if block_number == 0:
            return None
        return Batch(key, _convert.address(anchorer), leaf_count, block_number)

    def anchored_batch(self, root: Bytes32Like) -> Batch:
        """Return the batch anchored under ``root``; raise AnchorNotFound if there is none."""
        batch = self.batch_of(root)
        if batch is None:
            raise AnchorNotFound(f"root 0x{bytes32(root).hex()} is not anchored")
        return batch

    def verify_document(
        self, document_hash: Bytes32Like, proof: Sequence[Bytes32Like]
    ) -> DocumentCheck:
        """Settle a document in one call: its proof's root, that root's anchoring, its status."""
        leaf = bytes32(document_hash, "document_hash")
        raw = self._tx.call(self._fn.verifyDocument(leaf, bytes32_list(proof, "proof")))
        root, anchored, block, anchorer, leaf_count, status, successor, status_block = raw
        return DocumentCheck(
            document_hash=leaf,
            root=bytes32(root),
            anchored=anchored,
            block_number=block,
            anchorer=_convert.optional_address(anchorer),
            leaf_count=leaf_count,
            status=DocumentStatus(status),
            successor=optional32(successor),
            status_block=status_block,
        )

    def document_status(self, document_hash: Bytes32Like) -> DocumentRecord:
        """Return whether ``document_hash`` is active, revoked or superseded (and by what)."""
        status, successor, block = self._tx.call(
            self._fn.documentStatus(bytes32(document_hash, "document_hash"))
        )
        return DocumentRecord(DocumentStatus(status), optional32(successor), block)

    def send_revoke_document(
        self, document_hash: Bytes32Like, reason: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``revokeDocument``; return the transaction hash without waiting."""
        fn = self._fn.revokeDocument(bytes32(document_hash, "document_hash"), reason)
        return self._tx.send(fn, gas=gas)

    def revoke_document(self, document_hash: Bytes32Like, reason: str) -> TxResult:
        """Revoke a document hash with a reason (ANCHORER_ROLE)."""
        return self.wait_for_receipt(self.send_revoke_document(document_hash, reason))

    def send_supersede_document(
        self, old_hash: Bytes32Like, new_hash: Bytes32Like, reason: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``supersedeDocument``; return the transaction hash without waiting."""
        fn = self._fn.supersedeDocument(
            bytes32(old_hash, "old_hash"), bytes32(new_hash, "new_hash"), reason
        )
        return self._tx.send(fn, gas=gas)

    def supersede_document(
        self, old_hash: Bytes32Like, new_hash: Bytes32Like, reason: str
    ) -> TxResult:
        """Mark ``old_hash`` as replaced by ``new_hash``, with a reason (ANCHORER_ROLE)."""
        return self.wait_for_receipt(self.send_supersede_document(old_hash, new_hash, reason))

    # Trades -------------------------------------------------------------------

    def send_record_verdict(
        self,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        matched: bool,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``recordVerdict``; return the transaction hash without waiting."""
        fn = self._fn.recordVerdict(
            bytes32(trade_id, "trade_id"), bytes32(verdict_hash, "verdict_hash"), bool(matched)
        )
        return self._tx.send(fn, gas=gas)

    def record_verdict(
        self, trade_id: Bytes32Like, verdict_hash: Bytes32Like, matched: bool
    ) -> TxResult:
        """Record a trade's match verdict; a newer one replaces it until release (ANCHORER_ROLE)."""
        return self.wait_for_receipt(self.send_record_verdict(trade_id, verdict_hash, matched))

    def send_record_verdicts(
        self,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        matched: Sequence[bool],
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``recordVerdicts``; return the transaction hash without waiting."""
        fn = self._fn.recordVerdicts(
            bytes32_list(trade_ids, "trade_ids"),
            bytes32_list(verdict_hashes, "verdict_hashes"),
            [bool(m) for m in matched],
        )
        return self._tx.send(fn, gas=gas)

    def record_verdicts(
        self,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        matched: Sequence[bool],
    ) -> TxResult:
        """Record several verdicts in one transaction (ANCHORER_ROLE)."""
        return self.wait_for_receipt(self.send_record_verdicts(trade_ids, verdict_hashes, matched))

    def send_release(
        self, trade_id: Bytes32Like, verdict_hash: Bytes32Like, *, gas: int | None = None
    ) -> TxHash:
        """Send ``release``; return the transaction hash without waiting."""
        fn = self._fn.release(bytes32(trade_id, "trade_id"), bytes32(verdict_hash, "verdict_hash"))
        return self._tx.send(fn, gas=gas)

    def release(self, trade_id: Bytes32Like, verdict_hash: Bytes32Like) -> TxResult:
        """Release a matched trade on the verdict customs judged (CUSTOMS_ROLE)."""
        return self.wait_for_receipt(self.send_release(trade_id, verdict_hash))

    def send_release_batch(
        self,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``releaseBatch``; return the transaction hash without waiting."""
        fn = self._fn.releaseBatch(
            bytes32_list(trade_ids, "trade_ids"), bytes32_list(verdict_hashes, "verdict_hashes")
        )
        return self._tx.send(fn, gas=gas)

    def release_batch(
        self, trade_ids: Sequence[Bytes32Like], verdict_hashes: Sequence[Bytes32Like]
    ) -> TxResult:
        """Release several matched trades, each on its verdict, in one transaction."""
        return self.wait_for_receipt(self.send_release_batch(trade_ids, verdict_hashes))

    def send_confirm_settlement(
        self,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        settlement_ref: Bytes32Like,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``confirmSettlement``; return the transaction hash without waiting."""
        fn = self._fn.confirmSettlement(
            bytes32(trade_id, "trade_id"),
            bytes32(verdict_hash, "verdict_hash"),
            bytes32(settlement_ref, "settlement_ref"),
        )
        return self._tx.send(fn, gas=gas)

    def confirm_settlement(
        self, trade_id: Bytes32Like, verdict_hash: Bytes32Like, settlement_ref: Bytes32Like
    ) -> TxResult:
        """Confirm a released trade's settlement, once, naming its verdict (BANK_ROLE)."""
        return self.wait_for_receipt(
            self.send_confirm_settlement(trade_id, verdict_hash, settlement_ref)
        )

    def send_register_financing(
        self,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        terms_hash: Bytes32Like,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``registerFinancing``; return the transaction hash without waiting."""
        fn = self._fn.registerFinancing(
            bytes32(trade_id, "trade_id"),
            bytes32(verdict_hash, "verdict_hash"),
            bytes32(terms_hash, "terms_hash"),
        )
        return self._tx.send(fn, gas=gas)

    def register_financing(
        self, trade_id: Bytes32Like, verdict_hash: Bytes32Like, terms_hash: Bytes32Like
    ) -> TxResult:
        """Register financing of a matched trade on its current verdict; refused while another
        is open (BANK_ROLE)."""
        return self.wait_for_receipt(
            self.send_register_financing(trade_id, verdict_hash, terms_hash)
        )

    def send_discharge_financing(self, trade_id: Bytes32Like, *, gas: int | None = None) -> TxHash:
        """Send ``dischargeFinancing``; return the transaction hash without waiting."""
        return self._tx.send(self._fn.dischargeFinancing(bytes32(trade_id, "trade_id")), gas=gas)

    def discharge_financing(self, trade_id: Bytes32Like) -> TxResult:
        """Discharge this account's financing of a trade (the financing bank only)."""
        return self.wait_for_receipt(self.send_discharge_financing(trade_id))

    # Relayed with the party's EIP-712 authorization (ledger_client.authorization) ----

    def send_release_with_sig(
        self,
        signer: str,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        proof_flags: Sequence[bool],
        nonce: int,
        deadline: int,
        signature: bytes | str,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``releaseWithSig``; return the transaction hash without waiting."""
        fn = self._fn.releaseWithSig(
            _convert.address(signer, "signer"),
            bytes32_list(trade_ids, "trade_ids"),
            bytes32_list(verdict_hashes, "verdict_hashes"),
            [bool(flag) for flag in proof_flags],
            nonce,
            deadline,
            _signature(signature),
        )
        return self._tx.send(fn, gas=gas)

    def release_with_sig(
        self,
        signer: str,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        proof_flags: Sequence[bool],
        nonce: int,
        deadline: int,
        signature: bytes | str,
    ) -> TxResult:
        """Release trades on their verdicts for customs ``signer``, who signed the root of
        their trade-verdict keys in this multiproof order."""
        return self.wait_for_receipt(
            self.send_release_with_sig(
                signer, trade_ids, verdict_hashes, proof_flags, nonce, deadline, signature
            )
        )

    def send_confirm_settlement_with_sig(
        self,
        signer: str,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        settlement_ref: Bytes32Like,
        nonce: int,
        deadline: int,
        signature: bytes | str,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``confirmSettlementWithSig``; return the transaction hash without waiting."""
        fn = self._fn.confirmSettlementWithSig(
            _convert.address(signer, "signer"),
            bytes32(trade_id, "trade_id"),
            bytes32(verdict_hash, "verdict_hash"),
            bytes32(settlement_ref, "settlement_ref"),
            nonce,
            deadline,
            _signature(signature),
        )
        return self._tx.send(fn, gas=gas)

    def confirm_settlement_with_sig(
        self,
        signer: str,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        settlement_ref: Bytes32Like,
        nonce: int,
        deadline: int,
        signature: bytes | str,
    ) -> TxResult:
        """Confirm a settlement for bank ``signer``, on its signed authorization."""
        return self.wait_for_receipt(
            self.send_confirm_settlement_with_sig(
                signer, trade_id, verdict_hash, settlement_ref, nonce, deadline, signature
            )
        )

    def send_register_financing_with_sig(
        self,
        signer: str,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        terms_hash: Bytes32Like,
        nonce: int,
        deadline: int,
        signature: bytes | str,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``registerFinancingWithSig``; return the transaction hash without waiting."""
        fn = self._fn.registerFinancingWithSig(
            _convert.address(signer, "signer"),
            bytes32(trade_id, "trade_id"),
            bytes32(verdict_hash, "verdict_hash"),
            bytes32(terms_hash, "terms_hash"),
            nonce,
            deadline,
            _signature(signature),
        )
        return self._tx.send(fn, gas=gas)

    def register_financing_with_sig(
        self,
        signer: str,
        trade_id: Bytes32Like,
        verdict_hash: Bytes32Like,
        terms_hash: Bytes32Like,
        nonce: int,
        deadline: int,
        signature: bytes | str,
    ) -> TxResult:
        """Register bank ``signer``'s financing of a trade, on its signed authorization."""
        return self.wait_for_receipt(
            self.send_register_financing_with_sig(
                signer, trade_id, verdict_hash, terms_hash, nonce, deadline, signature
            )
        )

    def send_discharge_financing_with_sig(
        self,
        signer: str,
        trade_id: Bytes32Like,
        nonce: int,
        deadline: int,
        signature: bytes | str,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``dischargeFinancingWithSig``; return the transaction hash without waiting."""
        fn = self._fn.dischargeFinancingWithSig(
            _convert.address(signer, "signer"),
            bytes32(trade_id, "trade_id"),
            nonce,
            deadline,
            _signature(signature),
        )
        return self._tx.send(fn, gas=gas)

    def discharge_financing_with_sig(
        self, signer: str, trade_id: Bytes32Like, nonce: int, deadline: int, signature: bytes | str
    ) -> TxResult:
        """Discharge bank ``signer``'s financing of a trade, on its signed authorization."""
        return self.wait_for_receipt(
            self.send_discharge_financing_with_sig(signer, trade_id, nonce, deadline, signature)
        )

    def nonces(self, account: str) -> int:
        """The nonce the next authorization of ``account`` must carry."""
        return int(self._tx.call(self._fn.nonces(_convert.address(account, "account"))))

    def domain_separator(self) -> Bytes32:
        """The registry's EIP-712 domain separator on this chain."""
        return bytes32(self._tx.call(self._fn.DOMAIN_SEPARATOR()))

    def trade_verdict_key(self, trade_id: Bytes32Like, verdict_hash: Bytes32Like) -> Bytes32:
        """``tradeVerdictKey``: the value a release, settlement or financing authorization
        signs the leaf of (the contract's own encoding, to check another one against)."""
        fn = self._fn.tradeVerdictKey(
            bytes32(trade_id, "trade_id"), bytes32(verdict_hash, "verdict_hash")
        )
        return bytes32(self._tx.call(fn))

    def trade_of(self, trade_id: Bytes32Like) -> TradeRecord:
        """Return the full record of a trade (state NONE when unknown)."""
        key = bytes32(trade_id, "trade_id")
        raw = self._tx.call(self._fn.tradeOf(key))
        return _trade_record(key, raw)

    trade = trade_of


class TraceRegistryClient(RegistryClient):
    """Client of ``TraceRegistry``: EPCIS event batches per lot and lot recalls."""

    contract_name = "TraceRegistry"

    def send_anchor_lot_batch(
        self,
        lot_id: Bytes32Like,
        root: Bytes32Like,
        event_count: int,
        batch_id: Bytes32Like,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``anchorLotBatch``; return the transaction hash without waiting."""
        fn = self._fn.anchorLotBatch(
            bytes32(lot_id, "lot_id"),
            bytes32(root, "root"),
            _uint32(event_count),
            bytes32(batch_id),
        )
        return self._tx.send(fn, gas=gas)

    def anchor_lot_batch(
        self, lot_id: Bytes32Like, root: Bytes32Like, event_count: int, batch_id: Bytes32Like
    ) -> TxResult:
        """Anchor the Merkle root of ``event_count`` event hashes of a lot (ANCHORER_ROLE)."""
        return self.wait_for_receipt(
            self.send_anchor_lot_batch(lot_id, root, event_count, batch_id)
        )

    def send_recall_lot(
        self, lot_id: Bytes32Like, reason: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``recallLot``; return the transaction hash without waiting."""
        return self._tx.send(self._fn.recallLot(bytes32(lot_id, "lot_id"), reason), gas=gas)

    def recall_lot(self, lot_id: Bytes32Like, reason: str) -> TxResult:
        """Put a lot under recall, with a reason (INSPECTOR_ROLE)."""
        return self.wait_for_receipt(self.send_recall_lot(lot_id, reason))

    def send_clear_recall(
        self, lot_id: Bytes32Like, reason: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``clearRecall``; return the transaction hash without waiting."""
        return self._tx.send(self._fn.clearRecall(bytes32(lot_id, "lot_id"), reason), gas=gas)

    def clear_recall(self, lot_id: Bytes32Like, reason: str) -> TxResult:
        """Lift a lot's recall, with a reason (INSPECTOR_ROLE)."""
        return self.wait_for_receipt(self.send_clear_recall(lot_id, reason))

    def lot_batch_of(self, root: Bytes32Like) -> LotBatch | None:
        """Return the lot batch anchored under ``root``, or None."""
        key = bytes32(root, "root")
        lot_id, anchorer, event_count, block_number = self._tx.call(self._fn.lotBatchOf(key))
        if block_number == 0:
            return None
        return LotBatch(key, bytes32(lot_id), _convert.address(anchorer), event_count, block_number)

    def anchored_lot_batch(self, root: Bytes32Like) -> LotBatch:
        """Return the lot batch anchored under ``root``; raise AnchorNotFound if there is none."""
        batch = self.lot_batch_of(root)
        if batch is None:
            raise AnchorNotFound(f"root 0x{bytes32(root).hex()} is not anchored")
        return batch

    def lot_status(self, lot_id: Bytes32Like) -> LotStatus:
        """Return a lot's recall status and anchoring summary."""
        key = bytes32(lot_id, "lot_id")
        recalled, batches, last_block, status_block, reason = self._tx.call(self._fn.lotStatus(key))
        return LotStatus(key, recalled, batches, last_block, status_block, optional32(reason))

    def verify_event(self, event_hash: Bytes32Like, proof: Sequence[Bytes32Like]) -> EventCheck:
        """Settle an EPCIS event in one call: its proof's root, lot, anchoring and recall."""
        leaf = bytes32(event_hash, "event_hash")
        raw = self._tx.call(self._fn.verifyEvent(leaf, bytes32_list(proof, "proof")))
        root, anchored, lot_id, block, anchorer, event_count, recalled = raw
        return EventCheck(
            event_hash=leaf,
            root=bytes32(root),
            anchored=anchored,
            lot_id=optional32(lot_id),
            block_number=block,
            anchorer=_convert.optional_address(anchorer),
            event_count=event_count,
            recalled=recalled,
        )


def _uint32(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT32_MAX:
        raise ConfigurationError(f"count must be an integer in [0, {_UINT32_MAX}], got {value!r}")
    return value


def _signature(value: bytes | str) -> bytes:
    """Accept a signature as bytes or ``0x`` hex; its validity is the contract's to judge."""
    if isinstance(value, str):
        try:
            return bytes.fromhex(value.removeprefix("0x"))
        except ValueError as exc:
            raise ConfigurationError(f"signature is not hex: {value!r}") from exc
    return bytes(value)


def _trade_record(trade_id: bytes, raw: Any) -> TradeRecord:
    (state, verdict, matched, count, verdict_block, released, settled, ref, financier,
     financed_block, terms) = raw  # fmt: skip
    return TradeRecord(
        trade_id=bytes32(trade_id),
        state=TradeState(state),
        verdict_hash=optional32(verdict),
        matched=matched,
        verdict_count=count,
        verdict_block=verdict_block,
        released_block=released,
        settled_block=settled,
        settlement_ref=optional32(ref),
        financier=_convert.optional_address(financier),
        financed_block=financed_block,
        financing_terms=optional32(terms),
    )

"""Typed clients of the trade and trace registries: one method per contract function.

Every write has two forms: ``send_x(...) -> TxHash`` returns at once (so many
transactions can be in flight; see :meth:`RegistryClient.wait_for_receipt`), and
``x(...) -> TxResult`` sends and waits for the configured confirmations. Reads return
frozen dataclasses. Reverts raise :class:`~ledger_client.errors.ContractReverted`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eth_typing import HexStr

from ledger_client import _convert
from ledger_client._base import RegistryClient
from ledger_client._convert import Bytes32Like, bytes32, bytes32_list, mask_of, optional32
from ledger_client.errors import AnchorNotFound, ConfigurationError
from ledger_client.events import VerdictBatchRecorded, events_named
from ledger_client.party_lists import PartyLists
from ledger_client.release_policy import (
    Decision,
    PolicyRelease,
    PolicyView,
    ReleasePolicy,
    decision_facts,
    grades_of_mask,
    modes_of_mask,
)
from ledger_client.types import (
    Address,
    Batch,
    Bytes32,
    DocumentCheck,
    DocumentRecord,
    DocumentStatus,
    EventCheck,
    Financing,
    Listing,
    LotBatch,
    LotStatus,
    Settlement,
    Signed,
    Supersession,
    TradePosition,
    TradeState,
    TxHash,
    TxResult,
    VerdictBatch,
    VerdictCheck,
    VerdictLeaf,
)

__all__ = ["TraceRegistryClient", "TradeRegistryClient"]

_UINT32_MAX = 2**32 - 1


class TradeRegistryClient(RegistryClient):
    """Client of ``TradeRegistry``: document batches, revocations and the trade state machine."""

    contract_name = "TradeRegistry"

    # The lifecycle guard ------------------------------------------------------

    def send_set_lifecycle_registry(self, registry: str, *, gas: int | None = None) -> TxHash:
        """Send ``setLifecycleRegistry``; return the transaction hash without waiting."""
        fn = self._fn.setLifecycleRegistry(_convert.checksum(registry))
        return self._tx.send(fn, gas=gas)

    def set_lifecycle_registry(self, registry: str) -> TxResult:
        """Name the LifecycleRegistry (following this registry) consulted before a release, a
        settlement and a financing; once only (DEFAULT_ADMIN_ROLE)."""
        return self.wait_for_receipt(self.send_set_lifecycle_registry(registry))

    def lifecycle_registry(self) -> Address | None:
        """The LifecycleRegistry this registry consults, or None before it was set."""
        raw = self._tx.call(self._fn.lifecycleRegistry())
        found = _convert.address(raw)
        return None if int(found, 16) == 0 else found

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

    # Verdict batches and the trade state machine --------------------------------------

    def send_record_verdict_batch(
        self,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        matched: Sequence[bool],
        supersessions: Sequence[Supersession] = (),
        *,
        parties: PartyLists | None = None,
        expected_batch: int | None = None,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``recordVerdictBatch``; return the transaction hash without waiting.

        Verdict ``i`` (trade ``trade_ids[i]``, judged ``verdict_hashes[i]``, a match when
        ``matched[i]``) lands at position ``i`` of the new batch, numbered
        ``expected_batch`` (default: the next number the chain would give, read now; the
        contract refuses any other, so a resend of a still-pending batch cannot land twice).
        ``parties`` names who signed each trade's documents (default: nobody), which the
        negative-list check of release and financing relies on.
        """
        count = len(trade_ids)
        if len(verdict_hashes) != count or len(matched) != count:
            raise ConfigurationError(
                f"{count} trade ids, {len(verdict_hashes)} verdict hashes and "
                f"{len(matched)} matched flags: one of each per verdict"
            )
        if parties is None:
            parties = PartyLists.empty(count)
        if parties.count != count or len(parties.slots) % 8:
            raise ConfigurationError(
                f"party lists of {parties.count} verdicts for {count} verdicts"
            )
        if expected_batch is None:
            expected_batch = self.verdict_batch_count() + 1
        fn = self._fn.recordVerdictBatch(
            _uint64(expected_batch, "expected_batch"),
            bytes32_list(trade_ids, "trade_ids"),
            bytes32_list(verdict_hashes, "verdict_hashes"),
            mask_of([i for i, flag in enumerate(matched) if flag]),
            [_supersession(item) for item in supersessions],
            parties.as_arg(),
        )
        return self._tx.send(fn, gas=gas)

    def record_verdict_batch(
        self,
        trade_ids: Sequence[Bytes32Like],
        verdict_hashes: Sequence[Bytes32Like],
        matched: Sequence[bool],
        supersessions: Sequence[Supersession] = (),
        *,
        parties: PartyLists | None = None,
    ) -> TxResult:
        """Record a batch of verdicts, each at its index (ANCHORER_ROLE); the receipt's
        ``VerdictBatchRecorded`` event gives the batch number (see :meth:`recorded_batch`)."""
        return self.wait_for_receipt(
            self.send_record_verdict_batch(
                trade_ids, verdict_hashes, matched, supersessions, parties=parties
            )
        )

    @staticmethod
    def recorded_batch(result: TxResult) -> VerdictBatchRecorded:
        """The ``VerdictBatchRecorded`` event of a :meth:`record_verdict_batch` receipt."""
        found = events_named(result.events, VerdictBatchRecorded)
        if len(found) != 1:
            raise ConfigurationError(f"transaction {result.tx_hash} recorded no verdict batch")
        event: VerdictBatchRecorded = found[0]
        return event

    # The negative list ---------------------------------------------------------------

    def send_list_party(
        self,
        party_id: Bytes32Like,
        until: int,
        reason: str,
        *,
        since: int = 0,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``listParty``; return the transaction hash without waiting."""
        fn = self._fn.listParty(
            bytes32(party_id, "party_id"), _uint64(since, "since"), _uint64(until, "until"), reason
        )
        return self._tx.send(fn, gas=gas)

    def list_party(
        self, party_id: Bytes32Like, until: int, reason: str, *, since: int = 0
    ) -> TxResult:
        """Put a party on the negative list from ``since`` (0: now) until ``until``, block
        timestamps in seconds (CUSTOMS_ROLE or REGULATOR_ROLE)."""
        return self.wait_for_receipt(self.send_list_party(party_id, until, reason, since=since))

    def send_lift_listing(
        self, party_id: Bytes32Like, reason: str, *, gas: int | None = None
    ) -> TxHash:
        """Send ``liftListing``; return the transaction hash without waiting."""
        return self._tx.send(self._fn.liftListing(bytes32(party_id, "party_id"), reason), gas=gas)

    def lift_listing(self, party_id: Bytes32Like, reason: str) -> TxResult:
        """Lift a party's listing early (CUSTOMS_ROLE or REGULATOR_ROLE)."""
        return self.wait_for_receipt(self.send_lift_listing(party_id, reason))

    def listing_of(self, party_id: Bytes32Like) -> Listing:
        """A party's listing, and whether it is in force at the latest block."""
        key = bytes32(party_id, "party_id")
        (since, until), active = self._tx.call(self._fn.listingOf(key))
        return Listing(key, since, until, active)

    def parties_hash(self, parties: PartyLists) -> Bytes32:
        """``partiesHash``: the contract's own hash of party lists, to check another against."""
        return bytes32(self._tx.call(self._fn.partiesHash(parties.as_arg())))

    def _parties(self, batch: int, parties: PartyLists | None) -> tuple[Any, ...]:
        """The batch's party lists as a call argument: those given, else read from the chain
        (the contract checks them against the batch's commitment either way). For a batch
        the chain does not hold, none: the contract's refusal names what is wrong."""
        if parties is None:
            parties = self.parties_of(batch) or PartyLists((), b"")
        return parties.as_arg()

    # Standing release policies (ledger_client.release_policy) -----------------------

    def send_adopt_release_policy(
        self,
        policy: ReleasePolicy,
        signer: str,
        signature: bytes | str,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``adoptReleasePolicy``; return the transaction hash without waiting."""
        fn = self._fn.adoptReleasePolicy(
            policy.as_arg(), _convert.address(signer, "signer"), _signature(signature)
        )
        return self._tx.send(fn, gas=gas)

    def adopt_release_policy(
        self, policy: ReleasePolicy, signer: str, signature: bytes | str
    ) -> TxResult:
        """Bring customs' signed policy on chain (anyone may relay it); its id is
        :meth:`release_policy_id`."""
        return self.wait_for_receipt(self.send_adopt_release_policy(policy, signer, signature))

    def revoke_release_policy(self, policy_id: Bytes32Like) -> TxResult:
        """Revoke a policy (its signer, or an account with CUSTOMS_ROLE)."""
        fn = self._fn.revokeReleasePolicy(bytes32(policy_id, "policy_id"))
        return self.wait_for_receipt(self._tx.send(fn))

    def revoke_release_policy_with_sig(self, policy_id: Bytes32Like, by: Signed) -> TxResult:
        """Revoke a policy for ``by.signer``, on its signed authorization (action
        RevokeReleasePolicy, subject the policy id, data zero)."""
        fn = self._fn.revokeReleasePolicyWithSig(bytes32(policy_id, "policy_id"), _by(by))
        return self.wait_for_receipt(self._tx.send(fn))

    def send_release_trades_under_policy(
        self,
        batch: int,
        verdict_root: Bytes32Like,
        policy_id: Bytes32Like,
        decisions: Mapping[int, Decision],
        decisions_root: Bytes32Like,
        *,
        parties: PartyLists | None = None,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``releaseTradesUnderPolicy`` for ``{position: decision}`` in verdict batch
        ``batch`` whose root is ``verdict_root``, committing ``decisions_root`` (the ordered
        Merkle root of :func:`~ledger_client.decision_leaves`); return the transaction hash
        without waiting."""
        positions = sorted(decisions)
        stated = (
            bytes32(policy_id, "policy_id"),
            bytes32(verdict_root, "verdict_root"),
            decision_facts(decisions),
            bytes32(decisions_root, "decisions_root"),
        )
        fn = self._fn.releaseTradesUnderPolicy(
            _uint64(batch, "batch"), mask_of(positions), stated, self._parties(batch, parties)
        )
        return self._tx.send(fn, gas=gas)

    def release_trades_under_policy(
        self,
        batch: int,
        verdict_root: Bytes32Like,
        policy_id: Bytes32Like,
        decisions: Mapping[int, Decision],
        decisions_root: Bytes32Like,
        *,
        parties: PartyLists | None = None,
    ) -> TxResult:
        """Release positions on customs' behalf under an adopted policy (ANCHORER_ROLE); the
        contract refuses any decision outside the policy and commits ``decisions_root`` with
        the hash of the facts it checked (event ``TradesReleasedUnderPolicy``)."""
        return self.wait_for_receipt(
            self.send_release_trades_under_policy(
                batch, verdict_root, policy_id, decisions, decisions_root, parties=parties
            )
        )

    def release_policy_id(self, policy: ReleasePolicy) -> Bytes32:
        """The id the contract gives ``policy``: its EIP-712 digest."""
        return bytes32(self._tx.call(self._fn.releasePolicyId(policy.as_arg())))

    def release_policy_of(self, policy_id: Bytes32Like) -> PolicyView | None:
        """An adopted policy, or None."""
        key = bytes32(policy_id, "policy_id")
        record, in_force = self._tx.call(self._fn.releasePolicyOf(key))
        signer, grades, modes, valid_from, max_value, valid_until, revoked = record
        if int(signer, 16) == 0:
            return None
        return PolicyView(
            key,
            _convert.address(signer),
            grades_of_mask(grades),
            modes_of_mask(modes),
            valid_from,
            max_value,
            valid_until,
            revoked,
            in_force,
        )

    def policy_release_of(self, decisions_root: Bytes32Like) -> PolicyRelease | None:
        """The release under a policy whose decisions root is ``decisions_root``, or None."""
        key = bytes32(decisions_root, "decisions_root")
        batch, block, count, facts_hash = self._tx.call(self._fn.policyReleaseOf(key))
        return PolicyRelease(key, batch, block, count, bytes32(facts_hash)) if block else None

    # Release, settlement, financing ------------------------------------------------

    def send_release_trades(
        self,
        batch: int,
        positions: Iterable[int],
        *,
        parties: PartyLists | None = None,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``releaseTrades``; return the transaction hash without waiting. ``parties``:
        the batch's party lists (default: read from the transaction that recorded it)."""
        fn = self._fn.releaseTrades(
            _uint64(batch, "batch"), mask_of(positions), self._parties(batch, parties)
        )
        return self._tx.send(fn, gas=gas)

    def release_trades(
        self, batch: int, positions: Iterable[int], *, parties: PartyLists | None = None
    ) -> TxResult:
        """Release matched positions of a verdict batch (CUSTOMS_ROLE); refused naming the
        party when a party of one of them is on the negative list."""
        return self.wait_for_receipt(self.send_release_trades(batch, positions, parties=parties))

    def send_confirm_settlements(
        self,
        batch: int,
        references: Mapping[int, Bytes32Like],
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``confirmSettlements`` for ``{position: settlement reference}``; return the
        transaction hash without waiting."""
        positions = sorted(references)
        fn = self._fn.confirmSettlements(
            _uint64(batch, "batch"),
            mask_of(positions),
            [bytes32(references[p], "settlement_ref") for p in positions],
        )
        return self._tx.send(fn, gas=gas)

    def confirm_settlements(self, batch: int, references: Mapping[int, Bytes32Like]) -> TxResult:
        """Confirm the settlement of released positions, each under its bank reference
        (BANK_ROLE); the ``SettlementsConfirmed`` event gives the settlement's number."""
        return self.wait_for_receipt(self.send_confirm_settlements(batch, references))

    def send_register_financing(
        self,
        batch: int,
        positions: Iterable[int],
        terms_hash: Bytes32Like,
        *,
        parties: PartyLists | None = None,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``registerFinancing``; return the transaction hash without waiting."""
        fn = self._fn.registerFinancing(
            _uint64(batch, "batch"),
            mask_of(positions),
            bytes32(terms_hash, "terms_hash"),
            self._parties(batch, parties),
        )
        return self._tx.send(fn, gas=gas)

    def register_financing(
        self,
        batch: int,
        positions: Iterable[int],
        terms_hash: Bytes32Like,
        *,
        parties: PartyLists | None = None,
    ) -> TxResult:
        """Register financing of matched positions on ``terms_hash``; refused while another is
        open on any of them, or a party of one is listed (BANK_ROLE). The
        ``FinancingRegistered`` event gives its number."""
        return self.wait_for_receipt(
            self.send_register_financing(batch, positions, terms_hash, parties=parties)
        )

    def send_discharge_financing(
        self, financing_id: int, positions: Iterable[int], *, gas: int | None = None
    ) -> TxHash:
        """Send ``dischargeFinancing``; return the transaction hash without waiting."""
        fn = self._fn.dischargeFinancing(_uint32(financing_id), mask_of(positions))
        return self._tx.send(fn, gas=gas)

    def discharge_financing(self, financing_id: int, positions: Iterable[int]) -> TxResult:
        """Discharge this account's financing of the positions (the financing bank only)."""
        return self.wait_for_receipt(self.send_discharge_financing(financing_id, positions))

    # Relayed with the party's EIP-712 authorization (ledger_client.authorization) ----

    def send_release_trades_with_sig(
        self,
        batch: int,
        positions: Iterable[int],
        by: Signed,
        *,
        parties: PartyLists | None = None,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``releaseTradesWithSig``; return the transaction hash without waiting."""
        fn = self._fn.releaseTradesWithSig(
            _uint64(batch, "batch"), mask_of(positions), self._parties(batch, parties), _by(by)
        )
        return self._tx.send(fn, gas=gas)

    def release_trades_with_sig(
        self,
        batch: int,
        positions: Iterable[int],
        by: Signed,
        *,
        parties: PartyLists | None = None,
    ) -> TxResult:
        """Release positions for customs ``by.signer``, on its signed authorization."""
        return self.wait_for_receipt(
            self.send_release_trades_with_sig(batch, positions, by, parties=parties)
        )

    def send_confirm_settlements_with_sig(
        self,
        batch: int,
        references: Mapping[int, Bytes32Like],
        by: Signed,
        *,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``confirmSettlementsWithSig``; return the transaction hash without waiting."""
        positions = sorted(references)
        fn = self._fn.confirmSettlementsWithSig(
            _uint64(batch, "batch"),
            mask_of(positions),
            [bytes32(references[p], "settlement_ref") for p in positions],
            _by(by),
        )
        return self._tx.send(fn, gas=gas)

    def confirm_settlements_with_sig(
        self, batch: int, references: Mapping[int, Bytes32Like], by: Signed
    ) -> TxResult:
        """Confirm settlements for bank ``by.signer``, on its signed authorization."""
        return self.wait_for_receipt(self.send_confirm_settlements_with_sig(batch, references, by))

    def send_register_financing_with_sig(
        self,
        batch: int,
        positions: Iterable[int],
        terms_hash: Bytes32Like,
        by: Signed,
        *,
        parties: PartyLists | None = None,
        gas: int | None = None,
    ) -> TxHash:
        """Send ``registerFinancingWithSig``; return the transaction hash without waiting."""
        fn = self._fn.registerFinancingWithSig(
            _uint64(batch, "batch"),
            mask_of(positions),
            bytes32(terms_hash, "terms_hash"),
            self._parties(batch, parties),
            _by(by),
        )
        return self._tx.send(fn, gas=gas)

    def register_financing_with_sig(
        self,
        batch: int,
        positions: Iterable[int],
        terms_hash: Bytes32Like,
        by: Signed,
        *,
        parties: PartyLists | None = None,
    ) -> TxResult:
        """Register bank ``by.signer``'s financing, on its signed authorization."""
        return self.wait_for_receipt(
            self.send_register_financing_with_sig(batch, positions, terms_hash, by, parties=parties)
        )

    def send_discharge_financing_with_sig(
        self, financing_id: int, positions: Iterable[int], by: Signed, *, gas: int | None = None
    ) -> TxHash:
        """Send ``dischargeFinancingWithSig``; return the transaction hash without waiting."""
        fn = self._fn.dischargeFinancingWithSig(_uint32(financing_id), mask_of(positions), _by(by))
        return self._tx.send(fn, gas=gas)

    def discharge_financing_with_sig(
        self, financing_id: int, positions: Iterable[int], by: Signed
    ) -> TxResult:
        """Discharge bank ``by.signer``'s financing, on its signed authorization."""
        return self.wait_for_receipt(
            self.send_discharge_financing_with_sig(financing_id, positions, by)
        )

    # Views ----------------------------------------------------------------------------

    def nonces(self, account: str) -> int:
        """The nonce the next authorization of ``account`` must carry."""
        return int(self._tx.call(self._fn.nonces(_convert.address(account, "account"))))

    def domain_separator(self) -> Bytes32:
        """The registry's EIP-712 domain separator on this chain."""
        return bytes32(self._tx.call(self._fn.DOMAIN_SEPARATOR()))

    def selection_subject(self, batch: int, positions: Iterable[int]) -> Bytes32:
        """``selectionSubject``: what a release, settlement or financing authorization of these
        positions signs (it includes the batch's root, so it names the trades and verdicts)."""
        fn = self._fn.selectionSubject(_uint64(batch, "batch"), mask_of(positions))
        return bytes32(self._tx.call(fn))

    def discharge_subject(self, financing_id: int, positions: Iterable[int]) -> Bytes32:
        """``dischargeSubject``: what a discharge authorization signs."""
        fn = self._fn.dischargeSubject(_uint32(financing_id), mask_of(positions))
        return bytes32(self._tx.call(fn))

    def verdict_leaf_hash(self, leaf: VerdictLeaf) -> Bytes32:
        """``verdictLeaf``: the contract's own leaf hash, to check another encoding against."""
        return bytes32(self._tx.call(self._fn.verdictLeaf(_leaf(leaf))))

    def settlement_leaf_hash(
        self, batch: int, position: int, settlement_ref: Bytes32Like
    ) -> Bytes32:
        """``settlementLeaf``: the contract's own settlement leaf hash."""
        fn = self._fn.settlementLeaf(
            _uint64(batch, "batch"), _uint32(position), bytes32(settlement_ref, "settlement_ref")
        )
        return bytes32(self._tx.call(fn))

    def verdict_batch_count(self) -> int:
        """How many verdict batches were recorded (the last one's number)."""
        return int(self._tx.call(self._fn.verdictBatchCount()))

    def verdict_batch_of(self, batch: int) -> VerdictBatch | None:
        """Return verdict batch ``batch``, or None."""
        root, anchorer, count, block, parties_hash = self._tx.call(
            self._fn.verdictBatchOf(_uint64(batch, "batch"))
        )
        if block == 0:
            return None
        return VerdictBatch(
            batch, bytes32(root), _convert.address(anchorer), count, block, bytes32(parties_hash)
        )

    def verdicts_of(self, batch: int, *, from_block: int = 0) -> tuple[VerdictLeaf, ...] | None:
        """The verdicts of verdict batch ``batch`` as the chain recorded them, read from the
        input of the transaction that recorded it (None when there is no such batch).

        The registry built the batch's root from that input: a caller that does not trust the
        node rebuilds the root from these leaves (``traceability.ordered_merkle``) and compares
        it with :meth:`verdict_batch_of`'s, as ``sandan authorize`` does.
        """
        recorded = self._recording_input(batch, from_block)
        if recorded is None:
            return None
        stored, args = recorded
        mask = list(args["matchedMask"])
        leaves = tuple(
            VerdictLeaf(
                batch=batch,
                position=i,
                trade_id=bytes32(trade_id),
                verdict_hash=bytes32(verdict),
                matched=i // 256 < len(mask) and bool((mask[i // 256] >> (i % 256)) & 1),
            )
            for i, (trade_id, verdict) in enumerate(
                zip(args["tradeIds"], args["verdictHashes"], strict=True)
            )
        )
        if len(leaves) != stored.count:
            raise AnchorNotFound(f"verdict batch {batch}'s transaction does not match its record")
        return leaves

    def parties_of(self, batch: int, *, from_block: int = 0) -> PartyLists | None:
        """The party lists verdict batch ``batch`` committed to, read from the input of the
        transaction that recorded it and checked against the batch's stored hash (None when
        there is no such batch)."""
        recorded = self._recording_input(batch, from_block)
        if recorded is None:
            return None
        stored, args = recorded
        parties = PartyLists.from_arg(args["parties"])
        if parties.hash() != stored.parties_hash:
            raise AnchorNotFound(f"verdict batch {batch}'s party lists do not match its record")
        return parties

    def _recording_input(
        self, batch: int, from_block: int
    ) -> tuple[VerdictBatch, dict[str, Any]] | None:
        """Verdict batch ``batch`` and the decoded input of the call that recorded it."""
        stored = self.verdict_batch_of(batch)
        if stored is None:
            return None
        events = self.find_events(VerdictBatchRecorded, from_block, None, batch=batch)
        if not events or events[-1].log is None:
            raise AnchorNotFound(f"verdict batch {batch} has no VerdictBatchRecorded log")
        log = events[-1].log
        tx = self._tx.rpc(lambda: self._tx.w3.eth.get_transaction(HexStr(log.tx_hash)))
        try:
            fn, args = self._contract.decode_function_input(tx["input"])
        except ValueError as exc:
            raise AnchorNotFound(
                f"verdict batch {batch} was not recorded by a direct recordVerdictBatch call"
            ) from exc
        if fn.fn_name != "recordVerdictBatch" or args["expectedBatch"] != batch:
            raise AnchorNotFound(f"verdict batch {batch} was recorded by {fn.fn_name}")
        return stored, dict(args)

    def trade_at(self, batch: int, position: int) -> TradePosition:
        """The state and open financing of a position (NONE when there is no such position)."""
        state, financing_id = self._tx.call(
            self._fn.tradeAt(_uint64(batch, "batch"), _uint32(position))
        )
        return TradePosition(batch, position, TradeState(state), financing_id)

    def verify_verdict(self, leaf: VerdictLeaf, proof: Sequence[Bytes32Like]) -> VerdictCheck:
        """Settle a verdict in one call: its proof against its batch's root, and its state."""
        raw = self._tx.call(self._fn.verifyVerdict(_leaf(leaf), bytes32_list(proof, "proof")))
        root, anchored, block, anchorer, state, financing_id, financing = raw
        return VerdictCheck(
            leaf=leaf,
            root=bytes32(root),
            anchored=anchored,
            block_number=block,
            anchorer=_convert.optional_address(anchorer),
            state=TradeState(state),
            financing=_financing(financing_id, financing) if financing_id else None,
        )

    def settlement_of(self, settlement_id: int) -> Settlement | None:
        """Return settlement ``settlement_id``, or None."""
        root, bank, count, block, batch = self._tx.call(
            self._fn.settlementOf(_uint32(settlement_id))
        )
        if block == 0:
            return None
        return Settlement(settlement_id, bytes32(root), _convert.address(bank), count, block, batch)

    def financing_of(self, financing_id: int) -> Financing | None:
        """Return financing ``financing_id``, or None."""
        raw = self._tx.call(self._fn.financingOf(_uint32(financing_id)))
        return _financing(financing_id, raw) if raw[1] else None

    def verify_settlement(
        self,
        settlement_id: int,
        position: int,
        settlement_ref: Bytes32Like,
        proof: Sequence[Bytes32Like],
    ) -> bool:
        """Whether settlement ``settlement_id`` settled ``position`` under ``settlement_ref``."""
        fn = self._fn.verifySettlement(
            _uint32(settlement_id),
            _uint32(position),
            bytes32(settlement_ref, "settlement_ref"),
            bytes32_list(proof, "proof"),
        )
        return bool(self._tx.call(fn))


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


def _uint64(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
        raise ConfigurationError(f"{name} must be an integer in [0, 2**64), got {value!r}")
    return value


def _leaf(leaf: VerdictLeaf) -> tuple[Any, ...]:
    return (
        _uint64(leaf.batch, "batch"),
        _uint32(leaf.position),
        bytes32(leaf.trade_id, "trade_id"),
        bytes32(leaf.verdict_hash, "verdict_hash"),
        bool(leaf.matched),
    )


def _supersession(item: Supersession) -> tuple[Any, ...]:
    return (
        _uint32(item.index),
        _uint64(item.batch, "batch"),
        _uint32(item.position),
        bytes32(item.verdict_hash, "verdict_hash"),
        bool(item.matched),
        bytes32_list(item.proof, "proof"),
    )


def _by(by: Signed) -> tuple[Any, ...]:
    return (
        _convert.address(by.signer, "signer"),
        by.nonce,
        by.deadline,
        _signature(by.signature),
    )


def _financing(financing_id: int, raw: Any) -> Financing:
    bank, block, batch, count, terms = raw
    return Financing(financing_id, _convert.address(bank), block, batch, count, bytes32(terms))

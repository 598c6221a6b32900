"""TradeRegistry's ``...WithSig`` functions, mixed into the registry suite (every backend).

Customs and banks sign EIP-712 authorizations with their own keys; the ``outsider``
account relays them, so the events must name the signer, never the relayer. A release,
settlement or financing signs the ``selectionSubject`` of a verdict batch (its number,
its root and the positions' mask); a discharge the ``dischargeSubject`` of the financing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import pytest
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from ledger_client import (
    AuthorizationAction,
    ContractReverted,
    Signed,
    Supersession,
    TradePosition,
    TradeState,
    authorization_digest,
    authorization_typed_data,
    discharge_subject,
    mask_of,
    recover_authorization_signer,
    selection_subject,
    settlement_data,
    sign_authorization,
)
from ledger_client.events import (
    FinancingDischarged,
    FinancingRegistered,
    SettlementsConfirmed,
    TradesReleased,
)
from tests.chain import reverted
from traceability.ordered_merkle import OrderedMerkleTree, settlement_leaf, verdict_leaf

ZERO = b"\0" * 32
HOUR = 3600
ACT = AuthorizationAction


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _verdict(trade_id: bytes) -> bytes:
    """The verdict :meth:`SelfCustodyBehaviour._record` records for ``trade_id``."""
    return _h("verdict of " + trade_id.hex())


def _reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple[object, ...]]:
    return exc_info.value.error_name, exc_info.value.args


@dataclass(frozen=True)
class _Recorded:
    """A verdict batch a test recorded: its number, its root and its trades by position."""

    batch: int
    root: bytes
    ids: list[bytes]


@dataclass(frozen=True)
class _Authorization:
    """What a party signed (the typed data) and what a relayer sends (``by``)."""

    typed: dict
    by: Signed


class SelfCustodyBehaviour:
    """Authorizations signed off chain and relayed by anyone."""

    def _record(self, world, count: int, label: str = "sig") -> _Recorded:
        ids = [_h(f"{label}-trade{i}") for i in range(count)]
        client = world.trade()
        result = client.record_verdict_batch(ids, [_verdict(t) for t in ids], [True] * count)
        event = client.recorded_batch(result)
        return _Recorded(event.batch, event.root, ids)

    def _sign(self, world, action, subject, data=ZERO, *, signer="customs", **given):
        """``signer``'s authorization, at its current nonce and an hour from the last block
        unless ``nonce`` or ``deadline`` is given."""
        nonce, deadline = given.get("nonce"), given.get("deadline")
        client = world.trade()
        if nonce is None:
            nonce = client.nonces(world.address(signer))
        if deadline is None:
            deadline = world.w3.eth.get_block("latest")["timestamp"] + HOUR
        typed = authorization_typed_data(
            action, subject, data, nonce, deadline, world.w3.eth.chain_id, client.address
        )
        signature = sign_authorization(typed, world.accounts[signer].key).signature
        return _Authorization(typed, Signed(world.address(signer), nonce, deadline, signature))

    def _sign_selection(self, world, action, recorded, positions, data=ZERO, **kwargs):
        subject = selection_subject(recorded.batch, recorded.root, positions)
        return self._sign(world, action, subject, data, **kwargs)

    def _financed(self, world, recorded, positions, terms=None):
        """Register ``bank``'s financing of ``positions`` (not relayed); its number."""
        result = world.trade("bank").register_financing(
            recorded.batch, positions, terms or _h("terms")
        )
        (event,) = result.events
        return event.financing_id

    # Success -----------------------------------------------------------------------

    @pytest.mark.parametrize("positions", [[0], [0, 2, 3, 4, 5]])
    def test_release_with_sig_releases_exactly_the_signed_positions(self, world, positions):
        recorded = self._record(world, 6)
        signed = self._sign_selection(world, ACT.RELEASE, recorded, positions)
        result = world.trade("outsider").release_trades_with_sig(
            recorded.batch, positions, signed.by
        )
        customs = world.address("customs")
        assert result.events == (
            TradesReleased(batch=recorded.batch, customs=customs, mask=tuple(mask_of(positions))),
        )
        assert world.trade().nonces(customs) == 1
        states = [world.trade().trade_at(recorded.batch, p).state for p in range(6)]
        assert states == [
            TradeState.RELEASED if p in positions else TradeState.MATCHED for p in range(6)
        ]

    def test_settlement_financing_and_discharge_with_sig_act_for_the_bank(self, world):
        recorded = self._record(world, 3)
        batch, positions = recorded.batch, [0, 2]
        world.trade("customs").release_trades(batch, positions)
        relayer, bank = world.trade("outsider"), world.address("bank")
        refs = {0: _h("ref0"), 2: _h("ref2")}

        financing = self._sign_selection(
            world, ACT.REGISTER_FINANCING, recorded, positions, _h("terms"), signer="bank"
        )
        registered = relayer.register_financing_with_sig(
            batch, positions, _h("terms"), financing.by
        )
        mask = tuple(mask_of(positions))
        assert registered.events == (FinancingRegistered(1, batch, bank, _h("terms"), mask),)

        data = settlement_data([refs[0], refs[2]])
        settlement = self._sign_selection(
            world, ACT.CONFIRM_SETTLEMENT, recorded, positions, data, signer="bank"
        )
        settled = relayer.confirm_settlements_with_sig(batch, refs, settlement.by)
        root = OrderedMerkleTree([settlement_leaf(batch, p, refs[p]) for p in positions]).root
        assert settled.events == (SettlementsConfirmed(1, batch, bank, root, mask),)

        discharge = self._sign(world, ACT.DISCHARGE_FINANCING, discharge_subject(1, positions),
                               signer="bank")  # fmt: skip
        discharged = relayer.discharge_financing_with_sig(1, positions, discharge.by)
        assert discharged.events == (FinancingDischarged(1, batch, bank, mask),)

        assert world.trade().nonces(bank) == 3
        assert world.trade().settlement_of(1).bank == bank
        assert [world.trade().trade_at(batch, p) for p in positions] == [
            TradePosition(batch, p, TradeState.SETTLED, 0) for p in positions
        ]
        assert world.trade().trade_at(batch, 1).state is TradeState.MATCHED

    def test_typed_data_matches_the_contract_domain(self, world):
        signed = self._sign(world, ACT.RELEASE, _h("subject"))
        typed = signed.typed
        assert typed["domain"]["version"] == "2"
        assert encode_typed_data(full_message=typed).header == world.trade().domain_separator()
        signature = sign_authorization(typed, world.accounts["customs"].key)
        assert signature.digest == authorization_digest(typed)
        assert recover_authorization_signer(typed, signature.hex) == world.address("customs")

    @pytest.mark.parametrize(
        ("batch", "positions"),
        [
            (1, [0]),
            (7, [0, 1, 255]),
            (2**64 - 1, [256]),
            (3, [0, 300, 4095]),
        ],
    )
    def test_local_subjects_equal_the_contract_subjects(self, world, batch, positions):
        """The subjects ``sandan authorize`` computes offline are the contract's: for a
        recorded batch (its root) and for an unknown one (a zero root), over one or more mask
        words."""
        recorded = self._record(world, 2)
        root = recorded.root if batch == recorded.batch else ZERO
        client = world.trade()
        assert selection_subject(batch, root, positions) == client.selection_subject(
            batch, positions
        )
        financing_id = batch % 2**32
        assert discharge_subject(financing_id, positions) == client.discharge_subject(
            financing_id, positions
        )

    def test_selection_subject_commits_to_the_batch_number_root_and_positions(self, world):
        recorded = self._record(world, 3)
        subject = selection_subject(recorded.batch, recorded.root, [0, 1])
        assert subject != selection_subject(recorded.batch + 1, recorded.root, [0, 1])
        assert subject != selection_subject(recorded.batch, _h("other root"), [0, 1])
        assert subject != selection_subject(recorded.batch, recorded.root, [0, 2])
        assert discharge_subject(1, [0, 1]) != discharge_subject(2, [0, 1])

    # Refusals ----------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("action", "role"),
        [
            (ACT.RELEASE, "CUSTOMS_ROLE"),
            (ACT.CONFIRM_SETTLEMENT, "BANK_ROLE"),
            (ACT.REGISTER_FINANCING, "BANK_ROLE"),
        ],
    )
    def test_with_sig_rejects_signer_without_role(self, world, action, role):
        recorded = self._record(world, 1)
        data = {
            ACT.RELEASE: ZERO,
            ACT.CONFIRM_SETTLEMENT: settlement_data([_h("ref")]),
            ACT.REGISTER_FINANCING: _h("terms"),
        }[action]
        by = self._sign_selection(world, action, recorded, [0], data, signer="outsider").by
        relayer, batch = world.trade("anchorer"), recorded.batch
        relay = {
            ACT.RELEASE: lambda: relayer.release_trades_with_sig(batch, [0], by),
            ACT.CONFIRM_SETTLEMENT: lambda: relayer.confirm_settlements_with_sig(
                batch, {0: _h("ref")}, by
            ),
            ACT.REGISTER_FINANCING: lambda: relayer.register_financing_with_sig(
                batch, [0], _h("terms"), by
            ),
        }[action]
        with pytest.raises(ContractReverted) as exc_info:
            relay()
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address("outsider"), keccak(text=role)),
        )
        assert world.trade().nonces(world.address("outsider")) == 0

    def test_release_with_sig_rejects_a_replayed_signature(self, world):
        recorded = self._record(world, 3)
        by = self._sign_selection(world, ACT.RELEASE, recorded, [0, 1, 2]).by
        relayer = world.trade("outsider")
        relayer.release_trades_with_sig(recorded.batch, [0, 1, 2], by)
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(recorded.batch, [0, 1, 2], by)
        assert _reverted(exc_info) == ("InvalidAccountNonce", (world.address("customs"), 1))

    def test_with_sig_rejects_a_nonce_signed_ahead(self, world):
        """A signature over a nonce not yet reached (the signer signed two, the second is
        relayed first) is refused until the first one used up its nonce."""
        recorded = self._record(world, 2)
        first = self._sign_selection(world, ACT.RELEASE, recorded, [0], nonce=0).by
        second = self._sign_selection(world, ACT.RELEASE, recorded, [1], nonce=1).by
        relayer = world.trade("outsider")
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(recorded.batch, [1], second)
        assert _reverted(exc_info) == ("InvalidAccountNonce", (world.address("customs"), 0))
        relayer.release_trades_with_sig(recorded.batch, [0], first)
        relayer.release_trades_with_sig(recorded.batch, [1], second)
        assert world.trade().nonces(world.address("customs")) == 2

    def test_release_with_sig_rejects_an_expired_authorization(self, world):
        recorded = self._record(world, 2)
        deadline = world.w3.eth.get_block("latest")["timestamp"] - 1
        by = self._sign_selection(world, ACT.RELEASE, recorded, [0, 1], deadline=deadline).by
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").release_trades_with_sig(recorded.batch, [0, 1], by)
        assert _reverted(exc_info) == ("TradeRegistryExpiredAuthorization", (deadline,))

    @pytest.mark.parametrize(
        ("tamper", "relayed"),
        [("dropped", [0, 1]), ("added", [0, 1, 2, 3]), ("replaced", [0, 1, 3]),
         ("nonce", [0, 1, 2]), ("deadline", [0, 1, 2])],
    )  # fmt: skip
    def test_release_with_sig_rejects_other_positions_nonce_or_deadline(
        self, world, tamper, relayed
    ):
        recorded = self._record(world, 4)
        signed = self._sign_selection(world, ACT.RELEASE, recorded, [0, 1, 2])
        nonce = signed.by.nonce + (tamper == "nonce")
        deadline = signed.by.deadline + (tamper == "deadline")
        forged = Signed(signed.by.signer, nonce, deadline, signed.by.signature)
        described = self._sign_selection(
            world, ACT.RELEASE, recorded, relayed, nonce=nonce, deadline=deadline
        ).typed  # what the relayed call describes; the contract recovers over it
        recovered = recover_authorization_signer(described, signed.by.signature)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").release_trades_with_sig(recorded.batch, relayed, forged)
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidSigner",
            (recovered, world.address("customs")),
        )
        assert recovered != world.address("customs")
        assert world.trade().nonces(world.address("customs")) == 0

    def test_release_with_sig_rejects_the_same_positions_of_another_batch(self, world):
        """The subject names the batch (and its root): a signature cannot release the same
        positions of another batch."""
        first, second = self._record(world, 2, "first"), self._record(world, 2, "second")
        by = self._sign_selection(world, ACT.RELEASE, first, [0, 1]).by
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").release_trades_with_sig(second.batch, [0, 1], by)
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        world.trade("outsider").release_trades_with_sig(first.batch, [0, 1], by)
        assert world.trade().trade_at(second.batch, 0).state is TradeState.MATCHED

    def test_signature_over_a_batch_does_not_release_that_number_with_another_root(self, world):
        """The root is part of the subject: once batch B's verdicts differ (here the chain
        is rolled back and batch B recorded again on other trades), B's old signature is void."""
        with reverted(world.w3) as w3:  # a Web3 of its own: its account nonces roll back too
            before = replace(world, w3=w3)
            original = self._record(before, 2, "original")
            by = self._sign_selection(before, ACT.RELEASE, original, [0, 1]).by
        again = self._record(world, 2, "rerecorded")
        assert (again.batch, again.root != original.root) == (original.batch, True)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").release_trades_with_sig(again.batch, [0, 1], by)
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        assert world.trade().trade_at(again.batch, 0).state is TradeState.MATCHED

    def test_release_with_sig_refuses_a_verdict_superseded_since_it_was_signed(self, world):
        """Customs signed the release of the verdict (and documents) it saw; once a later
        verdict supersedes it, the signature releases neither the old position nor the new."""
        old = self._record(world, 1)
        trade_id = old.ids[0]
        by = self._sign_selection(world, ACT.RELEASE, old, [0]).by
        proof = OrderedMerkleTree([verdict_leaf(old.batch, 0, trade_id, _verdict(trade_id), True)])
        supersession = Supersession(
            0, old.batch, 0, _verdict(trade_id), True, tuple(proof.proof(0))
        )
        anchorer = world.trade()
        new = anchorer.recorded_batch(
            anchorer.record_verdict_batch([trade_id], [_h("swapped goods")], [True], [supersession])
        ).batch
        relayer = world.trade("outsider")
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(old.batch, [0], by)
        assert _reverted(exc_info) == ("TradeRegistryTradeSuperseded", (old.batch, 0))
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(new, [0], by)
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        assert world.trade().trade_at(new, 0).state is TradeState.MATCHED
        assert world.trade().nonces(world.address("customs")) == 0

    def test_settlement_with_sig_rejects_other_references(self, world):
        recorded = self._record(world, 2)
        world.trade("customs").release_trades(recorded.batch, [0, 1])
        signed_refs = [_h("ref0"), _h("ref1")]
        by = self._sign_selection(
            world, ACT.CONFIRM_SETTLEMENT, recorded, [0, 1], settlement_data(signed_refs),
            signer="bank",
        ).by  # fmt: skip
        relayer = world.trade("outsider")
        for refs in ({0: _h("ref1"), 1: _h("ref0")}, {0: _h("ref0"), 1: _h("other")}):
            with pytest.raises(ContractReverted) as exc_info:
                relayer.confirm_settlements_with_sig(recorded.batch, refs, by)
            assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        relayer.confirm_settlements_with_sig(recorded.batch, dict(enumerate(signed_refs)), by)
        assert world.trade().trade_at(recorded.batch, 1).state is TradeState.SETTLED

    def test_financing_with_sig_rejects_other_terms_or_another_action(self, world):
        recorded = self._record(world, 1)
        batch, terms = recorded.batch, _h("terms")
        by = self._sign_selection(
            world, ACT.REGISTER_FINANCING, recorded, [0], terms, signer="bank"
        ).by
        relayer = world.trade("outsider")
        with pytest.raises(ContractReverted) as exc_info:
            relayer.register_financing_with_sig(batch, [0], _h("better terms"), by)
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        # The same subject and data signed for a settlement does not register a financing.
        data = settlement_data([_h("ref")])
        settle = self._sign_selection(
            world, ACT.CONFIRM_SETTLEMENT, recorded, [0], data, signer="bank"
        ).by
        with pytest.raises(ContractReverted) as exc_info:
            relayer.register_financing_with_sig(batch, [0], data, settle)
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        assert world.trade().trade_at(batch, 0).financing_id == 0

    def test_with_sig_rejects_a_signature_named_for_someone_else(self, world):
        recorded = self._record(world, 2)
        signed = self._sign_selection(world, ACT.RELEASE, recorded, [0, 1])
        relayer = world.trade("outsider")
        as_bank = Signed(world.address("bank"), 0, signed.by.deadline, signed.by.signature)
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(recorded.batch, [0, 1], as_bank)
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidSigner",
            (world.address("customs"), world.address("bank")),
        )
        malformed = Signed(world.address("customs"), 0, signed.by.deadline, b"\1" * 64)
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(recorded.batch, [0, 1], malformed)
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidSigner",
            ("0x" + "00" * 20, world.address("customs")),
        )

    def test_discharge_with_sig_rejects_a_bank_that_is_not_the_financier(self, world):
        recorded = self._record(world, 1)
        financing_id = self._financed(world, recorded, [0])
        subject = discharge_subject(financing_id, [0])
        by = self._sign(world, ACT.DISCHARGE_FINANCING, subject, signer="bank2").by
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").discharge_financing_with_sig(financing_id, [0], by)
        assert _reverted(exc_info) == (
            "TradeRegistryNotFinancier",
            (financing_id, world.address("bank"), world.address("bank2")),
        )
        assert world.trade().trade_at(recorded.batch, 0).financing_id == financing_id

    def test_discharge_with_sig_rejects_other_positions_or_another_financing(self, world):
        recorded = self._record(world, 3)
        first = self._financed(world, recorded, [0, 1])
        second = self._financed(world, recorded, [2])
        by = self._sign(
            world, ACT.DISCHARGE_FINANCING, discharge_subject(first, [0, 1]), signer="bank"
        ).by
        relayer = world.trade("outsider")
        for financing_id, positions in ((first, [0]), (second, [0, 1])):
            with pytest.raises(ContractReverted) as exc_info:
                relayer.discharge_financing_with_sig(financing_id, positions, by)
            assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        relayer.discharge_financing_with_sig(first, [0, 1], by)
        assert [world.trade().trade_at(recorded.batch, p).financing_id for p in range(3)] == [
            0,
            0,
            second,
        ]

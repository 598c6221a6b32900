"""TradeRegistry's ``...WithSig`` functions, mixed into the registry suite (every backend).

Customs and banks sign EIP-712 authorizations with their own keys; the ``outsider``
account relays them, so the events must name the signer, never the relayer.
"""

from __future__ import annotations

import hashlib

import pytest
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from ledger_client import (
    AuthorizationAction,
    ContractReverted,
    authorization_digest,
    authorization_typed_data,
    recover_authorization_signer,
    sign_authorization,
)
from ledger_client.events import (
    FinancingDischarged,
    FinancingRegistered,
    SettlementConfirmed,
    TradeReleased,
)
from traceability.merkle import MerkleTree, leaf_hash
from traceability.trade.verdict import trade_verdict_key

ZERO = b"\0" * 32
HOUR = 3600
#: The (trade id, verdict) pair behind each trade-verdict key a test signed.
_PAIR_OF: dict[bytes, tuple[bytes, bytes]] = {}


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _verdict(trade_id: bytes) -> bytes:
    """The verdict :meth:`SelfCustodyBehaviour._matched` recorded for ``trade_id``."""
    return _h("verdict of " + trade_id.hex())


def _key(trade_id: bytes, verdict: bytes | None = None) -> bytes:
    verdict = _verdict(trade_id) if verdict is None else verdict
    key = trade_verdict_key(trade_id, verdict)
    _PAIR_OF[key] = (trade_id, verdict)
    return key


def _unzip(keys) -> tuple[list[bytes], list[bytes]]:
    pairs = [_PAIR_OF[key] for key in keys]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple[object, ...]]:
    return exc_info.value.error_name, exc_info.value.args


class SelfCustodyBehaviour:
    """Authorizations signed off chain and relayed by anyone."""

    def _matched(self, world, count: int) -> list[bytes]:
        ids = [_h(f"sig-trade{i}") for i in range(count)]
        world.trade().record_verdicts(ids, [_verdict(t) for t in ids], [True] * count)
        return ids

    def _typed(self, world, action, root, data=ZERO, *, signer="customs", **given):
        client = world.trade()
        nonce, deadline = given.get("nonce"), given.get("deadline")
        if nonce is None:
            nonce = client.nonces(world.address(signer))
        if deadline is None:
            deadline = world.w3.eth.get_block("latest")["timestamp"] + HOUR
        return authorization_typed_data(
            action, root, data, nonce, deadline, world.w3.eth.chain_id, client.address
        )

    def _sign(self, world, typed, signer="customs"):
        return sign_authorization(typed, world.accounts[signer].key)

    def _release_authorization(self, world, ids, signer="customs", **kwargs):
        keys = [_key(t) for t in ids]
        tree = MerkleTree.build(keys)
        multiproof = tree.multiproof(keys)
        typed = self._typed(world, AuthorizationAction.RELEASE, tree.root, signer=signer, **kwargs)
        return typed, multiproof, self._sign(world, typed, signer)

    def _relay_release(self, world, signer, keys, flags, typed, signature):
        """Relay the release of the trades behind ``keys``, each on its keyed verdict."""
        message = typed["message"]
        trade_ids, verdicts = _unzip(keys)
        return world.trade("outsider").release_with_sig(
            world.address(signer),
            trade_ids,
            verdicts,
            flags,
            message["nonce"],
            message["deadline"],
            signature.signature,
        )

    # Success -----------------------------------------------------------------------

    @pytest.mark.parametrize("count", [1, 5])
    def test_release_with_sig_releases_exactly_the_signed_trades(self, world, count):
        ids = self._matched(world, count)
        typed, multiproof, signature = self._release_authorization(world, ids)
        result = self._relay_release(
            world, "customs", multiproof.leaves, multiproof.proof_flags, typed, signature
        )
        customs = world.address("customs")
        released, verdicts = _unzip(multiproof.leaves)
        assert result.events == tuple(
            TradeReleased(trade_id=t, verdict_hash=v, customs=customs)
            for t, v in zip(released, verdicts, strict=True)
        )
        assert sorted(released) == sorted(ids)
        assert world.trade().nonces(customs) == 1
        assert all(world.trade().trade(t).released_block == result.block_number for t in ids)

    def test_release_of_one_trade_signs_its_trade_verdict_leaf(self, world):
        (trade_id,) = self._matched(world, 1)
        typed, multiproof, _ = self._release_authorization(world, [trade_id])
        key = trade_verdict_key(trade_id, _verdict(trade_id))
        assert world.trade().trade_verdict_key(trade_id, _verdict(trade_id)) == key
        assert typed["message"]["tradesRoot"] == "0x" + leaf_hash(key).hex()
        assert (multiproof.leaves, multiproof.proof_flags) == ((key,), ())

    def test_release_with_sig_refuses_another_verdict_than_the_signed_one(self, world):
        """Customs signed the release of the documents it saw; once they change (a new
        verdict), neither the old signature nor a relay naming the new verdict releases."""
        (trade_id,) = self._matched(world, 1)
        typed, multiproof, signature = self._release_authorization(world, [trade_id])
        world.trade().record_verdict(trade_id, _h("swapped goods"), True)
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(world, "customs", multiproof.leaves, (), typed, signature)
        assert _reverted(exc_info) == (
            "TradeRegistryVerdictChanged",
            (trade_id, _h("swapped goods"), _verdict(trade_id)),
        )
        relabelled = [_key(trade_id, _h("swapped goods"))]
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(world, "customs", relabelled, (), typed, signature)
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidSigner"
        assert not world.trade().trade(trade_id).released_block

    def test_settlement_and_financing_with_sig_act_for_the_bank(self, world):
        (trade_id,) = self._matched(world, 1)
        verdict = _verdict(trade_id)
        world.trade("customs").release(trade_id, verdict)
        relayer, bank = world.trade("outsider"), world.address("bank")
        keyed, bare = leaf_hash(trade_verdict_key(trade_id, verdict)), leaf_hash(trade_id)
        act = AuthorizationAction
        steps = [
            (act.REGISTER_FINANCING, _h("terms"), relayer.register_financing_with_sig, keyed,
             FinancingRegistered(trade_id, verdict, bank, _h("terms"))),
            (act.CONFIRM_SETTLEMENT, _h("ref"), relayer.confirm_settlement_with_sig, keyed,
             SettlementConfirmed(trade_id, verdict, _h("ref"), bank)),
            (act.DISCHARGE_FINANCING, None, relayer.discharge_financing_with_sig, bare,
             FinancingDischarged(trade_id, bank)),
        ]  # fmt: skip
        for nonce, (action, data, relay, leaf, event) in enumerate(steps):
            typed = self._typed(world, action, leaf, data or ZERO, signer="bank")
            signature = self._sign(world, typed, "bank").signature
            deadline = typed["message"]["deadline"]
            named = [verdict, data] if data else []
            args = (bank, trade_id, *named, nonce, deadline, signature)
            assert relay(*args).events == (event,)
        record = world.trade().trade(trade_id)
        assert (record.settlement_ref, record.financier) == (_h("ref"), None)
        assert world.trade().nonces(bank) == 3

    def test_typed_data_matches_the_contract_domain(self, world):
        typed = self._typed(world, AuthorizationAction.RELEASE, _h("root"))
        assert encode_typed_data(full_message=typed).header == world.trade().domain_separator()
        signature = self._sign(world, typed)
        assert signature.digest == authorization_digest(typed)
        assert recover_authorization_signer(typed, signature.hex) == world.address("customs")

    # Refusals ----------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("action", "role"),
        [
            (AuthorizationAction.RELEASE, "CUSTOMS_ROLE"),
            (AuthorizationAction.CONFIRM_SETTLEMENT, "BANK_ROLE"),
            (AuthorizationAction.REGISTER_FINANCING, "BANK_ROLE"),
        ],
    )
    def test_with_sig_rejects_signer_without_role(self, world, action, role):
        (trade_id,) = self._matched(world, 1)
        data = ZERO if action is AuthorizationAction.RELEASE else _h("data")
        verdict = _verdict(trade_id)
        leaf = leaf_hash(trade_verdict_key(trade_id, verdict))
        typed = self._typed(world, action, leaf, data, signer="outsider")
        signature = self._sign(world, typed, "outsider").signature
        relayer, signer = world.trade("anchorer"), world.address("outsider")
        deadline = typed["message"]["deadline"]
        relay = {
            AuthorizationAction.RELEASE: lambda: relayer.release_with_sig(
                signer, [trade_id], [verdict], [], 0, deadline, signature
            ),
            AuthorizationAction.CONFIRM_SETTLEMENT: lambda: relayer.confirm_settlement_with_sig(
                signer, trade_id, verdict, data, 0, deadline, signature
            ),
            AuthorizationAction.REGISTER_FINANCING: lambda: relayer.register_financing_with_sig(
                signer, trade_id, verdict, data, 0, deadline, signature
            ),
        }[action]
        with pytest.raises(ContractReverted) as exc_info:
            relay()
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (signer, keccak(text=role)),
        )

    def test_release_with_sig_rejects_a_replayed_signature(self, world):
        ids = self._matched(world, 3)
        typed, multiproof, signature = self._release_authorization(world, ids)
        args = (world, "customs", multiproof.leaves, multiproof.proof_flags, typed, signature)
        self._relay_release(*args)
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(*args)
        assert _reverted(exc_info) == ("InvalidAccountNonce", (world.address("customs"), 1))

    def test_release_with_sig_rejects_an_expired_authorization(self, world):
        ids = self._matched(world, 2)
        deadline = world.w3.eth.get_block("latest")["timestamp"] - 1
        typed, multiproof, signature = self._release_authorization(world, ids, deadline=deadline)
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(
                world, "customs", multiproof.leaves, multiproof.proof_flags, typed, signature
            )
        assert _reverted(exc_info) == ("TradeRegistryExpiredAuthorization", (deadline,))

    @pytest.mark.parametrize("tamper", ["dropped", "added", "replaced", "nonce"])
    def test_release_with_sig_rejects_tampered_authorization(self, world, tamper):
        ids = self._matched(world, 4)
        typed, _, signature = self._release_authorization(world, ids[:3])
        relayed = [
            _key(t)
            for t in {"dropped": ids[:2], "added": ids, "replaced": [*ids[:2], ids[3]]}.get(
                tamper, ids[:3]
            )
        ]
        forged = MerkleTree.build(relayed).multiproof(relayed)
        nonce = 1 if tamper == "nonce" else 0
        forged_typed = self._typed(
            world,
            AuthorizationAction.RELEASE,
            MerkleTree.build(relayed).root,
            nonce=nonce,
            deadline=typed["message"]["deadline"],
        )
        recovered = recover_authorization_signer(forged_typed, signature.signature)
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(
                world, "customs", forged.leaves, forged.proof_flags, forged_typed, signature
            )
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidSigner",
            (recovered, world.address("customs")),
        )
        assert recovered != world.address("customs")

    def test_with_sig_rejects_a_signature_named_for_someone_else(self, world):
        ids = self._matched(world, 2)
        typed, multiproof, signature = self._release_authorization(world, ids)
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(
                world, "bank", multiproof.leaves, multiproof.proof_flags, typed, signature
            )
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidSigner",
            (world.address("customs"), world.address("bank")),
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").release_with_sig(
                world.address("customs"),
                ids[:1],
                [_verdict(ids[0])],
                [],
                0,
                typed["message"]["deadline"],
                b"\1" * 64,
            )
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidSigner",
            ("0x" + "00" * 20, world.address("customs")),
        )

    def test_release_with_sig_refuses_a_subset_that_needs_proof_hashes(self, world):
        ids = self._matched(world, 4)
        typed, _, signature = self._release_authorization(world, ids)
        # The subset's multiproof against the signed tree needs proof hashes, which the
        # function cannot take: the proof is always empty, so the sizes cannot add up.
        keys = [_key(t) for t in ids]
        subset = MerkleTree.build(keys).multiproof(keys[:2])
        assert subset.proof
        assert not all(subset.proof_flags)
        with pytest.raises(ContractReverted) as exc_info:
            self._relay_release(
                world, "customs", subset.leaves, subset.proof_flags, typed, signature
            )
        assert _reverted(exc_info) == ("MerkleProofInvalidMultiproof", ())
        assert world.trade().nonces(world.address("customs")) == 0

    def test_discharge_with_sig_rejects_a_bank_that_is_not_the_financier(self, world):
        (trade_id,) = self._matched(world, 1)
        world.trade("bank").register_financing(trade_id, _verdict(trade_id), _h("terms"))
        typed = self._typed(
            world, AuthorizationAction.DISCHARGE_FINANCING, leaf_hash(trade_id), signer="bank2"
        )
        signature = self._sign(world, typed, "bank2").signature
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").discharge_financing_with_sig(
                world.address("bank2"), trade_id, 0, typed["message"]["deadline"], signature
            )
        assert _reverted(exc_info) == (
            "TradeRegistryNotFinancier",
            (trade_id, world.address("bank"), world.address("bank2")),
        )

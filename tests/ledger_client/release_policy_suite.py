"""Standing release policies on chain: customs signs a policy, anyone adopts it, the
anchorer releases within it, and the registry refuses everything outside it. Mixed into
the registry behaviour run on every backend."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from ledger_client import (
    AuthorizationAction,
    ContractReverted,
    Decision,
    PartyLists,
    ReleasePolicy,
    Signed,
    TradeState,
    authorization_typed_data,
    decision_leaf,
    mask_of,
    party_id,
    release_policy_typed_data,
    sign_authorization,
)
from ledger_client.events import (
    ReleasePolicyAdopted,
    ReleasePolicyRevoked,
    TradesReleased,
    TradesReleasedUnderPolicy,
)
from tests.chain import advance_time
from traceability.ordered_merkle import OrderedMerkleTree

DAY = 86_400
LIMIT = 500_000  # 5,000.00 yuan in fen
CUSTOMS_ROLE = keccak(text="CUSTOMS_ROLE")


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _now(world) -> int:
    return int(world.w3.eth.get_block("latest")["timestamp"])


def _reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple]:
    return exc_info.value.error_name, exc_info.value.args


def _low(value: int = 12_345, mode: str = "9610", label: str = "inputs") -> Decision:
    return Decision("low", mode, value, _h(label))


class ReleasePolicyBehaviour:
    """TradeRegistry's standing release policies (graded release)."""

    def _rp_batch(self, world, count=4, label="pol", matched=None, parties=None):
        ids = [_h(f"{label}-trade{i}") for i in range(count)]
        client = world.trade()
        result = client.record_verdict_batch(
            ids,
            [_h(f"{label}-verdict{i}") for i in range(count)],
            matched or [True] * count,
            parties=parties,
        )
        return client.recorded_batch(result).batch

    def _rp_policy(self, world, **terms) -> ReleasePolicy:
        now = _now(world)
        given = {
            "grades": frozenset({"low"}),
            "modes": frozenset({"9610", "1210"}),
            "max_value": LIMIT,
            "valid_from": now - 10,
            "valid_until": now + DAY,
            "salt": _h("policy salt"),
        }
        given.update(terms)
        return ReleasePolicy(**given)

    def _rp_signed(self, world, policy: ReleasePolicy, signer="customs") -> bytes:
        typed = release_policy_typed_data(policy, world.w3.eth.chain_id, world.trade().address)
        return sign_authorization(typed, world.accounts[signer].key).signature

    def _rp_adopt(self, world, policy=None, signer="customs"):
        policy = policy or self._rp_policy(world)
        signature = self._rp_signed(world, policy, signer)
        result = world.trade("outsider").adopt_release_policy(
            policy, world.address(signer), signature
        )
        (event,) = result.events
        return policy, event.policy_id, result

    def _rp_release(
        self, world, batch, policy_id, decisions, *, parties=None, who="anchorer", root=None
    ):
        client = world.trade(who)
        verdict_root = world.trade().verdict_batch_of(batch).root
        leaves = [decision_leaf(batch, p, decisions[p]) for p in sorted(decisions)]
        decisions_root = root if root is not None else OrderedMerkleTree(leaves).root
        return client.release_trades_under_policy(
            batch, verdict_root, policy_id, decisions, decisions_root, parties=parties
        )

    # Adoption ---------------------------------------------------------------------

    def test_adopted_policy_is_on_chain_under_its_eip712_digest(self, world):
        policy, policy_id, result = self._rp_adopt(world)
        customs = world.address("customs")
        assert result.events == (
            ReleasePolicyAdopted(
                policy_id=policy_id,
                signer=customs,
                by=world.address("outsider"),
                grades=1,
                modes=0b1001,
                max_value=LIMIT,
                valid_from=policy.valid_from,
                valid_until=policy.valid_until,
            ),
        )
        # The id is the EIP-712 digest, computed here by eth-account alone.
        typed = release_policy_typed_data(policy, world.w3.eth.chain_id, world.trade().address)
        signable = encode_typed_data(full_message=typed)
        assert policy_id == keccak(b"\x19" + signable.version + signable.header + signable.body)
        assert world.trade().release_policy_id(policy) == policy_id
        view = world.trade().release_policy_of(policy_id)
        assert (view.signer, view.grades, view.modes, view.max_value) == (
            customs,
            frozenset({"low"}),
            frozenset({"9610", "1210"}),
            LIMIT,
        )
        assert (view.revoked, view.in_force) == (False, True)
        assert world.trade().release_policy_of(_h("no such policy")) is None

    def test_adoption_refuses_a_signature_not_the_named_signers(self, world):
        policy = self._rp_policy(world)
        signature = self._rp_signed(world, policy, "bank")
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().adopt_release_policy(policy, world.address("customs"), signature)
        assert _reverted(exc_info) == (
            "TradeRegistryInvalidPolicySigner",
            (world.address("bank"), world.address("customs")),
        )
        # A signature over other terms does not carry over either.
        other = replace(policy, max_value=LIMIT * 10)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade().adopt_release_policy(
                other, world.address("customs"), self._rp_signed(world, policy)
            )
        assert _reverted(exc_info)[0] == "TradeRegistryInvalidPolicySigner"

    def test_adoption_refuses_a_signer_without_the_customs_role(self, world):
        policy = self._rp_policy(world)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_adopt(world, policy, signer="bank")
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address("bank"), CUSTOMS_ROLE),
        )

    def test_adoption_refuses_bad_terms_naming_them(self, world):
        now = _now(world)
        policy = self._rp_policy(world)
        # The Python type refuses these terms; the contract must refuse them on its own.
        high = replace(policy)
        object.__setattr__(high, "grades", frozenset({"low", "high"}))
        no_modes = replace(policy)
        object.__setattr__(no_modes, "modes", frozenset())
        cases = [
            (high, ("TradeRegistryPolicyGrades", (0b101,))),
            (no_modes, ("TradeRegistryPolicyModes", (0,))),
            (
                replace(policy, valid_from=now + DAY, valid_until=now + DAY),
                ("TradeRegistryPolicyPeriod", (now + DAY, now + DAY)),
            ),
            (
                replace(policy, valid_from=0, valid_until=now - 1),
                ("TradeRegistryPolicyPeriod", (0, now - 1)),
            ),
        ]
        for terms, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                self._rp_adopt(world, terms)
            assert _reverted(exc_info) == expected
        _, policy_id, _ = self._rp_adopt(world, policy)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_adopt(world, policy)
        assert _reverted(exc_info) == ("TradeRegistryPolicyAlreadyAdopted", (policy_id,))

    # Release under a policy ---------------------------------------------------------

    def test_release_under_policy_commits_each_decision_under_its_root(self, world):
        batch = self._rp_batch(world, 5)
        _, policy_id, _ = self._rp_adopt(world)
        decisions = {
            0: _low(100, "9610", "in0"),
            2: _low(LIMIT, "1210", "in2"),
            4: _low(0, "9610", "in4"),
        }
        result = self._rp_release(world, batch, policy_id, decisions)
        mask = tuple(mask_of(decisions))
        released, under = result.events
        assert released == TradesReleased(batch=batch, customs=world.address("customs"), mask=mask)
        root = OrderedMerkleTree([decision_leaf(batch, p, decisions[p]) for p in (0, 2, 4)]).root
        facts = b"".join(decisions[p].fact() for p in (0, 2, 4))
        assert facts[8:16] == bytes([0, 3]) + LIMIT.to_bytes(6, "big")
        assert under == TradesReleasedUnderPolicy(
            batch=batch,
            policy_id=policy_id,
            decisions_root=root,
            facts_hash=keccak(facts),
            relayer=world.address("anchorer"),
            mask=mask,
        )
        states = [world.trade().trade_at(batch, p).state for p in range(5)]
        assert states == [TradeState.RELEASED, TradeState.MATCHED] * 2 + [TradeState.RELEASED]
        found = world.trade().policy_release_of(root)
        assert (found.verdict_batch, found.block_number, found.count, found.facts_hash) == (
            batch,
            result.block_number,
            3,
            keccak(facts),
        )
        assert world.trade().policy_release_of(_h("other root")) is None
        # The Python leaf is the contract's.
        d = decisions[2]
        client = world.trade()
        on_chain = client._tx.call(client._fn.decisionLeaf(batch, 2, 0, 3, LIMIT, d.inputs_hash))
        assert bytes(on_chain) == decision_leaf(batch, 2, d)

    @pytest.mark.parametrize(
        "decision",
        [
            Decision("medium", "9610", 100, _h("in")),
            Decision("high", "9610", 100, _h("in")),
            Decision("low", "9710", 100, _h("in")),
            Decision("low", "9610", LIMIT + 1, _h("in")),
        ],
        ids=["medium", "high", "mode", "value"],
    )
    def test_release_refuses_a_decision_outside_the_policy(self, world, decision):
        batch = self._rp_batch(world, 3)
        _, policy_id, _ = self._rp_adopt(world)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low(), 2: decision})
        assert _reverted(exc_info) == ("TradeRegistryOutsidePolicy", (policy_id, batch, 2))
        assert world.trade().trade_at(batch, 0).state is TradeState.MATCHED

    def test_release_refuses_facts_that_do_not_match_the_selection(self, world):
        batch = self._rp_batch(world, 3)
        _, policy_id, _ = self._rp_adopt(world)
        client = world.trade()
        fact = _low().fact()
        for facts in (fact, fact * 3, fact * 2 + b"\0"):
            root = client.verdict_batch_of(batch).root
            fn = client._fn.releaseTradesUnderPolicy(
                batch, mask_of([0, 1]), (policy_id, root, facts, _h("decisions")), ([], b"")
            )
            with pytest.raises(ContractReverted) as exc_info:
                client.wait_for_receipt(client._tx.send(fn))
            assert _reverted(exc_info) == ("TradeRegistryDecisionCount", (2, len(facts)))

    def test_release_refuses_a_zero_or_used_decisions_root(self, world):
        batch = self._rp_batch(world, 2)
        _, policy_id, _ = self._rp_adopt(world)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low()}, root=bytes(32))
        assert _reverted(exc_info) == ("TradeRegistryInvalidDecisionsRoot", (bytes(32),))
        self._rp_release(world, batch, policy_id, {0: _low()}, root=_h("used"))
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {1: _low()}, root=_h("used"))
        assert _reverted(exc_info) == ("TradeRegistryInvalidDecisionsRoot", (_h("used"),))

    def test_release_refuses_a_verdict_root_not_the_batchs(self, world):
        batch = self._rp_batch(world, 2)
        _, policy_id, _ = self._rp_adopt(world)
        client = world.trade()
        with pytest.raises(ContractReverted) as exc_info:
            client.release_trades_under_policy(
                batch, _h("stale root"), policy_id, {0: _low()}, _h("decisions")
            )
        assert _reverted(exc_info) == (
            "TradeRegistryVerdictRootMismatch",
            (batch, _h("stale root")),
        )
        assert client.trade_at(batch, 0).state is TradeState.MATCHED

    def test_release_under_policy_keeps_the_state_rules(self, world):
        batch = self._rp_batch(world, 3, matched=[True, False, True])
        _, policy_id, _ = self._rp_adopt(world)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {1: _low()})
        assert _reverted(exc_info) == ("TradeRegistryTradeNotMatched", (batch, 1))
        world.trade("customs").release_trades(batch, [2])
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low(), 2: _low()})
        assert _reverted(exc_info) == ("TradeRegistryTradeAlreadyReleased", (batch, 2))

    @pytest.mark.parametrize("who", ["outsider", "customs", "bank"])
    def test_only_the_anchorer_releases_under_a_policy(self, world, who):
        batch = self._rp_batch(world, 1)
        _, policy_id, _ = self._rp_adopt(world)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low()}, who=who)
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address(who), keccak(text="ANCHORER_ROLE")),
        )

    def test_release_under_policy_refuses_a_listed_party(self, world):
        platform = party_id("EBP-1")
        parties = PartyLists.of([(platform,), (party_id("EBP-2"),)])
        batch = self._rp_batch(world, 2, parties=parties)
        _, policy_id, _ = self._rp_adopt(world)
        world.trade("regulator").list_party(platform, _now(world) + DAY, "fictitious trade")
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low(), 1: _low()}, parties=parties)
        assert _reverted(exc_info) == ("TradeRegistryPartyListed", (platform, batch, 0))
        self._rp_release(world, batch, policy_id, {1: _low()}, parties=parties)

    def test_release_under_policy_refuses_a_trade_customs_cancelled(self, world):
        batch = self._rp_batch(world, 2, label="pol cancelled")
        _, policy_id, _ = self._rp_adopt(world)
        world.lifecycle("customs").cancel_trades(batch, {1: _h("ceb623 receipt")})
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low(), 1: _low()})
        assert _reverted(exc_info) == ("TradeRegistryTradeCancelled", (batch, 1))
        self._rp_release(world, batch, policy_id, {0: _low()})

    # A policy out of force ----------------------------------------------------------

    def test_unknown_policy_is_refused(self, world):
        batch = self._rp_batch(world, 1)
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, _h("nope"), {0: _low()})
        assert _reverted(exc_info) == ("TradeRegistryUnknownPolicy", (_h("nope"),))

    def test_policy_works_only_within_its_period(self, world):
        batch = self._rp_batch(world, 2)
        now = _now(world)
        policy = self._rp_policy(world, valid_from=now + 1_000, valid_until=now + 2_000)
        _, policy_id, _ = self._rp_adopt(world, policy)
        client = world.trade()
        assert client.release_policy_of(policy_id).in_force is False
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low()})
        assert _reverted(exc_info) == ("TradeRegistryPolicyNotInForce", (policy_id,))
        advance_time(world.w3, 1_100)
        self._rp_release(world, batch, policy_id, {0: _low()})
        advance_time(world.w3, 1_000)
        assert client.release_policy_of(policy_id).in_force is False
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {1: _low()})
        assert _reverted(exc_info) == ("TradeRegistryPolicyNotInForce", (policy_id,))

    def test_revoked_policy_releases_nothing(self, world):
        batch = self._rp_batch(world, 1)
        _, policy_id, _ = self._rp_adopt(world)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").revoke_release_policy(policy_id)
        assert _reverted(exc_info) == (
            "TradeRegistryNotPolicyRevoker",
            (policy_id, world.address("outsider")),
        )
        result = world.trade("customs").revoke_release_policy(policy_id)
        assert result.events == (
            ReleasePolicyRevoked(policy_id=policy_id, by=world.address("customs")),
        )
        assert world.trade().release_policy_of(policy_id).revoked is True
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low()})
        assert _reverted(exc_info) == ("TradeRegistryPolicyNotInForce", (policy_id,))
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("customs").revoke_release_policy(policy_id)
        assert _reverted(exc_info) == ("TradeRegistryPolicyNotInForce", (policy_id,))

    def test_customs_revokes_with_its_own_signature_relayed(self, world):
        _, policy_id, _ = self._rp_adopt(world)
        client = world.trade()
        nonce = client.nonces(world.address("customs"))
        deadline = _now(world) + 3_600
        typed = authorization_typed_data(
            AuthorizationAction.REVOKE_RELEASE_POLICY,
            policy_id,
            bytes(32),
            nonce,
            deadline,
            world.w3.eth.chain_id,
            client.address,
        )
        signature = sign_authorization(typed, world.accounts["customs"].key).signature
        by = Signed(world.address("customs"), nonce, deadline, signature)
        result = world.trade("outsider").revoke_release_policy_with_sig(policy_id, by)
        assert result.events == (
            ReleasePolicyRevoked(policy_id=policy_id, by=world.address("customs")),
        )
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("outsider").revoke_release_policy_with_sig(policy_id, by)
        assert _reverted(exc_info)[0] == "InvalidAccountNonce"

    def test_a_signer_who_lost_the_customs_role_takes_its_policies_along(self, world):
        batch = self._rp_batch(world, 1)
        _, policy_id, _ = self._rp_adopt(world)
        world.trade("admin").revoke_role("CUSTOMS_ROLE", world.address("customs"))
        assert world.trade().release_policy_of(policy_id).in_force is False
        with pytest.raises(ContractReverted) as exc_info:
            self._rp_release(world, batch, policy_id, {0: _low()})
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address("customs"), CUSTOMS_ROLE),
        )

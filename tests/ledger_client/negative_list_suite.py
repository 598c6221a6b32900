"""The negative list on chain: listing, expiry, lifting, and release and financing refused
for a trade a listed party signed. Mixed into the registry behaviour run on every backend."""

from __future__ import annotations

import hashlib

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger_client import (
    AuthorizationAction,
    ContractReverted,
    PartyLists,
    Signed,
    TradeState,
    authorization_typed_data,
    party_id,
    selection_subject,
    sign_authorization,
)
from ledger_client.events import (
    FinancingRegistered,
    PartyListed,
    PartyListingLifted,
    TradesReleased,
)
from tests.chain import advance_time

DAY = 86_400
PLATFORM, PAYER, CARRIER = party_id("EBP-1"), party_id("PAY-1"), party_id("LOG-1")
OTHER_PLATFORM = party_id("EBP-2")


def _h(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def _now(world) -> int:
    return int(world.w3.eth.get_block("latest")["timestamp"])


def _reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple]:
    return exc_info.value.error_name, exc_info.value.args


class NegativeListBehaviour:
    """TradeRegistry's negative list."""

    # Four trades: 0 and 2 signed by EBP-1, 1 and 3 by EBP-2; all share the payer and carrier.
    SIGNERS = (
        (PLATFORM, PAYER, CARRIER),
        (OTHER_PLATFORM, PAYER, CARRIER),
        (PLATFORM, CARRIER),
        (OTHER_PLATFORM,),
    )

    def _listed_batch(self, world, label="neg"):
        """Record four matched verdicts with their parties; return (batch, parties)."""
        ids = [_h(f"{label}-trade{i}") for i in range(4)]
        parties = PartyLists.of(self.SIGNERS)
        client = world.trade()
        result = client.record_verdict_batch(
            ids, [_h(f"{label}-verdict{i}") for i in range(4)], [True] * 4, parties=parties
        )
        return client.recorded_batch(result).batch, parties

    def _list(self, world, who="customs", pid=PLATFORM, until=None, reason="fraud suspected"):
        until = until if until is not None else _now(world) + DAY
        return world.trade(who).list_party(pid, until, reason)

    # Listing and lifting ------------------------------------------------------------

    @pytest.mark.parametrize("who", ["customs", "regulator"])
    def test_list_party_records_listing_with_event(self, world, who):
        until = _now(world) + DAY
        result = self._list(world, who, until=until)
        (event,) = result.events
        assert event == PartyListed(
            party_id=PLATFORM,
            by=world.address(who),
            since=event.since,
            until=until,
            reason="fraud suspected",
        )
        assert event.since == world.w3.eth.get_block(result.block_number)["timestamp"]
        listing = world.trade("outsider").listing_of(PLATFORM)
        assert (listing.since, listing.until, listing.active) == (event.since, until, True)

    @pytest.mark.parametrize("who", ["bank", "anchorer", "outsider"])
    def test_list_party_refuses_non_supervisors_with_role_error(self, world, who):
        regulator_role = keccak(text="REGULATOR_ROLE")
        with pytest.raises(ContractReverted) as exc_info:
            self._list(world, who)
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address(who), regulator_role),
        )
        self._list(world)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade(who).lift_listing(PLATFORM, "cleared")
        assert _reverted(exc_info)[0] == "AccessControlUnauthorizedAccount"

    def test_list_party_rejects_bad_input_naming_it(self, world):
        now = _now(world)
        customs = world.trade("customs")
        cases = [
            (
                lambda: customs.list_party(bytes(32), now + DAY, "r"),
                ("TradeRegistryZeroPartyId", ()),
            ),
            (
                lambda: customs.list_party(PLATFORM, now + DAY, ""),
                ("TradeRegistryEmptyListingReason", (PLATFORM,)),
            ),
            (
                lambda: customs.list_party(PLATFORM, now - 1, "r"),
                ("TradeRegistryInvalidListingPeriod", (PLATFORM, 0, now - 1)),
            ),
            (
                lambda: customs.list_party(PLATFORM, now + DAY, "r", since=now + 2 * DAY),
                ("TradeRegistryInvalidListingPeriod", (PLATFORM, now + 2 * DAY, now + DAY)),
            ),
        ]
        for call, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                call()
            assert _reverted(exc_info) == expected

    def test_lift_listing_ends_it_early_with_event(self, world):
        batch, parties = self._listed_batch(world)
        self._list(world)
        result = world.trade("regulator").lift_listing(PLATFORM, "appeal upheld")
        assert result.events == (
            PartyListingLifted(
                party_id=PLATFORM, by=world.address("regulator"), reason="appeal upheld"
            ),
        )
        assert world.trade().listing_of(PLATFORM).active is False
        world.trade("customs").release_trades(batch, [0, 2], parties=parties)
        assert world.trade().trade_at(batch, 0).state is TradeState.RELEASED
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("customs").lift_listing(PLATFORM, "again")
        assert _reverted(exc_info) == ("TradeRegistryPartyNotListed", (PLATFORM,))

    def test_listing_expires_by_itself(self, world):
        batch, parties = self._listed_batch(world)
        self._list(world, until=_now(world) + 100)
        customs = world.trade("customs")
        with pytest.raises(ContractReverted):
            customs.release_trades(batch, [0], parties=parties)
        advance_time(world.w3, 200)
        assert customs.listing_of(PLATFORM).active is False
        result = customs.release_trades(batch, [0], parties=parties)
        assert isinstance(result.events[0], TradesReleased)
        with pytest.raises(ContractReverted) as exc_info:
            customs.lift_listing(PLATFORM, "late")
        assert _reverted(exc_info) == ("TradeRegistryPartyNotListed", (PLATFORM,))

    def test_listing_from_a_later_time_starts_then(self, world):
        batch, parties = self._listed_batch(world)
        now = _now(world)
        customs = world.trade("customs")
        customs.list_party(PAYER, now + DAY, "from later", since=now + 500)
        listing = customs.listing_of(PAYER)
        assert (listing.since, listing.active) == (now + 500, False)
        # Not in force yet: the payer's trade is released.
        customs.release_trades(batch, [1], parties=parties)
        advance_time(world.w3, 1_000)
        assert customs.listing_of(PAYER).active is True
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("bank").register_financing(batch, [0], _h("terms"), parties=parties)
        assert _reverted(exc_info) == ("TradeRegistryPartyListed", (PAYER, batch, 0))

    # Release and financing refused ---------------------------------------------------

    def test_release_refuses_trade_a_listed_party_signed_naming_it(self, world):
        batch, parties = self._listed_batch(world)
        self._list(world, pid=OTHER_PLATFORM)
        customs = world.trade("customs")
        for positions, position in (([1], 1), ([0, 2, 3], 3), ([0, 1], 1)):
            with pytest.raises(ContractReverted) as exc_info:
                customs.release_trades(batch, positions, parties=parties)
            assert _reverted(exc_info) == (
                "TradeRegistryPartyListed",
                (OTHER_PLATFORM, batch, position),
            )
        # The trades of the same batch that no listed party signed are released.
        result = customs.release_trades(batch, [0, 2], parties=parties)
        assert result.events[0].positions == (0, 2)
        states = [customs.trade_at(batch, p).state for p in range(4)]
        assert states == [TradeState.RELEASED, TradeState.MATCHED] * 2

    def test_financing_refuses_trade_a_listed_party_signed(self, world):
        batch, parties = self._listed_batch(world)
        self._list(world, "regulator", pid=CARRIER)
        bank = world.trade("bank")
        with pytest.raises(ContractReverted) as exc_info:
            bank.register_financing(batch, [3, 2], _h("terms"), parties=parties)
        assert _reverted(exc_info) == ("TradeRegistryPartyListed", (CARRIER, batch, 2))
        result = bank.register_financing(batch, [3], _h("terms"), parties=parties)
        assert isinstance(result.events[0], FinancingRegistered)

    def _signed(self, world, signer, action, batch, positions, data=bytes(32)) -> Signed:
        client = world.trade()
        root = client.verdict_batch_of(batch).root
        nonce = client.nonces(world.address(signer))
        deadline = _now(world) + 3_600
        typed = authorization_typed_data(
            action,
            selection_subject(batch, root, positions),
            data,
            nonce,
            deadline,
            world.w3.eth.chain_id,
            client.address,
        )
        signature = sign_authorization(typed, world.accounts[signer].key).signature
        return Signed(world.address(signer), nonce, deadline, signature)

    def test_relayed_release_and_financing_refuse_a_listed_party(self, world):
        batch, parties = self._listed_batch(world)
        self._list(world, pid=PAYER)
        relayer = world.trade("outsider")
        by = self._signed(world, "customs", AuthorizationAction.RELEASE, batch, [0])
        with pytest.raises(ContractReverted) as exc_info:
            relayer.release_trades_with_sig(batch, [0], by, parties=parties)
        assert _reverted(exc_info) == ("TradeRegistryPartyListed", (PAYER, batch, 0))
        terms = _h("terms")
        by = self._signed(world, "bank", AuthorizationAction.REGISTER_FINANCING, batch, [1], terms)
        with pytest.raises(ContractReverted) as exc_info:
            relayer.register_financing_with_sig(batch, [1], terms, by, parties=parties)
        assert _reverted(exc_info) == ("TradeRegistryPartyListed", (PAYER, batch, 1))
        by = self._signed(world, "customs", AuthorizationAction.RELEASE, batch, [3])
        relayer.release_trades_with_sig(batch, [3], by, parties=parties)
        assert relayer.trade_at(batch, 3).state is TradeState.RELEASED

    @pytest.mark.parametrize("tamper", ["drop_party", "swap_slots", "other_party", "short"])
    def test_release_refuses_party_lists_other_than_committed(self, world, tamper):
        batch, parties = self._listed_batch(world)
        self._list(world)
        wrong = {
            "drop_party": PartyLists.of([(), (OTHER_PLATFORM,), (), (OTHER_PLATFORM,)]),
            "swap_slots": PartyLists(
                parties.parties, parties.slots[8:16] + parties.slots[:8] + parties.slots[16:]
            ),
            "other_party": PartyLists((OTHER_PLATFORM, *parties.parties[1:]), parties.slots),
            "short": PartyLists(parties.parties, parties.slots[:-8]),
        }[tamper]
        calls = (
            lambda: world.trade("customs").release_trades(batch, [0], parties=wrong),
            lambda: world.trade("bank").register_financing(batch, [0], _h("t"), parties=wrong),
        )
        for call in calls:
            with pytest.raises(ContractReverted) as exc_info:
                call()
            assert _reverted(exc_info) == ("TradeRegistryPartyListsMismatch", (batch,))
        assert world.trade().trade_at(batch, 0).state is TradeState.MATCHED

    # What the batch commits to ------------------------------------------------------

    def test_verdict_batch_commits_to_its_party_lists(self, world):
        batch, parties = self._listed_batch(world)
        reader = world.trade("outsider")
        expected = keccak(
            abi_encode(["bytes32[]", "bytes"], [list(parties.parties), parties.slots])
        )
        assert reader.verdict_batch_of(batch).parties_hash == expected == parties.hash()
        assert reader.parties_hash(parties) == expected
        read = reader.parties_of(batch)
        assert read == parties
        assert [read.parties_at(i) for i in range(4)] == [frozenset(s) for s in self.SIGNERS]
        # Without lists given, the client reads them from the chain.
        self._list(world)
        with pytest.raises(ContractReverted) as exc_info:
            world.trade("customs").release_trades(batch, [2])
        assert _reverted(exc_info) == ("TradeRegistryPartyListed", (PLATFORM, batch, 2))

    @pytest.mark.parametrize(
        ("parties", "expected"),
        [
            (PartyLists((PLATFORM,), bytes(16)), ("TradeRegistryPartySlotsLength", (24, 16))),
            (
                PartyLists((PLATFORM,), bytes(8) + b"\0\x02" + bytes(14)),
                ("TradeRegistryInvalidPartySlot", (1, 2)),
            ),
            (
                PartyLists((PLATFORM,), bytes(22) + b"\0\x05"),
                ("TradeRegistryInvalidPartySlot", (2, 5)),
            ),
            (PartyLists((bytes(32),), bytes(24)), ("TradeRegistryZeroPartyId", ())),
        ],
    )
    def test_record_verdict_batch_rejects_malformed_party_lists(self, world, parties, expected):
        client = world.trade()
        ids = [_h(f"bad{i}") for i in range(3)]
        fn = client._fn.recordVerdictBatch(
            client.verdict_batch_count() + 1, ids, ids, [7], [], parties.as_arg()
        )
        with pytest.raises(ContractReverted) as exc_info:
            client.wait_for_receipt(client._tx.send(fn))
        assert _reverted(exc_info) == expected

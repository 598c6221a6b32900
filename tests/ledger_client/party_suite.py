"""Behaviour of PartyRegistry, mixed into the registry suite so it runs on every backend.

The admin holds REGISTRAR_ROLE (deploy_registries' default). Ids come from
traceability.signing.registry_ids, as the service derives them.
"""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from ledger_client import ConfigurationError, ContractReverted
from ledger_client.events import (
    AccountAdded,
    AccountRemoved,
    KeyAdded,
    KeyRevoked,
    PartyRecordUpdated,
    PartyRegistered,
    PartyRoleGranted,
    PartyRoleRevoked,
)
from traceability.signing import Algorithm, Role
from traceability.signing.registry_ids import (
    ROLE_INDEX,
    algorithm_code,
    key_hash,
    party_id,
    public_key_hash,
    role_mask,
)

ACME = party_id("ACME")
KEY = key_hash("ACME#k1")
PUBLIC_KEY = "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE"
ED25519 = algorithm_code(Algorithm.ED25519)
PLATFORM = ROLE_INDEX[Role.PLATFORM]
LOGISTICS = ROLE_INDEX[Role.LOGISTICS]
ZERO = b"\0" * 32


def record(label: str) -> bytes:
    return keccak(text=f"record:{label}")


def _reverted(exc_info: pytest.ExceptionInfo[ContractReverted]) -> tuple[str, tuple[object, ...]]:
    return exc_info.value.error_name, exc_info.value.args


class PartyRegistryBehaviour:
    """PartyRegistry on the backend the subclass binds ``world`` to."""

    def _registered(self, world, roles: int = 1 << PLATFORM, code: str = "ACME"):
        return world.party().register_party(party_id(code), code, record(code), roles)

    def _keyed(self, world):
        self._registered(world)
        return world.party().add_key(ACME, KEY, ED25519, PUBLIC_KEY)

    # Parties -----------------------------------------------------------------------

    def test_register_party_emits_party_registered_and_starts_role_spans(self, world):
        roles = role_mask([Role.PLATFORM, Role.WAREHOUSE])
        result = self._registered(world, roles)
        assert result.events == (
            PartyRegistered(party_id=ACME, code="ACME", record_hash=record("ACME"), roles=roles),
        )
        party = world.party("outsider").party_of(ACME)
        assert (party.record_hash, party.registered_block, party.record_block, party.roles) == (
            record("ACME"),
            result.block_number,
            result.block_number,
            roles,
        )
        client = world.party("outsider")
        assert client.role_span(ACME, PLATFORM) == (result.block_number, 0)
        assert client.role_span(ACME, ROLE_INDEX[Role.WAREHOUSE]) == (result.block_number, 0)
        assert client.role_span(ACME, LOGISTICS) == (0, 0)
        assert client.party_of(party_id("nobody")) is None

    @pytest.mark.parametrize(
        ("pid", "code", "roles", "expected"),
        [
            (ZERO, "", 1, ("PartyRegistryZeroPartyId", ())),
            (ACME, "ACME ", 1, ("PartyRegistryCodeMismatch", (ACME,))),
            (ACME, "ACME", 1 << 64, ("PartyRegistryInvalidRole", (64,))),
            (ACME, "ACME", 1 << 255 | 1, ("PartyRegistryInvalidRole", (255,))),
        ],
    )
    def test_register_party_rejects_invalid_input(self, world, pid, code, roles, expected):
        with pytest.raises(ContractReverted) as exc_info:
            world.party().register_party(pid, code, record("x"), roles)
        assert _reverted(exc_info) == expected

    def test_register_party_rejects_party_registered_twice(self, world):
        self._registered(world)
        with pytest.raises(ContractReverted) as exc_info:
            self._registered(world, 0)
        assert _reverted(exc_info) == ("PartyRegistryPartyAlreadyRegistered", (ACME,))

    def test_update_record_replaces_record_hash(self, world):
        registered = self._registered(world)
        result = world.party().update_record(ACME, record("v2"))
        assert result.events == (PartyRecordUpdated(party_id=ACME, record_hash=record("v2")),)
        party = world.party().party_of(ACME)
        assert (party.record_hash, party.registered_block, party.record_block) == (
            record("v2"),
            registered.block_number,
            result.block_number,
        )

    @pytest.mark.parametrize(
        ("method", "args"),
        [
            ("update_record", (ACME, record("x"))),
            ("grant_party_role", (ACME, PLATFORM)),
            ("revoke_party_role", (ACME, PLATFORM)),
            ("add_key", (ACME, KEY, ED25519, PUBLIC_KEY)),
            ("add_account", (ACME, "0x" + "11" * 20)),
        ],
    )
    def test_party_write_rejects_unknown_party(self, world, method, args):
        with pytest.raises(ContractReverted) as exc_info:
            getattr(world.party(), method)(*args)
        assert _reverted(exc_info) == ("PartyRegistryUnknownParty", (ACME,))

    # Roles -------------------------------------------------------------------------

    def test_grant_and_revoke_party_role_open_and_close_a_span(self, world):
        self._registered(world)
        client = world.party()
        granted = client.grant_party_role(ACME, LOGISTICS)
        assert granted.events == (PartyRoleGranted(party_id=ACME, role=LOGISTICS),)
        assert client.role_span(ACME, LOGISTICS) == (granted.block_number, 0)
        revoked = client.revoke_party_role(ACME, LOGISTICS)
        assert revoked.events == (PartyRoleRevoked(party_id=ACME, role=LOGISTICS),)
        assert client.role_span(ACME, LOGISTICS) == (granted.block_number, revoked.block_number)
        assert client.party_of(ACME).roles == 1 << PLATFORM

    def test_grant_party_role_after_revocation_starts_a_new_span(self, world):
        registered = self._registered(world)
        client = world.party()
        revoked = client.revoke_party_role(ACME, PLATFORM)
        assert client.role_span(ACME, PLATFORM) == (registered.block_number, revoked.block_number)
        regranted = client.grant_party_role(ACME, PLATFORM)
        assert client.role_span(ACME, PLATFORM) == (regranted.block_number, 0)
        assert client.party_of(ACME).roles == 1 << PLATFORM

    @pytest.mark.parametrize(
        ("method", "role", "expected"),
        [
            ("grant_party_role", PLATFORM, ("PartyRegistryRoleAlreadyGranted", (ACME, PLATFORM))),
            ("revoke_party_role", LOGISTICS, ("PartyRegistryRoleNotGranted", (ACME, LOGISTICS))),
            ("grant_party_role", 64, ("PartyRegistryInvalidRole", (64,))),
            ("revoke_party_role", 200, ("PartyRegistryInvalidRole", (200,))),
        ],
    )
    def test_party_role_change_rejects_invalid(self, world, method, role, expected):
        self._registered(world)
        with pytest.raises(ContractReverted) as exc_info:
            getattr(world.party(), method)(ACME, role)
        assert _reverted(exc_info) == expected

    # Keys --------------------------------------------------------------------------

    def test_add_key_emits_key_added_and_stores_public_key_hash(self, world):
        result = self._keyed(world)
        assert result.events == (
            KeyAdded(party_id=ACME, key_hash=KEY, alg=ED25519, public_key=PUBLIC_KEY),
        )
        key = world.party("outsider").key_of(KEY)
        assert (key.party_id, key.alg, key.public_key_hash) == (
            ACME,
            ED25519,
            public_key_hash(PUBLIC_KEY),
        )
        assert (key.valid_from_block, key.revoked_from_block, key.revocation_block) == (
            result.block_number,
            0,
            0,
        )
        assert world.party().key_of(key_hash("unknown")) is None

    @pytest.mark.parametrize(
        ("key", "alg", "expected"),
        [
            (KEY, ED25519, ("PartyRegistryKeyAlreadyRegistered", (KEY,))),
            (key_hash("k2"), 0, ("PartyRegistryUnknownAlgorithm", (0,))),
            (key_hash("k2"), 5, ("PartyRegistryUnknownAlgorithm", (5,))),
        ],
    )
    def test_add_key_rejects_invalid(self, world, key, alg, expected):
        self._keyed(world)
        with pytest.raises(ContractReverted) as exc_info:
            world.party().add_key(ACME, key, alg, "other")
        assert _reverted(exc_info) == expected

    def test_add_key_refuses_a_public_key_registered_before_even_revoked(self, world):
        self._keyed(world)
        self._registered(world, code="OTHER")
        other = party_id("OTHER")
        taken = ("PartyRegistryPublicKeyTaken", (public_key_hash(PUBLIC_KEY), KEY))
        for party, key in ((other, key_hash("OTHER#k1")), (ACME, key_hash("ACME#k2"))):
            with pytest.raises(ContractReverted) as exc_info:
                world.party().add_key(party, key, ED25519, PUBLIC_KEY)
            assert _reverted(exc_info) == taken
        world.party().revoke_key(KEY, 0, "rotated")
        with pytest.raises(ContractReverted) as exc_info:
            world.party().add_key(other, key_hash("OTHER#k1"), ED25519, PUBLIC_KEY)
        assert _reverted(exc_info) == taken

    def test_add_key_accepts_every_algorithm(self, world):
        self._registered(world)
        for alg in Algorithm:
            world.party().add_key(ACME, key_hash(f"k-{alg}"), algorithm_code(alg), f"pk-{alg}")
            assert world.party().key_of(key_hash(f"k-{alg}")).alg == algorithm_code(alg)

    def test_revoke_key_without_block_revokes_from_now(self, world):
        self._keyed(world)
        result = world.party().revoke_key(KEY, 0, "lost laptop")
        assert result.events == (
            KeyRevoked(
                key_hash=KEY,
                party_id=ACME,
                revoked_from_block=result.block_number,
                reason="lost laptop",
            ),
        )
        key = world.party().key_of(KEY)
        assert (key.revoked_from_block, key.revocation_block) == (
            result.block_number,
            result.block_number,
        )

    def test_revoke_key_dates_back_to_compromise(self, world):
        added = self._keyed(world)
        world.w3.provider.make_request("evm_mine", [])
        result = world.party().revoke_key(KEY, added.block_number, "leaked")
        assert result.events[0].revoked_from_block == added.block_number
        key = world.party().key_of(KEY)
        assert (key.revoked_from_block, key.revocation_block) == (
            added.block_number,
            result.block_number,
        )

    @pytest.mark.parametrize("offset", [-1, 10])
    def test_revoke_key_rejects_block_outside_validity(self, world, offset):
        added = self._keyed(world)
        since = added.block_number + offset
        with pytest.raises(ContractReverted) as exc_info:
            world.party().revoke_key(KEY, since, "bad block")
        assert _reverted(exc_info) == ("PartyRegistryInvalidRevocationBlock", (KEY, since))

    def test_revoke_key_rejects_revoked_and_unknown_keys(self, world):
        self._keyed(world)
        world.party().revoke_key(KEY, 0, "first")
        with pytest.raises(ContractReverted) as exc_info:
            world.party().revoke_key(KEY, 0, "again")
        assert _reverted(exc_info) == ("PartyRegistryKeyAlreadyRevoked", (KEY,))
        with pytest.raises(ContractReverted) as exc_info:
            world.party().revoke_key(key_hash("nope"), 0, "who")
        assert _reverted(exc_info) == ("PartyRegistryUnknownKey", (key_hash("nope"),))

    # signerAt ----------------------------------------------------------------------

    def test_signer_at_follows_key_validity_and_role_spans(self, world):
        client = world.party()
        registered = self._registered(world)  # platform from b1
        added = client.add_key(ACME, KEY, ED25519, PUBLIC_KEY)  # key from b2
        granted = client.grant_party_role(ACME, LOGISTICS)  # logistics from b3
        revoked = client.revoke_party_role(ACME, PLATFORM)  # platform until b4
        client.revoke_key(KEY, revoked.block_number, "compromised")  # invalid from b4, sent at b5
        platform, logistics = 1 << PLATFORM, 1 << LOGISTICS
        expected = {
            registered.block_number - 1: (False, 0),
            registered.block_number: (False, platform),
            added.block_number: (False, platform),  # valid only *after* its block
            granted.block_number: (True, platform | logistics),
            revoked.block_number: (False, logistics),
            revoked.block_number + 1: (False, logistics),
        }
        outsider = world.party("outsider")
        for block, (valid, roles) in expected.items():
            signer = outsider.signer_at(KEY, block)
            assert (signer.key_valid, signer.roles_at_block, signer.block_number) == (
                valid,
                roles,
                block,
            ), block
        signer = outsider.signer_at(KEY, granted.block_number)
        assert (signer.party_id, signer.alg, signer.public_key_hash) == (
            ACME,
            ED25519,
            public_key_hash(PUBLIC_KEY),
        )
        assert (signer.valid_from_block, signer.revoked_from_block) == (
            added.block_number,
            revoked.block_number,
        )
        assert outsider.signer_at(key_hash("unknown"), granted.block_number) is None

    # Accounts ----------------------------------------------------------------------

    def test_add_and_remove_account(self, world):
        self._registered(world)
        account = world.address("customs")
        added = world.party().add_account(ACME, account)
        assert added.events == (AccountAdded(party_id=ACME, account=account),)
        view = world.party("outsider").account_of(account)
        assert (view.party_id, view.since_block) == (ACME, added.block_number)
        removed = world.party().remove_account(account)
        assert removed.events == (AccountRemoved(party_id=ACME, account=account),)
        assert world.party().account_of(account) is None

    def test_account_writes_reject_invalid(self, world):
        self._registered(world)
        self._registered(world, code="OTHER")
        account = world.address("customs")
        world.party().add_account(ACME, account)
        cases = [
            (lambda: world.party().add_account(party_id("OTHER"), account),
             ("PartyRegistryAccountAlreadyAdded", (account, ACME))),
            (lambda: world.party().add_account(ACME, "0x" + "00" * 20),
             ("PartyRegistryZeroAccount", ())),
            (lambda: world.party().remove_account(world.address("bank")),
             ("PartyRegistryUnknownAccount", (world.address("bank"),))),
        ]  # fmt: skip
        for attempt, expected in cases:
            with pytest.raises(ContractReverted) as exc_info:
                attempt()
            assert _reverted(exc_info) == expected

    # Access and multicall ----------------------------------------------------------

    @pytest.mark.parametrize(
        ("method", "args"),
        [
            ("register_party", (ACME, "ACME", ZERO, 1)),
            ("update_record", (ACME, ZERO)),
            ("grant_party_role", (ACME, 1)),
            ("revoke_party_role", (ACME, 1)),
            ("add_key", (ACME, KEY, ED25519, PUBLIC_KEY)),
            ("revoke_key", (KEY, 0, "r")),
            ("add_account", (ACME, "0x" + "11" * 20)),
            ("remove_account", ("0x" + "11" * 20,)),
        ],
    )
    def test_party_write_rejects_account_without_registrar_role(self, world, method, args):
        client = world.party("outsider")
        registrar = keccak(text="REGISTRAR_ROLE")
        with pytest.raises(ContractReverted) as exc_info:
            getattr(client, method)(*args)
        assert _reverted(exc_info) == (
            "AccessControlUnauthorizedAccount",
            (world.address("outsider"), registrar),
        )
        encoded = getattr(client, f"encode_{method}")(*args)
        with pytest.raises(ContractReverted) as exc_info:
            client.multicall([encoded])
        assert _reverted(exc_info)[0] == "AccessControlUnauthorizedAccount"

    def test_multicall_runs_several_writes_in_one_transaction(self, world):
        client = world.party()
        account = world.address("bank")
        calls = [
            client.encode_register_party(ACME, "ACME", record("ACME"), 1 << PLATFORM),
            client.encode_add_key(ACME, KEY, ED25519, PUBLIC_KEY),
            client.encode_grant_party_role(ACME, LOGISTICS),
            client.encode_add_account(ACME, account),
            client.encode_update_record(ACME, record("v2")),
        ]
        result = client.multicall(calls)
        assert result.events == (
            PartyRegistered(ACME, "ACME", record("ACME"), 1 << PLATFORM),
            KeyAdded(ACME, KEY, ED25519, PUBLIC_KEY),
            PartyRoleGranted(ACME, LOGISTICS),
            AccountAdded(ACME, account),
            PartyRecordUpdated(ACME, record("v2")),
        )
        assert world.party().party_of(ACME).roles == 1 << PLATFORM | 1 << LOGISTICS
        assert world.party().signer_at(KEY, result.block_number + 1).key_valid

    def test_multicall_is_all_or_nothing(self, world):
        client = world.party()
        calls = [
            client.encode_register_party(ACME, "ACME", record("ACME"), 1),
            client.encode_add_key(ACME, KEY, 9, PUBLIC_KEY),
        ]
        with pytest.raises(ContractReverted) as exc_info:
            client.multicall(calls)
        assert _reverted(exc_info) == ("PartyRegistryUnknownAlgorithm", (9,))
        assert client.party_of(ACME) is None

    @pytest.mark.parametrize("calls", [[], [b"\x01"]], ids=["empty", "not-encoded"])
    def test_multicall_rejects_what_is_not_a_call(self, world, calls):
        with pytest.raises(ConfigurationError):
            world.party().multicall(calls)

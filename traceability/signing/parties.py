"""Parties, their roles and registered keys, and which roles may sign which documents.

A party (platform, payment company, logistics company, customs, bank, farm...)
is known by its code (for trade parties the customs registration code, e.g.
``ebpCode``) and holds one or more roles. Each of its key pairs is registered
as a :class:`PartyKey` with an id, algorithm, validity start and optional
revocation time. Rotation is "register a new key, then revoke the old one";
keys are never edited in place, so a past verification can be explained later.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Protocol

from traceability.errors import InvalidKey
from traceability.signing.algorithms import Algorithm, load_public_key, public_key_fingerprint

__all__ = [
    "SIGNABLE_DOC_TYPES",
    "DocType",
    "Party",
    "PartyDirectory",
    "PartyKey",
    "PartyRegistry",
    "Role",
    "may_sign",
]


class Role(StrEnum):
    """What a party does in sandan; mirrors the ``<NAME>_ROLE`` roles of the contracts."""

    PLATFORM = "platform"
    PAYMENT = "payment"
    LOGISTICS = "logistics"
    CUSTOMS = "customs"
    BANK = "bank"
    PRODUCER = "producer"
    INSPECTOR = "inspector"
    WAREHOUSE = "warehouse"
    #: Supervises the zone: reads risk alerts and credit records, reviews alerts, and lists
    #: parties on the negative list (and lifts listings), as customs may. Signs nothing.
    REGULATOR = "regulator"

    @property
    def contract_role(self) -> str:
        """The matching Solidity role name, e.g. ``"PLATFORM_ROLE"``."""
        return f"{self.name}_ROLE"


class DocType(StrEnum):
    """Kinds of signed document, as they appear in an envelope's ``payload.docType``."""

    ORDER = "order"
    INVENTORY = "inventory"
    PAYMENT = "payment"
    WAYBILL = "waybill"
    EPCIS_EVENT = "epcis-event"
    RELEASE = "release"
    SETTLEMENT = "settlement"
    FINANCING = "financing"
    #: An import return application (CEB625 退货申请单), by the e-commerce company or its agent.
    RETURN = "return"
    #: A retail export return application (CEB213), against the export inventory.
    EXPORT_RETURN = "export-return"


#: Which document types each role may sign (DESIGN.md "Parties and roles").
#: Custody events of logistics companies are EPCIS events.
SIGNABLE_DOC_TYPES: Final[Mapping[Role, frozenset[DocType]]] = MappingProxyType(
    {
        Role.PLATFORM: frozenset(
            {DocType.ORDER, DocType.INVENTORY, DocType.RETURN, DocType.EXPORT_RETURN}
        ),
        Role.PAYMENT: frozenset({DocType.PAYMENT}),
        Role.LOGISTICS: frozenset({DocType.WAYBILL, DocType.EPCIS_EVENT}),
        Role.CUSTOMS: frozenset({DocType.RELEASE}),
        Role.BANK: frozenset({DocType.SETTLEMENT, DocType.FINANCING}),
        Role.PRODUCER: frozenset({DocType.EPCIS_EVENT}),
        Role.INSPECTOR: frozenset({DocType.EPCIS_EVENT}),
        Role.WAREHOUSE: frozenset({DocType.EPCIS_EVENT}),
        # A supervisor reads and reviews; it signs no trade or traceability document.
        Role.REGULATOR: frozenset(),
    }
)


def may_sign(roles: Iterable[Role], doc_type: DocType) -> bool:
    """Tell whether any of ``roles`` may sign documents of ``doc_type``."""
    return any(doc_type in SIGNABLE_DOC_TYPES[role] for role in roles)


@dataclass(frozen=True, slots=True)
class Party:
    """A registered organisation: its code, display name and roles."""

    code: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.code:
            raise ValueError("party code must not be empty")
        # Accept any iterable of role names at construction, store a frozenset of Role.
        object.__setattr__(self, "roles", frozenset(Role(role) for role in self.roles))

    def may_sign(self, doc_type: DocType) -> bool:
        """Tell whether this party's roles allow signing ``doc_type``."""
        return may_sign(self.roles, doc_type)


@dataclass(frozen=True, slots=True)
class PartyKey:
    """A public key registered to a party; ``public_key`` uses the encoding of ``alg``."""

    key_id: str
    party_code: str
    alg: Algorithm
    public_key: str
    valid_from: datetime
    revoked_at: datetime | None = None
    #: The end of the key's validity: its certificate's notAfter, for a key registered by
    #: certificate; None for a bare key, valid until revoked.
    valid_until: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "alg", Algorithm(self.alg))
        for name in ("valid_from", "revoked_at", "valid_until"):
            moment = getattr(self, name)
            if moment is not None and moment.utcoffset() is None:
                raise ValueError(f"PartyKey.{name} must be timezone-aware")
        if not self.key_id:
            raise InvalidKey("key id must not be empty", field="key_id")
        load_public_key(self.alg, self.public_key)  # raises InvalidKey early, and warms the cache

    def is_revoked(self, now: datetime) -> bool:
        """Tell whether the key is revoked at ``now`` (revocation applies from ``revoked_at``)."""
        return self.revoked_at is not None and self.revoked_at <= now

    def revoke(self, at: datetime) -> PartyKey:
        """Return a copy revoked at ``at`` (an earlier revocation is kept)."""
        if self.revoked_at is not None and self.revoked_at <= at:
            return self
        return PartyKey(
            self.key_id, self.party_code, self.alg, self.public_key, self.valid_from, at,
            self.valid_until,
        )  # fmt: skip


def _identity(key: PartyKey) -> tuple[str, Algorithm, str, datetime]:
    return (key.party_code, key.alg, key.public_key, key.valid_from)


class PartyDirectory(Protocol):
    """Where verification looks parties and keys up (in memory, or a database adapter)."""

    def get_key(self, key_id: str) -> PartyKey | None:
        """Return the key registered under ``key_id``, or ``None``."""
        ...

    def get_party(self, code: str) -> Party | None:
        """Return the party with ``code``, or ``None``."""
        ...


class PartyRegistry:
    """An immutable in-memory :class:`PartyDirectory`; each public key under one key id."""

    __slots__ = ("_keys", "_parties")

    def __init__(self, parties: Iterable[Party] = (), keys: Iterable[PartyKey] = ()) -> None:
        """Index ``parties`` by code and ``keys`` by id; every key's party must be listed."""
        self._parties: dict[str, Party] = {}
        self._keys: dict[str, PartyKey] = {}
        for party in parties:
            if party.code in self._parties:
                raise ValueError(f"party {party.code!r} is listed twice")
            self._parties[party.code] = party
        holders: dict[str, str] = {}
        for key in keys:
            if key.key_id in self._keys:
                raise ValueError(f"key id {key.key_id!r} is listed twice")
            if key.party_code not in self._parties:
                raise ValueError(f"key {key.key_id!r} names unknown party {key.party_code!r}")
            # One public key, one key id: the same key under two ids (of one party or
            # two) would let either claim what the other signed.
            fingerprint = public_key_fingerprint(key.alg, key.public_key)
            if holders.setdefault(fingerprint, key.key_id) != key.key_id:
                raise ValueError(
                    f"key {key.key_id!r} has the public key of {holders[fingerprint]!r}"
                )
            self._keys[key.key_id] = key

    def get_key(self, key_id: str) -> PartyKey | None:
        """Return the key registered under ``key_id``, or ``None``."""
        return self._keys.get(key_id)

    def get_party(self, code: str) -> Party | None:
        """Return the party with ``code``, or ``None``."""
        return self._parties.get(code)

    def with_key(self, key: PartyKey) -> PartyRegistry:
        """Return a registry with ``key`` added, or with its revocation recorded.

        A key id is never reused for other key material, so replacing a key
        with anything but its revoked self is refused.
        """
        old = self._keys.get(key.key_id)
        if old is not None:
            if _identity(old) != _identity(key):
                raise ValueError(f"key id {key.key_id!r} is registered for other key material")
            if old.revoked_at is not None and key.revoked_at is None:
                raise ValueError(f"key {key.key_id!r} is revoked and stays revoked")
        keys = {**self._keys, key.key_id: key}
        return PartyRegistry(self._parties.values(), keys.values())

    @property
    def parties(self) -> tuple[Party, ...]:
        """All registered parties."""
        return tuple(self._parties.values())

    @property
    def keys(self) -> tuple[PartyKey, ...]:
        """All registered keys, revoked ones included."""
        return tuple(self._keys.values())

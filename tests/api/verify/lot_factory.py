"""A lot's verification material built in memory, and a chain that answers for it.

The unit tests of :mod:`api.verify.lot` need no database or node: the sample chain's
events are signed by two parties, hashed, put in a Merkle tree, and
:class:`FakeChain` answers ``verifyEvent`` / ``signerAt`` from what it was told.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from api.verify.lot import RegistryRefused
from api.verify.lot_chain import EventAnswer, SignerAnswer, TransactionAnswer
from api.verify.trust import TrustRoots, Zone
from traceability import Algorithm, SigningKey, sign_envelope
from traceability.epcis import event_hash_bytes
from traceability.epcis.hashing import DEFAULT_PROFILE, LEGACY_PROFILE
from traceability.epcis.samples import navel_orange_chain
from traceability.merkle import MerkleTree, process_proof
from traceability.signing.registry_ids import (
    algorithm_code,
    key_hash,
    party_id,
    public_key_hash,
    role_mask,
)

CHAIN_ID = 31337
TRACE = "0x" + "7" * 40
PARTY = "0x" + "9" * 40
ANCHOR_BLOCK = 40
KEY_BLOCK = 12
START = datetime(2024, 11, 5, tzinfo=UTC)
LOT_ID = bytes.fromhex("0c" * 32)
BATCH_ID = bytes.fromhex("ab" * 32)
TX_HASH = "0x" + "cd" * 32


def trust(*registries: str) -> TrustRoots:
    """Trust roots pinning ``registries`` (default: both of the lot) on :data:`CHAIN_ID`."""
    pinned = frozenset(r.lower() for r in registries or (TRACE, PARTY))
    return TrustRoots((Zone("test zone", CHAIN_ID, pinned),), "the test's trust roots")


@dataclass
class FakeChain:
    """Registries that hold the roots and keys they were given, and count their calls."""

    roots: dict[bytes, int] = field(default_factory=dict)  # root → block
    keys: dict[bytes, SignerAnswer] = field(default_factory=dict)
    transactions: dict[str, TransactionAnswer] = field(default_factory=dict)
    recalled: bool = False
    refuse: bool = False
    calls: list[str] = field(default_factory=list)

    def verify_event(self, event_hash: bytes, proof: Sequence[bytes]) -> EventAnswer:
        self.calls.append("verifyEvent")
        if self.refuse:
            raise RegistryRefused("execution reverted")
        root = process_proof(MerkleTree.leaf_hash(event_hash), proof)
        block = self.roots.get(root, 0)
        return EventAnswer(block != 0, root, block, self.recalled and block != 0, LOT_ID)

    def signer_at(self, key_hash: bytes, block_number: int) -> SignerAnswer:
        self.calls.append("signerAt")
        return self.keys.get(key_hash, SignerAnswer(bytes(32), 0, bytes(32), 0, 0, 0))

    def anchor_transaction(self, tx_hash: str) -> TransactionAnswer | None:
        self.calls.append("receipt")
        return self.transactions.get(tx_hash)


@dataclass
class Signer:
    """A party, its role and its key."""

    party: str
    role: str
    key: SigningKey

    @property
    def key_id(self) -> str:
        return f"{self.party}-k1"

    def registered(self, **changes: Any) -> SignerAnswer:
        """What ``signerAt`` answers for this key, registered in :data:`KEY_BLOCK`."""
        answer = SignerAnswer(
            party_id(self.party),
            algorithm_code(self.key.alg),
            public_key_hash(self.key.public_key),
            KEY_BLOCK,
            0,
            role_mask([self.role]),
        )
        return replace(answer, **changes)


@dataclass
class Lot:
    """Material of a lot and the chain that anchored it."""

    material: dict[str, Any]
    chain: FakeChain
    signers: dict[str, Signer]

    def copy(self) -> Lot:
        return Lot(copy.deepcopy(self.material), self.chain, self.signers)

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.material["events"])


def build_lot(profile: str | None = DEFAULT_PROFILE) -> Lot:
    """The sample chain, its first two events signed by a producer, the rest by a warehouse.

    ``profile``: the event hash profile the events are anchored with and the material names;
    None writes material as it was before profiles were recorded (legacy hashes, no field).
    """
    document = navel_orange_chain(START)
    context, events = document["@context"], document["epcisBody"]["eventList"]
    signers = {
        "producer": Signer("producer-1", "producer", SigningKey.generate(Algorithm.ED25519)),
        "warehouse": Signer("warehouse-1", "warehouse", SigningKey.generate(Algorithm.ES256)),
    }
    groups = {"producer": events[:2], "warehouse": events[2:]}
    envelopes: dict[str, Any] = {}
    envelope_of: dict[int, str] = {}
    for role, group in groups.items():
        signer = signers[role]
        signed = sign_envelope(
            {**document, "epcisBody": {"eventList": group}},
            doc_type="epcis-event",
            party=signer.party,
            key_id=signer.key_id,
            signing_key=signer.key,
            salt=bytes([len(envelopes)]) * 16,
            issued_at=START,
        )
        digest = signed.content_hash.hex()
        envelopes[digest] = {
            "envelope": signed.to_wire(),
            "publicKey": {
                "keyId": signer.key_id,
                "party": signer.party,
                "alg": signer.key.alg.value,
                "publicKey": signer.key.public_key,
            },
        }
        envelope_of.update({id(e): digest for e in group})
    leaves = [
        event_hash_bytes(e, context=context, profile=profile or LEGACY_PROFILE) for e in events
    ]
    tree = MerkleTree.build(leaves)
    chain = FakeChain(
        roots={tree.root: ANCHOR_BLOCK},
        keys={key_hash(s.key_id): s.registered() for s in signers.values()},
        transactions={
            TX_HASH: TransactionAnswer(True, ANCHOR_BLOCK, ((LOT_ID, tree.root, BATCH_ID),))
        },
    )
    material = {
        "format": "sandan-lot/1",
        "chain": {"chainId": CHAIN_ID, "traceRegistry": TRACE, "partyRegistry": PARTY},
        "lotId": LOT_ID.hex(),
        "events": [
            {
                "eventHash": leaf.hex(),
                **({"hashProfile": profile} if profile else {}),
                "event": copy.deepcopy(event),
                "context": copy.deepcopy(context),
                "envelopeHash": envelope_of[id(event)],
                "anchor": {
                    "root": tree.root.hex(),
                    "proof": [p.hex() for p in tree.proof(leaf)],
                    "batchId": BATCH_ID.hex(),
                    "txHash": TX_HASH,
                    "blockNumber": ANCHOR_BLOCK,
                },
            }
            for event, leaf in zip(events, leaves, strict=True)
        ],
        "envelopes": envelopes,
    }
    return Lot(material, chain, signers)

"""A lot's verification material (``sandan-lot/1``): what a third party needs to check it alone.

The lot's JSON carries, besides what sandan concluded, everything a verifier
needs to reach its own conclusion without trusting sandan (the spec's "Lot
verification material"): each event exactly as captured with the ``@context``
it was captured with, its CBV 2.0 hash (the anchored leaf), where it was
anchored (root, Merkle proof, batch, transaction, block) or null while
pending, each signed envelope once with its signer's public key, and the
chain and registries to check against. ``sandan verify-lot`` and the browser
verifier read it.

It is built from what the page already read (the lot's history rows with
their anchors, the parsed rows in the runtime's caches) plus the envelopes:
those are fetched in one query for the envelopes not cached yet. An envelope
row is keyed by the SHA-256 of its signed payload and never rewritten, so the
runtime keeps the parsed envelope by that hash and a warm lot costs no query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from api.db.models import PartyKeyRecord
from api.db.trace_models import TraceEnvelopeRecord
from api.runtime import Caches, CacheSlot, LruCache, Runtime
from api.services.trace.cache import parsed_row
from api.services.trace.lots import AnchorRef, EventRow, Provenance

LOT_FORMAT = "sandan-lot/1"


@dataclass(frozen=True)
class ChainRef:
    """The chain and the registries this service anchors to and checks against."""

    chain_id: int
    trace_registry: str
    party_registry: str

    def to_json(self) -> dict[str, Any]:
        """camelCase JSON, as in the spec's ``chain`` object."""
        return {
            "chainId": self.chain_id,
            "traceRegistry": self.trace_registry,
            "partyRegistry": self.party_registry,
        }


def chain_ref(runtime: Runtime) -> ChainRef:
    """The runtime's chain id and registry addresses (from its ledger's deployment)."""
    ledger = runtime.ledger()
    return ChainRef(ledger.chain_id, ledger.trace_registry_address, ledger.party_registry_address)


@dataclass(frozen=True)
class SigningMaterial:
    """A signed envelope as stored, with the public key of the key that signed it."""

    envelope: Mapping[str, Any]  # decoded JSON, shared: treat as read-only
    key_id: str
    party: str
    alg: str
    public_key: str

    def to_json(self) -> dict[str, Any]:
        """The spec's ``envelopes`` entry."""
        return {
            "envelope": self.envelope,
            "publicKey": {
                "keyId": self.key_id,
                "party": self.party,
                "alg": self.alg,
                "publicKey": self.public_key,
            },
        }


def signing_material(
    session: Session, records: Iterable[EventRow], *, caches: Caches
) -> dict[str, SigningMaterial]:
    """The envelopes that carried ``records``, by envelope hash (one query for the uncached)."""
    cache = caches.slot(ENVELOPES)
    wanted = {r.envelope_hash for r in records if r.envelope_hash is not None}
    found = {h: m for h in wanted if (m := cache.get(h)) is not None}
    missing = sorted(wanted - found.keys())
    if missing:
        for content_hash, material in _read_envelopes(session, missing):
            cache.put(content_hash, material)
            found[content_hash] = material
    return found


def _read_envelopes(session: Session, hashes: list[str]) -> list[tuple[str, SigningMaterial]]:
    stmt = (
        sa_select(
            col(TraceEnvelopeRecord.content_hash),
            col(TraceEnvelopeRecord.envelope),
            col(PartyKeyRecord.key_id),
            col(PartyKeyRecord.party_code),
            col(PartyKeyRecord.alg),
            col(PartyKeyRecord.public_key),
        )
        .join(PartyKeyRecord, col(PartyKeyRecord.key_id) == col(TraceEnvelopeRecord.key_id))
        .where(col(TraceEnvelopeRecord.content_hash).in_(hashes))
    )
    return [
        (row[0], SigningMaterial(json.loads(row[1]), *row[2:]))
        for row in session.connection().execute(stmt)
    ]


def anchor_json(anchor: AnchorRef | None) -> dict[str, Any] | None:
    """Where an event was anchored, as the spec's ``anchor`` object (None while pending)."""
    if anchor is None:
        return None
    return {
        "root": anchor.root,
        "proof": _proof_hex(anchor.proof),
        "batchId": anchor.batch_id,
        "txHash": anchor.tx_hash,
        "blockNumber": anchor.block_number,
    }


def _proof_hex(text: str | None) -> list[str]:
    proof = json.loads(text or "[]")
    return [str(p) for p in proof] if isinstance(proof, list) else []


def verification_material(
    p: Provenance,
    *,
    chain: ChainRef,
    envelopes: Mapping[str, SigningMaterial],
    caches: Caches,
) -> dict[str, Any]:
    """The spec's ``verification`` object of a lot (``sandan-lot/1``)."""
    events = []
    for record in p.records:
        parsed = parsed_row(caches, record)
        events.append(
            {
                "eventHash": record.event_hash,
                "hashProfile": record.hash_profile,
                "event": parsed.raw,
                "context": parsed.context,
                "envelopeHash": record.envelope_hash,
                "anchor": anchor_json(p.anchors.get(record.event_hash)),
            }
        )
    shown = sorted({h for r in p.records if (h := r.envelope_hash) is not None and h in envelopes})
    return {
        "format": LOT_FORMAT,
        "chain": chain.to_json(),
        "lotId": p.lot.lot_id,
        "events": events,
        "envelopes": {h: envelopes[h].to_json() for h in shown},
    }


#: Parsed envelopes with their signer's key, by envelope hash (held by each Runtime).
ENVELOPES: CacheSlot[LruCache[str, SigningMaterial]] = CacheSlot(
    "trace.envelopes", lambda: LruCache(4096)
)

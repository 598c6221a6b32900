"""Building forged bundles: a genuine bundle with one document re-signed and anchored directly.

The forger is assumed to control sandan's anchorer (the worst case the design allows),
so the forged document's hash really is in the real TradeRegistry; only its signer
is wrong, and only the PartyRegistry can tell.
"""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from typing import Any

from ledger_client import TradeRegistryClient
from traceability import SigningKey, new_salt, sign_envelope
from traceability.merkle import MerkleTree


def order_index(bundle: dict[str, Any]) -> int:
    """Where the bundle's order is."""
    return next(i for i, d in enumerate(bundle["documents"]) if d["messageType"] == "CEB311")


def forge_order(
    anchorer: TradeRegistryClient,
    bundle: dict[str, Any],
    *,
    party: str,
    key_id: str,
    signing_key: SigningKey,
) -> dict[str, Any]:
    """``bundle`` with its order re-signed by ``key_id`` and anchored by ``anchorer``."""
    index = order_index(bundle)
    document = bundle["documents"][index]["envelope"]["payload"]["document"]
    return forge_document(
        anchorer,
        bundle,
        index,
        document,
        party=party,
        key_id=key_id,
        signing_key=signing_key,
    )


def forge_document(
    anchorer: TradeRegistryClient,
    bundle: dict[str, Any],
    index: int,
    document: dict[str, Any],
    *,
    party: str,
    key_id: str,
    signing_key: SigningKey,
) -> dict[str, Any]:
    """``bundle`` with its ``index``-th document replaced by ``document``, signed by
    ``key_id`` of ``party`` and anchored by ``anchorer`` in a batch of its own."""
    forged = copy.deepcopy(bundle)
    entry = forged["documents"][index]
    envelope = sign_envelope(
        document,
        doc_type=entry["envelope"]["payload"]["docType"],
        party=party,
        key_id=key_id,
        signing_key=signing_key,
        salt=new_salt(),
        issued_at=datetime.now(UTC),
    )
    digest = envelope.content_hash
    tree = MerkleTree.build([digest])
    batch_id = os.urandom(32)
    anchored = anchorer.anchor_batch(tree.root, 1, batch_id)
    entry.update(
        contentHash=digest.hex(),
        envelope=envelope.to_wire(),
        publicKey={
            "keyId": key_id,
            "party": party,
            "alg": signing_key.alg.value,
            "publicKey": signing_key.public_key,
        },
        anchor={
            "root": tree.root.hex(),
            "proof": [],
            "batchId": batch_id.hex(),
            "txHash": str(anchored.tx_hash),
            "blockNumber": anchored.block_number,
        },
    )
    return forged


def failed_checks(checks: list[Any]) -> dict[str, str | None]:
    """Failed checks by name, with what was found (a Report's checks or their JSON)."""
    rows = [c if isinstance(c, dict) else c.to_json() for c in checks]
    return {c["check"]: c.get("found") for c in rows if not c["ok"]}

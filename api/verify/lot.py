"""Checking a lot against the chain alone (``sandan verify-lot``), without trusting sandan.

The input is the lot's verification material (``sandan-lot/1``, see
:mod:`api.verify.lot_input`); the verifier pins its own trust roots (the
registries it trusts on the node's chain). For every event it:

1. recomputes the CBV 2.0 event hash from the event and the ``@context`` it was
   captured with (the pure domain) and compares it with the anchored leaf;
2. asks ``TraceRegistry.verifyEvent(hash, proof)``: the proof must lead to an
   anchored root, the one and in the block the material names (an event not
   anchored yet is *pending*: reported, and the lot is not verified), and the
   transaction named must be that block's ``LotBatchAnchored`` of that root and batch
   (an event of an input lot is anchored under that lot's id: shown, not refused);
3. verifies the signed envelope that carried it (content hash, docType
   ``epcis-event``, the key's party and algorithm, the signature) and that the
   envelope's payload holds this very event with this context;
4. asks ``PartyRegistry.signerAt(keccak256(keyId), anchorBlock)`` and applies the
   spec's rule, in the three checks ``sandan verify`` names: the key is registered
   to the signing party with this public key and algorithm, it was valid before the
   anchoring block and not revoked at it, and the party then held a role allowed to
   sign EPCIS events.

Chain reads go through a :class:`LotChain`; errors reaching the chain propagate
(the caller reports them as "chain unreachable", never as "not authentic").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.verify.lot_envelopes import Envelopes, SignedBy, check_envelope
from api.verify.lot_report import (
    LotChain,
    LotCheck,
    LotOutcome,
    LotReport,
    RegistryRefused,
    Signer,
)
from api.verify.trust import TrustRoots
from traceability import DocType, TraceabilityError
from traceability.epcis import anchored_hash_bytes
from traceability.epcis.hashing import LEGACY_PROFILE
from traceability.signing.registry_ids import (
    algorithm_code,
    key_hash,
    party_id,
    public_key_hash,
    roles_of_mask,
    signer_mask,
)

__all__ = ["LotChain", "LotCheck", "LotOutcome", "LotReport", "RegistryRefused", "verify_lot"]


def verify_lot(
    material: Mapping[str, Any], chain: LotChain, *, chain_id: int, trust: TrustRoots
) -> LotReport:
    """Run every check on a lot's material, as :func:`~api.verify.lot_input.lot_material` gives it.

    ``chain_id`` is the node's; ``trust`` the verifier's pinned registries.
    """
    report = LotReport(trust_source=trust.source)
    if not _check_roots(material, report, chain_id=chain_id, trust=trust):
        return report  # nothing an untrusted contract answers means anything
    events = material["events"]
    report.add("events present", bool(events), "at least one event", f"{len(events)} events")
    envelopes = Envelopes(material["envelopes"], report)
    lot_id = str(material.get("lotId", "")).lower().removeprefix("0x")
    for index, entry in enumerate(events):
        _check_event(entry, _label(index, entry), chain, envelopes, report, lot_id)
    return report


def _check_roots(
    material: Mapping[str, Any], report: LotReport, *, chain_id: int, trust: TrustRoots
) -> bool:
    named = material["chain"]
    ok = report.add("chain id", named["chainId"] == chain_id, f"{chain_id}", f"{named['chainId']}")
    expected = f"one of {trust.describe(chain_id)}"
    for key, contract in (("traceRegistry", "TraceRegistry"), ("partyRegistry", "PartyRegistry")):
        address = named.get(key)
        if not isinstance(address, str):
            trusted, found = False, f"the lot names no {contract}"
        elif not trust.trusts(chain_id, address):
            trusted, found = False, f"registry {address} is not a trusted registry"
        else:
            trusted, found = True, f"registry {address}"
        ok &= report.add(f"{contract} trusted", trusted, expected, found)
    return ok


def _label(index: int, entry: Mapping[str, Any]) -> str:
    event = entry["event"]
    step = event.get("bizStep") or event.get("type") or "event"
    short = str(step).rstrip("/").rsplit("/", 1)[-1].rsplit("-", 1)[-1].rsplit(":", 1)[-1]
    return f"event {index + 1} ({short}, {str(entry['eventHash'])[:12]})"


def _check_event(
    entry: Mapping[str, Any],
    label: str,
    chain: LotChain,
    envelopes: Envelopes,
    report: LotReport,
    lot_id: str,
) -> None:
    claimed = str(entry["eventHash"]).lower()
    try:
        # Material written before profiles were recorded was hashed with the legacy rule.
        profile = str(entry.get("hashProfile", LEGACY_PROFILE))
        event, context = entry["event"], entry.get("context")
        recomputed = anchored_hash_bytes(event, context=context, profile=profile).hex()
    except (TraceabilityError, ValueError, TypeError, AttributeError) as exc:
        recomputed = f"no hash: {type(exc).__name__}: {exc}"
    if not report.add(f"{label}: event hash", recomputed == claimed, claimed, recomputed):
        return  # this is not the event that was anchored; nothing below would be about it
    block = _check_anchor(entry, label, bytes.fromhex(claimed), chain, report, lot_id)
    signer = check_envelope(entry, label, envelopes, report)
    if block is not None and signer is not None:
        _check_signer(label, signer, block, chain, report)


def _check_anchor(
    entry: Mapping[str, Any],
    label: str,
    leaf: bytes,
    chain: LotChain,
    report: LotReport,
    lot_id: str,
) -> int | None:
    """The chain's block of the event's batch when the anchor checks out, else None."""
    anchor = entry.get("anchor")
    name = f"{label}: anchored on chain"
    if anchor is None:
        report.checks.append(LotCheck(name, "pending", "an anchored batch", "not anchored yet"))
        return None
    try:
        proof = [bytes.fromhex(str(p).removeprefix("0x")) for p in anchor["proof"]]
        root = str(anchor["root"]).lower().removeprefix("0x")
        batch_id = str(anchor["batchId"]).lower().removeprefix("0x")
        block = int(anchor["blockNumber"])
        tx_hash = str(anchor["txHash"])
    except (KeyError, TypeError, ValueError) as exc:
        report.add(name, False, "root, proof and block of the batch", f"malformed anchor: {exc}")
        return None
    expected = f"root {root} in block {block}"
    try:
        answer = chain.verify_event(leaf, proof)
    except RegistryRefused as exc:
        report.add(name, False, expected, f"TraceRegistry.verifyEvent refused: {exc}")
        return None
    if not answer.anchored:
        found = f"the proof leads to root {answer.root.hex()}, which was never anchored"
    else:
        # An event of an input lot (the harvest packed into this lot) is anchored under
        # that lot's id: shown, not refused.
        other = (
            "" if answer.lot_id.hex() == lot_id else f" (anchored for lot {answer.lot_id.hex()})"
        )
        found = f"root {answer.root.hex()} in block {answer.block_number}{other}"
    ok = answer.anchored and answer.root.hex() == root and answer.block_number == block
    report.recalled |= bool(answer.anchored and answer.recalled)
    ok = report.add(name, ok, expected, found)
    ok &= _check_transaction(label, tx_hash, block, root, batch_id, chain, report)
    return block if ok else None


def _check_transaction(
    label: str,
    tx_hash: str,
    block: int,
    root: str,
    batch_id: str,
    chain: LotChain,
    report: LotReport,
) -> bool:
    """The transaction named is the block's ``LotBatchAnchored`` of this root and batch."""
    name = f"{label}: anchor transaction"
    expected = f"LotBatchAnchored(root={root}, batchId={batch_id}) in block {block}, tx {tx_hash}"
    try:
        found_tx = chain.anchor_transaction(tx_hash)
    except RegistryRefused as exc:
        return report.add(name, False, expected, f"no receipt: {exc}")
    if found_tx is None:
        return report.add(name, False, expected, "no such transaction on this chain")
    if not found_tx.succeeded:
        return report.add(name, False, expected, "a failed transaction")
    if found_tx.block_number != block:
        return report.add(name, False, expected, f"mined in block {found_tx.block_number}")
    matched = any((r.hex(), b.hex()) == (root, batch_id) for _lot, r, b in found_tx.batches)
    seen = ", ".join(f"root {r.hex()}" for _lot, r, _b in found_tx.batches) or "no LotBatchAnchored"
    return report.add(
        name, matched, expected, f"LotBatchAnchored in block {block}" if matched else seen
    )


def _check_signer(
    label: str, signer: SignedBy, block: int, chain: LotChain, report: LotReport
) -> None:
    """The spec's PartyRegistry rule at the anchoring block, for docType epcis-event."""
    name = f"{label}: signer registered"
    try:
        seen = chain.signer_at(key_hash(signer.key_id), block)
    except RegistryRefused as exc:
        report.add(name, False, "an answer from PartyRegistry.signerAt", str(exc))
        return
    key = f"key {signer.key_id} of {signer.party} ({signer.alg.value})"
    if seen.valid_from_block == 0:
        report.add(name, False, f"key {signer.key_id} registered", "no such key")
        return  # an unknown key has no validity or roles to speak of
    report.add(name, *_registered_as_named(seen, signer, key))
    revoked = f", revoked from block {seen.revoked_from_block}" if seen.revoked_from_block else ""
    report.add(
        f"{label}: key valid when anchored",
        seen.valid_from_block < block
        and (seen.revoked_from_block == 0 or block < seen.revoked_from_block),
        f"registered before block {block} and not revoked at it",
        f"registered in block {seen.valid_from_block}{revoked}; anchored in block {block}",
    )
    held = ", ".join(sorted(roles_of_mask(seen.roles_at_block))) or "none"
    report.add(
        f"{label}: signer's role",
        bool(seen.roles_at_block & signer_mask(DocType.EPCIS_EVENT)),
        f"a role allowed to sign epcis-event in block {block}",
        f"{signer.party} held {held} in block {block}",
    )


def _registered_as_named(seen: Signer, signer: SignedBy, key: str) -> tuple[bool, str, str]:
    """Whether the registry holds the key for this party, public key and algorithm."""
    expected = f"{key} registered with this public key"
    if seen.party_id != party_id(signer.party):
        return False, expected, f"a key of party id {seen.party_id.hex()}"
    wanted = public_key_hash(signer.public_key)
    if seen.public_key_hash != wanted:
        return False, expected, f"public key hash {seen.public_key_hash.hex()}, not {wanted.hex()}"
    if seen.alg != algorithm_code(signer.alg):
        return False, expected, f"algorithm code {seen.alg}, not {algorithm_code(signer.alg)}"
    return True, expected, key

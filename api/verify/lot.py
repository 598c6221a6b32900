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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal, Protocol

from api.verify.trust import TrustRoots
from traceability import (
    Algorithm,
    DocType,
    SignedEnvelope,
    TraceabilityError,
    canonical_json,
    load_public_key,
)
from traceability.epcis import event_hash_bytes
from traceability.signing.registry_ids import (
    algorithm_code,
    key_hash,
    party_id,
    public_key_hash,
    roles_of_mask,
    signer_mask,
)


class LotOutcome(IntEnum):
    """What checking a lot concluded, as the exit code of ``sandan verify-lot``."""

    VERIFIED = 0
    NOT_AUTHENTIC = 1  # a check failed, or an event is still pending
    UNUSABLE = 2
    UNREACHABLE = 3


class RegistryRefused(Exception):
    """Raised by a :class:`LotChain` when a registry answered a call with an error or junk."""


Status = Literal["passed", "failed", "pending"]
#: :meth:`LotReport.add`: record a check (name, ok, expected, found) and return ok.
_Add = Callable[[str, bool, str, str], bool]


class EventAnchor(Protocol):
    """What ``TraceRegistry.verifyEvent`` answers (the fields the verifier reads)."""

    @property
    def anchored(self) -> bool: ...
    @property
    def root(self) -> bytes: ...
    @property
    def block_number(self) -> int: ...
    @property
    def recalled(self) -> bool: ...
    @property
    def lot_id(self) -> bytes: ...


class Signer(Protocol):
    """What ``PartyRegistry.signerAt`` answers."""

    @property
    def party_id(self) -> bytes: ...
    @property
    def alg(self) -> int: ...
    @property
    def public_key_hash(self) -> bytes: ...
    @property
    def valid_from_block(self) -> int: ...
    @property
    def revoked_from_block(self) -> int: ...
    @property
    def roles_at_block(self) -> int: ...


class AnchorTransaction(Protocol):
    """A transaction's receipt, as far as a lot's check reads it."""

    @property
    def succeeded(self) -> bool: ...
    @property
    def block_number(self) -> int: ...
    @property
    def batches(self) -> Sequence[tuple[bytes, bytes, bytes]]:
        """(lotId, root, batchId) of each ``LotBatchAnchored`` the trusted TraceRegistry emitted."""
        ...


class LotChain(Protocol):
    """The read-only registry calls a lot's check needs, on the trusted registries.

    A node that cannot be reached raises its own error (it propagates: nothing was
    concluded); a call the registry answers with an error raises :class:`RegistryRefused`.
    """

    def verify_event(self, event_hash: bytes, proof: Sequence[bytes]) -> EventAnchor: ...

    def signer_at(self, key_hash: bytes, block_number: int) -> Signer: ...

    def anchor_transaction(self, tx_hash: str) -> AnchorTransaction | None:
        """The receipt of ``tx_hash``, or None when the chain has no such transaction."""
        ...


@dataclass(frozen=True)
class LotCheck:
    """One named check: what it expected, what it found."""

    name: str
    status: Status
    expected: str
    found: str

    @property
    def ok(self) -> bool:
        """True when the check passed."""
        return self.status == "passed"


@dataclass
class LotReport:
    """Every check run on a lot, and whether the chain says the lot is under recall."""

    checks: list[LotCheck] = field(default_factory=list)
    recalled: bool = False
    trust_source: str = ""
    calls: dict[str, int] = field(default_factory=dict)  # chain calls made, by method

    @property
    def verified(self) -> bool:
        """True when every check passed (and there was at least one): nothing pending."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def outcome(self) -> LotOutcome:
        """Verified, or not (a failed check or a pending event)."""
        return LotOutcome.VERIFIED if self.verified else LotOutcome.NOT_AUTHENTIC

    @property
    def pending(self) -> int:
        """How many events are not anchored yet."""
        return sum(1 for c in self.checks if c.status == "pending")

    def add(self, name: str, ok: bool, expected: str, found: str) -> bool:
        """Record a passed or failed check and return whether it passed."""
        self.checks.append(LotCheck(name, "passed" if ok else "failed", expected, found))
        return ok

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "outcome": self.outcome.name.lower(),
            "verified": self.verified,
            "pending": self.pending,
            "recalled": self.recalled,
            "trustRoots": self.trust_source,
            "chainCalls": self.calls,
            "checks": [
                {"check": c.name, "status": c.status, "expected": c.expected, "found": c.found}
                for c in self.checks
            ],
        }


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
    envelopes = _Envelopes(material["envelopes"], report)
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
    envelopes: _Envelopes,
    report: LotReport,
    lot_id: str,
) -> None:
    claimed = str(entry["eventHash"]).lower()
    try:
        recomputed = event_hash_bytes(entry["event"], context=entry.get("context")).hex()
    except (TraceabilityError, ValueError, TypeError, AttributeError) as exc:
        recomputed = f"no hash: {type(exc).__name__}: {exc}"
    if not report.add(f"{label}: event hash", recomputed == claimed, claimed, recomputed):
        return  # this is not the event that was anchored; nothing below would be about it
    block = _check_anchor(entry, label, bytes.fromhex(claimed), chain, report, lot_id)
    signer = _check_envelope(entry, label, envelopes, report)
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


@dataclass(frozen=True)
class _SignedBy:
    """An envelope that passed its own checks: who signed it, and what it holds."""

    key_id: str
    party: str
    alg: Algorithm
    public_key: str
    events: frozenset[bytes]  # canonical bytes of each event of the signed document
    context: bytes  # canonical bytes of the signed document's @context (b"null" if none)


class _Envelopes:
    """The material's envelopes, each checked once (and reported once) when first used."""

    def __init__(self, entries: Mapping[str, Any], report: LotReport) -> None:
        self._entries = entries
        self._report = report
        self._checked: dict[str, _SignedBy | None] = {}

    def get(self, envelope_hash: str) -> _SignedBy | None:
        """The checked envelope, or None when it failed (the failure is in the report)."""
        if envelope_hash not in self._checked:
            self._checked[envelope_hash] = self._check(envelope_hash)
        return self._checked[envelope_hash]

    def _check(self, envelope_hash: str) -> _SignedBy | None:
        label = f"envelope {envelope_hash[:12]}"
        entry = self._entries.get(envelope_hash)
        add = self._report.add
        present = isinstance(entry, dict)
        if not add(
            f"{label}: present", present, "in the lot", "in the lot" if present else "missing"
        ):
            return None
        assert isinstance(entry, dict)
        try:
            envelope = SignedEnvelope.parse(entry.get("envelope"))
            key = entry["publicKey"]
            signer = _SignedBy(
                str(key["keyId"]),
                str(key["party"]),
                Algorithm(key["alg"]),
                str(key["publicKey"]),
                *_contents(envelope.payload.document),
            )
        except (TraceabilityError, KeyError, TypeError, ValueError) as exc:
            add(f"{label}: readable", False, "a signed envelope", f"{type(exc).__name__}: {exc}")
            return None
        return signer if _envelope_checks(label, envelope, envelope_hash, signer, add) else None


def _contents(document: Mapping[str, Any]) -> tuple[frozenset[bytes], bytes]:
    """The signed events and context of an envelope's document (an EPCISDocument or one event)."""
    if document.get("type") == "EPCISDocument":
        body = document.get("epcisBody") or {}
        events = (body.get("eventList") or []) if isinstance(body, dict) else []
        context = document.get("@context")
        return frozenset(canonical_json(e) for e in events), canonical_json(context)
    return frozenset({canonical_json(document)}), canonical_json(None)


def _envelope_checks(
    label: str, envelope: SignedEnvelope, envelope_hash: str, signer: _SignedBy, add: _Add
) -> bool:
    payload = envelope.payload
    digest = envelope.content_hash.hex()
    ok = add(f"{label}: content hash", digest == envelope_hash.lower(), envelope_hash, digest)
    doc_type = payload.doc_type.value
    ok &= add(f"{label}: docType", doc_type == DocType.EPCIS_EVENT, "epcis-event", doc_type)
    key_named = f"key {signer.key_id} of {signer.party} ({signer.alg.value})"
    signed_by = f"key {payload.key_id} of {payload.party} ({envelope.alg.value})"
    ok &= add(
        f"{label}: signer's key",
        (signer.key_id, signer.party, signer.alg) == (payload.key_id, payload.party, envelope.alg),
        signed_by,
        key_named,
    )
    try:
        verifier = load_public_key(signer.alg, signer.public_key)
        good = verifier.verify(envelope.signature_bytes, payload.canonical_bytes)
    except (TraceabilityError, ValueError) as exc:
        good, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = "verifies" if good else "does not verify"
    ok &= add(f"{label}: signature", good, f"a signature by {key_named}", why)
    return bool(ok)


def _check_envelope(
    entry: Mapping[str, Any], label: str, envelopes: _Envelopes, report: LotReport
) -> _SignedBy | None:
    """The envelope's signer when the event is the one it signed, else None."""
    envelope_hash = entry.get("envelopeHash")
    if not isinstance(envelope_hash, str):
        found = "none: captured with an API key only, so only sandan vouches for it"
        report.add(f"{label}: signed", False, "a signed envelope", found)
        return None
    signer = envelopes.get(envelope_hash)
    if signer is None:
        return None
    try:
        event, context = canonical_json(entry["event"]), canonical_json(entry.get("context"))
    except TraceabilityError as exc:
        report.add(f"{label}: in its signed envelope", False, "JSON", str(exc))
        return None
    contained, same_context = event in signer.events, context == signer.context
    if not contained:
        found = "an event the envelope does not hold"
    elif not same_context:
        found = "the event, under a context other than the signed document's"
    else:
        found = "the event and its context as signed"
    ok = contained and same_context
    expected = f"the event as signed in envelope {envelope_hash[:12]}"
    return signer if report.add(f"{label}: in its signed envelope", ok, expected, found) else None


def _check_signer(
    label: str, signer: _SignedBy, block: int, chain: LotChain, report: LotReport
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


def _registered_as_named(seen: Signer, signer: _SignedBy, key: str) -> tuple[bool, str, str]:
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

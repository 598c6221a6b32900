"""The signed envelopes of a lot: each checked once, and whether it holds a given event.

An envelope of docType ``epcis-event`` carries an EPCISDocument (or one bare event);
an event counts as signed by it when the event, and the ``@context`` it was hashed
with, are exactly (RFC 8785 bytes) those of the signed document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from api.verify.lot_report import AddCheck, LotReport
from traceability import (
    Algorithm,
    DocType,
    SignedEnvelope,
    TraceabilityError,
    canonical_json,
    load_public_key,
    without_high_s,
)


@dataclass(frozen=True)
class SignedBy:
    """An envelope that passed its own checks: who signed it, and what it holds."""

    key_id: str
    party: str
    alg: Algorithm
    public_key: str
    events: frozenset[bytes]  # canonical bytes of each event of the signed document
    context: bytes  # canonical bytes of the signed document's @context (b"null" if none)


class Envelopes:
    """The material's envelopes, each checked once (and reported once) when first used."""

    def __init__(self, entries: Mapping[str, Any], report: LotReport) -> None:
        self._entries = entries
        self._report = report
        self._checked: dict[str, SignedBy | None] = {}

    def get(self, envelope_hash: str) -> SignedBy | None:
        """The checked envelope, or None when it failed (the failure is in the report)."""
        if envelope_hash not in self._checked:
            self._checked[envelope_hash] = self._check(envelope_hash)
        return self._checked[envelope_hash]

    def _check(self, envelope_hash: str) -> SignedBy | None:
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
            signer = SignedBy(
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
    label: str, envelope: SignedEnvelope, envelope_hash: str, signer: SignedBy, add: AddCheck
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
        signature = without_high_s(signer.alg, envelope.signature_bytes)  # anchored: either s
        good = verifier.verify(signature, payload.canonical_bytes)
    except (TraceabilityError, ValueError) as exc:
        good, why = False, f"{type(exc).__name__}: {exc}"
    else:
        why = "verifies" if good else "does not verify"
    ok &= add(f"{label}: signature", good, f"a signature by {key_named}", why)
    return bool(ok)


def check_envelope(
    entry: Mapping[str, Any], label: str, envelopes: Envelopes, report: LotReport
) -> SignedBy | None:
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

"""Checking an authenticity bundle against the chain alone (``sandan verify``).

No sandan database or API is consulted: the bundle carries the signed
documents and public keys, the checks recompute every hash and the verdict
with the pure domain, and the chain is asked one ``verifyDocument`` call per
document plus one ``tradeOf`` call. A node that cannot be reached is reported
as such (exit 3, try again), never as "not authentic".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from ledger_client import DocumentStatus, TradeState
from traceability import (
    PartyKey,
    SignedEnvelope,
    TraceabilityError,
    content_hash,
    load_public_key,
    verify_signature,
)
from traceability.ceb import read_message
from traceability.ceb.payload import xml_payload
from traceability.signing import b64url_decode
from traceability.trade import TradeDocument, parse_document
from traceability.trade.inputs import TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.records import context_from_json
from traceability.trade.verdict import verdict_hash

EXIT_AUTHENTIC = 0
EXIT_NOT_AUTHENTIC = 1
EXIT_UNREACHABLE = 3


class TradeReader(Protocol):
    """The read-only chain calls the verifier needs."""

    def verify_document(self, document_hash: bytes, proof: list[bytes]) -> Any: ...

    def trade_of(self, trade_id: bytes) -> Any: ...


@dataclass(frozen=True)
class Check:
    """One check's outcome."""

    name: str
    ok: bool
    detail: str


@dataclass
class Report:
    """Every check run on a bundle."""

    checks: list[Check] = field(default_factory=list)

    @property
    def authentic(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str) -> bool:
        """Record a check and return its outcome."""
        self.checks.append(Check(name, ok, detail))
        return ok

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "authentic": self.authentic,
            "checks": [{"check": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }


def verify_bundle(bundle: dict[str, Any], reader: TradeReader, *, chain_id: int) -> Report:
    """Run every check of ``bundle``; chain errors propagate (the caller maps them to exit 3)."""
    report = Report()
    if not report.add("format", bundle.get("format") == "sandan-bundle/1", "sandan-bundle/1"):
        return report
    expected_chain = bundle.get("chain", {}).get("chainId")
    report.add("chain id", expected_chain == chain_id, f"bundle {expected_chain}, node {chain_id}")
    documents = _check_documents(bundle, reader, report)
    trade_id = _check_trade_id(bundle, documents, report)
    if trade_id is not None:
        record = reader.trade_of(trade_id)
        _check_verdict(bundle, documents, record, report)
        _check_steps(bundle, record, report)
    return report


def _check_documents(bundle: dict[str, Any], reader: TradeReader, report: Report) -> list[Any]:
    parsed: list[Any] = []
    for index, entry in enumerate(bundle.get("documents", [])):
        label = f"document[{index}] {entry.get('messageType', '?')}"
        document = _check_one_document(entry, reader, report, label)
        if document is not None:
            parsed.append(document)
    report.add("documents present", bool(parsed), f"{len(parsed)} verified documents")
    return parsed


def _guard(report: Report, name: str, action: Callable[[], Any]) -> Any:
    """Run a pure check; a domain or shape error is a failed check, never a crash."""
    try:
        return action()
    except (TraceabilityError, KeyError, TypeError, ValueError) as exc:
        report.add(name, False, f"{type(exc).__name__}: {exc}")
        return None


def _check_one_document(
    entry: dict[str, Any], reader: TradeReader, report: Report, label: str
) -> Any:
    if isinstance(entry.get("envelope"), dict) and entry["envelope"].get("source") == "ceb-xml":
        return _check_xml_document(entry, reader, report, label)
    envelope = _guard(report, f"{label}: envelope", lambda: SignedEnvelope.parse(entry["envelope"]))
    if envelope is None:
        return None
    digest = envelope.content_hash.hex()
    if not report.add(
        f"{label}: content hash",
        digest == entry.get("contentHash"),
        f"recomputed {digest}",
    ):
        return None
    key = _guard(report, f"{label}: public key", lambda: _party_key(entry["publicKey"]))
    if key is None:
        return None

    def signature_ok() -> bool:
        verify_signature(envelope, key)
        return True

    signed = _guard(report, f"{label}: signature", signature_ok)
    if signed:
        report.add(f"{label}: signature", True, f"{envelope.alg.value} by {key.party_code}")
    document = _guard(
        report,
        f"{label}: schema",
        lambda: parse_document(entry["messageType"], envelope.payload.document),
    )
    _check_anchor(entry, envelope.content_hash, reader, report, label)
    return document if signed else None


def _check_xml_document(
    entry: dict[str, Any], reader: TradeReader, report: Report, label: str
) -> Any:
    """A document submitted as signed CEB XML: the signature covers the XML bytes."""
    envelope = entry["envelope"]
    xml_bytes = str(entry.get("sourceXml", "")).encode("utf-8")
    key = _guard(report, f"{label}: public key", lambda: _party_key(entry["publicKey"]))
    if key is None:
        return None

    def signature_ok() -> bool:
        verifier = load_public_key(key.alg, key.public_key)
        return bool(verifier.verify(b64url_decode(envelope["signature"]), xml_bytes))

    signed = bool(_guard(report, f"{label}: signature", signature_ok))
    report.add(
        f"{label}: signature", signed, f"{key.alg.value} by {key.party_code} over the XML bytes"
    )

    def rebuild() -> tuple[Any, bytes]:
        message = read_message(xml_bytes, max_bytes=len(xml_bytes) + 1)
        index = int(envelope["index"])
        document = cast("TradeDocument", message.documents[index])
        payload = xml_payload(message, index, document, party=key.party_code, key_id=key.key_id)
        if payload != envelope["payload"]:
            raise ValueError("the payload differs from the one rebuilt from the XML")
        return document, content_hash(payload)

    rebuilt = _guard(report, f"{label}: XML parsed", rebuild)
    if rebuilt is None:
        return None
    document, digest = rebuilt
    if not report.add(
        f"{label}: content hash",
        digest.hex() == entry.get("contentHash"),
        f"recomputed {digest.hex()}",
    ):
        return None
    _check_anchor(entry, digest, reader, report, label)
    return document if signed else None


def _party_key(data: dict[str, Any]) -> PartyKey:
    return PartyKey(
        key_id=data["keyId"],
        party_code=data["party"],
        alg=data["alg"],
        public_key=data["publicKey"],
        valid_from=datetime.fromisoformat(data["validFrom"]),
    )


def _check_anchor(
    entry: dict[str, Any], digest: bytes, reader: TradeReader, report: Report, label: str
) -> None:
    anchor = entry.get("anchor") or {}
    proof = _guard(report, f"{label}: proof", lambda: [bytes.fromhex(p) for p in anchor["proof"]])
    if proof is None:
        return
    check = reader.verify_document(digest, proof)
    root_ok = check.root.hex() == anchor.get("root")
    report.add(
        f"{label}: anchored on chain",
        bool(check.anchored) and root_ok,
        f"root {check.root.hex()} in block {check.block_number}"
        if check.anchored
        else "the proof leads to a root the registry never anchored",
    )
    report.add(
        f"{label}: not revoked or superseded",
        check.status is DocumentStatus.ACTIVE,
        f"status {check.status.name.lower()}",
    )


def _check_trade_id(bundle: dict[str, Any], documents: list[Any], report: Report) -> bytes | None:
    key = f"{bundle.get('ebpCode')}/{bundle.get('orderNo')}"
    trade_id = hashlib.sha256(key.encode("utf-8")).digest()
    orders = [d for d in documents if d.kind.value == "order"]
    same = bool(orders) and all(f"{o.ebpCode}/{o.orderNo}" == key for o in orders)
    ok = trade_id.hex() == bundle.get("tradeId") and same
    report.add("trade id", ok, f"sha256({key}) = {trade_id.hex()}")
    return trade_id if ok else None


def _check_verdict(
    bundle: dict[str, Any], documents: list[Any], record: Any, report: Report
) -> None:
    entry = bundle.get("verdict") or {}
    by_kind = {d.kind.value: d for d in documents}

    def recompute() -> bytes:
        context = context_from_json(entry.get("context") or {})
        return verdict_hash(match_trade(TradeDocuments(**by_kind), context=context))

    digest = _guard(report, "verdict recomputed", recompute)
    if digest is None:
        return
    report.add(
        "verdict recomputed",
        digest.hex() == entry.get("verdictHash")
        and content_hash(entry.get("verdict")).hex() == entry.get("verdictHash"),
        f"matcher gives {digest.hex()}",
    )
    on_chain = record.verdict_hash.hex() if record.verdict_hash else None
    report.add("verdict on chain", on_chain == digest.hex(), f"tradeOf gives {on_chain}")
    report.add("trade matched on chain", bool(record.matched), f"state {record.state.name}")


def _check_steps(bundle: dict[str, Any], record: Any, report: Report) -> None:
    release = bundle.get("release")
    if release is not None:
        report.add(
            "released by customs",
            record.state in (TradeState.RELEASED, TradeState.SETTLED)
            and record.released_block == release.get("blockNumber"),
            f"released in block {record.released_block}",
        )
    settlement = bundle.get("settlement")
    if settlement is not None:
        report.add(
            "settlement confirmed",
            record.state is TradeState.SETTLED
            and record.settled_block == settlement.get("blockNumber"),
            f"settled in block {record.settled_block}",
        )

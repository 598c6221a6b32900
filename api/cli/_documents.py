"""What ``sandan sign`` and ``sandan submit`` read: documents to sign, or envelopes to send.

An input is a JSON document (CEB field names, its type from ``--type``), a CEB XML
message (read as ``sandan ceb convert`` reads it; each business document its own
envelope, its type from the message), or what is already signed: a JSON envelope
(``payload``/``alg``/``signature``) or a ``.ndjson`` file of them, sent as they are.
Every input is checked before anything is signed or sent: a bad one stops the command
with every problem listed (:class:`InputRefused`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.cli.ceb import DEFAULT_MAX_BYTES, parse_message
from api.client import DocumentProblems, Signer, envelope_bytes
from traceability import MalformedEnvelope, SignedEnvelope
from traceability.ceb import CebError, SchemaViolation
from traceability.ceb.payload import DOC_TYPE_OF_KIND
from traceability.signing import DocType
from traceability.trade import DOCUMENT_MODELS, message_type_of, parse_document, trade_id

#: Suffixes a folder is searched for.
INPUT_SUFFIXES = (".json", ".xml", ".ndjson")
_ENVELOPE_KEYS = frozenset({"payload", "alg", "signature"})


class InputRefused(Exception):
    """Raised when an input cannot be signed or sent; ``problems`` says every reason."""

    def __init__(self, source: str, message: str, problems: list[str] | None = None) -> None:
        super().__init__(f"{source}: {message}")
        self.problems = problems or []


@dataclass(frozen=True)
class Outgoing:
    """One envelope ready to send, signed once: its exact bytes and what it holds."""

    source: str
    body: bytes
    doc_type: str
    trade_id: str | None


def read_input(path: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of ``path`` (``-``: standard input), refusing a file over ``max_bytes``."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with Path(path).open("rb") as handle:
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputRefused(path, f"cannot read: {exc.strerror}") from exc
    if len(data) > max_bytes:
        raise InputRefused(path, f"larger than {max_bytes} bytes")
    return data


def files_in(paths: list[str], *, recursive: bool) -> Iterator[str]:
    """Each path, and for a folder every input file in it, sorted (deep with ``recursive``)."""
    for path in paths:
        folder = Path(path)
        if path == "-" or not folder.is_dir():
            yield path
            continue
        found = folder.rglob("*") if recursive else folder.iterdir()
        yield from sorted(
            str(file) for file in found if file.is_file() and file.suffix in INPUT_SUFFIXES
        )


def _is_xml(source: str, data: bytes) -> bool:
    return source.endswith(".xml") or data.lstrip().startswith(b"<")


def documents_of(
    source: str, data: bytes, doc_type: str | None, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[tuple[str, dict[str, Any]]]:
    """The (docType, document) pairs to sign from a JSON document or a CEB XML message."""
    if _is_xml(source, data):
        return _xml_documents(source, data, doc_type, max_bytes)
    value = _json(source, data)
    if value.keys() >= _ENVELOPE_KEYS:
        raise InputRefused(source, "is already a signed envelope (sandan submit sends it)")
    if doc_type is None:
        raise InputRefused(
            source, "a JSON document needs --type (order, payment, waybill, inventory)"
        )
    return [(doc_type, value)]


def _json(source: str, data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise InputRefused(source, f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InputRefused(source, "must hold one JSON object")
    return value


def _xml_documents(
    source: str, data: bytes, doc_type: str | None, max_bytes: int
) -> list[tuple[str, dict[str, Any]]]:
    try:
        message = parse_message(data, max_bytes, expect=DOCUMENT_MODELS.keys())
    except CebError as exc:
        issues = [str(i.as_dict()) for i in exc.issues] if isinstance(exc, SchemaViolation) else []
        raise InputRefused(source, str(exc), issues) from exc
    pairs = []
    for document in message.documents:
        derived = DOC_TYPE_OF_KIND[document.kind].value  # type: ignore[attr-defined]
        if doc_type is not None and doc_type != derived:
            raise InputRefused(
                source,
                f"--type {doc_type} disagrees with the {message.message_type} "
                f"message, which holds {derived} documents",
            )
        pairs.append((derived, document.to_json_dict()))
    return pairs


def sign_all(
    source: str, data: bytes, doc_type: str | None, signer: Callable[[], Signer]
) -> list[Outgoing]:
    """Check and sign every document of one input (``signer`` loads the key when needed)."""
    pairs = documents_of(source, data, doc_type)
    outgoing = []
    for index, (kind, document) in enumerate(pairs):
        name = source if len(pairs) == 1 else f"{source}#{index + 1}"
        try:
            envelope = signer().sign(document, kind)
        except DocumentProblems as exc:
            problems = [str(problem) for problem in exc.problems]
            raise InputRefused(name, "fails the document schema", problems) from exc
        outgoing.append(_outgoing(name, envelope, envelope_bytes(envelope)))
    return outgoing


def signed_envelopes(source: str, data: bytes) -> list[Outgoing] | None:
    """The envelopes of an already-signed input, or None when it needs signing."""
    if source.endswith(".ndjson"):
        lines = [line for line in data.split(b"\n") if line.strip()]
        return [_as_is(f"{source}#{n}", line) for n, line in enumerate(lines, start=1)]
    if _is_xml(source, data):
        return None
    value = _json(source, data)
    if not value.keys() >= _ENVELOPE_KEYS:
        return None
    return [_as_is(source, envelope_bytes(value))]


def _as_is(source: str, line: bytes) -> Outgoing:
    try:
        envelope = SignedEnvelope.parse(_json(source, line))
    except MalformedEnvelope as exc:
        raise InputRefused(source, f"not a signed envelope: {exc}") from exc
    return _outgoing(source, envelope, line)


def _outgoing(source: str, envelope: SignedEnvelope, body: bytes) -> Outgoing:
    payload = envelope.payload
    return Outgoing(
        source,
        body,
        payload.doc_type.value,
        _trade_of(payload.doc_type, payload.document),
    )


def _trade_of(doc_type: DocType, document: dict[str, Any]) -> str | None:
    """The hex tradeId the document names (sha256 of ebpCode/orderNo), if it names one."""
    try:
        parsed = parse_document(message_type_of(doc_type.value, document), document)
        return trade_id(parsed).hex()  # type: ignore[arg-type]
    except (ValueError, AttributeError):
        return None  # not a trade document, or one without ebpCode/orderNo (export waybill)

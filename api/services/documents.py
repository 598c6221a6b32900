"""Accepting signed documents: verify and validate, then build their rows and outbox rows.

The order of checks is the order of cost and trust: the envelope's shape, the
submitting party, the signature and the signer's role, then the document's
schema; only then is anything written, by :mod:`api.services.submission`,
which stores the document, its outbox rows and its trade's new state in the
caller's transaction, so a crash never leaves a stored document without its
anchoring work, and a rejected document changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from unicodedata import category, normalize

import orjson
from pydantic import ValidationError
from sqlmodel import Session

from api.anchoring.lanes import SUPERSEDE, TRADE, DocumentPayload, SupersedePayload
from api.db import crud
from api.db.models import DocumentRecord, PartyRecord, utcnow
from api.errors import NotFound, PermissionDenied, UnprocessableContent
from api.runtime import LruCache
from api.schemas import AnchorPublic, DocumentPublic
from api.services import keys as key_service
from traceability import (
    DigestProfile,
    DocType,
    MalformedEnvelope,
    PartyDirectory,
    PartyKey,
    SignedEnvelope,
    verify_envelope,
)
from traceability.limits import MAX_REPORTED_ISSUES
from traceability.trade import (
    DOCUMENT_MODELS,
    DocumentKind,
    TradeDocument,
    message_type_of,
    parse_document,
)
from traceability.trade.code_lists import explain_error
from traceability.trade.fields import IDENTIFIER_FIELDS
from traceability.trade.signers import SIGNER_FIELDS, names_signer

#: Trade document types an envelope may carry through /documents.
TRADE_DOC_TYPES = frozenset({DocType.ORDER, DocType.PAYMENT, DocType.WAYBILL, DocType.INVENTORY})


#: Parsed stored trade documents by content hash (the runtime's cache).
ParsedDocuments = LruCache[str, TradeDocument]


@dataclass(frozen=True)
class WriteContext:
    """What a write is judged by and may reuse.

    ``now`` is the moment submissions are judged at and ``max_skew`` how far ahead of
    it ``issuedAt`` may be; ``parsed`` is the runtime's cache of parsed stored trade
    documents, shared with later re-matches of the same trades (None: parse anew).
    """

    now: datetime
    max_skew: timedelta
    parsed: ParsedDocuments | None = None
    #: The zone's digest profile: what a trade document's content hash is taken with.
    digest: DigestProfile = DigestProfile.SHA256


@dataclass(frozen=True)
class Submission:
    """A verified, parsed document ready to be stored (from a JSON envelope or CEB XML)."""

    party: str
    key_id: str
    salt: str
    envelope_json: str
    document: TradeDocument
    content_hash: str
    key: PartyKey
    issued_at: datetime
    source_xml: str | None = None


def check_signer_named(party_code: str, document: TradeDocument) -> None:
    """A party signs only documents that name it, so no one can sign in another's name."""
    if names_signer(party_code, document):
        return
    fields = SIGNER_FIELDS[document.kind]
    raise PermissionDenied(
        f"party {party_code} is not named in this {document.kind.value} "
        f"(one of {', '.join(fields)} must be {party_code})",
        field=f"payload.document.{fields[0]}",
        code="signer_not_named",
    )


def document_issues(exc: ValidationError, prefix: str) -> list[dict[str, str]]:
    """Every problem of a document's schema as ``{field, message}`` (dotted paths under
    ``prefix``), up to :data:`~traceability.limits.MAX_REPORTED_ISSUES`; code-list fields
    say what their codes mean."""
    issues = []
    for error in exc.errors(include_url=False)[:MAX_REPORTED_ISSUES]:
        path = ".".join(str(p) for p in error.get("loc", ()))
        issues.append(
            {"field": f"{prefix}.{path}" if path else prefix, "message": explain_error(error)}
        )
    return issues


def invalid_document(exc: ValidationError, prefix: str) -> UnprocessableContent:
    """The 422 of a document that breaks its schema: the first problem, and all of them
    as ``errors`` (with ``errorCount``), as request validation reports them."""
    issues = document_issues(exc, prefix)
    return UnprocessableContent(
        issues[0]["message"],
        field=issues[0]["field"],
        code="invalid_document",
        extra={"errors": issues, "errorCount": exc.error_count()},
    )


def parse_envelope(data: Any) -> SignedEnvelope:
    """Validate the envelope's shape; 422 naming the field otherwise."""
    if not isinstance(data, dict):
        raise UnprocessableContent("the body must be a JSON object (a signed envelope)")
    envelope = SignedEnvelope.parse(data)
    check_strings(envelope.payload.document, "payload.document")
    if envelope.payload.doc_type not in TRADE_DOC_TYPES:
        raise MalformedEnvelope(
            f"docType {envelope.payload.doc_type.value!r} is not a trade document "
            "(order, payment, waybill, inventory)",
            field="payload.docType",
        )
    return envelope


def check_strings(value: Any, path: str, *, name: str = "") -> None:
    """422 naming the field for a string no customs field needs, or one that hides its spelling.

    * Control, format (bidi override, zero-width) or surrogate characters, in any string:
      they make two identifiers that print the same compare different (``ORD\u202e1002``),
      or cut a value short in C-based tools (NUL).
    * In an identifier (:data:`~traceability.trade.fields.IDENTIFIER_FIELDS`: codes and
      numbers), leading or trailing whitespace, or a form that NFKC normalisation changes
      (fullwidth ``ＯＲＤ1``, ligatures, compatibility digits): identifiers are compared
      and hashed exactly, so each must have one spelling. Signed bytes are never
      rewritten, so such values are refused, not normalised.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            check_strings(key, path)
            check_strings(item, f"{path}.{key}", name=str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_strings(item, f"{path}[{index}]", name=name)
    elif isinstance(value, str):
        _check_string(value, path, identifier=name in IDENTIFIER_FIELDS)


def _check_string(value: str, path: str, *, identifier: bool) -> None:
    if not value.isprintable():
        # isprintable() (C speed) is True for every string without Cc/Cf/Cs/Zs/Zl/Zp
        # characters, so only the rare rest is scanned character by character.
        bad = next(
            (c for c in value if c not in "\t\n\r" and category(c) in ("Cc", "Cf", "Cs")), None
        )
        if bad is not None:
            raise UnprocessableContent(
                f"contains the invisible or control character U+{ord(bad):04X}",
                field=path,
                code="invisible_character",
            )
    if not identifier:
        return
    if value != value.strip():
        raise UnprocessableContent(
            "an identifier must not start or end with whitespace",
            field=path,
            code="identifier_spaces",
        )
    if not value.isascii() and normalize("NFKC", value) != value:
        raise UnprocessableContent(
            f"an identifier must be NFKC-normalised (as {normalize('NFKC', value)!r}): "
            "characters that look alike must be written alike",
            field=path,
            code="identifier_not_normalised",
        )


def check_submission(
    *,
    session: Session,
    party: PartyRecord,
    envelope: SignedEnvelope,
    context: WriteContext,
    directory: PartyDirectory | None = None,
) -> Submission:
    """Verify the envelope (at ``context.now``, within its clock skew; its content hash under
    the zone's digest profile) and parse its document; raises a 4xx error on any failure."""
    payload = envelope.payload
    if payload.party != party.code:
        raise PermissionDenied(
            f"envelope is signed for party {payload.party!r}, not the caller {party.code!r}",
            field="payload.party",
        )
    registry = directory or key_service.registry_for(session=session, party_code=party.code)
    verified = verify_envelope(
        envelope,
        registry,
        now=context.now,
        max_clock_skew=context.max_skew,
        profile=context.digest,
    )
    try:
        message_type = message_type_of(payload.doc_type, payload.document)
        document = parse_document(message_type, payload.document)
    except ValidationError as exc:
        raise invalid_document(exc, "payload.document") from exc
    check_signer_named(party.code, document)
    return Submission(
        party=payload.party,
        key_id=payload.key_id,
        salt=payload.salt,
        envelope_json=envelope_text(verified.envelope.to_wire()),
        document=document,
        content_hash=verified.content_hash.hex(),
        key=verified.key,
        issued_at=verified.issued_at,
    )


def envelope_text(wire: dict[str, Any]) -> str:
    """The JSON text an envelope is stored as: orjson's (a fifth of json.dumps's CPU for the
    same JSON value, UTF-8 unescaped), or json's for what orjson refuses (deep nesting)."""
    try:
        return orjson.dumps(wire).decode()
    except orjson.JSONEncodeError:
        return json.dumps(wire, ensure_ascii=False)


def business_key(document: TradeDocument, signer: str) -> str:
    """The identity under which corrected versions of a document supersede each other.

    It names the signing party: only the party that signed a document issues its later
    versions. Another party's document with the same numbers is a document of its own,
    which the trade takes or lists as a conflict (:mod:`traceability.trade.signers`).
    Party codes hold no ``:``, so the key splits one way.
    """
    kind = document.kind
    if kind is DocumentKind.WAYBILL:
        natural = f"{document.logisticsCode}/{document.logisticsNo}"  # type: ignore[union-attr]
    else:
        natural = f"{document.ebpCode}/{document.orderNo}"  # type: ignore[union-attr]
    return f"{kind.value}:{signer}:{natural}"


def new_version(
    *,
    session: Session,
    submission: Submission,
    previous: DocumentRecord | dict[str, Any] | None,
    outbox: list[dict[str, Any]],
) -> dict[str, Any]:
    """The column values of a new document row (and, for a correction, the old one marked
    superseded).

    The row and its outbox rows are plain values: the submission store inserts a whole
    batch's in one statement each, without building an ORM object per document (that
    costed more CPU than the rest of the write). ``previous`` is a stored row or one of
    the same batch's new rows.
    """
    document = submission.document
    now = utcnow()
    version = _get(previous, "version") + 1 if previous is not None else 1
    previous_hash = _get(previous, "content_hash") if previous is not None else None
    row = {
        "content_hash": submission.content_hash,
        "doc_type": document.message_type,
        "party_code": submission.party,
        "key_id": submission.key_id,
        "salt": submission.salt,
        "doc_key": business_key(document, submission.party),
        "trade_id": None,
        "link_order_no": getattr(document, "orderNo", None),
        "link_logistics_no": getattr(document, "logisticsNo", None),
        "version": version,
        "supersedes_hash": previous_hash,
        "superseded_by": None,
        "envelope": submission.envelope_json,
        "source_xml": submission.source_xml,
        "received_at": now,
    }
    outbox.append(TRADE.outbox_row(submission.content_hash, DocumentPayload(), created_at=now))
    if previous is not None and previous_hash is not None:
        if isinstance(previous, dict):
            previous["superseded_by"] = submission.content_hash
        else:
            previous.superseded_by = submission.content_hash
            session.add(previous)
        reason = f"corrected version {version}"
        change = SupersedePayload(previous_hash, submission.content_hash, reason)
        outbox.append(SUPERSEDE.outbox_row(previous_hash, change, created_at=now))
    return row


def _get(row: DocumentRecord | dict[str, Any], name: str) -> Any:
    return row[name] if isinstance(row, dict) else getattr(row, name)


def require_document(*, session: Session, content_hash: str) -> DocumentRecord:
    """The document with ``content_hash`` or 404."""
    record = crud.get_document(session=session, content_hash=content_hash.lower())
    if record is None:
        raise NotFound(f"no document with hash {content_hash}", field="contentHash")
    return record


def anchor_of(
    *, session: Session, kind: str, subject: str, lane: str | None = None
) -> AnchorPublic | None:
    """The anchor and proof of an outbox subject, once its batch is built."""
    row = crud.get_outbox(session=session, kind=kind, subject=subject, lane=lane)
    if row is None or row.batch_id is None:
        return None
    batch = crud.get_batch(session=session, batch_id=row.batch_id)
    if batch is None or batch.root is None:
        return None
    from traceability.merkle import leaf_hash

    return AnchorPublic(
        batch_id=batch.id,
        root=batch.root,
        leaf=leaf_hash(bytes.fromhex(subject)).hex(),
        proof=json.loads(row.proof or "[]"),
        tx_hash=batch.tx_hash,
        block_number=batch.block_number,
        chain_id=batch.chain_id,
        contract_address=batch.contract_address,
        state=batch.state,
    )


#: The envelope docType of each CEB message type ("CEB311" → "order").
_ENVELOPE_DOC_TYPE: dict[str, str] = {
    name: str(model.kind)  # type: ignore[attr-defined]  # every document model has a kind
    for name, model in DOCUMENT_MODELS.items()
}


def document_public(
    *, session: Session, record: DocumentRecord, created: bool = True
) -> DocumentPublic:
    """The public view of a stored document and its anchoring."""
    anchor = anchor_of(session=session, kind="document", subject=record.content_hash)
    anchored = anchor is not None and anchor.state == "confirmed"
    # The row keeps the CEB message type (bundles hash it as messageType); the envelope's
    # docType is the kind of document that message is.
    return DocumentPublic.from_record(
        record,
        doc_type=_ENVELOPE_DOC_TYPE[record.doc_type],
        message_type=record.doc_type,
        supersedes=record.supersedes_hash,
        status="anchored" if anchored else "pending",
        anchor=anchor if anchored else None,
        created=created,
    )

"""The ingest path shared by single and bulk submission."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.db.models import DocumentRecord, PartyRecord
from api.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
)
from api.runtime import Runtime
from api.schemas import AnchorPublic, DocumentPublic
from api.services import documents as service
from api.services import submission
from api.services.parties import party_roles


def submit_one(
    *, session: Session, runtime: Runtime, party: PartyRecord, data: Any
) -> DocumentPublic:
    """Verify, validate and store one envelope."""
    envelope = service.parse_envelope(data)
    context = submission.context_of(runtime)
    prepared = service.check_submission(
        session=session, party=party, envelope=envelope, context=context
    )
    (decision,) = submission.submit(session=session, submissions=[prepared], context=context)
    return submission.document_result(session=session, decision=decision)


def split_ndjson(body: bytes, *, limit: int) -> list[bytes]:
    """The non-empty lines of an NDJSON body, refusing more than ``limit``."""
    lines = [line for line in body.split(b"\n") if line.strip()]
    if not lines:
        raise BadRequest("the body holds no NDJSON line", field="body")
    if len(lines) > limit:
        raise PayloadTooLarge(f"at most {limit} documents per bulk request", field="body")
    return lines


def require_reader(party: PartyRecord, record: DocumentRecord) -> None:
    """Signed envelopes are readable by their submitter, customs and banks; anyone else is
    told what an unknown hash is told, so a guess learns nothing about what is stored."""
    if party.code == record.party_code or party_roles(party) & {"customs", "bank"}:
        return
    raise NotFound(f"no document with hash {record.content_hash}", field="contentHash")


def require_anchor(*, session: Session, record: DocumentRecord) -> AnchorPublic:
    """The confirmed anchor of a document, or 404 while it is pending."""
    anchor = service.anchor_of(session=session, kind="document", subject=record.content_hash)
    if anchor is None or anchor.state != "confirmed":
        raise NotFound("the document is not anchored yet; retry later", code="not_anchored")
    return anchor

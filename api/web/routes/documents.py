"""Signed documents: single and bulk NDJSON submission, status and Merkle proof."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response, status

from api.db.models import PartyRecord
from api.returns_schemas import ReturnPublic
from api.schemas import AnchorPublic, BulkResult, DocumentPublic
from api.services import bulk, ingest, xml_ingest
from api.services import documents as service
from api.services import trade_queries as queries
from api.services.security import tokens_equal
from api.web.deps import (
    CredentialsDep,
    PartyDep,
    RawBodyDep,
    RuntimeDep,
    SessionDep,
    get_current_party,
)
from api.web.errors import ErrorBodyResponses
from api.web.ratelimit import check_rate

router = APIRouter(prefix="/documents", tags=["documents"], responses=ErrorBodyResponses)


def _raw_body(*media_types: str) -> dict[str, Any]:
    """The OpenAPI request body of a route that reads the raw body as text of one of
    ``media_types`` (the types api.web.media accepts for it; openapi_documents describes
    the format and gives the examples)."""
    content = {media: {"schema": {"type": "string"}} for media in media_types}
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "",
    response_model=DocumentPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": DocumentPublic, "description": "Identical bytes already stored."}},
)
def submit_document(
    # Described in OpenAPI as a SignedEnvelope (api/web/openapi_documents.py); checked by the
    # service, whose errors name the field (a plain dict keeps them its own).
    envelope: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    runtime: RuntimeDep,
    party: PartyDep,
    request: Request,
    response: Response,
) -> DocumentPublic:
    """Submit one signed document (order, payment, waybill or inventory)."""
    check_rate(request, party.code)
    result = ingest.submit_one(session=session, runtime=runtime, party=party, data=envelope)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.post(
    "/bulk",
    response_model=BulkResult,
    openapi_extra=_raw_body("application/x-ndjson"),
)
def submit_bulk(
    request: Request, session: SessionDep, runtime: RuntimeDep, party: PartyDep, body: RawBodyDep
) -> BulkResult:
    """Submit many signed documents as NDJSON, one envelope per line; per-line results."""
    lines = ingest.split_ndjson(body, limit=runtime.settings.max_bulk_documents)
    check_rate(request, party.code, cost=max(1, len(lines)))
    return bulk.submit_many(session=session, runtime=runtime, party=party, lines=lines)


@router.post(
    "/xml",
    response_model=list[DocumentPublic | ReturnPublic],
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_raw_body("application/xml", "text/xml"),
)
def submit_xml(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    party: PartyDep,
    body: RawBodyDep,
    response: Response,
    key_id: Annotated[str, Header(alias="Sandan-Key-Id", max_length=128)],
    signature: Annotated[str, Header(alias="Sandan-Signature", max_length=256)],
) -> list[DocumentPublic | ReturnPublic]:
    """Submit a CEB XML message (CEB311/411/511/621, CEB303/403/505/603) signed over its bytes;
    a CEB625 return application is judged as a return (the answer lists the returns)."""
    check_rate(request, party.code)
    results = xml_ingest.submit_xml(
        session=session,
        runtime=runtime,
        party=party,
        signature=xml_ingest.XmlSignature(key_id=key_id, signature=signature),
        body=body,
    )
    if not any(r.created for r in results):
        response.status_code = status.HTTP_200_OK
    return results


def get_reader(
    session: SessionDep, runtime: RuntimeDep, credentials: CredentialsDep
) -> PartyRecord | None:
    """The calling party, or ``None`` for the operator presenting the admin token."""
    if credentials is not None and tokens_equal(credentials.credentials, runtime.admin_token):
        return None
    return get_current_party(session, credentials)


ReaderDep = Annotated[PartyRecord | None, Depends(get_reader)]


@router.get("/{content_hash}", response_model=DocumentPublic)
def read_document(content_hash: str, session: SessionDep, reader: ReaderDep) -> DocumentPublic:
    """A stored document's version, trade and anchoring status (its trade's parties only)."""
    record = queries.require_readable_document(
        session=session, party=reader, content_hash=content_hash
    )
    return service.document_public(session=session, record=record, created=False)


@router.get("/{content_hash}/envelope")
def read_envelope(content_hash: str, session: SessionDep, party: PartyDep) -> Response:
    """The signed envelope exactly as stored (the submitter, customs and banks only)."""
    record = service.require_document(session=session, content_hash=content_hash)
    ingest.require_reader(party, record)
    return Response(record.envelope, media_type="application/json")


@router.get("/{content_hash}/proof", response_model=AnchorPublic)
def read_proof(content_hash: str, session: SessionDep, reader: ReaderDep) -> AnchorPublic:
    """The Merkle proof, root, transaction and block of an anchored document (as above)."""
    record = queries.require_readable_document(
        session=session, party=reader, content_hash=content_hash
    )
    return ingest.require_anchor(session=session, record=record)

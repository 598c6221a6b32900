"""Inventory cancellation applications (撤单, CEB623/CEB605) from the companies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response, status

from api.receipt_schemas import CancellationPublic
from api.services import cancellation
from api.services.xml_ingest import XmlSignature
from api.web.deps import PartyDep, RawBodyDep, RuntimeDep, SessionDep, WriteLimit
from api.web.errors import ErrorBodyResponses
from api.web.ratelimit import check_rate

router = APIRouter(
    prefix="/cancellations",
    tags=["cancellations"],
    responses=ErrorBodyResponses,
    dependencies=[WriteLimit],
)

_XML_BODY = {
    "requestBody": {
        "required": True,
        "content": {m: {"schema": {"type": "string"}} for m in ("application/xml", "text/xml")},
    }
}


@router.post(
    "/xml",
    response_model=list[CancellationPublic],
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_XML_BODY,
)
def apply_xml(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    party: PartyDep,
    body: RawBodyDep,
    response: Response,
    key_id: Annotated[str, Header(alias="Sandan-Key-Id", max_length=128)],
    signature: Annotated[str, Header(alias="Sandan-Signature", max_length=256)],
) -> list[CancellationPublic]:
    """Apply to cancel a declared inventory (CEB623 import, CEB605 export), signed over its
    bytes like the other CEB XML, by the trade's e-commerce company, platform or declarant.
    Customs decides with its CEB624/CEB606 receipt (`POST /customs/receipts`) or
    `POST /customs/trades/{tradeId}/cancel`; the chain then cancels the trade. 409 with a
    code for a settled, financed, returned or cancelled trade, or one already applied for."""
    check_rate(request, party.code)
    results = cancellation.apply_xml(
        session=session,
        runtime=runtime,
        party=party,
        signature=XmlSignature(key_id=key_id, signature=signature),
        body=body,
    )
    if not any(r.created for r in results):
        response.status_code = status.HTTP_200_OK
    return results

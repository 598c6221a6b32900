"""Return applications (退货申请单): submit a signed return, read it and its CEB626 receipt."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request, Response, status

from api.returns_schemas import ReturnPublic
from api.services import returns as service
from api.web.deps import PartyDep, RuntimeDep, SessionDep
from api.web.errors import ErrorBodyResponses
from api.web.ratelimit import check_rate

router = APIRouter(prefix="/returns", tags=["returns"], responses=ErrorBodyResponses)

_ID = Path(ge=1, le=2**62)


@router.post(
    "",
    response_model=ReturnPublic,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ReturnPublic, "description": "The same signed return again."}},
)
def submit_return(
    # A SignedEnvelope whose docType is `return` (CEB625) or `export-return` (CEB213); the
    # service checks it and names the field of any problem.
    envelope: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    runtime: RuntimeDep,
    party: PartyDep,
    request: Request,
    response: Response,
) -> ReturnPublic:
    """Submit a signed return application (the e-commerce company or agent it names):
    matched to the released trade, answered accepted (120) or refused (100) with reasons."""
    check_rate(request, party.code)
    result = service.submit_envelope(session=session, runtime=runtime, party=party, data=envelope)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return result


@router.get("/{return_id}", response_model=ReturnPublic)
def read_return(
    return_id: Annotated[int, _ID], session: SessionDep, party: PartyDep
) -> ReturnPublic:
    """A return: its verdict, amounts, receipt and chain transaction (the submitter, the
    trade's parties, customs and banks)."""
    record = service.read_return(session=session, party=party, return_id=return_id)
    return service.return_public(session=session, record=record)


@router.get(
    "/{return_id}/receipt.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}}},
)
def read_receipt(return_id: Annotated[int, _ID], session: SessionDep, party: PartyDep) -> Response:
    """The CEB626 message answering an import return (120 accepted, 100 refused with the
    reasons as returnInfo), valid against the 2022-05 XSD."""
    record = service.read_return(session=session, party=party, return_id=return_id)
    return Response(service.receipt_xml(record=record), media_type="application/xml")

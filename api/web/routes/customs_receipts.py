"""Customs receipts (回执) from the single window, and customs' approval of a cancellation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status

from api.receipt_schemas import CancelCreate, CancellationPublic, CustomsReceiptsPublic
from api.services import customs_receipts
from api.web.deps import CustomsDep, RawBodyDep, RuntimeDep, SessionDep, TradeDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(
    prefix="/customs", tags=["customs"], responses=ErrorBodyResponses, dependencies=[WriteLimit]
)

_MEDIA = ("application/xml", "text/xml", "application/json")


def _raw_body(*media_types: str) -> dict[str, Any]:
    content = {media: {"schema": {"type": "string"}} for media in media_types}
    return {"requestBody": {"required": True, "content": content}}


@router.post(
    "/receipts",
    response_model=CustomsReceiptsPublic,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": CustomsReceiptsPublic, "description": "Every receipt stored before."}
    },
    openapi_extra=_raw_body(*_MEDIA),
)
def ingest_receipts(
    request: Request,
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    party: CustomsDep,
    body: RawBodyDep,
) -> CustomsReceiptsPublic:
    """Ingest a customs receipt message (CEB312/412/512/622/624/626, CEB304/404/506/604/606,
    CEB900) as CEB XML or its JSON form: customs only, over its API key (receipts carry no
    ds:Signature). Each receipt is linked to its trade (404 naming the field when none),
    stored, anchored like a document and turned into the trade's customs status; the same
    receipt again answers 200 with what was stored."""
    ingested = customs_receipts.ingest_body(
        session=session,
        runtime=runtime,
        party=party,
        body=body,
        content_type=request.headers.get("content-type"),
    )
    if not any(item.created for item in ingested.data):
        response.status_code = status.HTTP_200_OK
    return ingested


@router.post("/trades/{trade_id}/cancel", response_model=CancellationPublic)
def cancel_trade(
    session: SessionDep,
    runtime: RuntimeDep,
    party: CustomsDep,
    trade: TradeDep,
    body: CancelCreate,
) -> CancellationPublic:
    """Approve the trade's pending inventory cancellation (撤单): customs' CEB624/CEB606
    receipt (399 审结, `note` as its returnInfo) is recorded and anchored, and the trade is
    cancelled on chain by customs' own account (LifecycleRegistry.cancelTrades). 409 with a
    code when no application is pending or the trade is settled, financed, returned or
    already cancelled."""
    return customs_receipts.approve_cancellation(
        session=session, runtime=runtime, party=party, trade=trade, note=body.note
    )

"""A trade's life beyond its verdict: its timeline, customs receipts and outgoing messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.receipt_schemas import CustomsReceiptsPublic, TimelinePublic
from api.services import customs_receipts, outgoing_messages, timeline
from api.services import trade_queries as queries
from api.web.deps import PartyDep, RuntimeDep, SessionDep
from api.web.errors import ErrorBodyResponses

router = APIRouter(prefix="/trades", tags=["trades"], responses=ErrorBodyResponses)

MessageType = Annotated[
    str,
    Path(
        pattern=r"^CEB[0-9]{3}$",
        description="CEB311/411/511/621 (import) or CEB303/403/505/603 (export).",
    ),
]


@router.get("/{trade_id}/timeline", response_model=TimelinePublic)
def read_timeline(
    trade_id: str, session: SessionDep, runtime: RuntimeDep, party: PartyDep
) -> TimelinePublic:
    """The trade's life in time order: documents received, verdicts, release, customs
    receipts (status code and note), cancellation, settlement, financing, each with its
    transaction where it is on chain. Whoever may see the trade may see it."""
    trade = queries.require_visible(session=session, party=party, trade_id=trade_id)
    return timeline.timeline(session=session, runtime=runtime, trade=trade)


@router.get("/{trade_id}/receipts", response_model=CustomsReceiptsPublic)
def list_receipts(trade_id: str, session: SessionDep, party: PartyDep) -> CustomsReceiptsPublic:
    """The customs receipts of the trade, in the order customs returned them."""
    trade = queries.require_visible(session=session, party=party, trade_id=trade_id)
    records = customs_receipts.receipts_of(session=session, trade_id=trade.trade_id)
    data = [customs_receipts.receipt_public(session=session, record=r) for r in records]
    return CustomsReceiptsPublic(data=data, count=len(data))


@router.get(
    "/{trade_id}/messages/{message_type}.xml",
    response_class=Response,
    responses={200: {"content": {"application/xml": {"schema": {"type": "string"}}}}},
)
def read_message(
    trade_id: str, message_type: MessageType, session: SessionDep, party: PartyDep
) -> Response:
    """The CEB declaration sandan sends to the single window for this trade, from its
    stored document, valid against the official 2022-05 XSD: for the trade's own parties
    and customs. A type that needs the party's ds:Signature is relayed as the party signed
    it, or refused (409 `party_signature_required`) when it came as JSON."""
    trade = outgoing_messages.require_message_reader(
        session=session, party=party, trade_id=trade_id
    )
    body = outgoing_messages.message_xml(session=session, trade=trade, message_type=message_type)
    return Response(content=body, media_type="application/xml")

"""EPCIS 2.0 capture and query, lot lineage and recalls.

Capture needs a party API key of a producer, inspector, logistics company or
warehouse; what each may capture is the table in
:mod:`api.services.trace.policy`. Queries need any party's API key.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, BackgroundTasks, Depends, Header, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ConfigDict, Discriminator, Field, Tag
from sqlmodel import Session

from api.db.models import PartyRecord, utcnow
from api.db.trace_models import LOCATION_ADDRESS_MAX, LOCATION_NAME_MAX
from api.errors import BadRequest, NestedTooDeep, NotFound
from api.runtime import Runtime
from api.schemas import ApiModel
from api.services import epcis as capture
from api.services import warehouse_ledger
from api.services.documents import check_strings
from api.services.parties import require_party
from api.services.trace import custody
from api.services.trace import lots as trace_lots
from api.services.trace import names as trace_names
from api.services.trace import query as trace_query
from api.services.trace.view import provenance_json
from api.web.deps import (
    AdminDep,
    PartyDep,
    RawBodyDep,
    RuntimeDep,
    SessionDep,
    WriteLimit,
    require_role,
)
from api.web.errors import ErrorBodyResponses
from traceability.limits import JsonTooDeep, check_json_depth

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
CAPTURE_ROLES = ("producer", "inspector", "logistics", "warehouse")


class EpcisRoute(APIRoute):
    """Adds the GS1-EPCIS-Version and GS1-CBV-Version headers to every response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            response = await handler(request)
            response.headers["GS1-EPCIS-Version"] = EPCIS_VERSION
            response.headers["GS1-CBV-Version"] = CBV_VERSION
            return response

        return with_headers


router = APIRouter(
    tags=["epcis"], responses=ErrorBodyResponses, route_class=EpcisRoute, dependencies=[WriteLimit]
)
CapturerDep = Annotated[PartyRecord, Depends(require_role(*CAPTURE_ROLES))]
InspectorDep = Annotated[PartyRecord, Depends(require_role("inspector"))]


class RecallRequest(ApiModel):
    """Why a lot is recalled (or why its recall is lifted); recorded on chain."""

    reason: str = Field(min_length=1, max_length=500, examples=["pesticide residue above limit"])


GlnText = Annotated[str, Field(pattern=r"^\d{13}$")]
PlaceName = Annotated[str, Field(min_length=1, max_length=LOCATION_NAME_MAX)]
PlaceAddress = Annotated[str, Field(min_length=1, max_length=LOCATION_ADDRESS_MAX)]


class LocationIn(ApiModel):
    """A location and what a shopper reads for it: its name and address in either language."""

    gln: GlnText
    name: PlaceName
    name_zh: PlaceName | None = None
    address: PlaceAddress | None = None
    address_zh: PlaceAddress | None = None
    region: PlaceName | None = None


def _location_kind(value: Any) -> str:
    return "gln" if isinstance(value, str) else "location"


#: A bare GLN or a location object; a bad object's error names its own field
#: (``glns.0.location.name``), not every branch of the union.
GlnOrLocation = Annotated[
    Annotated[GlnText, Tag("gln")] | Annotated[LocationIn, Tag("location")],
    Discriminator(_location_kind),
]


class LocationsRequest(ApiModel):
    """The locations where a party may record events: bare GLNs, or GLNs with their names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "glns": [
                        {
                            "gln": "6901234000016",
                            "name": "Xinfeng orchard, block B7",
                            "nameZh": "信丰县脐橙果园 B7 地块",
                            "address": "Anxi town, Xinfeng county, Ganzhou, Jiangxi, China",
                            "addressZh": "中国江西省赣州市信丰县安西镇",
                            "region": "Gannan 赣南",
                        },
                        "6901234000023",
                    ]
                }
            ]
        }
    )

    glns: list[GlnOrLocation] = Field(min_length=1, max_length=200)


class CompanyPrefixesRequest(ApiModel):
    """GS1 company prefixes of a brand owner: it may record events of every lot of its GTINs."""

    prefixes: list[Annotated[str, Field(pattern=r"^\d{4,12}$")]] = Field(
        min_length=1, max_length=50, examples=[["6901234"]]
    )
    #: Move a prefix another party holds to this one (a licence changing hands).
    transfer: bool = False


def _json_body(body: bytes) -> Any:
    try:
        check_json_depth(body)
        return orjson.loads(body)
    except JsonTooDeep as exc:
        raise NestedTooDeep(f"the body is not usable: {exc}", field="body") from exc
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}", field="body") from exc


def _run_jobs(runtime: Runtime, job_id: str) -> None:
    """Process the new job, then any job a crash left unfinished."""
    capture.process_job(runtime, job_id)
    with Session(runtime.engine) as session:
        stale = capture.stale_jobs(session)
    for other in stale:
        capture.process_job(runtime, other)


@router.post(
    "/capture",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
)
def capture_document(
    body: RawBodyDep,
    session: SessionDep,
    runtime: RuntimeDep,
    party: CapturerDep,
    background: BackgroundTasks,
    behaviour: Annotated[str, Header(alias="GS1-Capture-Error-Behaviour")] = "rollback",
) -> JSONResponse:
    """Capture an EPCISDocument (plain, or in a signed envelope) asynchronously."""
    if behaviour not in ("rollback", "proceed"):
        raise BadRequest("must be rollback or proceed", field="GS1-Capture-Error-Behaviour")
    data = _json_body(body)
    job = capture.create_job(
        session=session,
        runtime=runtime,
        party=party,
        data=data,
        behaviour=behaviour,  # type: ignore[arg-type]
        max_events=runtime.settings.max_bulk_documents,
    )
    background.add_task(_run_jobs, runtime, job.id)
    return JSONResponse(
        {"captureID": job.id, "running": True},
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/capture/{job.id}"},
        background=background,
    )


@router.get("/capture/{capture_id}")
def read_capture_job(
    capture_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    party: PartyDep,
    background: BackgroundTasks,
) -> dict[str, Any]:
    """A capture job's state, counts and errors (each naming its field)."""
    job = capture.require_job(session=session, party=party, job_id=capture_id)
    if job.state != "done" and capture_id in capture.stale_jobs(session):
        background.add_task(capture.process_job, runtime, capture_id)
    return capture.job_public(job)


@router.post(
    "/events",
    status_code=status.HTTP_201_CREATED,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {}}}},
)
def capture_event(
    body: RawBodyDep, session: SessionDep, runtime: RuntimeDep, party: CapturerDep
) -> JSONResponse:
    """Capture one event now (plain, or in a signed envelope); idempotent by event hash."""
    data = _json_body(body)
    record, created = capture.capture_one(session=session, runtime=runtime, party=party, data=data)
    answer = {
        "eventID": record.event_id,
        "eventHash": record.event_hash,
        "created": created,
        "lots": sorted(
            {f"{lot.gtin}/{lot.lot}" for lot in trace_lots.lots_of_record(session, record)}
        ),
    }
    return JSONResponse(
        answer,
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        headers={"Location": f"/events/{record.event_id}"},
    )


@router.get("/events")
def query_events(request: Request, session: SessionDep, _party: PartyDep) -> JSONResponse:
    """Query events with the EPCIS 2.0 filters; paged with perPage and nextPageToken.

    As EPCIS 2.0 REST pages: the next page's URL is in the ``Link`` header (rel="next"),
    never in the body, whose EPCISQueryDocument schema allows no such property."""
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    page = trace_query.query_events(session=session, params=params)
    headers = {}
    if page.next_token is not None:
        query = [(k, v) for k, vs in params.items() if k != "nextPageToken" for v in vs]
        query.append(("nextPageToken", page.next_token))
        headers["Link"] = f'<{request.url.path}?{urlencode(query)}>; rel="next"'
    return JSONResponse(trace_query.query_document(page.events, now=utcnow()), headers=headers)


@router.get("/events/{event_id:path}")
def read_event(event_id: str, session: SessionDep, _party: PartyDep) -> dict[str, Any]:
    """One event by its eventID (or its hash ID)."""
    record = trace_query.find_event(session=session, event_id=event_id)
    if record is None:
        raise NotFound(f"no event {event_id}", field="eventID")
    return trace_query.event_json(record)


@router.get("/lots/{gtin}/{lot}/lineage")
def read_lineage(
    gtin: str, lot: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """A lot's provenance: stages, findings, alerts, recall status and on-chain checks."""
    ref = trace_lots.lot_ref(gtin, lot)
    found = trace_lots.provenance(session=session, runtime=runtime, lot=ref)
    names = trace_names.names_of_lot(session, found)
    return provenance_json(found, base_url=str(request.base_url), names=names)


@router.get("/lots/{gtin}/{lot}/recall-status")
def read_recall_status(
    gtin: str, lot: str, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any]:
    """Whether the lot is under recall (read from the chain) and why."""
    ref = trace_lots.lot_ref(gtin, lot)
    state = trace_lots.recall_state(session=session, runtime=runtime, lot=ref)
    return {"gtin": ref.gtin, "lot": ref.lot, "lotId": ref.lot_id, **state.to_json()}


def _recall_body(record: Any) -> dict[str, Any]:
    return {
        "gtin": record.gtin,
        "lot": record.lot,
        "lotId": record.lot_id,
        "action": record.action,
        "reason": record.reason,
        "by": record.party_code,
        "txHash": record.tx_hash,
        "blockNumber": record.block_number,
    }


class LotRecall:
    """A change of a lot's recall asked for by an inspector: the lot, the reason, the caller."""

    def __init__(
        self,
        gtin: str,
        lot: str,
        body: RecallRequest,
        session: SessionDep,
        runtime: RuntimeDep,
        party: InspectorDep,
    ) -> None:
        self.lot = trace_lots.lot_ref(gtin, lot)
        self.reason = body.reason
        self.session = session
        self.runtime = runtime
        self.party = party

    def apply(self, *, recall: bool) -> dict[str, Any]:
        """Put the lot under recall (or lift it) through the inspector's chain account."""
        record = trace_lots.change_recall(
            session=self.session,
            runtime=self.runtime,
            party=self.party,
            lot=self.lot,
            reason=self.reason,
            recall=recall,
        )
        return _recall_body(record)


LotRecallDep = Annotated[LotRecall, Depends()]


@router.post("/lots/{gtin}/{lot}/recall")
def recall_lot(change: LotRecallDep) -> dict[str, Any]:
    """Put a lot under recall on chain (inspectors, through their own chain account)."""
    return change.apply(recall=True)


@router.post("/lots/{gtin}/{lot}/clear-recall")
def clear_recall(change: LotRecallDep) -> dict[str, Any]:
    """Lift a lot's recall on chain (inspectors), with the reason."""
    return change.apply(recall=False)


@router.put("/parties/{code}/locations")
def set_locations(
    code: str, body: LocationsRequest, session: SessionDep, _admin: AdminDep
) -> dict[str, Any]:
    """Register the locations (GLNs, with their names and addresses) where a party may record
    events (administrator only; a bare GLN keeps the names it was registered with)."""
    from api.services.trace.policy import check_gln

    party = require_party(session=session, code=code)
    places = []
    for index, item in enumerate(body.glns):
        check_gln(item if isinstance(item, str) else item.gln, field=f"glns[{index}]")
        if isinstance(item, LocationIn):
            check_strings(item.model_dump(by_alias=True), f"glns[{index}]")
        places.append(_place_of(item))
    held = trace_names.register_places(session, party, places, now=utcnow())
    # A warehouse's new place makes the events it recorded there its stock movements.
    warehouse_ledger.rebuild(session, [party.code])
    session.commit()
    return {
        "code": party.code,
        "glns": [p.gln for p in held],
        "locations": [p.to_json() for p in held],
    }


def _place_of(item: str | LocationIn) -> trace_names.Place:
    if isinstance(item, str):
        return trace_names.Place(item)
    return trace_names.Place(
        item.gln, item.name, item.name_zh, item.address, item.address_zh, item.region
    )


@router.put("/parties/{code}/company-prefixes")
def set_company_prefixes(
    code: str, body: CompanyPrefixesRequest, session: SessionDep, _admin: AdminDep
) -> dict[str, Any]:
    """Register the GS1 company prefixes a party owns: it becomes the brand owner of their
    GTINs (administrator only; a prefix overlapping another party's is refused, 409, unless
    ``transfer`` moves that very prefix)."""
    party = require_party(session=session, code=code)
    prefixes = custody.register_prefixes(
        session, party, body.prefixes, transfer=body.transfer, now=utcnow()
    )
    session.commit()
    return {"code": party.code, "prefixes": prefixes}

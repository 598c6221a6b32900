"""Returns (退货): a signed CEB625 (JSON or XML) or CEB213 return, matched to the released
trade, answered with CEB626, recorded on the LifecycleRegistry, credited to the buyer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from api.db.models import PartyRecord, RiskTradeRecord, TradeRecord, utcnow
from api.services import returns as returns_service
from api.services.chain_accounts import party_account
from api.services.risk_records.records import trade_from_json
from ledger_client import LifeState
from tests.api.conftest import World, WorldStage, stage_fixtures
from tests.api.factories import Actor, registered_at
from tests.api.trace_fixtures import IDS, capture_chain, make_trace_parties
from tests.api.web.adversarial import trade_parties
from tests.traceability.ceb.conftest import sample
from tests.traceability.ceb.official_xsd import xsd_errors
from traceability.ceb import CebMessage, read_message, write_message
from traceability.ceb.models import ReturnApplication
from traceability.signing._encoding import b64url_encode
from traceability.trade import samples
from traceability.trade.fields import CHINA_TZ, format_ceb_time

_numbers = itertools.count(1)
#: Keys registered before any appTime a test's XML message carries.
KEYS_SINCE = datetime(2024, 1, 1, tzinfo=UTC)


def _parties(world: World) -> dict[str, Actor]:
    with registered_at(KEYS_SINCE):
        return {
            **trade_parties(world),
            # The e-commerce company the sample trades name (ebcCode and agentCode).
            "seller": world.actor(samples.SELLER[0], ["platform"]),
            "stranger": world.actor("3301960X77", ["platform"]),
            "exporter": world.actor(samples.EXPORTER[0], ["platform"]),
        }


RETURN_PARTIES = WorldStage("the return parties", _parties)
world_stage, parties = stage_fixtures("parties", RETURN_PARTIES)


@dataclass
class Released:
    """A released import trade: its id, terms and inventory number."""

    trade_id: str
    terms: samples.ImportTerms
    invt_no: str


def import_trade(
    world: World,
    parties: dict[str, Actor],
    *,
    release: bool = True,
    order_no: str | None = None,
    lines: tuple[samples.Line, ...] = samples.IMPORT_LINES,
) -> Released:
    """A matched import trade (fresh numbers), released by customs unless told otherwise."""
    n = next(_numbers)
    terms = samples.ImportTerms(
        order_no=order_no or f"RT20250301{n:06d}",
        logistics_no=f"SF77{n:011d}",
        pay_transaction_id=f"AP2025030177{n:06d}",
        lines=lines,
    )
    docs = samples.import_trade(terms)
    invt_no = f"29912025I{n:09d}"
    documents = {kind: getattr(docs, kind).to_json_dict() for kind in ("order", "payment")}
    documents["waybill"] = docs.waybill.to_json_dict()  # type: ignore[union-attr]
    documents["inventory"] = docs.inventory.to_json_dict() | {"invtNo": invt_no}  # type: ignore[union-attr]
    signer = {"order": "platform", "payment": "payment", "waybill": "logistics"}
    trade_id = None
    for kind, document in documents.items():
        trade_id = world.submit(parties[signer.get(kind, "platform")], kind, document) or trade_id
    assert trade_id is not None
    world.worker.drain()
    if release:
        released = world.client.post(
            f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
        )
        assert released.status_code == 200, released.text
    return Released(trade_id, terms, invt_no)


def refund(trade: Released, lines: list[tuple[int, str]], **changes: Any) -> dict[str, Any]:
    """The CEB625 of returning ``lines`` ((gnum, qty)) of ``trade``'s goods."""
    terms = trade.terms
    name, id_number, phone = terms.buyer
    by_gnum = dict(enumerate(terms.lines, start=1))
    document: dict[str, Any] = {
        "guid": f"6F9619FF-8B86-D011-B42D-{next(_numbers):012d}",
        "appType": "1",
        "appTime": format_ceb_time(datetime.now(CHINA_TZ) - timedelta(minutes=1)),
        "appStatus": "2",
        "customsCode": "2991",
        "orderNo": terms.order_no,
        "ebpCode": samples.PLATFORM[0],
        "ebpName": samples.PLATFORM[1],
        "ebcCode": samples.SELLER[0],
        "ebcName": samples.SELLER[1],
        "logisticsNo": terms.logistics_no,
        "logisticsCode": samples.CARRIER[0],
        "logisticsName": samples.CARRIER[1],
        "copNo": terms.order_no[-20:],
        "invtNo": trade.invt_no,
        "buyerIdType": "1",
        "buyerIdNumber": id_number,
        "buyerName": name,
        "buyerTelephone": phone,
        "agentCode": samples.SELLER[0],
        "agentName": samples.SELLER[1],
        "reason": "尺码不合适",
        "InvtRefundList": [
            {
                "gnum": gnum,
                "gcode": by_gnum[gnum].gcode if gnum in by_gnum else "9619001100",
                "gname": by_gnum[gnum].name if gnum in by_gnum else "花王纸尿裤",
                "qty": qty,
                "unit": "011",
            }
            for gnum, qty in lines
        ],
    }
    return document | changes


def post_return(world: World, actor: Actor, document: dict[str, Any], **kwargs: Any) -> Any:
    envelope = actor.envelope("return", document, **kwargs)
    return world.client.post("/returns", json=envelope, headers=actor.headers)


def life(world: World, trade_id: str) -> tuple[Any, Any]:
    """The trade's TradeLife and LifeState as the LifecycleRegistry keeps them."""
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        batch, position = trade.verdict_batch, trade.verdict_position
    assert batch is not None
    assert position is not None
    lifecycle = world.ledger.lifecycle()
    return lifecycle.trade_life(batch, position), lifecycle.life_state(batch, position)


def trade_row(world: World, trade_id: str) -> TradeRecord:
    with Session(world.runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None
        return trade


# --- accepted ----------------------------------------------------------------------------


def test_a_partial_then_a_whole_return_change_the_trade_on_chain(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    first = post_return(world, parties["seller"], refund(trade, [(2, "1")]))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "accepted"
    assert (body["amount"], body["returnedTotal"], body["returnState"]) == (
        "119.50",
        "119.50",
        "partial",
    )
    assert body["receipt"]["returnStatus"] == "120"
    assert body["chain"]["txHash"].startswith("0x")
    assert body["tradeId"] == trade.trade_id
    value, state = life(world, trade.trade_id)
    assert state is LifeState.PARTLY_RETURNED
    assert value.returned == 11950  # fen
    row = trade_row(world, trade.trade_id)
    assert (row.returned_value, row.return_state) == ("119.50", "partial")

    rest = post_return(world, parties["seller"], refund(trade, [(1, "1"), (2, "1")]))
    assert rest.status_code == 201, rest.text
    body = rest.json()
    # The last of every line: what is left of the customs value (833.00) comes back.
    assert (body["amount"], body["returnedTotal"], body["returnState"]) == (
        "713.50",
        "833.00",
        "whole",
    )
    value, state = life(world, trade.trade_id)
    assert state is LifeState.RETURNED
    assert value.returned == value.value == 83300
    row = trade_row(world, trade.trade_id)
    assert (row.returned_value, row.return_state) == ("833.00", "whole")

    read = world.client.get(f"/returns/{body['id']}", headers=parties["platform"].headers)
    assert read.status_code == 200, read.text
    assert read.json()["lines"][0]["returnedBefore"] == "0"
    inbox = world.client.get("/inbox", headers=parties["platform"].headers).json()
    returned = [n for n in inbox["data"] if n["kind"] == "trade.returned"]
    assert [n["data"]["returnState"] for n in returned] == ["whole", "partial"]


def test_the_return_is_anchored_like_a_document(world: World, parties: dict[str, Actor]) -> None:
    trade = import_trade(world, parties)
    body = post_return(world, parties["seller"], refund(trade, [(2, "1")])).json()
    assert body["anchorStatus"] == "pending"
    world.worker.drain()
    read = world.client.get(f"/returns/{body['id']}", headers=parties["seller"].headers).json()
    assert read["anchorStatus"] == "anchored"
    assert read["anchor"]["txHash"].startswith("0x")


# --- refused, with reasons ---------------------------------------------------------------


def _refused(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "refused"
    assert body["receipt"]["returnStatus"] == "100"
    assert body["amount"] == "0.00"
    assert body["chain"] is None
    return body


def test_more_than_was_declared_is_refused_cumulatively(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    over = _refused(post_return(world, parties["seller"], refund(trade, [(2, "3")])))
    (failure,) = over["failures"]
    assert failure == {
        "rule": "return.quantity",
        "field": "InvtRefundList[gnum=2].qty",
        "expected": "> 0 and <= 2",
        "actual": "3",
        "message": failure["message"],
    }
    assert "[return.quantity] InvtRefundList[gnum=2].qty" in over["receipt"]["returnInfo"]
    assert post_return(world, parties["seller"], refund(trade, [(2, "1")])).status_code == 201
    again = _refused(post_return(world, parties["seller"], refund(trade, [(2, "2")])))
    assert again["failures"][0]["expected"] == "> 0 and <= 1"
    _value, state = life(world, trade.trade_id)
    assert state is LifeState.PARTLY_RETURNED


def test_another_item_wrong_company_and_unreleased_trade_are_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    other = _refused(post_return(world, parties["seller"], refund(trade, [(3, "1")])))
    assert [(f["rule"], f["field"]) for f in other["failures"]] == [
        ("return.item", "InvtRefundList[gnum=3].gnum")
    ]
    # The stranger names itself as the company (it may submit: it is named), not the trade's.
    stranger = refund(trade, [(2, "1")], ebcCode="3301960X77", agentCode="3301960X77")
    wrong = _refused(post_return(world, parties["stranger"], stranger))
    assert [(f["rule"], f["field"], f["expected"]) for f in wrong["failures"]] == [
        ("return.company", "ebcCode", samples.SELLER[0])
    ]
    unreleased = import_trade(world, parties, release=False)
    pending = _refused(post_return(world, parties["seller"], refund(unreleased, [(2, "1")])))
    assert [f["rule"] for f in pending["failures"]] == ["return.released"]
    assert trade_row(world, trade.trade_id).returned_value is None


def test_past_the_return_period_is_refused(world: World, parties: dict[str, Actor]) -> None:
    trade = import_trade(world, parties)
    with Session(world.runtime.engine) as session:
        row = session.get(TradeRecord, trade.trade_id)
        assert row is not None
        # Released 31 days ago: SANDAN_RETURN_PERIOD_DAYS is 30.
        row.released_at = utcnow() - timedelta(days=31)
        session.add(row)
        session.commit()
    late = _refused(post_return(world, parties["seller"], refund(trade, [(2, "1")])))
    assert [(f["rule"], f["field"]) for f in late["failures"]] == [("return.period", "appTime")]
    assert "30 days" in late["failures"][0]["message"]


# --- attacks -----------------------------------------------------------------------------


def test_a_replayed_return_is_answered_once_and_a_re_signed_one_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    document = refund(trade, [(2, "1")])
    envelope = parties["seller"].envelope("return", document)
    first = world.client.post("/returns", json=envelope, headers=parties["seller"].headers)
    assert first.status_code == 201, first.text
    same = world.client.post("/returns", json=envelope, headers=parties["seller"].headers)
    assert same.status_code == 200, same.text
    assert (same.json()["id"], same.json()["created"]) == (first.json()["id"], False)
    # The same application signed again (new salt): one application returns goods once.
    resigned = post_return(world, parties["seller"], document)
    assert resigned.status_code == 409, resigned.text
    assert resigned.json()["error"] == "duplicate_return"
    assert resigned.json()["field"] == "payload.document.guid"
    # The same keyId and salt over other bytes: a replay.
    other = parties["seller"].envelope("return", refund(trade, [(1, "1")]), salt=_salt_of(envelope))
    replay = world.client.post("/returns", json=other, headers=parties["seller"].headers)
    assert replay.status_code == 409, replay.text
    assert trade_row(world, trade.trade_id).returned_value == "119.50"


def _salt_of(envelope: dict[str, Any]) -> bytes:
    from traceability.signing import b64url_decode

    return b64url_decode(envelope["payload"]["salt"])


def test_only_the_company_or_agent_the_return_names_may_submit_it(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    for who in ("stranger", "platform"):
        response = post_return(world, parties[who], refund(trade, [(2, "1")]))
        assert response.status_code == 403, response.text
        assert response.json()["field"] == "payload.document.ebcCode"
    # Signed for another party than the caller.
    envelope = parties["stranger"].envelope("return", refund(trade, [(2, "1")]))
    forged = world.client.post("/returns", json=envelope, headers=parties["seller"].headers)
    assert forged.status_code == 403, forged.text
    # The return is not another party's to read either.
    accepted = post_return(world, parties["seller"], refund(trade, [(2, "1")])).json()
    hidden = world.client.get(f"/returns/{accepted['id']}", headers=parties["stranger"].headers)
    assert hidden.status_code == 404
    assert trade_row(world, trade.trade_id).returned_value == "119.50"


def test_a_malformed_return_is_refused_naming_the_field(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    bad = refund(trade, [(2, "1")])
    bad["InvtRefundList"][0]["qty"] = 1.5
    response = post_return(world, parties["seller"], bad)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "payload.document.InvtRefundList.0.qty"
    not_a_return = parties["seller"].envelope("order", refund(trade, [(2, "1")]))
    wrong_type = world.client.post("/returns", json=not_a_return, headers=parties["seller"].headers)
    assert wrong_type.status_code == 422, wrong_type.text
    assert wrong_type.json()["field"] == "payload.docType"


# --- XML and the CEB626 receipt ----------------------------------------------------------


def return_xml(document: dict[str, Any]) -> bytes:
    """A CEB625 message of ``document``, with the sample's ds:Signature element (kept as the
    message's signature; the seller registered no XML certificate, so it is not verified)."""
    signed = read_message(sample("CEB625"))
    application = ReturnApplication.model_validate(document)
    message = CebMessage(
        "CEB625",
        document["guid"],
        (application,),
        base_transfer=signed.base_transfer,
        signature=signed.signature,
    )
    return write_message(message)


def post_xml(world: World, actor: Actor, body: bytes) -> Any:
    headers = {
        **actor.headers,
        "Content-Type": "application/xml",
        "Sandan-Key-Id": actor.key_id,
        "Sandan-Signature": b64url_encode(actor.signing_key.sign(body)),
    }
    return world.client.post("/documents/xml", content=body, headers=headers)


def test_a_ceb625_message_is_judged_as_a_return_and_answered_with_a_valid_ceb626(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    body = return_xml(refund(trade, [(2, "2")]))
    response = post_xml(world, parties["seller"], body)
    assert response.status_code == 201, response.text
    (result,) = response.json()
    assert (result["status"], result["messageType"], result["amount"]) == (
        "accepted",
        "CEB625",
        "239.00",
    )
    again = post_xml(world, parties["seller"], body)
    assert again.status_code == 200, again.text
    assert again.json()[0]["id"] == result["id"]
    receipt = world.client.get(
        f"/returns/{result['id']}/receipt.xml", headers=parties["seller"].headers
    )
    assert receipt.status_code == 200, receipt.text
    assert receipt.headers["content-type"].startswith("application/xml")
    assert xsd_errors(receipt.content) == []
    answer = read_message(receipt.content)
    assert answer.message_type == "CEB626"
    assert answer.documents[0].returnStatus == "120"  # type: ignore[attr-defined]
    assert answer.documents[0].invtNo == trade.invt_no  # type: ignore[attr-defined]

    refused = post_xml(world, parties["seller"], return_xml(refund(trade, [(2, "1")])))
    (refusal,) = refused.json()
    assert refusal["status"] == "refused"
    xml = world.client.get(
        f"/returns/{refusal['id']}/receipt.xml", headers=parties["seller"].headers
    )
    assert xsd_errors(xml.content) == []
    note = read_message(xml.content).documents[0]
    assert note.returnStatus == "100"  # type: ignore[attr-defined]
    assert "return.quantity" in note.returnInfo  # type: ignore[attr-defined]


def test_a_ceb625_from_another_party_or_malformed_is_refused_naming_the_field(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    body = return_xml(refund(trade, [(2, "1")]))
    stranger = post_xml(world, parties["stranger"], body)
    assert stranger.status_code == 403, stranger.text
    assert stranger.json()["field"] == "documents[0].ebcCode"
    broken = body.replace(b"<ceb:qty>1</ceb:qty>", b"<ceb:qty>one</ceb:qty>")
    malformed = post_xml(world, parties["seller"], broken)
    assert malformed.status_code == 422, malformed.text
    assert malformed.json()["field"] == "CEB625Message/InvtRefund[1]/InvtRefundList[1]/qty"


# --- export ------------------------------------------------------------------------------


def test_an_export_return_is_recorded_against_the_export_inventory(
    world: World, parties: dict[str, Actor]
) -> None:
    exporter = parties["exporter"]
    n = next(_numbers)
    terms = samples.ExportTerms(order_no=f"GZ20250301{n:06d}", logistics_no=f"EMS{n:010d}CN")
    docs = samples.export_trade(terms)
    invt_no = f"40012025E{n:09d}"
    signers = {
        "order": exporter,
        "payment": parties["payment"],
        "waybill": parties["logistics"],
        "inventory": exporter,
    }
    trade_id = None
    for kind, actor in signers.items():
        document = getattr(docs, kind).to_json_dict()
        if kind == "inventory":
            document["invtNo"] = invt_no
        trade_id = world.submit(actor, kind, document) or trade_id
    world.worker.drain()
    released = world.client.post(
        f"/customs/trades/{trade_id}/release", headers=parties["customs"].headers
    )
    assert released.status_code == 200, released.text
    inventory = docs.inventory
    assert inventory is not None
    line = inventory.items[0]
    application = {
        "guid": f"6F9619FF-8B86-D011-B42D-{next(_numbers):012d}",
        "appType": "1",
        "appTime": format_ceb_time(datetime.now(CHINA_TZ)),
        "appStatus": "2",
        "customsCode": inventory.customsCode,
        "ebpCode": inventory.ebpCode,
        "ebpName": inventory.ebpName,
        "ebcCode": inventory.ebcCode,
        "ebcName": inventory.ebcName,
        "logisticsNo": inventory.logisticsNo,
        "logisticsCode": inventory.logisticsCode,
        "logisticsName": inventory.logisticsName,
        "coElNo": f"RT{n:010d}",
        "invtNo": invt_no,
        "agentCode": inventory.agentCode,
        "agentName": inventory.agentName,
        "billNo": inventory.logisticsNo,
        "ieFlag": "I",
        "trafMode": "4",
        "trafName": "粤B12345",
        "portCode": inventory.portCode,
        "reason": "买家拒收",
        "country": inventory.country,
        "voyageNo": "20250320",
        "InvtRefundList": [
            {
                "gnum": line.gnum,
                "gcode": line.gcode,
                "gname": line.gname,
                "gmodel": line.gmodel,
                "qty": "5",
                "qty1": "5",
                "unit": line.unit,
                "unit1": line.unit1,
            }
        ],
    }
    envelope = exporter.envelope("export-return", application)
    response = world.client.post("/returns", json=envelope, headers=exporter.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["direction"], body["messageType"]) == (
        "accepted",
        "export",
        "CEB213",
    )
    assert (body["tradeId"], body["invtNo"], body["amount"]) == (trade_id, invt_no, "340.00")
    assert trade_id is not None
    _value, state = life(world, trade_id)
    assert state is LifeState.PARTLY_RETURNED
    over = application | {
        "guid": f"6F9619FF-8B86-D011-B42D-{next(_numbers):012d}",
        "InvtRefundList": [application["InvtRefundList"][0] | {"qty": "16"}],
    }
    refused = world.client.post(
        "/returns", json=exporter.envelope("export-return", over), headers=exporter.headers
    )
    assert refused.json()["failures"][0]["field"] == "InvtRefundList[gnum=1].qty"
    unknown = application | {
        "guid": f"6F9619FF-8B86-D011-B42D-{next(_numbers):012d}",
        "invtNo": "40012025E999999999",
    }
    missing = world.client.post(
        "/returns", json=exporter.envelope("export-return", unknown), headers=exporter.headers
    )
    assert [(f["rule"], f["field"]) for f in missing.json()["failures"]] == [
        ("return.trade", "invtNo")
    ]
    no_xml = world.client.get(f"/returns/{body['id']}/receipt.xml", headers=exporter.headers)
    assert no_xml.status_code == 409


# --- the buyer's annual total ------------------------------------------------------------


def test_a_return_brings_a_buyer_over_the_annual_limit_back_under_it(
    world: World, parties: dict[str, Actor]
) -> None:
    returned = import_trade(world, parties)  # 833.00
    buyer = trade_row(world, returned.trade_id).buyer_id
    with Session(world.runtime.engine) as session:
        # The buyer's other imports this year, 21,000 CNY (sandan's matched trades).
        session.add(
            TradeRecord(
                trade_id="ab" * 32,
                ebp_code=samples.PLATFORM[0],
                order_no="RT-EARLIER-2025",
                buyer_id=buyer,
                customs_value="21000",
                currency="142",
                status="match",
                updated_at=utcnow(),
            )
        )
        session.commit()
    big = (samples.Line("相机", "索尼牌 微单 整机", "8525891900", Decimal(1), Decimal("4500")),)
    over = import_trade(world, parties, release=False, lines=big)  # 4,525 with freight
    verdict = world.client.get(
        f"/trades/{over.trade_id}/verdict", headers=parties["customs"].headers
    ).json()
    assert verdict["status"] == "mismatch"
    assert "limit.annual" in {f["rule"] for f in verdict["failures"]}
    # The whole 833.00 comes back: 21,000 + 4,525 = 25,525 is under 26,000.
    whole = post_return(world, parties["seller"], refund(returned, [(1, "1"), (2, "2")]))
    assert whole.json()["returnState"] == "whole", whole.text
    with Session(world.runtime.engine) as session:
        # The risk rules' annual total (risk.annual_limit) counts the trade net of it too.
        risk = session.get(RiskTradeRecord, returned.trade_id)
        assert risk is not None
        assert trade_from_json(risk.record).annual_value == 0
    again = import_trade(world, parties, release=False, lines=big)
    verdict = world.client.get(
        f"/trades/{again.trade_id}/verdict", headers=parties["customs"].headers
    ).json()
    assert verdict["status"] == "match", verdict["failures"]


# --- the lot ------------------------------------------------------------------------------


def test_the_lot_the_trade_bought_shows_the_return(world: World, parties: dict[str, Actor]) -> None:
    trace = make_trace_parties(world)
    capture_chain(world, trace)  # its shipment names purchase order IDS.order_no
    lot_url = f"/lots/{IDS.gtin}/{IDS.lot}"
    accept = {"Accept": "application/json"}
    before = world.client.get(lot_url, headers=accept)
    assert before.status_code == 200, before.text
    assert before.json()["returns"] == []
    trade = import_trade(world, parties, order_no=IDS.order_no)
    accepted = post_return(world, parties["seller"], refund(trade, [(2, "1")])).json()
    after = world.client.get(lot_url, headers=accept).json()
    (shown,) = after["returns"]
    assert (shown["returnId"], shown["bizStep"], shown["disposition"]) == (
        accepted["id"],
        "returning",
        "returned",
    )
    assert shown["lines"] == [{"gnum": 2, "qty": "1"}]
    # The events' promise is untouched: every event still verifies.
    assert all(e["verification"]["status"] == "verified" for e in after["events"])
    page = world.client.get(lot_url, headers={"Accept": "text/html"})
    assert 'data-testid="returns"' in page.text
    assert "部分退货" in page.text or "part of the order returned" in page.text


# --- the demo's calls --------------------------------------------------------------------


def test_the_demo_builds_a_return_from_the_trade_and_submits_it_in_one_call(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    with Session(world.runtime.engine) as session:
        document = returns_service.import_return_document(
            session=session,
            runtime=world.runtime,
            trade_id=trade.trade_id,
            lines={2: "2"},
            reason="整单退货其中一项",
        )
        assert document["invtNo"] == trade.invt_no
        seller = session.get(PartyRecord, samples.SELLER[0])
        assert seller is not None
        result = returns_service.submit_return(
            session=session,
            runtime=world.runtime,
            party=seller,
            envelope=parties["seller"].envelope("return", document),
        )
    assert (result.status, result.amount, result.return_state) == ("accepted", "239.00", "partial")
    assert result.chain is not None


def test_the_chain_is_the_judge_a_return_it_refuses_is_refused(
    world: World, parties: dict[str, Actor]
) -> None:
    trade = import_trade(world, parties)
    with Session(world.runtime.engine) as session:
        row = session.get(TradeRecord, trade.trade_id)
        customs = session.get(PartyRecord, "GACC-HZ")
        assert row is not None
        assert customs is not None
        batch, position = row.verdict_batch, row.verdict_position
        account = party_account(session=session, runtime=world.runtime, party=customs)
    assert batch is not None
    assert position is not None
    # Customs cancels the inventory on chain; sandan's database has not heard of it yet.
    world.ledger.lifecycle_as(account).cancel_trades(batch, {position: b"\x01" * 32})
    refused = _refused(post_return(world, parties["seller"], refund(trade, [(2, "1")])))
    (failure,) = refused["failures"]
    assert failure["rule"] == "return.chain"
    assert "cancelled" in failure["message"]
    assert trade_row(world, trade.trade_id).returned_value is None

"""The life of a trade after release, in the demo, through the real HTTP API and chain.

One import trade is returned in part: customs' CEB622 receipt gives it its inventory number,
the e-commerce company's agent applies for the return (CEB625), sandan matches it to the
released trade, answers with CEB626 semantics and records the return on the
LifecycleRegistry. One 9810 export trade sends the demo's lot of navel oranges to the
overseas warehouse that receives and sells it in the traceability demo: the warehouse's stock
is read from its EPCIS events and the declaration, a bank settles the foreign exchange of the
cases sold, and the trade becomes an export tax-refund record.

sandan plays customs here (:func:`api.services.customs_play.customs_receipt_xml`) and builds
the return application for the agent to sign (:func:`api.services.returns.import_return_document`);
everything else is the parties' own signed requests.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.db.models import TradeRecord
from api.demo.parties import RegisteredParty, check_response
from api.demo.trade import DemoRun, TradeOutcome
from api.runtime import Runtime
from api.services import returns
from api.services.customs_play import customs_receipt_xml
from traceability.ceb import CustomsStatus
from traceability.trade import samples
from traceability.trade.modes import TradeMode

#: Cases of the lot the 9810 trade sends, at this unit price in US dollars (customs code 502).
EXPORT_CASES = 230
EXPORT_UNIT_PRICE = Decimal("9.6")
EXPORT_CURRENCY = "502"
#: Cases of the import trade's first line the buyer sends back.
RETURNED_QTY = Decimal("1")


def _json(response: Any, *expected: int) -> Any:
    return check_response(response, *expected).json()


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def _send_receipt(
    client: TestClient, customs: RegisteredParty, trade_id: str, message_type: str
) -> dict[str, Any]:
    """Customs sends its release receipt (放行) for the trade's inventory over its API key."""
    runtime = _runtime(client)
    with Session(runtime.engine) as session:
        trade = session.get(TradeRecord, trade_id)
        assert trade is not None, trade_id
        xml = customs_receipt_xml(
            session=session,
            trade=trade,
            message_type=message_type,
            status=CustomsStatus.RELEASED,
            info="放行 released",
            now=datetime.now(UTC),
        )
    headers = customs.headers | {"Content-Type": "application/xml"}
    answer = _json(client.post("/customs/receipts", content=xml, headers=headers), 200, 201)
    trade_view = _json(client.get(f"/trades/{trade_id}", headers=customs.headers), 200)
    return {"receipt": answer, "invtNo": trade_view.get("invtNo")}


def run_life_demo(
    run: DemoRun,
    parties: dict[str, RegisteredParty],
    outcomes: list[TradeOutcome],
    trace: dict[str, Any],
) -> dict[str, Any]:
    """Return part of the clean import trade; send the lot to the overseas warehouse under
    9810, read the warehouse's stock, settle the foreign exchange of what it sold and build
    the export tax-refund record. Returns the four steps under the keys the report names."""
    # Customs' release receipt (CEB604) gives the 9610 export its inventory number, which the
    # month's summary declaration (CEB701) lists.
    _send_receipt(run.client, parties["GACC-HZ"], outcomes[1].trade_id, "CEB604")
    returned = _import_return(run, parties, outcomes[0])
    run.emit(
        f"return {returned['returnId']} of trade {returned['tradeId'][:12]}…: "
        f"{returned['status']}, {returned['amount']} {returned['currency']} back "
        f"({returned['state']}) on chain in tx {(returned['chain'] or {}).get('txHash')}"
    )
    export = _warehouse_export(run, parties, trace)
    return {"return": returned, **export}


def _import_return(
    run: DemoRun, parties: dict[str, RegisteredParty], clean: TradeOutcome
) -> dict[str, Any]:
    client = run.client
    customs = parties["GACC-HZ"]
    receipt = _send_receipt(client, customs, clean.trade_id, "CEB622")
    runtime = _runtime(client)
    with Session(runtime.engine) as session:
        application = returns.import_return_document(
            session=session,
            runtime=runtime,
            trade_id=clean.trade_id,
            lines={1: RETURNED_QTY},
            reason="买家七天无理由退货 the buyer returns one item",
        )
    # The return is applied for by the e-commerce company or its agent, the inventory's
    # declaring agent (in the samples both are the seller): whichever the demo registered.
    applicant = next(
        parties[code]
        for code in (application.get("ebcCode"), application.get("agentCode"))
        if code in parties
    )
    envelope = applicant.envelope("return", application)
    record = _json(client.post("/returns", json=envelope, headers=applicant.headers), 201)
    return {
        "tradeId": clean.trade_id,
        "orderNo": clean.order_no,
        "invtNo": receipt["invtNo"],
        "returnId": record["id"],
        "appliedBy": applicant.code,
        "status": record["status"],
        "receipt": record.get("receipt"),
        "lines": record.get("lines"),
        "amount": record.get("amount"),
        "currency": record.get("currency"),
        "returnedTotal": record.get("returnedTotal"),
        "state": record.get("returnState"),
        "chain": record.get("chain"),
        "failures": record.get("failures", []),
    }


def _warehouse_export(
    run: DemoRun, parties: dict[str, RegisteredParty], trace: dict[str, Any]
) -> dict[str, Any]:
    client, emit = run.client, run.emit
    customs, bank = parties["GACC-HZ"], parties["BANK-BOC-ZJ"]
    exporter, carrier = parties[samples.EXPORTER[0]], parties[samples.CARRIER[0]]
    warehouse, gtin, lot = trace["parties"]["warehouse"], trace["gtin"], trace["lot"]
    order_no = f"W{run.tag}04"
    documents = _nine_eight_ten_documents(order_no, f"EMS{run.tag}04CN", warehouse, gtin, lot)
    trade_id = ""
    for kind, party in (("order", exporter), ("waybill", carrier), ("inventory", exporter)):
        envelope = party.envelope(kind, documents[kind])
        trade_id = _json(client.post("/documents", json=envelope, headers=party.headers), 201)[
            "tradeId"
        ]
    run.worker.drain()
    verdict = _json(client.get(f"/trades/{trade_id}/verdict", headers=customs.headers), 200)
    if verdict["status"] != "match":
        raise RuntimeError(f"the demo's 9810 trade did not match: {verdict}")
    _json(
        client.post(
            f"/customs/trades/{trade_id}/release",
            json={"verdictHash": verdict["verdictHash"]},
            headers=customs.headers,
        ),
        200,
    )
    receipt = _send_receipt(client, customs, trade_id, "CEB604")
    emit(
        f"9810 trade {trade_id[:12]}… to warehouse {warehouse} released; invtNo {receipt['invtNo']}"
    )
    stock = _json(client.get(f"/warehouses/{warehouse}/stock", headers=customs.headers), 200)
    row = next(
        (i for i in stock["items"] if i["gtin"] == gtin and i["lot"] == lot),
        None,
    )
    if row is None:
        raise RuntimeError(f"warehouse {warehouse} shows no stock of {gtin}/{lot}: {stock}")
    reconciliation = _json(
        client.get(f"/warehouses/{warehouse}/reconciliation", headers=customs.headers), 200
    )
    sold = Decimal(str(row["sold"]))
    emit(
        f"warehouse {warehouse}: {row['declaredIn']} cases declared, {row['received']} received, "
        f"{row['sold']} sold, {row['onHand']} on hand"
    )
    amount = str((sold * EXPORT_UNIT_PRICE).quantize(Decimal("0.01")))
    settlement = _json(
        client.post(
            "/banks/fx-settlements",
            json={
                "amount": amount,
                "currency": "USD",
                "rate": "1",
                "account": "6222021001123456789",
                "valueDate": datetime.now(UTC).date().isoformat(),
                "reference": f"FX-{run.tag}-0004",
                "trades": [{"tradeId": trade_id, "amount": amount}],
            },
            headers=bank.headers,
        ),
        201,
    )
    emit(f"{bank.code} settled USD {amount} of the cases sold (收结汇), on chain")
    today = datetime.now(UTC).date()
    # Released in [from, to): today's releases, whatever the zone's offset from UTC.
    period = {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=2)).isoformat(),
    }
    records = _json(client.get("/tax-refund/records", params=period, headers=exporter.headers), 200)
    mine = [r for r in records["data"] if r["tradeId"] == trade_id]
    for record in mine:
        emit(
            f"export tax-refund record of {record['invtNo']}: {record['value']} "
            f"{record['currency']} declared, {record['fxReceived']} received in FX"
        )
    summary = _summary_declaration(run, exporter, today.strftime("%Y-%m"))
    return {
        "warehouseStock": {
            "warehouse": warehouse,
            "tradeId": trade_id,
            "orderNo": order_no,
            "invtNo": receipt["invtNo"],
            "gtin": gtin,
            "lot": lot,
            "item": row,
            "differences": reconciliation.get("differences", []),
        },
        "fxSettlement": settlement,
        "taxRefund": {"period": period, "records": mine, "summaryDeclaration": summary},
    }


def _summary_declaration(run: DemoRun, exporter: RegisteredParty, month: str) -> dict[str, Any]:
    """The exporter's CEB701 summary application (汇总申请单) of the month, as the API serves
    it, written beside the bundles."""
    response = run.client.get(
        f"/customs/summary-declarations/{month}.xml",
        params={"ebcCode": exporter.code},
        headers=exporter.headers,
    )
    xml = check_response(response, 200).content
    path = run.out_dir / f"CEB701-{exporter.code}-{month}.xml"
    run.out_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(xml)
    inventories = xml.count(b"<ceb:invtNo>") + xml.count(b"<invtNo>")
    run.emit(f"CEB701 summary declaration of {month}: {inventories} inventory(ies), {path}")
    return {"month": month, "path": str(path), "inventories": inventories, "bytes": len(xml)}


def _nine_eight_ten_documents(
    order_no: str, logistics_no: str, warehouse: str, gtin: str, lot: str
) -> dict[str, dict[str, Any]]:
    """The 9810 booking order (orderType W), waybill and export inventory of the lot: the
    overseas warehouse is named in ebpCode ([I], docs/warehouse.md), each line's barCode
    names the GTIN and lot it ships."""
    line = samples.Line(
        "赣南脐橙",
        "纽荷尔品种 5千克/箱 鲜果",
        "0805100000",
        Decimal(EXPORT_CASES),
        EXPORT_UNIT_PRICE,
        "035",
        "104",
    )
    terms = samples.ExportTerms(
        order_no=order_no,
        lines=(line,),
        currency=EXPORT_CURRENCY,
        mode=TradeMode.B2B_OVERSEAS_WAREHOUSE,
        freight=Decimal("850"),
        insured_fee=Decimal("40"),
        logistics_no=logistics_no,
        # Booked two days before it sails: the declaration's dates are the demo's own.
        placed_at=datetime.now(UTC).replace(microsecond=0) - timedelta(days=2),
    )
    docs = samples.export_trade(terms)
    out: dict[str, dict[str, Any]] = {}
    for kind in ("order", "waybill", "inventory"):
        body = getattr(docs, kind).to_json_dict()
        if kind in ("order", "inventory"):
            body["ebpCode"], body["ebpName"] = warehouse, "鹿特丹海外仓 Rotterdam warehouse"
            for item in body["OrderList" if kind == "order" else "InventoryList"]:
                item["barCode"] = f"(01){gtin}(10){lot}"
        out[kind] = body
    return out

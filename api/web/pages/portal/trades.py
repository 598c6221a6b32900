"""The trades a party may see, with filters, and one trade: its documents side by side, each
failed rule shown on the field it concerns."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, select

from api.db.models import DocumentRecord
from api.errors import ApiError, UnprocessableContent
from api.schemas import TradeFilters
from api.services import summary
from api.services import trade_queries as queries
from api.services.trades import trades_public
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)

kit.add_text(
    en={
        "filters": "Filters",
        "any": "any",
        "direction": "Direction",
        "import": "import",
        "export": "export",
        "period_from": "Updated from (date)",
        "period_to": "Updated to (date, inclusive)",
        "apply": "Apply",
        "side_by_side": "The documents side by side",
        "no_document": "not received",
        "failed_here": "failed",
        "version": "version",
        "signer": "signed by",
        "kind_order": "Order",
        "kind_payment": "Payment",
        "kind_waybill": "Waybill",
        "kind_inventory": "Inventory",
    },
    zh={
        "filters": "筛选",
        "any": "全部",
        "direction": "进出口",
        "import": "进口",
        "export": "出口",
        "period_from": "更新日期起",
        "period_to": "更新日期止（含当日）",
        "apply": "筛选",
        "side_by_side": "单证对照",
        "no_document": "未收到",
        "failed_here": "不符",
        "version": "版本",
        "signer": "签名方",
        "kind_order": "订单",
        "kind_payment": "支付单",
        "kind_waybill": "运单",
        "kind_inventory": "清单",
    },
)

#: The query parameters of the trade list's filter form, as ``GET /trades`` names them.
_FILTERS = ("status", "mode", "direction", "released")
#: The documents of a trade in the order of the three-document comparison.
_KINDS = ("order", "payment", "waybill", "inventory")


def trade_filters(request: Request, runtime: RuntimeDep) -> tuple[TradeFilters, dict[str, str]]:
    """The list's filters from the query string (empty fields ignored), and the values to
    show back in the form. A period bound is a date in the zone's time zone."""
    chosen = {
        name: value
        for name in (*_FILTERS, "from", "to")
        if (value := request.query_params.get(name, "").strip())
    }
    values: dict[str, Any] = {name: chosen[name] for name in _FILTERS if name in chosen}
    zone = runtime.settings.zone
    if "from" in chosen:
        values["updatedFrom"] = summary.period_bound(
            chosen["from"], field="from", zone=zone, end=False
        )
    if "to" in chosen:
        values["updatedTo"] = summary.period_bound(chosen["to"], field="to", zone=zone, end=True)
    try:
        return TradeFilters.model_validate(values), chosen
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "query"
        raise UnprocessableContent(f"{field}: {first['msg']}", field=field) from exc


@router.get("/portal/trades", response_class=HTMLResponse)
def trades_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The trades the signed-in party may see: what ``GET /trades`` lists for it, with the
    same filters (status, mode, direction, released, period)."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        party = kit.party_of(signed_in)
        filters, chosen = trade_filters(request, runtime)
        page = queries.list_trades(
            session=session, party=party, filters=filters, limit=100, offset=0
        )
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    rows = kit.rows(page.data, runtime)
    return kit.page(request, "portal/trades.html", signed_in=signed_in, current="trades",
                    title=text["trades"], trades=rows, count=page.count,
                    chosen=chosen)  # fmt: skip


@router.get("/portal/trades/{trade_id}", response_class=HTMLResponse)
def trade_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """One trade with its documents side by side and each failed rule on its field: what
    ``GET /trades/{id}`` and its verdict give the signed-in party, with the same 404 when it
    may not see the trade."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        party = kit.party_of(signed_in)
        record = queries.require_visible(session=session, party=party, trade_id=trade_id)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    (trade,) = trades_public(session=session, trades=[record])
    verdict = json.loads(record.verdict) if record.verdict else {}
    failures = verdict.get("failures", [])
    columns = [
        _column(session, kind, digest, failures)
        for kind, digest in trade.documents.items()
        if kind in _KINDS and (digest or kind != "inventory")
    ]
    return kit.page(request, "portal/trade.html", signed_in=signed_in, current="trades",
                    title=f"{trade.ebp_code} / {trade.order_no}", trade=trade,
                    failures=failures, columns=columns)  # fmt: skip


def _column(
    session: Session, kind: str, digest: str | None, failures: list[dict[str, Any]]
) -> dict[str, Any]:
    """One document's fields as rows, each failed field marked with what was expected."""
    failed = {f["field"]: f for f in failures if f.get("document") == kind}
    record = (
        session.exec(select(DocumentRecord).where(DocumentRecord.content_hash == digest)).first()
        if digest
        else None
    )
    if record is None:
        return {"kind": kind, "digest": None, "rows": [], "unplaced": list(failed.values())}
    payload = json.loads(record.envelope)["payload"]
    rows, placed = [], set()
    for path, value in _flatten(payload.get("document", {})):
        # A rule names a field (``acturalPaid``, ``OrderList[gnum=2].qty``) or a whole line.
        failure = next(
            (f for name, f in failed.items() if path == name or path.startswith(name + ".")),
            None,
        )
        if failure is not None:
            placed.add(failure["field"])
        rows.append({"field": path, "value": value, "failure": failure})
    return {
        "kind": kind,
        "digest": digest,
        "version": record.version,
        "signer": f"{record.party_code} ({record.key_id})",
        "rows": rows,
        # A rule may name a field the document does not carry (a missing field fails too).
        "unplaced": [f for name, f in failed.items() if name not in placed],
    }


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``(path, text)`` of every scalar in a document: ``items[0].qty`` for a goods line."""
    if isinstance(value, dict):
        out: list[tuple[str, str]] = []
        for key, item in value.items():
            out += _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list):
        out = []
        for index, item in enumerate(value):
            # Goods lines are named by their gnum, as the rules name them.
            gnum = item.get("gnum") if isinstance(item, dict) else None
            out += _flatten(
                item, f"{prefix}[gnum={gnum}]" if gnum is not None else f"{prefix}[{index}]"
            )
        return out
    return [(prefix, "" if value is None else str(value))]

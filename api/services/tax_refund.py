"""Export tax-refund data (退税): what the tax and FX authorities need of each released export
inventory, the 无票免税 flag, and the CEB701 summary declaration of a period (issue 18 item 6).

A record is one export trade customs released in the period and did not cancel: the
company, each line's HS code (``gcode``), quantity and value, the currency, the foreign
exchange the banks settled on it (:mod:`api.services.fx_settlement`) and the dates it was
declared (the inventory's ``appTime``), released (customs' release on chain) and last
settled (the latest settlement's value date).

无票免税 (VAT and consumption-tax exemption without a purchase invoice): 财税〔2013〕96号
art. 2 exempts retail exports (零售出口) of a registered firm declared at customs whose
purchase has a valid voucher; 财税〔2018〕103号 extends it, in the pilot zones, to 9610
retail exports without valid purchase vouchers when (1) the firm is registered in the zone
and has recorded the export date, goods name, unit, quantity, unit price and amount on
the zone's online platform, (2) the goods were declared at the zone's customs as an
e-commerce export, and (3) the goods are not among those whose export refund was
cancelled. sandan adds that the goods were not wholly returned (a returned export stays
exported in no part). Each flag lists the conditions, what sandan's data says of each (met,
not met, or undecided: sandan holds no purchase invoices, and the excluded goods only when
SANDAN_TAX_REFUND_EXCLUDED_HS lists them) and on what it rests; the flag is set when no
condition is refused.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from api.config import ApiSettings
from api.db.fx_models import FxSettlementTradeRecord
from api.db.models import DocumentRecord, PartyRecord, TradeRecord, utcnow
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.fx_schemas import (
    TaxExemptCondition,
    TaxExemptFlag,
    TaxRefundItem,
    TaxRefundRecord,
    TaxRefundRecords,
)
from api.money import to_fen
from api.services.parties import party_roles
from traceability.ceb import (
    CebMessage,
    InvalidSummary,
    ReleasedByCustoms,
    build_summary_application,
    write_message,
)
from traceability.ceb.models import BaseTransfer
from traceability.trade import parse_document
from traceability.trade.models import CHINA_TZ, ExportInventory

__all__ = [
    "CSV_COLUMNS",
    "TaxRefundScope",
    "csv_table",
    "records",
    "scope_of",
    "summary_declaration_xml",
]

#: Roles that read every exporter's records (the tax and FX data is fed through them).
_READERS = frozenset({"customs", "regulator"})

TaxRefundScope = str | None
"""The exporter whose records a caller reads (its own code), or None for all of them."""


def scope_of(party: PartyRecord) -> TaxRefundScope:
    """Customs and the regulator read every exporter's records; any other party its own
    (the e-commerce company a trade names, ``ebcCode``)."""
    if party_roles(party) & _READERS:
        return None
    return party.code


def _released_exports(
    session: Session, start: datetime, end: datetime, ebc_code: str | None
) -> list[TradeRecord]:
    stmt = select(TradeRecord).where(
        TradeRecord.direction == "export",
        col(TradeRecord.released_at) >= start,
        col(TradeRecord.released_at) < end,
        col(TradeRecord.cancelled_at).is_(None),
        col(TradeRecord.inventory_hash).is_not(None),
    )
    if ebc_code is not None:
        stmt = stmt.where(TradeRecord.ebc_code == ebc_code)
    return list(
        session.exec(stmt.order_by(col(TradeRecord.released_at), col(TradeRecord.trade_id)))
    )


def _inventories(session: Session, trades: Sequence[TradeRecord]) -> dict[str, ExportInventory]:
    """Each trade's current inventory (CEB603), parsed from its stored envelope."""
    hashes = [t.inventory_hash for t in trades if t.inventory_hash]
    if not hashes:
        return {}
    rows = session.exec(
        select(DocumentRecord.content_hash, DocumentRecord.doc_type, DocumentRecord.envelope).where(
            col(DocumentRecord.content_hash).in_(hashes)
        )
    ).all()
    parsed: dict[str, ExportInventory] = {}
    for content_hash, doc_type, envelope in rows:
        document = parse_document(doc_type, json.loads(envelope)["payload"]["document"])
        if isinstance(document, ExportInventory):
            parsed[content_hash] = document
    return parsed


def _settlements(
    session: Session, trades: Sequence[TradeRecord]
) -> dict[str, list[tuple[int, date]]]:
    ids = [t.trade_id for t in trades]
    found: dict[str, list[tuple[int, date]]] = defaultdict(list)
    if not ids:
        return found
    rows = session.exec(
        select(
            col(FxSettlementTradeRecord.trade_id),
            col(FxSettlementTradeRecord.settlement_id),
            col(FxSettlementTradeRecord.value_date),
        )
        .where(col(FxSettlementTradeRecord.trade_id).in_(ids))
        .order_by(col(FxSettlementTradeRecord.settlement_id))
    ).all()
    for trade_id, settlement_id, value_date in rows:
        found[trade_id].append((settlement_id, value_date))
    return found


def _exempt_flag(
    trade: TradeRecord,
    inventory: ExportInventory,
    registered: bool,
    excluded: tuple[str, ...],
) -> TaxExemptFlag:
    """The 无票免税 conditions and what the data decides of each."""
    conditions = [
        TaxExemptCondition(
            condition="retailExport9610",
            met=trade.mode == "9610",
            basis=f"the inventory's tradeMode is {trade.mode}; the exemption without invoice "
            "is for cross-border retail exports (9610, 财税〔2018〕103号)",
        ),
        TaxExemptCondition(
            condition="registeredFirm",
            met=registered,
            basis=f"the e-commerce company {inventory.ebcCode} "
            + ("is" if registered else "is not")
            + " a registered party of this zone's platform (在综试区注册)",
        ),
        TaxExemptCondition(
            condition="detailsRecorded",
            met=all(line.gname and line.unit and line.qty > 0 for line in inventory.items),
            basis="the inventory records the export date (ieDate "
            f"{inventory.ieDate.isoformat()}), and each line its goods name, unit, quantity, "
            "unit price and amount on the zone's platform",
        ),
        TaxExemptCondition(
            condition="declaredAtCustoms",
            met=trade.released_at is not None and trade.release_tx is not None,
            basis=f"customs {inventory.customsCode} released the e-commerce export inventory"
            + (f" {trade.invt_no}" if trade.invt_no else "")
            + f" on chain (transaction {trade.release_tx})",
        ),
        _excluded_condition(inventory, excluded),
        TaxExemptCondition(
            condition="notWhollyReturned",
            met=trade.return_state != "whole",
            basis=(
                "the goods were wholly returned (退货): nothing stays exported"
                if trade.return_state == "whole"
                else f"returns accepted so far: {to_fen(trade.returned_value or '0')} "
                f"{trade.currency} (the exempt amount is the value less returns)"
            ),
        ),
        TaxExemptCondition(
            condition="withoutPurchaseInvoice",
            met=None,
            basis="sandan holds no purchase invoices: whether the firm bought the goods "
            "without a valid VAT purchase invoice (无票) is its statement to the tax office",
        ),
    ]
    return TaxExemptFlag(
        flag=all(c.met is not False for c in conditions),
        undecided=[c.condition for c in conditions if c.met is None],
        conditions=conditions,
    )


def _excluded_condition(
    inventory: ExportInventory, excluded: tuple[str, ...]
) -> TaxExemptCondition:
    if not excluded:
        return TaxExemptCondition(
            condition="notExcludedGoods",
            met=None,
            basis="no list of goods whose export refund was cancelled is configured "
            "(SANDAN_TAX_REFUND_EXCLUDED_HS)",
        )
    hits = [
        f"line {line.gnum} ({line.gcode})"
        for line in inventory.items
        if any(line.gcode.startswith(prefix) for prefix in excluded)
    ]
    return TaxExemptCondition(
        condition="notExcludedGoods",
        met=not hits,
        basis=(
            f"{', '.join(hits)} in the excluded HS prefixes {', '.join(excluded)}"
            if hits
            else f"no line's HS code starts with an excluded prefix ({', '.join(excluded)})"
        ),
    )


def records(
    *,
    session: Session,
    settings: ApiSettings,
    party: PartyRecord,
    period_start: datetime,
    period_end: datetime,
) -> TaxRefundRecords:
    """The tax-refund records of the export inventories released in ``[period_start,
    period_end)`` that ``party`` may read (its own; customs and the regulator all)."""
    if period_end <= period_start:
        raise UnprocessableContent("to must be after from", field="to")
    trades = _released_exports(session, period_start, period_end, scope_of(party))
    inventories = _inventories(session, trades)
    settled = _settlements(session, trades)
    companies = {t.ebc_code for t in trades if t.ebc_code}
    registered = set(
        session.exec(select(PartyRecord.code).where(col(PartyRecord.code).in_(companies))).all()
    )
    data = []
    for trade in trades:
        inventory = inventories.get(trade.inventory_hash or "")
        if inventory is None or trade.released_at is None:
            continue
        shares = settled.get(trade.trade_id, [])
        data.append(
            TaxRefundRecord(
                trade_id=trade.trade_id,
                invt_no=trade.invt_no or inventory.invtNo,
                ebc_code=inventory.ebcCode,
                ebc_name=inventory.ebcName,
                owner_code=inventory.ownerCode,
                order_no=inventory.orderNo,
                trade_mode=str(inventory.tradeMode),
                customs_code=inventory.customsCode,
                value=to_fen(trade.customs_value or "0"),
                returned=to_fen(trade.returned_value or "0"),
                currency=trade.currency or "",
                fx_received=to_fen(trade.fx_settled_value or "0"),
                fx_settlements=[i for i, _ in shares],
                declared_at=inventory.appTime,
                released_at=trade.released_at,
                fx_settled_on=max((d for _, d in shares), default=None),
                items=[
                    TaxRefundItem(
                        gnum=line.gnum,
                        gcode=line.gcode,
                        gname=line.gname,
                        qty=str(line.qty),
                        unit=line.unit,
                        total_price=to_fen(line.totalPrice),
                        currency=line.currency,
                    )
                    for line in inventory.items
                ],
                tax_exempt_without_invoice=_exempt_flag(
                    trade,
                    inventory,
                    inventory.ebcCode in registered,
                    settings.excluded_hs_prefixes,
                ),
            )
        )
    return TaxRefundRecords(period_start=period_start, period_end=period_end, data=data)


#: The CSV columns: one row per inventory line, the record's own columns repeated.
CSV_COLUMNS = (
    "tradeId", "invtNo", "ebcCode", "ebcName", "ownerCode", "orderNo", "tradeMode",
    "customsCode", "declaredAt", "releasedAt", "value", "returned", "currency", "fxReceived",
    "fxSettledOn", "fxSettlements", "gnum", "gcode", "gname", "qty", "unit", "totalPrice",
    "itemCurrency", "taxExemptWithoutInvoice", "undecided",
)  # fmt: skip


def csv_table(table: TaxRefundRecords) -> str:
    """``table`` as CSV (RFC 4180, CRLF line ends), one row per inventory line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in table.data:
        head = [
            record.trade_id, record.invt_no or "", record.ebc_code, record.ebc_name,
            record.owner_code, record.order_no, record.trade_mode, record.customs_code,
            record.declared_at.isoformat(), record.released_at.isoformat(), record.value,
            record.returned, record.currency, record.fx_received,
            record.fx_settled_on.isoformat() if record.fx_settled_on else "",
            " ".join(str(i) for i in record.fx_settlements),
        ]  # fmt: skip
        flag = record.tax_exempt_without_invoice
        for item in record.items:
            writer.writerow(
                [
                    *head,
                    item.gnum,
                    item.gcode,
                    item.gname,
                    item.qty,
                    item.unit,
                    item.total_price,
                    item.currency,
                    "yes" if flag.flag else "no",
                    " ".join(flag.undecided),
                ]
            )
    return out.getvalue()


def summary_declaration_xml(
    *,
    session: Session,
    party: PartyRecord,
    ebc_code: str,
    period_start: datetime,
    period_end: datetime,
    dxp_id: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """The CEB701 summary application (汇总申请单) of ``ebc_code``'s export inventories
    released in ``[period_start, period_end)``, listed by invtNo; written and read back
    (schema order and types checked). The applicant and the customs broker are the
    inventories' agent (agentCode / agentName); the BaseTransfer is the broker's, with
    ``dxp_id`` (its e-port transmission id, which sandan does not hold: the agent's code
    when not given)."""
    scope = scope_of(party)
    if scope is not None and scope != ebc_code:
        raise PermissionDenied(
            f"{party.code} may read its own summary declarations, not {ebc_code}'s",
            field="ebcCode",
        )
    if period_end <= period_start:
        raise UnprocessableContent("the period ends before it starts", field="period")
    trades = _released_exports(session, period_start, period_end, ebc_code)
    inventories = _inventories(session, trades)
    released = [
        ReleasedByCustoms(inventories[t.inventory_hash or ""], t.invt_no, t.released_at)
        for t in trades
        if t.invt_no and t.released_at is not None and (t.inventory_hash or "") in inventories
    ]
    if not released:
        raise NotFound(
            f"no released export inventory of {ebc_code} with an inventory number (invtNo) in "
            "the period",
            field="period",
        )
    first = released[0].inventory
    agent = (first.agentCode, first.agentName)
    moment = (now or utcnow()).astimezone(CHINA_TZ).replace(microsecond=0)
    try:
        summary = build_summary_application(
            released,
            company=ebc_code,
            period_start=period_start.astimezone(CHINA_TZ),
            # The builder's period is closed; ours is half-open.
            period_end=(period_end - timedelta(microseconds=1)).astimezone(CHINA_TZ),
            guid=str(uuid.uuid4()).upper(),
            now=moment,
            cop_no=f"SUM{period_start.astimezone(CHINA_TZ):%Y%m%d}{ebc_code}"[:30],
            agent=agent,
            decl_agent=agent,
        )
    except InvalidSummary as exc:
        raise Conflict(str(exc), code="invalid_summary", field="period") from exc
    transfer = BaseTransfer(
        copCode=agent[0], copName=agent[1], dxpMode="DXP", dxpId=dxp_id or agent[0]
    )
    message = CebMessage("CEB701", str(uuid.uuid4()).upper(), (summary,), base_transfer=transfer)
    return write_message(message)

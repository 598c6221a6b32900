"""The bank desk: the trades a bank may act on, a trade's authenticity checked live (every
check of ``sandan verify``), its bundle, settlement and financing forms (typed lines:
order, receivable, tax-refund pledge, drawn, repaid and closed; and the TradeRegistry
registration), and the financing history the chain records."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.db.models import PartyRecord, TradeRecord
from api.errors import ApiError, NotFound, PermissionDenied, UnprocessableContent
from api.financing_schemas import FinancingKindName
from api.runtime import Runtime
from api.schemas import TradeFilters
from api.services import bundle as bundles
from api.services import chain_actions, live_verify, typed_financing
from api.services import portal_sessions as sessions
from api.services import trade_queries as queries
from api.services.financing_history import financing_history
from api.services.financing_reads import lines_on_trade
from api.services.trades import trades_public
from api.web.deps import RuntimeDep, SessionDep, require_role
from api.web.pages.portal import kit
from traceability.trade.code_lists import CODE_LISTS

router = APIRouter(include_in_schema=False)

kit.add_text(
    en={
        "bank_intro": "Matched trades you may act on, newest first: {}.",
        "settled": "Settled",
        "financed": "Financed",
        "authenticity": "Authenticity, checked live",
        "authentic": "AUTHENTIC: every check passed.",
        "not_authentic": "NOT AUTHENTIC: a check failed.",
        "live_note": "These checks ran on the sandan server, against its node, trusting the "
        "registries {}. To trust no one, download the bundle and run sandan verify or the "
        "browser verifier against a node and registries of your own.",
        "check": "Check",
        "result": "Result",
        "passed": "passed",
        "failed_check": "failed",
        "download_bundle": "Download the bundle",
        "settle": "Confirm settlement",
        "settlement_ref": "Settlement reference",
        "finance": "Register financing",
        "amount": "Amount",
        "currency": "Currency",
        "rate": "Annual rate",
        "days": "Days",
        "discharge": "Discharge your financing",
        "financing_history": "Financing history (from the chain)",
        "event": "Event",
        "bank": "Bank",
        "terms_hash": "Terms hash",
        "block": "Block",
        "registered": "registered",
        "discharged": "discharged",
        "no_financing": "No financing has covered this trade.",
        "done_notice": "Recorded on chain.",
        "fin_open_typed": "Open a financing line",
        "fin_financing_kind": "Kind",
        "fin_kind_order": "Order financing (before shipment)",
        "fin_kind_receivable": "Receivable financing (released)",
        "fin_kind_taxRefundPledge": "Tax-refund account pledge (released export)",
        "fin_kind_warehouseReceipt": "Warehouse-receipt pledge",
        "fin_limit": "Limit",
        "fin_your_lines": "Your financing lines",
        "fin_drawn": "Drawn",
        "fin_outstanding": "Outstanding",
        "fin_line_state": "State",
        "fin_state_open": "open",
        "fin_state_closed": "closed",
        "fin_drawdown": "Draw",
        "fin_repayment": "Repay",
        "fin_close_line": "Close",
        "fin_opened": "opened",
        "fin_closed": "closed",
    },
    zh={
        "bank_intro": "贵行可办理的三单相符交易（最新在前）：{} 笔。",
        "settled": "已结汇",
        "financed": "已融资",
        "authenticity": "真实性实时核验",
        "authentic": "真实：全部核验通过。",
        "not_authentic": "不真实：有核验未通过。",
        "live_note": "以上核验在 sandan 服务器上运行，使用其节点，信任注册合约 {}。"
        "如不信任任何一方，请下载凭证包，"
        "用 sandan verify 或浏览器核验页在自选的节点和注册合约上核验。",
        "check": "核验项",
        "result": "结果",
        "passed": "通过",
        "failed_check": "未通过",
        "download_bundle": "下载凭证包",
        "settle": "确认结汇",
        "settlement_ref": "结汇业务编号",
        "finance": "登记融资",
        "amount": "金额",
        "currency": "币种",
        "rate": "年利率",
        "days": "期限（天）",
        "discharge": "解除本行融资",
        "financing_history": "融资记录（链上）",
        "event": "事件",
        "bank": "银行",
        "terms_hash": "条款哈希",
        "block": "区块",
        "registered": "登记",
        "discharged": "解除",
        "no_financing": "该交易尚无融资记录。",
        "done_notice": "已记录上链。",
        "fin_open_typed": "开立融资额度",
        "fin_financing_kind": "融资类型",
        "fin_kind_order": "订单融资（发货前）",
        "fin_kind_receivable": "应收账款融资（已放行）",
        "fin_kind_taxRefundPledge": "出口退税账户托管贷款（已放行出口）",
        "fin_kind_warehouseReceipt": "仓单质押",
        "fin_limit": "额度",
        "fin_your_lines": "本行融资额度",
        "fin_drawn": "已提款",
        "fin_outstanding": "未还余额",
        "fin_line_state": "状态",
        "fin_state_open": "有效",
        "fin_state_closed": "已结清",
        "fin_drawdown": "提款",
        "fin_repayment": "还款",
        "fin_close_line": "结清",
        "fin_opened": "开立",
        "fin_closed": "结清",
    },
)


def bank_party(signed_in: sessions.SignedIn) -> Any:
    """The signed-in party if it holds the bank role (401 operator, 403 other roles), as
    ``BankDep`` answers."""
    return require_role("bank")(kit.party_of(signed_in))


@router.get("/portal/bank", response_class=HTMLResponse)
def bank_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The matched trades the bank sees: what ``GET /trades?status=match`` lists for it."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        party = bank_party(signed_in)
        page = queries.list_trades(
            session=session, party=party, filters=TradeFilters(status="match"), limit=100, offset=0
        )
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.page(request, "portal/bank.html", signed_in=signed_in, current="bank_desk",
                    title=text["bank_desk"], trades=kit.rows(page.data, runtime),
                    count=page.count)  # fmt: skip


@router.get("/portal/bank/trades/{trade_id}", response_class=HTMLResponse)
def bank_trade_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """One trade at the bank desk: its bundle verified live, the forms, its financing."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        party = bank_party(signed_in)
        record = queries.require_visible(session=session, party=party, trade_id=trade_id)
        checked = live_verify.verify_trade_live(session=session, runtime=runtime, trade=record)
        history = financing_history(session=session, runtime=runtime, trade=record)
        lines = lines_on_trade(session=session, runtime=runtime, party=party,
                               trade_id=record.trade_id)  # fmt: skip
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    (trade,) = trades_public(session=session, trades=[record])
    notice = text["done_notice"] if request.query_params.get("done") == "1" else ""
    return kit.page(request, "portal/bank_trade.html", signed_in=signed_in,
                    current="bank_desk", title=f"{trade.ebp_code} / {trade.order_no}",
                    trade=trade, report=checked.report, registries=", ".join(checked.registries),
                    verdict_hash=record.verdict_hash or "", history=history, notice=notice,
                    financed_by_me=record.financed_by == party.code,
                    legacy_financing=record.financing_id is not None,
                    financed_by=record.financed_by, lines=lines,
                    currency_iso=CODE_LISTS["currency"].codes.get(record.currency or "", ""),
                    default_kind="order" if record.released_at is None else "receivable",
                    )  # fmt: skip


@router.get("/portal/bank/trades/{trade_id}/bundle.json")
def bundle_download(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The trade's bundle of ``GET /banks/trades/{id}/bundle``, as a file to verify anywhere."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    try:
        bank_party(signed_in)
        record = queries.get_trade_or_404(session=session, trade_id=trade_id)
        built = bundles.build_bundle(session=session, runtime=runtime, trade=record)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return kit.download(
        json.dumps(built, ensure_ascii=False, indent=2),
        filename=f"bundle-{record.trade_id[:16]}.json",
    )


@router.post("/portal/bank/trades/{trade_id}/{action}")
async def bank_action(
    trade_id: str, action: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Settle, finance or discharge: the checks and contract call of the bank's API route,
    by the bank's own chain account, on the verdict the page showed."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()  # the body of a caller without a session is never read
    form = await kit.form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        return kit.error(
            request, signed_in, PermissionDenied(kit.TEXT[kit.language(request)]["bad_form"])
        )
    try:
        party = bank_party(signed_in)
        trade = queries.get_trade_or_404(session=session, trade_id=trade_id)
        verdict_hash = form.get("verdictHash") or None
        if action == "settle":
            reference = form.get("settlementRef", "").strip()
            if not 1 <= len(reference) <= 128:
                raise UnprocessableContent(
                    "settlementRef: 1 to 128 characters", field="settlementRef"
                )
            await run_in_threadpool(chain_actions.settle, session=session, runtime=runtime,
                                    party=party, trade=trade, reference=reference,
                                    verdict_hash=verdict_hash)  # fmt: skip
        elif action == "finance":
            terms = form_terms(form)
            await run_in_threadpool(chain_actions.finance, session=session, runtime=runtime,
                                    party=party, trade=trade, terms=terms,
                                    verdict_hash=verdict_hash)  # fmt: skip
        elif action == "discharge":
            await run_in_threadpool(chain_actions.discharge, session=session, runtime=runtime,
                                    party=party, trade=trade)  # fmt: skip
        elif action == "typed":
            await run_in_threadpool(_open_typed, session, runtime, party, trade, form)
        elif action in LINE_STEPS:
            await run_in_threadpool(line_step, session, runtime, party, action, form)
        else:
            return kit.error(request, signed_in, _not_found(action))
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return RedirectResponse(f"/portal/bank/trades/{trade.trade_id}?done=1", status_code=303)


def form_terms(form: dict[str, str]) -> dict[str, Any]:
    """Financing terms from the form: amount to the fen, a currency code, rate, days."""
    amount = form_amount(form, "amount")
    currency = form.get("currency", "").strip().upper()
    if not (len(currency) == 3 and currency.isalpha()):
        raise UnprocessableContent(
            "currency must be an ISO 4217 code such as CNY", field="currency"
        )
    try:
        rate = Decimal(form.get("rate", ""))
        days = int(form.get("days", ""))
    except (InvalidOperation, ValueError) as exc:
        raise UnprocessableContent(
            "rate is a decimal and days a whole number", field="rate"
        ) from exc
    if not (rate.is_finite() and 0 <= rate < 1):
        raise UnprocessableContent("rate is a fraction such as 0.0385", field="rate")
    if not 1 <= days <= 3660:
        raise UnprocessableContent("days must be 1 to 3660", field="days")
    return {"amount": f"{amount:.2f}", "currency": currency, "rate": str(rate), "days": days}


def form_amount(form: dict[str, str], field: str) -> Decimal:
    """The form's ``field`` as a positive amount to the fen, or 422 naming it."""
    try:
        amount = Decimal(form.get(field, ""))
    except InvalidOperation as exc:
        raise UnprocessableContent(
            f"{field} must be a number such as 150000.00", field=field
        ) from exc
    # Read from its digits, never quantized: 1E+999999 would overflow the context (a 500).
    if not amount.is_finite() or amount <= 0 or int(amount.as_tuple().exponent) < -2:
        raise UnprocessableContent(f"{field} must be positive, to the fen", field=field)
    if amount.adjusted() > 14:
        raise UnprocessableContent(f"{field} must have at most 15 whole digits", field=field)
    return amount


#: The typed kinds the trade page opens (a receipt pledge names a receipt, not a trade).
_DESK_KINDS: dict[str, FinancingKindName] = {
    "order": "order",
    "receivable": "receivable",
    "taxRefundPledge": "taxRefundPledge",
}


def _open_typed(
    session: Session, runtime: Runtime, party: PartyRecord, trade: TradeRecord, form: dict[str, str]
) -> None:
    """Open a typed line on the trade from the desk's form (the API route's checks)."""
    kind = _DESK_KINDS.get(form.get("kind", ""))
    if kind is None:
        raise UnprocessableContent("kind: order, receivable or taxRefundPledge", field="kind")
    limit = form_amount(form, "limit")
    terms = form_terms({**form, "amount": form.get("limit", "")})
    currency = terms.pop("currency")
    del terms["amount"]  # the limit is the line's own field, not a term
    typed_financing.open_financing(
        session=session, runtime=runtime, party=party, kind=kind, subject=trade.trade_id,
        limit=limit, currency=currency, terms=terms, verdict_hash=form.get("verdictHash") or None,
    )  # fmt: skip


LINE_STEPS = ("drawdown", "repayment", "close")


def line_step(
    session: Session, runtime: Runtime, party: PartyRecord, action: str, form: dict[str, str]
) -> None:
    """Draw on, repay or close one of the bank's lines from the desk's form."""
    text = form.get("financingId", "")
    if not (len(text) <= 10 and text.isascii() and text.isdigit() and 1 <= int(text) < 2**32):
        raise UnprocessableContent("financingId must be a financing's number", field="financingId")
    financing_id = int(text)
    if action == "close":
        typed_financing.close(session=session, runtime=runtime, party=party,
                              financing_id=financing_id)  # fmt: skip
        return
    amount = form_amount(form, "amount")
    step = typed_financing.draw if action == "drawdown" else typed_financing.repay
    step(session=session, runtime=runtime, party=party, financing_id=financing_id, amount=amount)


def _not_found(action: str) -> ApiError:
    return NotFound(f"no bank action {action[:32]}", field="action")

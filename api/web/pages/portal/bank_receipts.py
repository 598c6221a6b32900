"""The bank desk's warehouse-receipt pledges (仓单质押): pledge an issued receipt by its
on-chain id, then draw, repay and close the line, through ``POST /banks/financings``'s
service and the bank's own chain account."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.db.models import PartyRecord
from api.errors import ApiError, NotFound, PermissionDenied
from api.runtime import Runtime
from api.services import portal_sessions as sessions
from api.services import typed_financing
from api.services.financing_reads import receipt_lines
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit
from api.web.pages.portal.bank import LINE_STEPS, bank_party, form_amount, form_terms, line_step

router = APIRouter(include_in_schema=False)

kit.add_text(
    en={
        "fin_receipts": "Warehouse-receipt pledges",
        "fin_receipts_intro": "Pledge a warehouse receipt issued on chain, by its id (64 hex "
        "digits): the receipt is Pledged until the line is closed.",
        "fin_receipt_id": "Receipt id (on chain)",
        "fin_pledge": "Pledge the receipt",
        "fin_no_receipt_lines": "No receipt pledged by your bank yet.",
    },
    zh={
        "fin_receipts": "仓单质押",
        "fin_receipts_intro": "按链上仓单编号（64 位十六进制）质押已签发的仓单；"
        "额度结清前仓单处于质押状态。",
        "fin_receipt_id": "仓单编号（链上）",
        "fin_pledge": "质押仓单",
        "fin_no_receipt_lines": "本行尚无仓单质押。",
    },
)


@router.get("/portal/bank/receipts", response_class=HTMLResponse)
def receipts_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The bank's receipt pledges and the form to pledge another."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    try:
        party = bank_party(signed_in)
        lines = receipt_lines(session=session, runtime=runtime, party=party)
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    notice = text["done_notice"] if request.query_params.get("done") == "1" else ""
    return kit.page(request, "portal/bank_receipts.html", signed_in=signed_in,
                    current="bank_desk", title=text["fin_receipts"], lines=lines,
                    notice=notice)  # fmt: skip


@router.post("/portal/bank/receipts/{action}")
async def receipts_action(
    action: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Pledge a receipt, or draw on, repay or close a pledge, as the API routes do."""
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
        if action == "pledge":
            await run_in_threadpool(_pledge, session, runtime, party, form)
        elif action in LINE_STEPS:
            await run_in_threadpool(line_step, session, runtime, party, action, form)
        else:
            raise NotFound(f"no receipt action {action[:32]}", field="action")
    except ApiError as exc:
        return kit.error(request, signed_in, exc)
    return RedirectResponse("/portal/bank/receipts?done=1", status_code=303)


def _pledge(session: Session, runtime: Runtime, party: PartyRecord, form: dict[str, str]) -> None:
    limit = form_amount(form, "limit")
    terms = form_terms({**form, "amount": form.get("limit", "")})
    currency = terms.pop("currency")
    del terms["amount"]  # the limit is the line's own field, not a term
    typed_financing.open_financing(
        session=session, runtime=runtime, party=party, kind="warehouseReceipt",
        subject=form.get("receiptId", "").strip(), limit=limit, currency=currency, terms=terms,
    )  # fmt: skip

"""The workbench (线上综合服务平台) for people: sign-in at ``/``, then each role's pages.

Server-rendered with Jinja2, one inlined stylesheet allowed by its hash, no script, and
nothing from another host. A party signs in with its API key, the operator with the admin
token (:mod:`api.services.portal_sessions`); the browser keeps an HttpOnly, SameSite=Strict
session cookie, and every form carries the session's CSRF token (the sign-in form a
token of its own, doubled in a cookie). A page reads through the same service as its API
route and answers with the same status: a trade another party may not see is 404 on its
page exactly as on ``GET /trades/{id}``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.db.models import utcnow
from api.errors import ApiError, AuthenticationFailed, PermissionDenied
from api.schemas import TradeFilters, TradePublic
from api.services import chain_actions
from api.services import portal_sessions as sessions
from api.services import trade_queries as queries
from api.services.customs_release import release_checked
from api.services.parties import party_roles
from api.services.trades import trades_public
from api.web.deps import RuntimeDep, SessionDep, require_role

__all__ = ["PAGE_WRITES", "SESSION_COOKIE", "is_page_write", "router"]

_PACKAGE = Path(__file__).resolve().parents[1]
SESSION_COOKIE = "sandan_session"
_SIGNIN_COOKIE = "sandan_signin"
#: The form posts of the workbench: they authenticate by session cookie and CSRF token (or,
#: signing in, by the credential itself), so the bearer check of API writes does not apply.
PAGE_WRITES = frozenset({("POST", "/signin"), ("POST", "/signout")})
_PAGE_WRITE_PREFIX = "/portal/"


def is_page_write(method: str, path: str) -> bool:
    """Whether ``method path`` is a form post of the workbench (checked by the page)."""
    return (method, path) in PAGE_WRITES or (
        method == "POST" and path.startswith(_PAGE_WRITE_PREFIX)
    )


_MAX_FORM_FIELDS = 8
_LANGUAGES = ("zh", "en")

router = APIRouter(include_in_schema=False)

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "sign_in_title": "Sign in",
        "sign_in_intro": "Parties sign in with their API key, the operator with the admin token.",
        "credential": "API key or admin token",
        "sign_in": "Sign in",
        "sign_out": "Sign out",
        "navigation": "Main",
        "home": "Home",
        "trades": "Trades",
        "verifier": "Verify a bundle or lot",
        "api_docs": "API documentation",
        "welcome": "Workbench",
        "signed_in_as": "Signed in as",
        "operator": "the operator",
        "roles": "Roles",
        "session_ends": "Session ends at the latest",
        "trades_count": "Trades you may see: {}, newest first.",
        "order": "Order",
        "mode": "Mode",
        "status": "Status",
        "value": "Value",
        "released": "Released",
        "updated": "Updated",
        "yes": "yes",
        "no": "no",
        "status_match": "match",
        "status_mismatch": "mismatch",
        "status_pending": "pending",
        "trade_id": "Trade id",
        "documents": "Documents",
        "missing": "missing",
        "failed_rules": "Failed rules",
        "rule": "Rule",
        "field": "Field",
        "expected": "Expected",
        "actual": "Found",
        "back": "Back to the workbench",
        "bad_credential": "Unknown API key or admin token.",
        "bad_form": "The form expired or did not come from this page: sign in again.",
        "language": "中文",
        "release_queue": "Release queue",
        "releasable_count": "Matched trades with an anchored verdict, waiting for release: {}.",
        "release": "Release",
        "override_reason": "High-risk override reason (optional)",
        "released_notice": "Released {} on chain.",
    },
    "zh": {
        "sign_in_title": "登录",
        "sign_in_intro": "企业以其 API 密钥登录，运营方以管理令牌登录。",
        "credential": "API 密钥或管理令牌",
        "sign_in": "登录",
        "sign_out": "退出",
        "navigation": "主导航",
        "home": "首页",
        "trades": "交易",
        "verifier": "核验凭证包或批次",
        "api_docs": "API 文档",
        "welcome": "工作台",
        "signed_in_as": "当前用户",
        "operator": "运营方",
        "roles": "角色",
        "session_ends": "会话最迟结束于",
        "trades_count": "您可查看的交易共 {} 笔，最新在前。",
        "order": "订单",
        "mode": "监管方式",
        "status": "状态",
        "value": "货值",
        "released": "已放行",
        "updated": "更新时间",
        "yes": "是",
        "no": "否",
        "status_match": "三单相符",
        "status_mismatch": "三单不符",
        "status_pending": "待齐",
        "trade_id": "交易编号",
        "documents": "单证",
        "missing": "缺失",
        "failed_rules": "未通过的规则",
        "rule": "规则",
        "field": "字段",
        "expected": "应为",
        "actual": "实为",
        "back": "返回工作台",
        "bad_credential": "API 密钥或管理令牌无效。",
        "bad_form": "表单已过期或并非来自本页，请重新登录。",
        "language": "English",
        "release_queue": "待放行",
        "releasable_count": "三单相符、比对结果已上链、等待放行的交易：{} 笔。",
        "release": "放行",
        "override_reason": "高风险放行理由（可选）",
        "released_notice": "已在链上放行 {}。",
    },
}


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(_PACKAGE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


@lru_cache(maxsize=1)
def _css() -> str:
    css = (_PACKAGE / "static" / "portal" / "portal.css").read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise ValueError("the stylesheet would close its own element")
    return css


def _policy() -> str:
    digest = base64.b64encode(hashlib.sha256(_css().encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def _language(request: Request) -> str:
    """``?lang=``, else the language cookie, else the browser's first of zh or en."""
    chosen = request.query_params.get("lang") or request.cookies.get("sandan_lang")
    if chosen in _LANGUAGES:
        return str(chosen)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def _secure(runtime: RuntimeDep) -> bool:
    return runtime.settings.public_base_url.startswith("https://")


def _page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    signed_in: sessions.SignedIn | None = None,
    current: str = "",
    **values: Any,
) -> HTMLResponse:
    lang = _language(request)
    text = _TEXT[lang]
    context: dict[str, Any] = {"lang": lang, "t": text, "css": _css(), **values}
    if signed_in is not None:
        context |= {
            "who": text["operator"] if signed_in.operator else signed_in.party.code,  # type: ignore[union-attr]
            "csrf": signed_in.csrf_token,
            "nav": _navigation(signed_in, text, current),
        }
    html = _environment().get_template(template).render(**context)
    response = HTMLResponse(html, status_code=status)
    response.headers["Content-Security-Policy"] = _policy()
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if request.query_params.get("lang") in _LANGUAGES:
        response.set_cookie("sandan_lang", lang, max_age=365 * 86400, samesite="strict")
    return response


def _navigation(
    signed_in: sessions.SignedIn, text: Mapping[str, str], current: str
) -> list[dict[str, Any]]:
    """Each role's own menu: only pages its credential may open."""
    items = [("home", "/portal")]
    if not signed_in.operator:
        items.append(("trades", "/portal/trades"))
        if "customs" in party_roles(signed_in.party):  # type: ignore[arg-type]
            items.append(("release_queue", "/portal/customs"))
    items += [("verifier", "/verify"), ("api_docs", "/docs")]
    return [{"label": text[key], "href": href, "current": key == current} for key, href in items]


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded fields of a small form (the body guard already bounds its size)."""
    body = await request.body()
    try:
        fields = parse_qs(
            body.decode("utf-8"), max_num_fields=_MAX_FORM_FIELDS, strict_parsing=False
        )
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items() if values}


def _signed_in(request: Request, session: SessionDep, runtime: RuntimeDep) -> Any:
    return sessions.resolve(
        session=session,
        settings=runtime.settings,
        admin_token=runtime.admin_token,
        token=request.cookies.get(SESSION_COOKIE),
        now=utcnow(),
    )


def _to_sign_in() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


@router.get("/", response_class=HTMLResponse)
def sign_in_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The sign-in page (the workbench's home once signed in)."""
    if _signed_in(request, session, runtime) is not None:
        return RedirectResponse("/portal", status_code=303)
    return _sign_in_form(request, runtime)


def _sign_in_form(
    request: Request, runtime: RuntimeDep, *, status: int = 200, error: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _page(request, "portal/signin.html", status=status, csrf=token, error=error,
                     title=_TEXT[_language(request)]["sign_in_title"])  # fmt: skip
    response.set_cookie(
        _SIGNIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(runtime),
        path="/signin", max_age=3600,
    )  # fmt: skip
    return response


@router.post("/signin")
async def sign_in(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Check the credential, open a session, and go to the workbench."""
    form = await _form(request)
    expected = request.cookies.get(_SIGNIN_COOKIE)
    sent = form.get("csrf")
    text = _TEXT[_language(request)]
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        return _sign_in_form(request, runtime, status=403, error=text["bad_form"])
    try:
        token, _ = sessions.sign_in(
            session=session,
            settings=runtime.settings,
            admin_token=runtime.admin_token,
            credential=form.get("credential", ""),
            now=utcnow(),
        )
    except AuthenticationFailed:
        return _sign_in_form(request, runtime, status=401, error=text["bad_credential"])
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", secure=_secure(runtime),
        path="/", max_age=runtime.settings.session_max_hours * 3600,
    )  # fmt: skip
    response.delete_cookie(_SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def sign_out(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """End the session (its cookie stops working at once) and go back to sign-in."""
    signed_in = _signed_in(request, session, runtime)
    if signed_in is None:
        return _to_sign_in()  # the body of a caller without a session is never read
    form = await _form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        text = _TEXT[_language(request)]
        return _page(request, "portal/error.html", status=403, signed_in=signed_in,
                     title="403", status_code=403, message=text["bad_form"])  # fmt: skip
    sessions.end(session=session, signed_in=signed_in)
    response = _to_sign_in()
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/portal", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Who is signed in, with the role's menu."""
    signed_in = _signed_in(request, session, runtime)
    if signed_in is None:
        return _to_sign_in()
    text = _TEXT[_language(request)]
    roles = "—" if signed_in.operator else ", ".join(sorted(party_roles(signed_in.party)))
    zone = ZoneInfo(runtime.settings.zone_timezone)
    ends = signed_in.record.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return _page(request, "portal/home.html", signed_in=signed_in, current="home",
                 title=text["welcome"], roles=roles, ends=ends)  # fmt: skip


@router.get("/portal/trades", response_class=HTMLResponse)
def trades_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The trades the signed-in party may see: what ``GET /trades`` lists for it."""
    signed_in = _signed_in(request, session, runtime)
    if signed_in is None:
        return _to_sign_in()
    text = _TEXT[_language(request)]
    try:
        party = _party_of(signed_in)
        page = queries.list_trades(
            session=session, party=party, filters=TradeFilters(), limit=100, offset=0
        )
    except ApiError as exc:
        return _error(request, signed_in, exc)
    rows = _rows(page.data, runtime)
    return _page(request, "portal/trades.html", signed_in=signed_in, current="trades",
                 title=text["trades"], trades=rows, count=page.count)  # fmt: skip


@router.get("/portal/trades/{trade_id}", response_class=HTMLResponse)
def trade_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """One trade with its documents and each failed rule: what ``GET /trades/{id}`` and its
    verdict give the signed-in party, with the same 404 when it may not see the trade."""
    signed_in = _signed_in(request, session, runtime)
    if signed_in is None:
        return _to_sign_in()
    try:
        party = _party_of(signed_in)
        record = queries.require_visible(session=session, party=party, trade_id=trade_id)
    except ApiError as exc:
        return _error(request, signed_in, exc)
    (trade,) = trades_public(session=session, trades=[record])
    verdict = json.loads(record.verdict) if record.verdict else {}
    return _page(request, "portal/trade.html", signed_in=signed_in, current="trades",
                 title=f"{trade.ebp_code} / {trade.order_no}", trade=trade,
                 failures=verdict.get("failures", []))  # fmt: skip


@router.get("/portal/customs", response_class=HTMLResponse)
def customs_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Customs' release queue: what ``GET /customs/releasable`` gives, each with a release
    form (a high-risk trade is held unless a reason overrides, as through the API)."""
    signed_in = _signed_in(request, session, runtime)
    if signed_in is None:
        return _to_sign_in()
    text = _TEXT[_language(request)]
    try:
        party = _customs(signed_in)
        page = chain_actions.releasable(session=session, party=party, limit=100, offset=0)
    except ApiError as exc:
        return _error(request, signed_in, exc)
    released = request.query_params.get("released", "")
    notice = text["released_notice"].format(released) if released.isalnum() else ""
    rows = _rows(page.data, runtime)
    return _page(request, "portal/customs.html", signed_in=signed_in, current="release_queue",
                 title=text["release_queue"], trades=rows, count=page.count,
                 notice=notice)  # fmt: skip


@router.post("/portal/customs/trades/{trade_id}/release")
async def release_page(
    trade_id: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Release one trade from the queue: the checks and the contract call of
    ``POST /customs/trades/{id}/release``, by customs' own chain account."""
    signed_in = _signed_in(request, session, runtime)
    if signed_in is None:
        return _to_sign_in()  # the body of a caller without a session is never read
    form = await _form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        return _error(request, signed_in, PermissionDenied(_TEXT[_language(request)]["bad_form"]))
    reason = form.get("overrideReason", "").strip()[:500] or None
    try:
        party = _customs(signed_in)
        trade = queries.get_trade_or_404(session=session, trade_id=trade_id)
        await run_in_threadpool(
            release_checked,
            session=session,
            runtime=runtime,
            party=party,
            trade=trade,
            verdict_hash=None,
            override_reason=reason,
        )
    except ApiError as exc:
        return _error(request, signed_in, exc)
    return RedirectResponse(f"/portal/customs?released={trade.trade_id[:12]}", status_code=303)


def _rows(trades: list[TradePublic], runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Table rows of ``trades``, each updated time in the zone's time zone."""
    zone = ZoneInfo(runtime.settings.zone_timezone)
    return [
        {**t.model_dump(), "updated": t.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")}
        for t in trades
    ]


def _customs(signed_in: sessions.SignedIn) -> Any:
    """The signed-in party if it holds the customs role: 401 for the operator and 403 for
    another role, as ``CustomsDep`` answers."""
    return require_role("customs")(_party_of(signed_in))


def _party_of(signed_in: sessions.SignedIn) -> Any:
    """The signed-in party; the operator is refused as the API refuses the admin token
    where a party's key is needed (401)."""
    if signed_in.party is None:
        raise AuthenticationFailed("the operator reads no trade: sign in with a party's API key")
    return signed_in.party


def _error(request: Request, signed_in: sessions.SignedIn, exc: ApiError) -> HTMLResponse:
    return _page(request, "portal/error.html", status=exc.status_code, signed_in=signed_in,
                 title=str(exc.status_code), status_code=exc.status_code,
                 message=exc.message)  # fmt: skip

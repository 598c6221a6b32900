"""What every page of the workbench shares: text, rendering, sessions, errors.

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
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.db.models import utcnow
from api.errors import ApiError, AuthenticationFailed
from api.schemas import TradePublic
from api.services import portal_sessions as sessions
from api.services.parties import party_roles
from api.web.deps import RuntimeDep, SessionDep, require_role
from traceability.trade.code_lists import CODE_LISTS

PACKAGE = Path(__file__).resolve().parents[2]
SESSION_COOKIE = "sandan_session"
SIGNIN_COOKIE = "sandan_signin"
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
LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
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
        "too_many_failures": "Too many failed sign-ins from here: wait a minute and try again.",
        "bad_form": "The form expired or did not come from this page: sign in again.",
        "language": "中文",
        "release_queue": "Release queue",
        "releasable_count": "Matched trades with an anchored verdict, waiting for release: {}.",
        "release": "Release",
        "override_reason": "High-risk override reason (optional)",
        "released_notice": "Released {} on chain.",
        "parties": "Parties",
        "summary": "Summary declaration",
        "bank_desk": "Bank desk",
        "inbox": "Notifications",
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
        "too_many_failures": "此处登录失败次数过多，请一分钟后再试。",
        "bad_form": "表单已过期或并非来自本页，请重新登录。",
        "language": "English",
        "release_queue": "待放行",
        "releasable_count": "三单相符、比对结果已上链、等待放行的交易：{} 笔。",
        "release": "放行",
        "override_reason": "高风险放行理由（可选）",
        "released_notice": "已在链上放行 {}。",
        "parties": "企业",
        "summary": "汇总申报",
        "bank_desk": "银行业务",
        "inbox": "通知",
    },
}


def add_text(*, en: Mapping[str, str], zh: Mapping[str, str]) -> None:
    """Add a page module's own strings, in both languages, to :data:`TEXT`.

    Every key must come in both languages, and no module may redefine another's key.
    """
    if en.keys() != zh.keys():
        raise ValueError(f"keys in one language only: {sorted(en.keys() ^ zh.keys())}")
    clash = en.keys() & TEXT["en"].keys()
    if clash:
        raise ValueError(f"keys defined twice: {sorted(clash)}")
    TEXT["en"].update(en)
    TEXT["zh"].update(zh)


def download(body: str, *, filename: str, media_type: str = "application/json") -> Response:
    """``body`` as a file the browser saves (a proof, a bundle, an export): never cached."""
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def currency_label(code: str | None) -> str:
    """A CEB currency code as people read it: ``142 CNY`` (the bare code if unlisted)."""
    if not code:
        return ""
    name = CODE_LISTS["currency"].codes.get(code)
    return f"{code} {name}" if name else code


@lru_cache(maxsize=1)
def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(PACKAGE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    environment.filters["currency"] = currency_label
    return environment


@lru_cache(maxsize=1)
def _css() -> str:
    css = (PACKAGE / "static" / "portal" / "portal.css").read_text(encoding="utf-8")
    if "</style" in css.lower():
        raise ValueError("the stylesheet would close its own element")
    return css


def _policy() -> str:
    digest = base64.b64encode(hashlib.sha256(_css().encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def language(request: Request) -> str:
    """``?lang=``, else the language cookie, else the browser's first of zh or en."""
    chosen = request.query_params.get("lang") or request.cookies.get("sandan_lang")
    if chosen in LANGUAGES:
        return str(chosen)
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"


def secure(runtime: RuntimeDep) -> bool:
    return runtime.settings.public_base_url.startswith("https://")


def page(
    request: Request,
    template: str,
    *,
    status: int = 200,
    signed_in: sessions.SignedIn | None = None,
    current: str = "",
    **values: Any,
) -> HTMLResponse:
    lang = language(request)
    text = TEXT[lang]
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
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("sandan_lang", lang, max_age=365 * 86400, samesite="strict")
    return response


#: Roles whose parties sign and submit trade documents (the three documents and inventories).
SUBMITTING_ROLES = frozenset({"platform", "payment", "logistics"})
#: Roles that see the zone's statistics as a whole (a firm sees its own).
ZONE_ROLES = frozenset({"customs", "regulator"})


def _navigation(
    signed_in: sessions.SignedIn, text: Mapping[str, str], current: str
) -> list[dict[str, Any]]:
    """Each role's own menu: only pages its credential may open."""
    items = [("home", "/portal")]
    if signed_in.operator:
        items.append(("parties", "/portal/parties"))
    else:
        roles = party_roles(signed_in.party)  # type: ignore[arg-type]
        if roles & SUBMITTING_ROLES:
            items.append(("documents", "/portal/documents"))
        items.append(("trades", "/portal/trades"))
        if "customs" in roles:
            items += [("release_queue", "/portal/customs"), ("summary", "/portal/customs/summary")]
        if "bank" in roles:
            items.append(("bank_desk", "/portal/bank"))
        items.append(("inbox", "/portal/inbox"))
    items.append(("stats", "/portal/stats"))
    items += [("verifier", "/verify"), ("api_docs", "/docs")]
    return [{"label": text[key], "href": href, "current": key == current} for key, href in items]


async def form(request: Request) -> dict[str, str]:
    """The urlencoded fields of a small form (the body guard already bounds its size)."""
    return {name: values[0] for name, values in (await form_lists(request)).items()}


async def form_lists(
    request: Request, *, max_fields: int = _MAX_FORM_FIELDS
) -> dict[str, list[str]]:
    """Every value of each urlencoded field (a list of checkboxes), at most ``max_fields``;
    a body that is not such a form reads as empty."""
    body = await request.body()
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=max_fields, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values for name, values in fields.items() if values}


def signed_in_of(request: Request, session: SessionDep, runtime: RuntimeDep) -> Any:
    return sessions.resolve(
        session=session,
        settings=runtime.settings,
        admin_token=runtime.admin_token,
        token=request.cookies.get(SESSION_COOKIE),
        now=utcnow(),
    )


def to_sign_in() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


def rows(trades: list[TradePublic], runtime: RuntimeDep) -> list[dict[str, Any]]:
    """Table rows of ``trades``, each updated time in the zone's time zone."""
    zone = ZoneInfo(runtime.settings.zone_timezone)
    return [
        {**t.model_dump(), "updated": t.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")}
        for t in trades
    ]


def customs_of(signed_in: sessions.SignedIn) -> Any:
    """The signed-in party if it holds the customs role: 401 for the operator and 403 for
    another role, as ``CustomsDep`` answers."""
    return require_role("customs")(party_of(signed_in))


def party_of(signed_in: sessions.SignedIn) -> Any:
    """The signed-in party; the operator is refused as the API refuses the admin token
    where a party's key is needed (401)."""
    if signed_in.party is None:
        raise AuthenticationFailed("the operator reads no trade: sign in with a party's API key")
    return signed_in.party


def error(request: Request, signed_in: sessions.SignedIn, exc: ApiError) -> HTMLResponse:
    return page(request, "portal/error.html", status=exc.status_code, signed_in=signed_in,
                 title=str(exc.status_code), status_code=exc.status_code,
                 message=exc.message)  # fmt: skip

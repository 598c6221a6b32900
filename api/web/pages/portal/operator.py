"""The operator's page: every registered party, its roles and where the registry has it.

Only the admin token opens it; a party signed in with its own key is refused (403) as
the operator's API routes refuse it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import col, func, select

from api.db.models import PartyKeyRecord, PartyRecord
from api.errors import PermissionDenied
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)

kit.add_text(
    en={
        "parties_intro": "Registered parties: {}.",
        "code": "Code",
        "name": "Name",
        "keys": "Signing keys",
        "registry": "Registry block",
        "registered_at": "Registered",
        "unconfirmed": "not yet confirmed",
    },
    zh={
        "parties_intro": "已登记企业：{} 家。",
        "code": "代码",
        "name": "名称",
        "keys": "签名密钥",
        "registry": "登记区块",
        "registered_at": "登记时间",
        "unconfirmed": "尚未确认",
    },
)


@router.get("/portal/parties", response_class=HTMLResponse)
def parties_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Every party with its roles, key count and registry block (the operator only)."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    if not signed_in.operator:
        return kit.error(request, signed_in, PermissionDenied("admin token required"))
    keys = dict(
        session.exec(
            select(PartyKeyRecord.party_code, func.count()).group_by(col(PartyKeyRecord.party_code))
        ).all()
    )
    zone = runtime.settings.zone
    parties = [
        {
            "code": p.code,
            "name": p.name,
            "roles": p.roles.replace(",", ", "),
            "keys": keys.get(p.code, 0),
            "block": p.chain_block,
            "created": p.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        }
        for p in session.exec(select(PartyRecord).order_by(col(PartyRecord.code))).all()
    ]
    return kit.page(request, "portal/parties.html", signed_in=signed_in, current="parties",
                    title=text["parties"], parties=parties)  # fmt: skip

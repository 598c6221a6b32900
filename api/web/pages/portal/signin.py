"""Signing in and out, and the home page of a signed-in party or the operator."""

from __future__ import annotations

import secrets
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.db.models import utcnow
from api.errors import AuthenticationFailed
from api.services import portal_sessions as sessions
from api.services.parties import party_roles
from api.web.deps import RuntimeDep, SessionDep
from api.web.pages.portal import kit

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def sign_in_page(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The sign-in kit.page (the workbench's home once signed in)."""
    if kit.signed_in_of(request, session, runtime) is not None:
        return RedirectResponse("/portal", status_code=303)
    return _sign_in_form(request, runtime)


def _sign_in_form(
    request: Request, runtime: RuntimeDep, *, status: int = 200, error: str = ""
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = kit.page(request, "portal/signin.html", status=status, csrf=token, error=kit.error,
                     title=kit.TEXT[kit.language(request)]["sign_in_title"])  # fmt: skip
    response.set_cookie(
        kit.SIGNIN_COOKIE, token, httponly=True, samesite="strict", secure=kit.secure(runtime),
        path="/signin", max_age=3600,
    )  # fmt: skip
    return response


@router.post("/signin")
async def sign_in(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Check the credential, open a session, and go to the workbench."""
    form = await kit.form(request)
    expected = request.cookies.get(kit.SIGNIN_COOKIE)
    sent = form.get("csrf")
    text = kit.TEXT[kit.language(request)]
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        return _sign_in_form(request, runtime, status=403, error=text["bad_form"])
    limiter = request.app.state.signin_limiter
    client = "signin:" + (request.client.host if request.client else "unknown")
    if limiter.spent(client):
        return _sign_in_form(request, runtime, status=429, error=text["too_many_failures"])
    try:
        token, _ = sessions.sign_in(
            session=session,
            settings=runtime.settings,
            admin_token=runtime.admin_token,
            credential=form.get("credential", ""),
            now=utcnow(),
        )
    except AuthenticationFailed:
        limiter.allow(client)  # only failures count: a clerk signing in all day is never slowed
        return _sign_in_form(request, runtime, status=401, error=text["bad_credential"])
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(
        kit.SESSION_COOKIE, token, httponly=True, samesite="strict", secure=kit.secure(runtime),
        path="/", max_age=runtime.settings.session_max_hours * 3600,
    )  # fmt: skip
    response.delete_cookie(kit.SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def sign_out(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """End the session (its cookie stops working at once) and go back to sign-in."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()  # the body of a caller without a session is never read
    form = await kit.form(request)
    if not sessions.csrf_matches(signed_in, form.get("csrf")):
        text = kit.TEXT[kit.language(request)]
        return kit.page(request, "portal/error.html", status=403, signed_in=signed_in,
                     title="403", status_code=403, message=text["bad_form"])  # fmt: skip
    sessions.end(session=session, signed_in=signed_in)
    response = kit.to_sign_in()
    response.delete_cookie(kit.SESSION_COOKIE, path="/")
    return response


@router.get("/portal", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """Who is signed in, with the role's menu."""
    signed_in = kit.signed_in_of(request, session, runtime)
    if signed_in is None:
        return kit.to_sign_in()
    text = kit.TEXT[kit.language(request)]
    roles = "—" if signed_in.operator else ", ".join(sorted(party_roles(signed_in.party)))
    zone = ZoneInfo(runtime.settings.zone_timezone)
    ends = signed_in.record.expires_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return kit.page(request, "portal/home.html", signed_in=signed_in, current="home",
                 title=text["welcome"], roles=roles, ends=ends)  # fmt: skip

"""FastAPI dependencies: settings, database session, ledger, authenticated party."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session, select

from api.config import ApiSettings
from api.db.models import PartyRecord, TradeRecord
from api.errors import AuthenticationFailed, PermissionDenied
from api.runtime import Runtime
from api.services.parties import party_roles
from api.services.security import hash_api_key, tokens_equal
from api.services.trade_queries import get_trade_or_404
from api.web.ratelimit import check_write_budget

_bearer = HTTPBearer(auto_error=False, description="A party's API key, or the admin token.")


def get_runtime(request: Request) -> Runtime:
    """The runtime (settings, engine, ledger) that create_app attached to the app."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_settings(runtime: RuntimeDep) -> ApiSettings:
    """The settings the app was built with."""
    return runtime.settings


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """One database session per request."""
    with Session(runtime.engine, expire_on_commit=False) as session:
        yield session


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
CredentialsDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def get_current_party(session: SessionDep, credentials: CredentialsDep) -> PartyRecord:
    """The party whose API key authenticates this request."""
    if credentials is None:
        raise AuthenticationFailed("missing bearer API key")
    key_hash = hash_api_key(credentials.credentials)
    party = session.exec(select(PartyRecord).where(PartyRecord.api_key_hash == key_hash)).first()
    if party is None:
        raise AuthenticationFailed("unknown API key")
    return party


PartyDep = Annotated[PartyRecord, Depends(get_current_party)]


def require_admin(runtime: RuntimeDep, credentials: CredentialsDep) -> None:
    """Only the operator holding the admin token may register parties."""
    expected = runtime.admin_token
    if credentials is None or not tokens_equal(credentials.credentials, expected):
        raise PermissionDenied("admin token required", field="Authorization")


AdminDep = Annotated[None, Depends(require_admin)]


def require_role(*roles: str) -> Callable[[PartyRecord], PartyRecord]:
    """A dependency that admits only parties holding one of ``roles``."""

    def check(party: PartyDep) -> PartyRecord:
        held = party_roles(party)
        if not held & set(roles):
            raise PermissionDenied(
                f"this action needs the role {' or '.join(roles)}; party {party.code} has "
                f"{', '.join(sorted(held)) or 'none'}",
                code="role_not_allowed",
            )
        return party

    return check


CustomsDep = Annotated[PartyRecord, Depends(require_role("customs"))]
BankDep = Annotated[PartyRecord, Depends(require_role("bank"))]
#: Who reads risk alerts and credit records (supervisors and banks), and who reviews alerts.
RiskReaderDep = Annotated[PartyRecord, Depends(require_role("customs", "bank", "regulator"))]
ReviewerDep = Annotated[PartyRecord, Depends(require_role("customs", "regulator"))]
#: Customs or the regulator: who may put a party on the negative list.
SupervisorDep = Annotated[PartyRecord, Depends(require_role("customs", "regulator"))]


def get_trade(trade_id: str, session: SessionDep) -> TradeRecord:
    """The trade the path's ``trade_id`` names, or 404 (callers check roles).

    Declare it after the party dependency, so an unauthenticated or unentitled
    caller learns that first and not whether the trade exists.
    """
    return get_trade_or_404(session=session, trade_id=trade_id)


TradeDep = Annotated[TradeRecord, Depends(get_trade)]


async def read_body(request: Request) -> bytes:
    """The raw body, awaited on the event loop so the route itself can be a plain ``def``.

    Routes that parse a raw body (NDJSON, XML, EPCIS) take this instead of being
    ``async def``: their signature checks and database work then run in the thread
    pool and never hold the event loop (``/health`` keeps answering).
    """
    return await request.body()


RawBodyDep = Annotated[bytes, Depends(read_body)]


def limit_writes(request: Request) -> None:
    """Per-caller write budget on routes that change state (reads are not limited).

    Keyed by the identity authenticated before the body was read, never by an
    unchecked bearer token (each random token would have got a bucket of its own).
    """
    check_write_budget(request)


WriteLimit = Depends(limit_writes)

"""Browser sessions of the workbench: sign in with a credential, a cookie afterwards.

A party signs in with its API key, the operator with the admin token. The browser then
holds only a random session token (256 bits) in an HttpOnly, SameSite=Strict cookie; the
database keeps its SHA-256. Each session carries the CSRF token that its forms must send
back. It ends on sign-out, after ``SANDAN_SESSION_IDLE_MINUTES`` without a request, and
after ``SANDAN_SESSION_MAX_HOURS`` in any case. A session grants exactly what its
credential grants through the API: the pages read through the same services.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from api.config import ApiSettings
from api.db.models import PartyRecord, PortalSessionRecord
from api.errors import AuthenticationFailed
from api.services.security import hash_api_key, tokens_equal

__all__ = ["SignedIn", "end", "resolve", "sign_in"]


@dataclass(frozen=True)
class SignedIn:
    """Who a live session is: a party, or the operator (``party`` None)."""

    record: PortalSessionRecord
    party: PartyRecord | None

    @property
    def operator(self) -> bool:
        """Whether the operator (admin token) signed in."""
        return self.party is None

    @property
    def csrf_token(self) -> str:
        """The token every form of this session sends back."""
        return self.record.csrf_token


def sign_in(
    *, session: Session, settings: ApiSettings, admin_token: str, credential: str, now: datetime
) -> tuple[str, SignedIn]:
    """A new session for the holder of ``credential``; the cookie's token and who it is.

    AuthenticationFailed (401) for a credential that is neither the admin token nor a
    party's API key; which one was tried is not said."""
    credential = credential.strip()
    if not credential:
        raise AuthenticationFailed("unknown API key or admin token", field="credential")
    party: PartyRecord | None = None
    if not tokens_equal(credential, admin_token):
        party = session.exec(
            select(PartyRecord).where(PartyRecord.api_key_hash == hash_api_key(credential))
        ).first()
        if party is None:
            raise AuthenticationFailed("unknown API key or admin token", field="credential")
    token = secrets.token_urlsafe(32)
    record = PortalSessionRecord(
        token_hash=hash_api_key(token),
        party_code=party.code if party is not None else None,
        csrf_token=secrets.token_urlsafe(32),
        credential_hash=hash_api_key(credential),
        created_at=now,
        expires_at=now + timedelta(hours=settings.session_max_hours),
        idle_until=now + timedelta(minutes=settings.session_idle_minutes),
    )
    session.add(record)
    session.commit()
    return token, SignedIn(record, party)


def resolve(
    *,
    session: Session,
    settings: ApiSettings,
    admin_token: str,
    token: str | None,
    now: datetime,
) -> SignedIn | None:
    """The live session of a cookie's ``token`` (its idle time moved on), or None; an
    ended session (expired, or its credential rotated since) is deleted when it is met."""
    if not token or len(token) > 128:
        return None
    record = session.get(PortalSessionRecord, hash_api_key(token))
    if record is None:
        return None
    party = session.get(PartyRecord, record.party_code) if record.party_code else None
    current = hash_api_key(admin_token) if record.party_code is None else None
    if party is not None:
        current = party.api_key_hash
    if (
        now >= record.expires_at
        or now >= record.idle_until
        or current is None
        or not tokens_equal(current, record.credential_hash)
    ):
        session.delete(record)
        session.commit()
        return None
    record.idle_until = min(
        record.expires_at, now + timedelta(minutes=settings.session_idle_minutes)
    )
    session.add(record)
    session.commit()
    return SignedIn(record, party)


def end(*, session: Session, signed_in: SignedIn) -> None:
    """Sign out: the session's token stops working at once."""
    record = session.get(PortalSessionRecord, signed_in.record.token_hash)
    if record is not None:
        session.delete(record)
        session.commit()


def csrf_matches(signed_in: SignedIn, sent: str | None) -> bool:
    """Whether a form sent this session's CSRF token (compared in constant time)."""
    return sent is not None and tokens_equal(sent, signed_in.csrf_token)

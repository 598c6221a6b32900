"""A database-backed party directory for envelope verification."""

from __future__ import annotations

from sqlmodel import Session

from api.db import crud
from api.db.models import PartyKeyRecord, PartyRecord
from api.services.parties import party_roles
from traceability import Party, PartyKey, Role


def to_party(record: PartyRecord) -> Party:
    """The domain view of a stored party."""
    return Party(record.code, record.name, frozenset(Role(r) for r in party_roles(record)))


def to_key(record: PartyKeyRecord) -> PartyKey:
    """The domain view of a stored key."""
    return PartyKey(
        key_id=record.key_id,
        party_code=record.party_code,
        alg=record.alg,  # type: ignore[arg-type]
        public_key=record.public_key,
        valid_from=record.valid_from,
        revoked_at=record.revoked_at,
        valid_until=record.valid_until,
    )


class DatabaseDirectory:
    """Looks keys and parties up in the database, once per id for the directory's life.

    Make one per request: a key revoked after the request started is seen by the next one.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._keys: dict[str, PartyKey | None] = {}
        self._parties: dict[str, Party | None] = {}

    def get_key(self, key_id: str) -> PartyKey | None:
        """The registered key ``key_id``, revoked or not."""
        if key_id not in self._keys:
            record = crud.get_key(session=self.session, key_id=key_id)
            self._keys[key_id] = to_key(record) if record is not None else None
        return self._keys[key_id]

    def get_party(self, code: str) -> Party | None:
        """The registered party ``code``."""
        if code not in self._parties:
            record = crud.get_party(session=self.session, code=code)
            self._parties[code] = to_party(record) if record is not None else None
        return self._parties[code]


def registry_for(*, session: Session, party_code: str) -> DatabaseDirectory:
    """The directory used to verify envelopes submitted by ``party_code``."""
    return DatabaseDirectory(session)

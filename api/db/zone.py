"""The zone's lasting choices, kept in the database they give meaning to.

A zone chooses its digest profile (:class:`~traceability.DigestProfile`) when its ledger
first starts. Every content hash stored after that, and anchored, was taken with it, so
it cannot change under a running ledger: a start configured with another profile is
refused, naming both, rather than storing hashes that mean two things. A process started
without the setting follows the ledger's recorded choice (a worker need not repeat it).
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.db.models import ZoneSettingRecord, utcnow
from traceability import DigestProfile

__all__ = ["DIGEST_PROFILE", "ZoneMismatch", "settle_digest_profile"]

DIGEST_PROFILE = "digest_profile"


class ZoneMismatch(RuntimeError):
    """The configuration asks for a choice other than the one the ledger made."""


def settle_digest_profile(engine: Engine, configured: DigestProfile | None) -> DigestProfile:
    """The ledger's digest profile: recorded now as ``configured`` (default SHA-256) if the
    ledger has none yet, else the recorded one, which ``configured`` must not contradict."""
    wanted = configured or DigestProfile.SHA256
    with Session(engine) as session:
        recorded = session.get(ZoneSettingRecord, DIGEST_PROFILE)
        if recorded is None:
            session.add(ZoneSettingRecord(name=DIGEST_PROFILE, value=wanted, set_at=utcnow()))
            try:
                session.commit()
            except IntegrityError:  # another process starting at once recorded it first
                session.rollback()
            recorded = session.get(ZoneSettingRecord, DIGEST_PROFILE)
            assert recorded is not None
    profile = DigestProfile.parse(recorded.value)
    if configured is not None and configured is not profile:
        raise ZoneMismatch(
            f"SANDAN_DIGEST_PROFILE={configured.value}, but this ledger's content hashes are "
            f"{profile.value} (chosen when it first started, and kept: every stored and "
            f"anchored hash was taken with it). Unset the setting, or start a new ledger"
        )
    return profile

"""Recording parties, roles, keys and accounts in the PartyRegistry, through the outbox.

Every registry write is an outbox row of the ``party`` lane, added in the same
database transaction as the change it records, so a crash can neither lose it nor
record it twice (the worker checks the chain before sending). What the API reports
as ``chainStatus`` is read back from those rows: ``pending`` while any of them is
not in a confirmed batch, ``confirmed`` after.

Row subjects name what they are about, so the status of a party or a key is one
indexed lookup: ``party:<code>`` and ``party:<code>:<detail>`` for a party,
``key:<keyId>`` and ``key:<keyId>:revoke`` for a key.
"""

from __future__ import annotations

import secrets
from typing import Any, Literal

from sqlmodel import Session, col, or_, select

from api.anchoring.lanes import PARTY, RegistryPayload
from api.db.models import AnchorBatchRecord, OutboxRecord, PartyKeyRecord, PartyRecord, utcnow
from traceability import DigestProfile, content_hash
from traceability.signing.parties import Role
from traceability.signing.registry_ids import ROLE_INDEX, role_mask

ChainStatus = Literal["pending", "confirmed", "refused"]


def record_hash(party: PartyRecord, digest: DigestProfile) -> str:
    """The digest (the zone's profile) of the party's RFC 8785 registration record: what the
    registry holds."""
    record = {
        "code": party.code,
        "name": party.name,
        "uscc": party.uscc,
        "customsCode": party.customs_code,
    }
    return content_hash(record, digest).hex()


def _enqueue(session: Session, subject: str, op: str, **args: Any) -> None:
    payload = RegistryPayload.of(op, **args)
    session.add(PARTY.outbox_record(subject, payload, created_at=utcnow()))


def enqueue_party(
    session: Session, party: PartyRecord, roles: frozenset[str], digest: DigestProfile
) -> None:
    """Record a new party with its roles."""
    _enqueue(
        session,
        f"party:{party.code}",
        "registerParty",
        code=party.code,
        recordHash=record_hash(party, digest),
        roles=role_mask(roles),
    )


def enqueue_role(session: Session, code: str, role: str, *, granted: bool) -> None:
    """Record a role granted to, or revoked from, a party."""
    op = "grantPartyRole" if granted else "revokePartyRole"
    index = ROLE_INDEX[Role(role)]
    # A role may be granted, revoked and granted again: each write is its own row.
    subject = f"party:{code}:{op}:{role}:{secrets.token_hex(8)}"
    _enqueue(session, subject, op, code=code, role=index)


def enqueue_account(session: Session, code: str, address: str) -> None:
    """Record a chain account acting for a party."""
    # An account may be added, removed (a rotation) and added back: each write is its own row.
    subject = f"party:{code}:account:{address}"
    if _subject_taken(session, subject):
        subject = f"{subject}:{secrets.token_hex(8)}"
    _enqueue(session, subject, "addAccount", code=code, account=address)


def enqueue_account_removal(session: Session, code: str, address: str) -> None:
    """Record that a chain account no longer acts for a party (it was rotated out)."""
    subject = f"party:{code}:account-removed:{address}:{secrets.token_hex(8)}"
    _enqueue(session, subject, "removeAccount", code=code, account=address)


def _subject_taken(session: Session, subject: str) -> bool:
    row = session.exec(
        select(OutboxRecord.id).where(
            OutboxRecord.kind == PARTY.kind,
            OutboxRecord.lane == PARTY.name,
            OutboxRecord.subject == subject,
        )
    ).first()
    return row is not None


def enqueue_key(session: Session, key: PartyKeyRecord) -> None:
    """Record a new signing key of a party."""
    _enqueue(
        session,
        f"key:{key.key_id}",
        "addKey",
        code=key.party_code,
        keyId=key.key_id,
        alg=key.alg,
        publicKey=key.public_key,
    )


def enqueue_revocation(session: Session, key: PartyKeyRecord) -> None:
    """Record a key's revocation (as compromised since a block, when it says so)."""
    _enqueue(
        session,
        f"key:{key.key_id}:revoke",
        "revokeKey",
        keyId=key.key_id,
        compromisedSinceBlock=key.compromised_since_block or 0,
        reason=key.revocation_reason or "revoked",
    )


def _status(session: Session, condition: Any) -> ChainStatus:
    """``refused`` if the registry refused one of the writes, else ``pending`` while one is
    not on chain, else ``confirmed``."""
    states = set(
        session.exec(
            select(AnchorBatchRecord.state)
            .select_from(OutboxRecord)
            .outerjoin(AnchorBatchRecord, col(AnchorBatchRecord.id) == col(OutboxRecord.batch_id))
            .where(
                OutboxRecord.kind == PARTY.kind,  # with lane and subject: the unique index
                OutboxRecord.lane == PARTY.name,
                condition,
                or_(
                    col(AnchorBatchRecord.state).is_(None),
                    AnchorBatchRecord.state != "confirmed",
                ),
            )
            .distinct()
        ).all()
    )
    if "refused" in states:
        return "refused"
    return "pending" if states else "confirmed"


def party_chain_status(session: Session, code: str) -> ChainStatus:
    """``confirmed`` once every registry write about party ``code`` is on chain."""
    return _status(
        session,
        or_(
            OutboxRecord.subject == f"party:{code}",
            col(OutboxRecord.subject).startswith(f"party:{code}:", autoescape=True),
        ),
    )


def key_chain_status(session: Session, key_id: str) -> ChainStatus:
    """``confirmed`` once the key (and its revocation, if any) is on chain."""
    return _status(
        session, col(OutboxRecord.subject).in_([f"key:{key_id}", f"key:{key_id}:revoke"])
    )

"""Registering parties, their signing keys and their custodial chain accounts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.config import ApiSettings
from api.db import crud
from api.db.models import ChainAccountRecord, PartyKeyRecord, PartyRecord, utcnow
from api.errors import Conflict, NotFound, PermissionDenied, UnprocessableContent
from api.runtime import Runtime
from api.schemas import KeyCreate, KeyPublic, KeyRevoke, PartyCreate, PartyCreated, PartyPublic
from api.services import registry, warehouse_ledger
from api.services.certificates import check_certificate
from api.services.security import hash_api_key, new_api_key
from traceability import (
    DEFAULT_MAX_CLOCK_SKEW,
    Algorithm,
    DigestProfile,
    InvalidKey,
    Role,
    canonical_public_key,
    public_key_fingerprint,
)
from traceability.ceb import certificate_key_fingerprint
from traceability.signing import b64url_encode
from traceability.signing.certificates import Sm2PublicKey, certificate_key, certificate_number

#: Roles whose parties act on the contract themselves (and so need a chain account).
CHAIN_ROLES = {
    r.value: r.contract_role for r in (Role.CUSTOMS, Role.BANK, Role.INSPECTOR, Role.REGULATOR)
}


def party_roles(party: PartyRecord) -> frozenset[str]:
    """The role names of a party."""
    return frozenset(r for r in party.roles.split(",") if r)


def party_public(party: PartyRecord, session: Session, digest: DigestProfile) -> PartyPublic:
    """The public view of a party, with the state of its PartyRegistry record."""
    return PartyPublic.from_record(
        party,
        roles=sorted(party_roles(party)),
        record_hash=registry.record_hash(party, digest),
        chain_status=registry.party_chain_status(session, party.code),
    )


def require_party(*, session: Session, code: str) -> PartyRecord:
    """The party with ``code``, or 404."""
    party = crud.get_party(session=session, code=code)
    if party is None:
        raise NotFound(f"no party {code!r}", field="code")
    return party


def require_self(party: PartyRecord, code: str) -> None:
    """A party manages only its own keys."""
    if party.code != code:
        raise PermissionDenied("a party may only manage its own keys", field="code")


def register_party(*, session: Session, runtime: Runtime, party_in: PartyCreate) -> PartyCreated:
    """Store a new party and hand out its API key; create its chain account if asked."""
    if crud.get_party(session=session, code=party_in.code) is not None:
        raise Conflict(f"party {party_in.code!r} already exists", field="code")
    api_key = new_api_key()
    party = PartyRecord(
        code=party_in.code,
        name=party_in.name,
        roles=",".join(sorted(set(party_in.roles))),
        api_key_hash=hash_api_key(api_key),
        uscc=party_in.uscc,
        customs_code=party_in.customs_code,
        created_at=utcnow(),
    )
    session.add(party)
    registry.enqueue_party(session, party, party_roles(party), runtime.digest)
    if party_in.chain_account:
        session.flush()  # the chain account row refers to the party row
        _create_chain_account(session=session, runtime=runtime, party=party)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"party {party_in.code!r} already exists", field="code") from exc
    public = party_public(party, session, runtime.digest)
    return PartyCreated(**public.model_dump(), api_key=api_key)


def rotate_api_key(*, session: Session, code: str, digest: DigestProfile) -> PartyCreated:
    """Replace a party's API key (a lost or leaked key); the old key stops working at once."""
    party = require_party(session=session, code=code)
    api_key = new_api_key()
    party.api_key_hash = hash_api_key(api_key)
    session.add(party)
    session.commit()
    return PartyCreated(**party_public(party, session, digest).model_dump(), api_key=api_key)


def _create_chain_account(*, session: Session, runtime: Runtime, party: PartyRecord) -> None:
    roles = [CHAIN_ROLES[r] for r in sorted(party_roles(party)) if r in CHAIN_ROLES]
    if not roles:
        raise UnprocessableContent(
            "only customs, bank, inspector and regulator parties act on chain",
            field="chainAccount",
        )
    ledger = runtime.ledger()
    account = ledger.new_party_account(roles)
    party.chain_address = account.address
    registry.enqueue_account(session, party.code, account.address)
    session.add(
        ChainAccountRecord(
            party_code=party.code,
            address=account.address,
            encrypted_key=runtime.keystore.encrypt(account.key.hex().encode()).decode(),
            created_at=utcnow(),
        )
    )


def set_xml_certificate(
    *, session: Session, party: PartyRecord, pem: str, settings: ApiSettings, digest: DigestProfile
) -> PartyPublic:
    """Store the party's XML-signing certificate after checking it parses, chains to a
    trusted CA now (when CAs are configured) and that no other party's certificate has
    its key."""
    try:
        fingerprint = certificate_key_fingerprint(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise UnprocessableContent(
            "not a PEM X.509 certificate", field="certificatePem", code="invalid_certificate"
        ) from exc
    check_certificate(pem.encode("ascii"), settings=settings, at=utcnow(), field="certificatePem")
    holder = session.exec(
        select(PartyRecord.code).where(PartyRecord.xml_key_fingerprint == fingerprint)
    ).first()
    if holder is not None and holder != party.code:
        raise _key_taken("certificatePem", "this certificate's public key")
    party.xml_certificate = pem
    party.xml_key_fingerprint = fingerprint
    session.add(party)
    try:
        session.commit()
    except IntegrityError as exc:  # another party registered the key meanwhile
        session.rollback()
        raise _key_taken("certificatePem", "this certificate's public key") from exc
    return party_public(party, session, digest)


def _key_taken(field: str, what: str) -> Conflict:
    # Which party holds the key stays unsaid: the caller may be probing for it.
    return Conflict(
        f"{what} is already registered; register a key of your own",
        field=field,
        code="public_key_taken",
    )


def change_role(
    *, session: Session, code: str, role: str, granted: bool, digest: DigestProfile
) -> PartyPublic:
    """Grant or revoke one role of a party, and record it in the PartyRegistry."""
    party = require_party(session=session, code=code)
    roles = set(party_roles(party))
    if (role in roles) == granted:
        return party_public(party, session, digest)  # nothing to change: idempotent
    if not granted and len(roles) == 1:
        raise Conflict("a party keeps at least one role", field="role", code="last_role")
    roles = roles | {role} if granted else roles - {role}
    party.roles = ",".join(sorted(roles))
    session.add(party)
    registry.enqueue_role(session, code, role, granted=granted)
    if role == warehouse_ledger.WAREHOUSE_ROLE:
        # Whether its events move a warehouse's stock depends on the role: recount them.
        session.flush()
        warehouse_ledger.rebuild(session, [code])
    session.commit()
    return party_public(party, session, digest)


def _key_public(key: PartyKeyRecord, session: Session) -> KeyPublic:
    return KeyPublic.from_record(key, chain_status=registry.key_chain_status(session, key.key_id))


def add_key(
    *,
    session: Session,
    party_code: str,
    key_in: KeyCreate,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_CLOCK_SKEW,
    settings: ApiSettings | None = None,
) -> KeyPublic:
    """Register a public key valid from ``now`` (by default the current time) or a later
    ``validFrom``, once across parties; or the key of an SM2 certificate that chains to the
    zone's trusted CAs (``settings.trusted_ca_file``), valid until its notAfter.

    The key is stored in its canonical text, so its PartyRegistry hash is one per key too.
    """
    now = now or utcnow()
    valid_from = _valid_from(key_in.valid_from, now=now, max_skew=max_skew)
    certified: datetime | None
    if key_in.certificate_pem is not None:
        if settings is None:
            raise AssertionError("a key by certificate needs the settings' trusted CAs")
        key_id, alg, raw_key, valid_from, certified = _certified_key(
            key_in, settings=settings, now=now, valid_from=valid_from
        )
    else:
        key_id, alg, raw_key, certified = _bare_key(key_in)
    try:
        public_key = canonical_public_key(alg, raw_key)
        fingerprint = public_key_fingerprint(alg, public_key)
    except InvalidKey as exc:
        raise UnprocessableContent(str(exc.message), field="publicKey", code=exc.reason) from exc
    if crud.get_key(session=session, key_id=key_id) is not None:
        raise Conflict(f"key id {key_id!r} is already registered", field="keyId")
    if _fingerprint_taken(session, fingerprint):
        raise _key_taken("publicKey", "this public key")
    key = PartyKeyRecord(
        key_id=key_id,
        party_code=party_code,
        alg=alg.value,
        public_key=public_key,
        key_fingerprint=fingerprint,
        valid_from=valid_from,
        certificate=key_in.certificate_pem if certified is not None else None,
        valid_until=certified,
    )
    session.add(key)
    registry.enqueue_key(session, key)
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent registration of the id or the key won
        session.rollback()
        if _fingerprint_taken(session, fingerprint):
            raise _key_taken("publicKey", "this public key") from exc
        raise Conflict(f"key id {key_id!r} is already registered", field="keyId") from exc
    return _key_public(key, session)


def _bare_key(key_in: KeyCreate) -> tuple[str, Algorithm, str, datetime | None]:
    """(key id, alg, public key, no expiry) of a key given as keyId, alg and publicKey."""
    key_id, alg, public_key = key_in.key_id, key_in.alg, key_in.public_key
    for name, value in (("keyId", key_id), ("alg", alg), ("publicKey", public_key)):
        if value is None:
            raise UnprocessableContent(
                f"{name} is required (or register by certificatePem)", field=name
            )
    assert key_id is not None
    assert alg is not None
    assert public_key is not None
    return key_id, Algorithm(alg), public_key, None


def _certified_key(
    key_in: KeyCreate, *, settings: ApiSettings, now: datetime, valid_from: datetime
) -> tuple[str, Algorithm, str, datetime, datetime]:
    """(key id, alg, public key, valid from, valid until) of a key given by certificate,
    after its chain to a trusted CA and its validity period are checked now."""
    if key_in.public_key is not None:
        raise UnprocessableContent("give publicKey or certificatePem, not both", field="publicKey")
    assert key_in.certificate_pem is not None
    pem = key_in.certificate_pem.encode("ascii", errors="replace")
    chain = check_certificate(pem, settings=settings, at=now, field="certificatePem")
    if chain is None:
        raise UnprocessableContent(
            "registering a key by certificate needs the zone's trusted CAs"
            " (SANDAN_TRUSTED_CA_FILE); none are configured",
            field="certificatePem",
            code="untrusted_certificate",
        )
    leaf = chain[0]
    try:
        key = certificate_key(leaf)
    except ValueError as exc:
        raise UnprocessableContent(
            f"the certificate's key is not usable: {exc}", field="certificatePem"
        ) from exc
    if not isinstance(key, Sm2PublicKey):
        raise UnprocessableContent(
            "a signing key by certificate must be an SM2 certificate's", field="certificatePem"
        )
    if key_in.alg not in (None, Algorithm.SM2.value):
        raise UnprocessableContent(f"the certificate's key is SM2, not {key_in.alg}", field="alg")
    number = certificate_number(leaf)
    if key_in.key_id not in (None, number):
        raise UnprocessableContent(
            f"a key by certificate is named by the certificate number {number}", field="keyId"
        )
    start = max(valid_from, leaf.not_valid_before_utc)
    return (
        number,
        Algorithm.SM2,
        b64url_encode(key.encoded_point()),
        start,
        leaf.not_valid_after_utc,
    )


def _fingerprint_taken(session: Session, fingerprint: str) -> bool:
    return (
        session.exec(
            select(col(PartyKeyRecord.key_id)).where(PartyKeyRecord.key_fingerprint == fingerprint)
        ).first()
        is not None
    )


def _valid_from(requested: datetime | None, *, now: datetime, max_skew: timedelta) -> datetime:
    """A key is valid from its registration: an earlier ``validFrom`` would let it sign
    documents dated before anyone could have checked it was the party's.

    A ``validFrom`` within the clock-skew allowance of now is read as now (the client's
    clock is a little behind); a later one is kept.
    """
    if requested is None:
        return now
    if requested.utcoffset() is None:
        raise UnprocessableContent(
            "must carry a time zone (e.g. 2026-12-01T08:00:00Z)", field="validFrom"
        )
    if requested < now - max_skew:
        raise UnprocessableContent(
            f"a key is valid from its registration ({now.isoformat()}) or later, "
            "never earlier; omit validFrom to start now",
            field="validFrom",
            code="valid_from_in_past",
        )
    return max(requested, now)


def list_keys(*, session: Session, party_code: str) -> list[KeyPublic]:
    """A party's keys."""
    keys = crud.list_keys(session=session, party_code=party_code)
    return [_key_public(k, session) for k in keys]


def revoke_key(
    *,
    session: Session,
    runtime: Runtime,
    party_code: str,
    key_id: str,
    revocation: KeyRevoke,
) -> KeyPublic:
    """Date a key's revocation and record it on chain; the first revocation stands.

    ``compromisedSinceBlock`` must lie between the block that registered the key and
    the chain's head: the registry refuses anything else, and a write it refuses would
    hold up every registry write queued behind it.
    """
    key = crud.get_key(session=session, key_id=key_id)
    if key is None or key.party_code != party_code:
        raise NotFound(f"no key {key_id!r} for party {party_code!r}", field="keyId")
    if key.revoked_at is not None:
        return _key_public(key, session)
    since = revocation.compromised_since_block
    if since is not None:
        if key.chain_block is None:
            raise Conflict(
                "the key is not on chain yet, so it cannot have been compromised since a block",
                field="compromisedSinceBlock",
                code="key_not_on_chain",
            )
        head = runtime.ledger().block_number()
        if not key.chain_block <= since <= head:
            raise UnprocessableContent(
                f"must be between the key's registration block {key.chain_block} and the "
                f"chain's head {head}",
                field="compromisedSinceBlock",
            )
    key.revoked_at = utcnow()
    key.revocation_reason = revocation.reason
    key.compromised_since_block = since
    session.add(key)
    registry.enqueue_revocation(session, key)
    session.commit()
    return _key_public(key, session)

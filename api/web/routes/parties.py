"""Parties, their roles and their signing keys."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, status

from api.db.models import utcnow
from api.schemas import (
    CertificateSet,
    ChainAccountCreate,
    ChainAccountSet,
    KeyCreate,
    KeyPublic,
    KeyRevoke,
    ListingCreate,
    ListingLift,
    ListingPublic,
    PartyCreate,
    PartyCreated,
    PartyPublic,
    RoleGrant,
    RoleName,
)
from api.services import chain_accounts, negative_list, self_custody
from api.services import parties as service
from api.web.deps import AdminDep, PartyDep, RuntimeDep, SessionDep, SupervisorDep, WriteLimit
from api.web.errors import ErrorBodyResponses

router = APIRouter(
    prefix="/parties", tags=["parties"], responses=ErrorBodyResponses, dependencies=[WriteLimit]
)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PartyCreated)
def create_party(
    body: PartyCreate, session: SessionDep, runtime: RuntimeDep, _admin: AdminDep
) -> PartyCreated:
    """Register a party and return its API key (shown once). Administrator only."""
    return service.register_party(session=session, runtime=runtime, party_in=body)


@router.post("/{code}/api-key", response_model=PartyCreated)
def rotate_api_key(
    code: str, session: SessionDep, runtime: RuntimeDep, _admin: AdminDep
) -> PartyCreated:
    """Issue a new API key for a party; the old one stops working. Administrator only."""
    return service.rotate_api_key(session=session, code=code, digest=runtime.digest)


@router.get("/me", response_model=PartyPublic)
def read_me(party: PartyDep, session: SessionDep, runtime: RuntimeDep) -> PartyPublic:
    """The party that the API key belongs to."""
    return service.party_public(party, session, runtime.digest)


@router.get("/{code}", response_model=PartyPublic)
def read_party(
    code: str, session: SessionDep, runtime: RuntimeDep, _party: PartyDep
) -> PartyPublic:
    """A registered party (any authenticated party may look parties up), with its
    negative-list entry as the chain holds it."""
    party = service.require_party(session=session, code=code)
    public = service.party_public(party, session, runtime.digest)
    listing = negative_list.listing_public(session=session, runtime=runtime, code=code)
    return public.model_copy(update={"listing": listing})


@router.post("/{code}/listing", status_code=status.HTTP_201_CREATED, response_model=ListingPublic)
def list_party(
    code: str, body: ListingCreate, session: SessionDep, runtime: RuntimeDep, party: SupervisorDep
) -> ListingPublic:
    """Put a party on the negative list until `until` (customs or the regulator, through its
    chain account): the contract then refuses release and financing of every trade whose
    documents the party signed. A listing already there is replaced."""
    return negative_list.list_party(
        session=session, runtime=runtime, actor=party, code=code, body=body
    )


@router.delete("/{code}/listing", response_model=ListingPublic)
def lift_listing(
    code: str, body: ListingLift, session: SessionDep, runtime: RuntimeDep, party: SupervisorDep
) -> ListingPublic:
    """Lift a party's listing before it ends, with a reason (customs or the regulator); the
    answer is the listing as it was, now inactive. 409 when the party is not listed."""
    return negative_list.lift_listing(
        session=session, runtime=runtime, actor=party, code=code, body=body
    )


@router.put("/{code}/chain-account", response_model=PartyPublic)
def set_chain_account(
    code: str, body: ChainAccountSet, session: SessionDep, runtime: RuntimeDep, _admin: AdminDep
) -> PartyPublic:
    """Register the chain account a customs office, bank or inspector holds the key of (self
    custody), or rotate to it: it gets the party's contract roles, a previous account loses
    them (a custodial key is destroyed), and the PartyRegistry records the change. The same
    address again changes nothing. Administrator only."""
    party = service.require_party(session=session, code=code)
    return self_custody.set_account(session=session, runtime=runtime, party=party, body=body)


@router.post(
    "/{code}/chain-account", status_code=status.HTTP_201_CREATED, response_model=PartyPublic
)
def create_chain_account(
    code: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _admin: AdminDep,
    body: ChainAccountCreate | None = None,
) -> PartyPublic:
    """Create a custodial chain account for a customs, bank or inspector party that has
    none (409 if it has one: rotate it instead). Administrator only."""
    party = service.require_party(session=session, code=code)
    return chain_accounts.add_custodial(session=session, runtime=runtime, party=party)


@router.post("/{code}/chain-account/rotate", response_model=PartyPublic)
def rotate_chain_account(
    code: str, session: SessionDep, runtime: RuntimeDep, _admin: AdminDep
) -> PartyPublic:
    """Replace the party's chain account by a new custodial one: the new account gets the
    contract roles, the old one loses them, its key is destroyed, and the PartyRegistry
    records the change. Administrator only."""
    party = service.require_party(session=session, code=code)
    return chain_accounts.rotate_custodial(session=session, runtime=runtime, party=party)


@router.post("/{code}/roles", response_model=PartyPublic)
def grant_role(
    code: str, body: RoleGrant, session: SessionDep, runtime: RuntimeDep, _admin: AdminDep
) -> PartyPublic:
    """Grant a party a role, recorded in the PartyRegistry from this block on. Administrator
    only."""
    return service.change_role(
        session=session, code=code, role=body.role, granted=True, digest=runtime.digest
    )


@router.delete("/{code}/roles/{role}", response_model=PartyPublic)
def revoke_role(
    code: str, role: RoleName, session: SessionDep, runtime: RuntimeDep, _admin: AdminDep
) -> PartyPublic:
    """Revoke a party's role: documents anchored from then on no longer count as signed in
    it. Administrator only."""
    return service.change_role(
        session=session, code=code, role=role, granted=False, digest=runtime.digest
    )


@router.post("/{code}/keys", status_code=status.HTTP_201_CREATED, response_model=KeyPublic)
def add_key(
    code: str, body: KeyCreate, session: SessionDep, party: PartyDep, runtime: RuntimeDep
) -> KeyPublic:
    """Register a public signing key of your own party, valid from now (rotation adds a key)."""
    service.require_self(party, code)
    skew = timedelta(seconds=runtime.settings.max_clock_skew_seconds)
    return service.add_key(
        session=session,
        party_code=code,
        key_in=body,
        now=utcnow(),
        max_skew=skew,
        settings=runtime.settings,
    )


@router.put("/{code}/xml-certificate", response_model=PartyPublic)
def set_xml_certificate(
    code: str, body: CertificateSet, session: SessionDep, party: PartyDep, runtime: RuntimeDep
) -> PartyPublic:
    """Register the certificate that verifies your CEB XML signatures (replaces the last one).

    RSA or SM2 (the e-port's enterprise certificates). With ``SANDAN_TRUSTED_CA_FILE`` set,
    the certificate (intermediates may follow it in the PEM) must chain to one of its CAs
    and be within its validity period: 422 ``untrusted_certificate`` names the problem."""
    service.require_self(party, code)
    return service.set_xml_certificate(
        session=session,
        party=party,
        pem=body.certificate_pem,
        settings=runtime.settings,
        digest=runtime.digest,
    )


@router.get("/{code}/keys", response_model=list[KeyPublic])
def list_keys(code: str, session: SessionDep, _party: PartyDep) -> list[KeyPublic]:
    """A party's public keys, including revoked ones (verifiers need them)."""
    service.require_party(session=session, code=code)
    return service.list_keys(session=session, party_code=code)


@router.post("/{code}/keys/{key_id}/revoke", response_model=KeyPublic)
def revoke_key(
    code: str,
    key_id: str,
    body: KeyRevoke,
    session: SessionDep,
    runtime: RuntimeDep,
    party: PartyDep,
) -> KeyPublic:
    """Revoke one of your keys: envelopes it signs are refused from now on, and with
    ``compromisedSinceBlock`` documents anchored from that block on stop verifying."""
    service.require_self(party, code)
    return service.revoke_key(
        session=session, runtime=runtime, party_code=code, key_id=key_id, revocation=body
    )

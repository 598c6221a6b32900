"""Giving a customs office, bank or inspector a chain account later, and rotating it.

A rotation runs in one order. The new account is granted the party's contract roles
before the old one loses them, so the party is never left unable to act; the
PartyRegistry is told ``removeAccount(old)`` then ``addAccount(new)`` through the
outbox, in the same database transaction as the change. A custodial key that is
replaced is overwritten or deleted: sandan can never sign with it again.

What the old account did stays verifiable: the contract recorded each release,
settlement and financing with its block, and the verifier checks those records and
events, not whether the account still holds its role today (docs/trust.md).
"""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlmodel import Session, col, select

from api.db import crud
from api.db.financing_models import TypedFinancingRecord
from api.db.models import ChainAccountRecord, PartyRecord, TradeRecord, utcnow
from api.errors import Conflict, PermissionDenied, UnprocessableContent
from api.runtime import Runtime
from api.schemas import PartyPublic
from api.services import registry
from api.services.parties import CHAIN_ROLES, party_public, party_roles


def chain_roles(party: PartyRecord, *, field: str) -> list[str]:
    """The contract roles the party's account holds, or 422 if it acts on no contract."""
    roles = [CHAIN_ROLES[r] for r in sorted(party_roles(party)) if r in CHAIN_ROLES]
    if not roles:
        raise UnprocessableContent(
            "only customs, bank and inspector parties act on chain", field=field
        )
    return roles


def add_custodial(*, session: Session, runtime: Runtime, party: PartyRecord) -> PartyPublic:
    """Create a custodial account for a party that has none yet."""
    roles = chain_roles(party, field="custodial")
    if party.chain_address is not None:
        raise Conflict(
            f"{party.code} acts through {party.chain_address} already: rotate it with "
            f"POST /parties/{party.code}/chain-account/rotate (a new custodial account) or "
            f"PUT /parties/{party.code}/chain-account (an account you hold the key of)",
            field="custodial",
            code="has_chain_account",
        )
    account = runtime.ledger().new_party_account(roles)
    _store_key(session, runtime, party.code, account)
    party.chain_address = account.address
    session.add(party)
    registry.enqueue_account(session, party.code, account.address)
    session.commit()
    return party_public(party, session, runtime.digest)


def rotate_custodial(*, session: Session, runtime: Runtime, party: PartyRecord) -> PartyPublic:
    """Replace the party's account (custodial or not) by a new custodial one."""
    roles = chain_roles(party, field="code")
    old = party.chain_address
    if old is None:
        raise Conflict(
            f"{party.code} has no chain account to rotate: create one with "
            f"POST /parties/{party.code}/chain-account",
            field="code",
            code="no_chain_account",
        )
    _check_no_open_financing(session, party)
    account = runtime.ledger().new_party_account(roles)
    _store_key(session, runtime, party.code, account)
    _switch(session, runtime, party, old=old, new=account.address, roles=roles)
    session.commit()
    return party_public(party, session, runtime.digest)


def rotate_to_own(
    *, session: Session, runtime: Runtime, party: PartyRecord, address: str
) -> PartyPublic:
    """Replace the party's account by one it holds the key of; the same one again is a no-op."""
    roles = chain_roles(party, field="address")
    old = party.chain_address
    if old is not None and old.lower() == address.lower():
        # Already its account: nothing to record.
        return party_public(party, session, runtime.digest)
    owner = crud.party_by_address(session=session, address=address)
    if owner is not None:
        raise Conflict(f"the account belongs to {owner.code}", field="address", code="taken")
    _check_no_open_financing(session, party)
    runtime.ledger().grant_roles(address, roles)
    custodial = crud.get_chain_account(session=session, party_code=party.code)
    if custodial is not None:
        session.delete(custodial)  # the replaced key is destroyed, never used again
    if old is None:
        party.chain_address = address
        session.add(party)
        registry.enqueue_account(session, party.code, address)
    else:
        _switch(session, runtime, party, old=old, new=address, roles=roles)
    session.commit()
    return party_public(party, session, runtime.digest)


def _check_no_open_financing(session: Session, party: PartyRecord) -> None:
    """Refuse to destroy a custodial key while it is the financier of a trade: only the
    account that registered a financing may discharge it, so the trade would stay
    financed (its verdict frozen) for ever."""
    if crud.get_chain_account(session=session, party_code=party.code) is None:
        return  # a self-custody account's holder keeps its key and can still discharge
    open_ids = list(
        session.exec(
            select(TradeRecord.trade_id).where(TradeRecord.financed_by == party.code).limit(6)
        ).all()
    )
    # A typed pledge of a warehouse receipt names no trade, and is just as stuck.
    pledged = session.exec(
        select(TypedFinancingRecord.receipt_id)
        .where(
            TypedFinancingRecord.bank_code == party.code,
            TypedFinancingRecord.state == "open",
            col(TypedFinancingRecord.receipt_id).is_not(None),
        )
        .limit(6)
    ).all()
    open_ids += [receipt for receipt in pledged if receipt is not None]
    if open_ids:
        shown = ", ".join(open_ids[:5]) + (" …" if len(open_ids) > 5 else "")
        raise Conflict(
            f"{party.code}'s custodial account is the financier of {shown}: discharge "
            "first (only the account that registered a financing can discharge it, and a "
            "replaced custodial key is destroyed)",
            field="code",
            code="financing_open",
        )


def _switch(
    session: Session,
    runtime: Runtime,
    party: PartyRecord,
    *,
    old: str,
    new: str,
    roles: list[str],
) -> None:
    """Take the roles from ``old`` (``new`` holds them already) and queue the registry's
    ``removeAccount(old)`` before its ``addAccount(new)``."""
    runtime.ledger().revoke_roles(old, roles)
    party.chain_address = new
    session.add(party)
    registry.enqueue_account_removal(session, party.code, old)
    session.flush()  # the outbox sends rows in id order: the removal goes first
    registry.enqueue_account(session, party.code, new)


def _store_key(session: Session, runtime: Runtime, code: str, account: LocalAccount) -> None:
    """Keep the new custodial key encrypted, overwriting the party's old one if any."""
    encrypted = runtime.keystore.encrypt(account.key.hex().encode()).decode()
    now = utcnow()
    record = crud.get_chain_account(session=session, party_code=code)
    if record is None:
        record = ChainAccountRecord(
            party_code=code, address=account.address, encrypted_key=encrypted, created_at=now
        )
    record.address, record.encrypted_key, record.created_at = account.address, encrypted, now
    session.add(record)


def party_account(*, session: Session, runtime: Runtime, party: PartyRecord) -> LocalAccount:
    """The custodial chain account of ``party`` (customs or bank)."""
    record = crud.get_chain_account(session=session, party_code=party.code)
    if record is None:
        raise PermissionDenied(
            f"party {party.code} has no chain account; register it with chainAccount=true",
            code="no_chain_account",
        )
    key = runtime.keystore.decrypt(record.encrypted_key.encode()).decode()
    account: LocalAccount = Account.from_key(key)
    return account

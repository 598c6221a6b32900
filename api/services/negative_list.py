"""The negative list: customs or the regulator lists a party on chain, and sandan refuses
release and financing of the trades it signed before sending them.

The chain is the record. A listing is a ``TradeRegistry.listParty`` call by the supervisor's
own chain account, and its end is a block timestamp, so it expires without anyone acting;
the service keeps no copy that could go stale, and a listing made on chain by a customs
office holding its own key shows here too. The contract refuses release and financing by
itself (``TradeRegistryPartyListed``); the service asks first so that it can name the
listing (party, reason, until), and answers the contract's refusal the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from api.db import crud
from api.db.models import DocumentRecord, PartyRecord, TradeRecord
from api.errors import Conflict, UnprocessableContent
from api.runtime import Runtime
from api.schemas import ListingCreate, ListingLift, ListingPublic
from api.services.chain_accounts import party_account
from api.services.parties import require_party
from ledger_client import ContractReverted, Listing, TxResult
from traceability.signing.registry_ids import party_id

#: The contract's refusal of a release or financing for a listed signer.
LISTED_ERROR = "TradeRegistryPartyListed"


def listing_public(
    *, session: Session, runtime: Runtime, code: str, listing: Listing | None = None
) -> ListingPublic | None:
    """``code``'s listing, in force or to come, as the chain holds it; None when it has none."""
    ledger = runtime.ledger()
    pid = party_id(code)
    listing = listing or ledger.listing_of(pid)
    if listing.until == 0 or listing.until <= _chain_now(runtime):
        return None
    event = ledger.last_listed(pid)
    listed_by = ""
    if event is not None:
        by = crud.party_by_address(session=session, address=event.by)
        listed_by = by.code if by is not None else str(event.by)
    return ListingPublic(
        party=code,
        active=listing.active,
        since=_time(listing.since),
        until=_time(listing.until),
        reason=event.reason if event is not None else "",
        listed_by=listed_by,
        tx_hash=event.log.tx_hash if event is not None and event.log is not None else None,
    )


def list_party(
    *, session: Session, runtime: Runtime, actor: PartyRecord, code: str, body: ListingCreate
) -> ListingPublic:
    """List ``code`` for ``body``'s period, through ``actor``'s chain account."""
    require_party(session=session, code=code)
    now = datetime.now(UTC)
    if body.until <= max(now, body.since or now):
        raise UnprocessableContent(
            "a listing must end in the future and after it starts", field="until"
        )
    since = 0 if body.since is None else int(body.since.timestamp())
    account = party_account(session=session, runtime=runtime, party=actor)
    result = runtime.ledger().list_party(
        party_id(code), since, int(body.until.timestamp()), body.reason, account
    )
    return _after(session, runtime, code, result)


def lift_listing(
    *, session: Session, runtime: Runtime, actor: PartyRecord, code: str, body: ListingLift
) -> ListingPublic:
    """Lift ``code``'s listing early; the answer is the listing as it was."""
    require_party(session=session, code=code)
    current = listing_public(session=session, runtime=runtime, code=code)
    if current is None:
        raise Conflict(f"party {code} is not on the negative list", code="not_listed")
    account = party_account(session=session, runtime=runtime, party=actor)
    runtime.ledger().lift_listing(party_id(code), body.reason, account)
    return current.model_copy(update={"active": False})


def trade_signers(session: Session, trade: TradeRecord) -> list[str]:
    """The party codes that signed the trade's current documents, sorted."""
    hashes = [trade.order_hash, trade.payment_hash, trade.waybill_hash, trade.inventory_hash]
    stmt = select(DocumentRecord.party_code).where(
        col(DocumentRecord.content_hash).in_([h for h in hashes if h is not None])
    )
    return sorted(set(session.exec(stmt).all()))


def check_unlisted(*, session: Session, runtime: Runtime, trade: TradeRecord) -> None:
    """409 naming the listing when a party in force on the negative list signed one of the
    trade's documents: the chain would refuse the release or financing anyway."""
    ledger = runtime.ledger()
    for code in trade_signers(session, trade):
        listing = ledger.listing_of(party_id(code))
        if listing.active:
            public = listing_public(session=session, runtime=runtime, code=code, listing=listing)
            if public is not None:
                raise listed_conflict(public)


def listed_refusal(
    *, session: Session, runtime: Runtime, trades: list[TradeRecord], exc: ContractReverted
) -> Exception:
    """The answer to the contract's ``TradeRegistryPartyListed`` refusal of a step on
    ``trades``: the same 409 as :func:`check_unlisted` (a listing that landed between the
    check and the transaction); any other revert is returned as it is."""
    if exc.error_name != LISTED_ERROR or not exc.args:
        return exc
    listed = bytes(exc.args[0])
    codes = {code for trade in trades for code in trade_signers(session, trade)}
    for code in sorted(codes):
        if party_id(code) == listed:
            public = listing_public(session=session, runtime=runtime, code=code)
            if public is not None:
                return listed_conflict(public)
    return Conflict(
        f"a party on the negative list (0x{listed.hex()}) signed this trade's documents",
        code="party_listed",
        extra={"partyId": "0x" + listed.hex()},
    )


def listed_conflict(listing: ListingPublic) -> Conflict:
    """The 409 that names a listing."""
    return Conflict(
        f"party {listing.party} is on the negative list until {listing.until.isoformat()}: "
        f"{listing.reason}",
        code="party_listed",
        field="party",
        extra={
            "party": listing.party,
            "reason": listing.reason,
            "until": listing.until.isoformat(),
            "listedBy": listing.listed_by,
        },
    )


def _after(session: Session, runtime: Runtime, code: str, result: TxResult) -> ListingPublic:
    listing = listing_public(session=session, runtime=runtime, code=code)
    if listing is None:  # a listing starting later that ended already cannot be; be explicit
        raise Conflict(f"the listing of {code} is not in force", code="not_listed")
    return listing.model_copy(update={"tx_hash": result.tx_hash})


def _chain_now(runtime: Runtime) -> int:
    return int(runtime.ledger().w3.eth.get_block("latest")["timestamp"])


def _time(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)

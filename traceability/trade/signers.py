"""Who may sign a trade document, and whose document a trade takes.

A party signs only documents that name it: without this rule a registered
payment company could sign an order in a platform's name. The service applies it
when a document arrives, and the offline verifier applies it again, so a bundle
cannot carry a document signed by a party the document does not name.

Naming itself is not enough to own a trade's slot: any payment company can sign a
payment naming itself as ``payCode`` and a victim's ``ebpCode``/``orderNo``. So a
trade takes, for each kind, the document of the party *the trade names in that
role* (:func:`choose_documents`):

* the trade key names its platform (``ebpCode``), so an order signed by the
  platform is the trade's order;
* the trade's order names the platform, the e-commerce company (``ebcCode``) and,
  on import, the payment company (``payCode``): they own the inventory and payment;
* the trade's inventory names the carrier (``logisticsCode``): it owns the waybill.

A document whose signer the trade names *another* party for, in every role it
signs in, is never taken, not even alone. Among the others, named ones first, the
one whose first version came first keeps the slot (where the naming document has
not arrived or leaves the role open), so a later document never displaces an
earlier one of a party the trade names. Every other document naming the trade is
a :class:`Rejected` conflict, with the reason, for customs to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from traceability.trade.models import TradeDocument, TradeKey
from traceability.trade.modes import DocumentKind

__all__ = [
    "SIGNER_FIELDS",
    "Choice",
    "Claim",
    "Rejected",
    "choose_documents",
    "names_signer",
    "signing_roles",
]

#: Which fields of each document kind may name the party that signs it.
SIGNER_FIELDS: Final = MappingProxyType(
    {
        DocumentKind.ORDER: ("ebpCode", "ebcCode"),
        DocumentKind.PAYMENT: ("payCode", "ebcCode", "ebpCode"),
        DocumentKind.WAYBILL: ("logisticsCode",),
        DocumentKind.INVENTORY: ("ebcCode", "ebpCode", "agentCode"),
    }
)

#: The order in which slots are chosen: each kind is judged by the documents chosen before
#: it (the order names the inventory's and payment's parties, the inventory the carrier).
_CHOICE_ORDER: Final = (
    DocumentKind.ORDER,
    DocumentKind.INVENTORY,
    DocumentKind.PAYMENT,
    DocumentKind.WAYBILL,
)
#: Which chosen document names the parties of each role (the trade key names ebpCode).
_NAMED_BY: Final = MappingProxyType(
    {
        DocumentKind.ORDER: (),
        DocumentKind.INVENTORY: ((DocumentKind.ORDER, ("ebcCode",)),),
        DocumentKind.PAYMENT: ((DocumentKind.ORDER, ("ebcCode", "payCode")),),
        DocumentKind.WAYBILL: ((DocumentKind.INVENTORY, ("logisticsCode",)),),
    }
)


def signing_roles(party_code: str, document: TradeDocument) -> tuple[str, ...]:
    """The signer fields of ``document`` that name ``party_code``: the roles it signs in."""
    return tuple(
        n for n in SIGNER_FIELDS[document.kind] if getattr(document, n, None) == party_code
    )


def names_signer(party_code: str, document: TradeDocument) -> bool:
    """Whether ``document`` names ``party_code`` in one of its signer fields."""
    return bool(signing_roles(party_code, document))


@dataclass(frozen=True)
class Claim:
    """A current document naming a trade, from ``signer``; ``rank`` orders first arrivals."""

    ref: str
    signer: str
    document: TradeDocument
    rank: int


@dataclass(frozen=True)
class Rejected:
    """A document naming the trade that the trade does not take, and why."""

    claim: Claim
    reason: str


@dataclass(frozen=True)
class Choice:
    """The document the trade takes for each kind, and the conflicting others."""

    accepted: Mapping[DocumentKind, Claim]
    rejected: tuple[Rejected, ...]


def choose_documents(key: TradeKey, claims: Iterable[Claim]) -> Choice:
    """For each kind, the claim of the party the trade names in that role (earliest first)."""
    by_kind: dict[DocumentKind, list[Claim]] = {kind: [] for kind in _CHOICE_ORDER}
    for claim in claims:
        by_kind[claim.document.kind].append(claim)
    accepted: dict[DocumentKind, Claim] = {}
    rejected: list[Rejected] = []
    for kind in _CHOICE_ORDER:
        named = _named_parties(key, kind, accepted)
        ranked = sorted(by_kind[kind], key=lambda c: (not _is_named(c, named), c.rank, c.ref))
        eligible = [c for c in ranked if _contradiction(c, named) is None]
        if eligible:
            accepted[kind] = eligible[0]
        chosen = accepted.get(kind)
        rejected.extend(Rejected(c, _reason(c, chosen, named)) for c in ranked if c is not chosen)
    return Choice(MappingProxyType(accepted), tuple(rejected))


#: Role → (party code, which document names it there).
_Named = Mapping[str, tuple[str, str]]


def _named_parties(
    key: TradeKey, kind: DocumentKind, accepted: Mapping[DocumentKind, Claim]
) -> dict[str, tuple[str, str]]:
    """Who the trade names in each role, for a document of ``kind``."""
    named = {"ebpCode": (key.ebpCode, "trade key")}
    for source, roles in _NAMED_BY[kind]:
        if source in accepted:
            for role in roles:
                if value := getattr(accepted[source].document, role, None):
                    named[role] = (value, f"{source.value} of {accepted[source].signer}")
    return named


def _is_named(claim: Claim, named: _Named) -> bool:
    roles = signing_roles(claim.signer, claim.document)
    return any(named[role][0] == claim.signer for role in roles if role in named)


def _contradiction(claim: Claim, named: _Named) -> str | None:
    """Why the trade cannot take ``claim`` at all: it names another party in every role
    the claim's signer signs in (None when one of those roles is the signer's or open)."""
    roles = signing_roles(claim.signer, claim.document)
    if any(role not in named or named[role][0] == claim.signer for role in roles):
        return None
    return "; ".join(
        f"{claim.signer} signs as {role}, but the trade's {named[role][1]} names "
        f"{named[role][0]} as {role}"
        for role in roles
    )


def _reason(claim: Claim, chosen: Claim | None, named: _Named) -> str:
    kind = claim.document.kind.value
    contradiction = _contradiction(claim, named)
    if contradiction is not None:
        return contradiction
    assert chosen is not None  # an eligible claim was passed over for an earlier one
    if chosen.signer == claim.signer:
        return f"an earlier {kind} of {claim.signer} for this trade is the trade's {kind}"
    if _is_named(chosen, named) and not _is_named(claim, named):
        return f"the trade's {kind} is {chosen.signer}'s, whom the trade names in its role"
    return f"the trade's {kind} is {chosen.signer}'s, which came first"

"""Who may sign a trade document: a party signs only documents that name it.

Without this rule a registered payment company could sign an order in a
platform's name. The service applies it when a document arrives, and the offline
verifier applies it again, so a bundle cannot carry a document signed by a party
the document does not name.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from traceability.trade.models import TradeDocument
from traceability.trade.modes import DocumentKind

__all__ = ["SIGNER_FIELDS", "names_signer"]

#: Which fields of each document kind may name the party that signs it.
SIGNER_FIELDS: Final = MappingProxyType(
    {
        DocumentKind.ORDER: ("ebpCode", "ebcCode"),
        DocumentKind.PAYMENT: ("payCode", "ebcCode", "ebpCode"),
        DocumentKind.WAYBILL: ("logisticsCode",),
        DocumentKind.INVENTORY: ("ebcCode", "ebpCode", "agentCode"),
    }
)


def names_signer(party_code: str, document: TradeDocument) -> bool:
    """Whether ``document`` names ``party_code`` in one of its signer fields."""
    return any(getattr(document, name, None) == party_code for name in SIGNER_FIELDS[document.kind])

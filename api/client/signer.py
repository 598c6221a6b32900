"""Signing documents: the schema check the server runs, then an envelope with a fresh salt.

:func:`traceability.signing.sign_envelope` does the work (RFC 8785 canonical bytes of
the payload, signed with the party's key); the signer adds what the pure domain leaves
to its callers: the clock, the randomness and the document check.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from api.client.errors import DocumentProblem, DocumentProblems
from api.client.keyfiles import load_signing_key
from traceability import DocType, SignedEnvelope, SigningKey, new_salt, sign_envelope
from traceability.trade import UnknownMessageType, message_type_of, parse_document

__all__ = ["TRADE_DOC_TYPES", "Signer", "check_document"]

#: The document types ``POST /documents`` takes, which the CEB schema covers.
TRADE_DOC_TYPES = frozenset({DocType.ORDER, DocType.PAYMENT, DocType.WAYBILL, DocType.INVENTORY})


def check_document(doc_type: str, document: Mapping[str, Any]) -> list[DocumentProblem]:
    """Every way ``document`` fails the schema the server checks for ``doc_type`` (none: [])."""
    try:
        parse_document(message_type_of(doc_type, document), dict(document))
    except UnknownMessageType:
        return [DocumentProblem("docType", f"{doc_type!r} is not a trade document type")]
    except ValidationError as exc:
        return [
            DocumentProblem(
                ".".join(["document", *(str(part) for part in error["loc"])]), error["msg"]
            )
            for error in exc.errors()
        ]
    return []


class Signer:
    """Signs documents for one party with one registered key."""

    def __init__(
        self,
        key: SigningKey | str | os.PathLike[str],
        *,
        party: str,
        key_id: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``key`` is a :class:`~traceability.SigningKey` or a PEM key file to load."""
        self.key = key if isinstance(key, SigningKey) else load_signing_key(key)
        self.party = party
        self.key_id = key_id
        self._clock = clock or (lambda: datetime.now(UTC))

    def sign(
        self, document: Mapping[str, Any], doc_type: DocType | str, *, check: bool = True
    ) -> SignedEnvelope:
        """The signed envelope of ``document``, issued now with a fresh salt.

        Trade documents are first checked as the server checks them; one that fails
        raises :class:`~api.client.DocumentProblems` listing every problem (``check``
        off signs regardless, for tests of the server's refusals).
        """
        doc_type = DocType(doc_type)
        if check and doc_type in TRADE_DOC_TYPES:
            problems = check_document(doc_type.value, document)
            if problems:
                raise DocumentProblems(problems)
        return sign_envelope(
            document,
            doc_type=doc_type,
            party=self.party,
            key_id=self.key_id,
            signing_key=self.key,
            salt=new_salt(),
            issued_at=self._clock(),
        )

"""Every exception's machine ``reason``: the wire code the API and the CLI answer with."""

from __future__ import annotations

import pytest

from traceability import errors
from traceability.ceb import errors as ceb
from traceability.epcis import errors as epcis
from traceability.gs1 import errors as gs1
from traceability.trade import errors as trade

REASONS: dict[str, type[errors.TraceabilityError]] = {
    "traceability_error": errors.TraceabilityError,
    "invalid_document": errors.InvalidDocument,
    "not_canonicalizable": errors.NotCanonicalizable,
    "invalid_key": errors.InvalidKey,
    "invalid_merkle_input": errors.InvalidMerkleInput,
    "duplicate_leaf": errors.DuplicateLeaf,
    "leaf_not_in_tree": errors.LeafNotInTree,
    "envelope_rejected": errors.EnvelopeRejected,
    "malformed_envelope": errors.MalformedEnvelope,
    "unknown_key": errors.UnknownKey,
    "unknown_party": errors.UnknownParty,
    "key_party_mismatch": errors.KeyPartyMismatch,
    "key_revoked": errors.KeyRevoked,
    "key_not_yet_valid": errors.KeyNotYetValid,
    "alg_mismatch": errors.AlgorithmMismatch,
    "bad_signature": errors.SignatureInvalid,
    "role_not_allowed": errors.RoleNotAllowed,
    "issued_in_future": errors.IssuedInFuture,
    "replayed_envelope": errors.ReplayedEnvelope,
    "invalid_identifier": gs1.InvalidIdentifier,
    "invalid_digital_link": gs1.InvalidDigitalLink,
    "unsupported_compression": gs1.UnsupportedCompression,
    "invalid_epc_uri": gs1.InvalidEpcUri,
    "ceb_invalid": ceb.CebError,
    "unsafe_xml": ceb.UnsafeXml,
    "document_too_large": ceb.DocumentTooLarge,
    "doctype_forbidden": ceb.ForbiddenDoctype,
    "entity_forbidden": ceb.ForbiddenEntity,
    "external_reference_forbidden": ceb.ForbiddenExternalReference,
    "malformed_xml": ceb.MalformedXml,
    "unknown_message": ceb.UnknownMessage,
    "wrong_namespace": ceb.WrongNamespace,
    "schema_violation": ceb.SchemaViolation,
    "invalid_summary": ceb.InvalidSummary,
    "unknown_message_type": trade.UnknownMessageType,
    "invalid_trade_key": trade.InvalidTradeKey,
    "inconsistent_trade": trade.InconsistentTrade,
    "invalid_event": epcis.InvalidEvent,
}


@pytest.mark.parametrize(("reason", "error"), REASONS.items(), ids=list(REASONS))
def test_error_reason_is_stable(reason: str, error: type[errors.TraceabilityError]) -> None:
    assert error.reason == reason


def test_error_reason_passed_by_caller_wins() -> None:
    assert errors.InvalidKey("bad", reason="custom").reason == "custom"

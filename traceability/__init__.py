"""Pure domain of sandan: canonical JSON, signed envelopes, Merkle trees, trade and trace models.

Nothing here touches the network, files, a database or the clock; callers pass
``now`` and randomness in.
"""

from traceability.canonical import canonical_json, content_hash, sha256_hex
from traceability.errors import (
    AlgorithmMismatch,
    DuplicateLeaf,
    EnvelopeRejected,
    InvalidDocument,
    InvalidKey,
    InvalidMerkleInput,
    IssuedInFuture,
    KeyNotYetValid,
    KeyPartyMismatch,
    KeyRevoked,
    LeafNotInTree,
    MalformedEnvelope,
    NotCanonicalizable,
    ReplayedEnvelope,
    RoleNotAllowed,
    SignatureInvalid,
    TraceabilityError,
    UnknownKey,
)
from traceability.merkle import MerkleTree

__all__ = [
    "AlgorithmMismatch",
    "DuplicateLeaf",
    "EnvelopeRejected",
    "InvalidDocument",
    "InvalidKey",
    "InvalidMerkleInput",
    "IssuedInFuture",
    "KeyNotYetValid",
    "KeyPartyMismatch",
    "KeyRevoked",
    "LeafNotInTree",
    "MalformedEnvelope",
    "MerkleTree",
    "NotCanonicalizable",
    "ReplayedEnvelope",
    "RoleNotAllowed",
    "SignatureInvalid",
    "TraceabilityError",
    "UnknownKey",
    "canonical_json",
    "content_hash",
    "sha256_hex",
]

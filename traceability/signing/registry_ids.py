"""How parties, keys and roles are named on chain, in the PartyRegistry contract.

The contract stores hashes, so any verifier (Python, the browser page, a bank's
own tool) derives the same 32-byte ids from what a document names:

* party id = ``keccak256(utf8(party code))``;
* key hash = ``keccak256(utf8(key id))``;
* public key hash = ``keccak256(utf8(public key text as registered))``;
* role bit = ``1 << index`` in :class:`~traceability.signing.parties.Role`'s order;
* algorithm code = index in :data:`ALGORITHM_CODES`, 0 meaning none.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Final

from Crypto.Hash import keccak

from traceability.signing.algorithms import Algorithm
from traceability.signing.parties import SIGNABLE_DOC_TYPES, DocType, Role

__all__ = [
    "ALGORITHM_CODES",
    "ROLE_INDEX",
    "algorithm_code",
    "is_valid_uscc",
    "key_hash",
    "party_id",
    "public_key_hash",
    "role_mask",
    "roles_of_mask",
    "signer_mask",
]


def _keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


#: The contract's ``KeyAlgorithm`` codes (0 is "none": an unregistered key).
ALGORITHM_CODES: Final = MappingProxyType(
    {Algorithm.ED25519: 1, Algorithm.ES256: 2, Algorithm.ES256K: 3, Algorithm.SM2: 4}
)
#: The contract's role index of each role (bit ``1 << index`` of a role mask).
ROLE_INDEX: Final = MappingProxyType({role: index for index, role in enumerate(Role)})


def party_id(code: str) -> bytes:
    """The on-chain id of party ``code``."""
    return _keccak256(code.encode("utf-8"))


def key_hash(key_id: str) -> bytes:
    """The on-chain id of key ``key_id``."""
    return _keccak256(key_id.encode("utf-8"))


def public_key_hash(public_key: str) -> bytes:
    """The hash the registry keeps of a public key, from its registered text."""
    return _keccak256(public_key.encode("utf-8"))


def algorithm_code(alg: Algorithm | str) -> int:
    """The contract's code of ``alg``."""
    return ALGORITHM_CODES[Algorithm(alg)]


def role_mask(roles: Iterable[Role | str]) -> int:
    """The bit mask of ``roles``."""
    mask = 0
    for role in roles:
        mask |= 1 << ROLE_INDEX[Role(role)]
    return mask


def roles_of_mask(mask: int) -> frozenset[Role]:
    """The roles whose bits are set in ``mask``."""
    return frozenset(role for role, index in ROLE_INDEX.items() if mask >> index & 1)


def signer_mask(doc_type: DocType | str) -> int:
    """The mask of every role allowed to sign ``doc_type``."""
    wanted = DocType(doc_type)
    return role_mask(role for role, types in SIGNABLE_DOC_TYPES.items() if wanted in types)


#: GB 32100-2015: the 31 characters of a unified social credit code, by value.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def is_valid_uscc(code: str) -> bool:
    """Whether ``code`` is a unified social credit code (统一社会信用代码) with a right check
    character: 18 characters, the last being 31 - (Σ value × weight mod 31), mod 31."""
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code, _USCC_WEIGHTS, strict=False))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[-1]

"""Customs' standing release policies (graded release): typed data, signing and the facts
a policy release states for each trade.

Customs signs an EIP-712 ``ReleasePolicy`` with its own key (``sandan authorize policy``, a
wallet, an HSM): which risk grades and customs modes, up to what customs value, for which
period. Anyone brings it on chain (:meth:`TradeRegistryClient.adopt_release_policy`); the
anchorer then releases matched trades under it
(:meth:`TradeRegistryClient.release_trades_under_policy`), stating each trade's grade, mode
and value (:class:`Decision`, 8 bytes of facts) and committing the ordered Merkle root of
:func:`decision_leaf` leaves, which add the hash of each grade's inputs. The contract
refuses any trade outside the policy and emits the hash of the facts it checked beside the
root, so each automatic release can be re-checked against what it was decided from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.crypto import keccak

from ledger_client import _convert
from ledger_client._convert import Bytes32Like, bytes32
from ledger_client.authorization import AUTHORIZATION_TYPES, DOMAIN_NAME, DOMAIN_VERSION
from ledger_client.errors import ConfigurationError
from ledger_client.types import Address, Bytes32

__all__ = [
    "GRADE_CODES",
    "MODE_CODES",
    "RELEASE_POLICY_TYPES",
    "Decision",
    "PolicyRelease",
    "PolicyView",
    "ReleasePolicy",
    "decision_facts",
    "decision_leaf",
    "decision_leaves",
    "grades_of_mask",
    "modes_of_mask",
    "release_policy_typed_data",
]

#: A grade's code in a decision fact; a policy's ``grades`` has bit ``1 << code`` set per grade.
GRADE_CODES: Final[Mapping[str, int]] = {"low": 0, "medium": 1, "high": 2}
#: A customs mode's code in a decision fact, and its bit in a policy's ``modes``.
MODE_CODES: Final[Mapping[str, int]] = {"9610": 0, "9710": 1, "9810": 2, "1210": 3}
#: The grades a policy may name: high-risk trades are never released under one.
POLICY_GRADES: Final = ("low", "medium")
_UINT48_MAX = 2**48 - 1

RELEASE_POLICY_TYPES: Final[Mapping[str, tuple[Mapping[str, str], ...]]] = {
    "EIP712Domain": AUTHORIZATION_TYPES["EIP712Domain"],
    "ReleasePolicy": (
        {"name": "grades", "type": "uint8"},
        {"name": "modes", "type": "uint8"},
        {"name": "maxValue", "type": "uint64"},
        {"name": "validFrom", "type": "uint64"},
        {"name": "validUntil", "type": "uint64"},
        {"name": "salt", "type": "bytes32"},
    ),
}


@dataclass(frozen=True)
class ReleasePolicy:
    """What customs signs: release matched trades of these ``grades`` and ``modes`` whose
    customs value is at most ``max_value`` fen, while ``valid_from <= t < valid_until``
    (block timestamps, seconds). ``salt`` tells apart two policies with the same terms."""

    grades: frozenset[str]
    modes: frozenset[str]
    max_value: int
    valid_from: int
    valid_until: int
    salt: bytes = bytes(32)

    def __post_init__(self) -> None:
        unknown = set(self.grades) - set(POLICY_GRADES)
        if not self.grades or unknown:
            raise ConfigurationError(
                f"a policy's grades are low and/or medium, got {sorted(self.grades)}"
            )
        if not self.modes or set(self.modes) - set(MODE_CODES):
            raise ConfigurationError(
                f"a policy's modes are among {', '.join(MODE_CODES)}, got {sorted(self.modes)}"
            )
        for name in ("max_value", "valid_from", "valid_until"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**64:
                raise ConfigurationError(f"{name} must be a uint64, got {value!r}")
        object.__setattr__(self, "salt", bytes32(self.salt, "salt"))

    @property
    def grades_mask(self) -> int:
        return sum(1 << GRADE_CODES[g] for g in self.grades)

    @property
    def modes_mask(self) -> int:
        return sum(1 << MODE_CODES[m] for m in self.modes)

    def as_arg(self) -> tuple[Any, ...]:
        """The ``ReleasePolicy`` struct as a contract call argument."""
        return (
            self.grades_mask,
            self.modes_mask,
            self.max_value,
            self.valid_from,
            self.valid_until,
            self.salt,
        )

    def message(self) -> dict[str, Any]:
        """The EIP-712 message (field names as the contract's type)."""
        return {
            "grades": self.grades_mask,
            "modes": self.modes_mask,
            "maxValue": self.max_value,
            "validFrom": self.valid_from,
            "validUntil": self.valid_until,
            "salt": "0x" + self.salt.hex(),
        }


def grades_of_mask(mask: int) -> frozenset[str]:
    return frozenset(g for g, code in GRADE_CODES.items() if mask >> code & 1)


def modes_of_mask(mask: int) -> frozenset[str]:
    return frozenset(m for m, code in MODE_CODES.items() if mask >> code & 1)


def release_policy_typed_data(
    policy: ReleasePolicy, chain_id: int, verifying_contract: str
) -> dict[str, Any]:
    """The full EIP-712 JSON of ``policy``, as ``eth_signTypedData_v4`` takes it; sign it with
    :func:`ledger_client.sign_authorization` (any typed data)."""
    if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 0:
        raise ConfigurationError(f"chain_id must be a uint256, got {chain_id!r}")
    return {
        "types": {
            name: [dict(field) for field in fields] for name, fields in RELEASE_POLICY_TYPES.items()
        },
        "primaryType": "ReleasePolicy",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": _convert.address(verifying_contract, "verifying_contract"),
        },
        "message": policy.message(),
    }


@dataclass(frozen=True)
class Decision:
    """What a policy release states for one trade: its grade, customs mode and customs value
    (fen), and the hash of the inputs the grade was computed from."""

    grade: str
    mode: str
    value: int
    inputs_hash: Bytes32Like

    def fact(self) -> bytes:
        """The 8 bytes the contract reads: grade, mode, value (uint48), big-endian."""
        if self.grade not in GRADE_CODES:
            raise ConfigurationError(f"unknown grade {self.grade!r}")
        if self.mode not in MODE_CODES:
            raise ConfigurationError(f"unknown customs mode {self.mode!r}")
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise ConfigurationError(f"value must be an integer of fen, got {self.value!r}")
        if not 0 <= self.value <= _UINT48_MAX:
            raise ConfigurationError(f"value must fit 48 bits of fen, got {self.value!r}")
        return bytes([GRADE_CODES[self.grade], MODE_CODES[self.mode]]) + self.value.to_bytes(
            6, "big"
        )


def decision_leaf(batch: int, position: int, decision: Decision) -> Bytes32:
    """The contract's ``decisionLeaf``, of which the anchorer builds the ordered Merkle tree
    whose root a policy release commits: OpenZeppelin's StandardMerkleTree leaf of
    ``(uint64 batch, uint32 position, uint8 grade, uint8 mode, uint48 value, bytes32
    inputsHash)``."""
    fact = decision.fact()
    words = [batch, position, fact[0], fact[1], int.from_bytes(fact[2:], "big")]
    encoded = b"".join(w.to_bytes(32, "big") for w in words)
    encoded += bytes32(decision.inputs_hash, "inputs_hash")
    return Bytes32(keccak(keccak(encoded)))


def decision_facts(decisions: Mapping[int, Decision]) -> bytes:
    """The facts a policy release passes (8 bytes a position, in position order): the
    ``factsHash`` of its event is their ``keccak256``."""
    return b"".join(decisions[p].fact() for p in sorted(decisions))


def decision_leaves(batch: int, decisions: Mapping[int, Decision]) -> list[Bytes32]:
    """The leaves of ``{position: decision}``, in position order (the tree's order)."""
    return [decision_leaf(batch, p, decisions[p]) for p in sorted(decisions)]


@dataclass(frozen=True)
class PolicyView:
    """An adopted policy as the chain holds it; ``in_force``: adopted, not revoked, in its
    period and its signer still customs, at the block read."""

    policy_id: Bytes32
    signer: Address
    grades: frozenset[str]
    modes: frozenset[str]
    valid_from: int
    max_value: int
    valid_until: int
    revoked: bool
    in_force: bool


@dataclass(frozen=True)
class PolicyRelease:
    """One release under a policy, found by its decisions root; ``block_number`` 0: none."""

    decisions_root: Bytes32
    verdict_batch: int
    block_number: int
    count: int
    facts_hash: Bytes32

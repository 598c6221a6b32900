"""The registries a lot is checked against, read over plain JSON-RPC (no web3).

:func:`~api.verify.lot.verify_lot` asks one question at a time; a node is best
asked everything at once. On the first question, :class:`RpcLotChain` sends in
one JSON-RPC batch every ``verifyEvent`` and ``signerAt`` call the checks of the
lot's material will make (:func:`planned_calls`), and answers the checks from it.
A question the plan missed is asked on its own, so the plan only ever costs round
trips, never correctness. Nothing is asked before the first question: the checks
ask nothing of registries the verifier does not trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi.exceptions import DecodingError

from api.verify.lot import RegistryRefused
from api.verify.rpc import Call, JsonRpc, RpcError, contract_abi
from traceability.signing.registry_ids import key_hash

#: A ``verifyEvent`` question: the leaf and its proof.
EventQuestion = tuple[bytes, tuple[bytes, ...]]
#: A ``signerAt`` question: the key hash and the block.
SignerQuestion = tuple[bytes, int]


@dataclass(frozen=True)
class EventAnswer:
    """``TraceRegistry.verifyEvent``'s answer (the fields a lot's check reads)."""

    anchored: bool
    root: bytes
    block_number: int
    recalled: bool
    lot_id: bytes


@dataclass(frozen=True)
class SignerAnswer:
    """``PartyRegistry.signerAt``'s answer."""

    party_id: bytes
    alg: int
    public_key_hash: bytes
    valid_from_block: int
    revoked_from_block: int
    roles_at_block: int


def planned_calls(material: Mapping[str, Any]) -> tuple[list[EventQuestion], list[SignerQuestion]]:
    """The chain questions checking ``material`` asks when its claims hold (best effort)."""
    events: list[EventQuestion] = []
    signers: list[SignerQuestion] = []
    envelopes = material.get("envelopes") or {}
    for entry in material.get("events") or []:
        anchor = entry.get("anchor")
        try:
            leaf = bytes.fromhex(str(entry["eventHash"]))
            proof = tuple(bytes.fromhex(str(p).removeprefix("0x")) for p in anchor["proof"])
            block = int(anchor["blockNumber"])
        except (KeyError, TypeError, ValueError):
            continue  # the check reports it; there is nothing worth asking
        events.append((leaf, proof))
        key_id = _key_id(envelopes.get(entry.get("envelopeHash")))
        if key_id is not None:
            signers.append((key_hash(key_id), block))
    return events, signers


def _key_id(signed: Any) -> str | None:
    key = signed.get("publicKey") if isinstance(signed, dict) else None
    found = key.get("keyId") if isinstance(key, dict) else None
    return found if isinstance(found, str) else None


class RpcLotChain:
    """A :class:`~api.verify.lot.LotChain` on a TraceRegistry and a PartyRegistry, by JSON-RPC."""

    def __init__(
        self,
        rpc: JsonRpc,
        *,
        trace_registry: str,
        party_registry: str,
        material: Mapping[str, Any] | None = None,
    ) -> None:
        self._rpc = rpc
        self._trace = trace_registry
        self._party = party_registry
        self._plan = material
        self._events: dict[EventQuestion, Any] = {}
        self._signers: dict[SignerQuestion, Any] = {}

    def _prefetch(self) -> None:
        """Ask every planned question of the material in one batch (once).

        A registry error in the batch leaves the answers unfetched: each question is
        then asked on its own, so the refusal is reported against the check it concerns.
        """
        if self._plan is None:
            return
        events, signers = planned_calls(self._plan)
        self._plan = None
        events, signers = list(dict.fromkeys(events)), list(dict.fromkeys(signers))
        calls = [self._event_call(q) for q in events] + [self._signer_call(q) for q in signers]
        try:
            answers = self._rpc.batch(calls)
        except RpcError:
            return
        self._events.update(zip(events, answers[: len(events)], strict=True))
        self._signers.update(zip(signers, answers[len(events) :], strict=True))

    def verify_event(self, event_hash: bytes, proof: Sequence[bytes]) -> EventAnswer:
        """``TraceRegistry.verifyEvent(eventHash, proof)``."""
        question = (event_hash, tuple(proof))
        raw = self._answer(self._events, question, self._event_call(question))
        found = _decode(contract_abi("TraceRegistry"), "verifyEvent", raw)
        return EventAnswer(
            bool(found["anchored"]),
            bytes(found["root"]),
            int(found["blockNumber"]),
            bool(found["recalled"]),
            bytes(found["lotId"]),
        )

    def signer_at(self, key_hash: bytes, block_number: int) -> SignerAnswer:
        """``PartyRegistry.signerAt(keyHash, blockNumber)``."""
        question = (key_hash, block_number)
        raw = self._answer(self._signers, question, self._signer_call(question))
        found = _decode(contract_abi("PartyRegistry"), "signerAt", raw)
        return SignerAnswer(
            bytes(found["partyId"]),
            int(found["alg"]),
            bytes(found["publicKeyHash"]),
            int(found["validFromBlock"]),
            int(found["revokedFromBlock"]),
            int(found["rolesAtBlock"]),
        )

    def _answer(self, known: dict[Any, Any], question: Any, call: Call) -> Any:
        self._prefetch()
        if question not in known:
            try:
                known[question] = self._rpc.batch([call])[0]
            except RpcError as exc:
                raise RegistryRefused(str(exc)) from exc
        return known[question]

    def _event_call(self, question: EventQuestion) -> Call:
        leaf, proof = question
        return contract_abi("TraceRegistry").call(self._trace, "verifyEvent", leaf, list(proof))

    def _signer_call(self, question: SignerQuestion) -> Call:
        key, block = question
        return contract_abi("PartyRegistry").call(self._party, "signerAt", key, block)


def _decode(abi: Any, function: str, raw: Any) -> Any:
    try:
        return abi.decode(function, raw)
    except (DecodingError, ValueError, TypeError) as exc:
        # "0x" from an address with no code lands here: that registry is not what it claims.
        raise RegistryRefused(f"{abi.name}.{function} gave {str(raw)[:80]!r}: {exc}") from exc

"""The registries a lot is checked against, read over plain JSON-RPC (no web3).

:func:`~api.verify.lot.verify_lot` asks one question at a time; a node is best
asked everything at once. On the first question, :class:`RpcLotChain` sends in
one JSON-RPC batch every ``verifyEvent``, ``signerAt`` and receipt request the
checks of the lot's material will make (:func:`planned_calls`), and answers the
checks from it.
A question the plan missed is asked on its own, so the plan only ever costs round
trips, never correctness. Nothing is asked before the first question: the checks
ask nothing of registries the verifier does not trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.verify.lot_report import RegistryRefused
from api.verify.rpc import Call, JsonRpc, RpcError, contract_abi
from traceability.signing.registry_ids import key_hash

#: A ``verifyEvent`` question: the leaf and its proof.
EventQuestion = tuple[bytes, tuple[bytes, ...]]
#: A ``signerAt`` question: the key hash and the block.
SignerQuestion = tuple[bytes, int]
#: The calls a lot's checks make: verifyEvent, signerAt and receipt questions.
Plan = tuple[list[EventQuestion], list[SignerQuestion], list[str]]


@dataclass(frozen=True)
class EventAnswer:
    """``TraceRegistry.verifyEvent``'s answer (the fields a lot's check reads)."""

    anchored: bool
    root: bytes
    block_number: int
    recalled: bool
    lot_id: bytes


@dataclass(frozen=True)
class TransactionAnswer:
    """A receipt: whether it succeeded, its block, the TraceRegistry's LotBatchAnchored events."""

    succeeded: bool
    block_number: int
    batches: tuple[tuple[bytes, bytes, bytes], ...]  # (lotId, root, batchId)


@dataclass(frozen=True)
class SignerAnswer:
    """``PartyRegistry.signerAt``'s answer."""

    party_id: bytes
    alg: int
    public_key_hash: bytes
    valid_from_block: int
    revoked_from_block: int
    roles_at_block: int


def planned_calls(material: Mapping[str, Any]) -> Plan:
    """The chain questions checking ``material`` asks when its claims hold (best effort)."""
    events: list[EventQuestion] = []
    signers: list[SignerQuestion] = []
    receipts: list[str] = []
    envelopes = material.get("envelopes") or {}
    for entry in material.get("events") or []:
        anchor = entry.get("anchor")
        try:
            leaf = bytes.fromhex(str(entry["eventHash"]))
            proof = tuple(bytes.fromhex(str(p).removeprefix("0x")) for p in anchor["proof"])
            block = int(anchor["blockNumber"])
            tx_hash = str(anchor["txHash"])
        except (KeyError, TypeError, ValueError):
            continue  # the check reports it; there is nothing worth asking
        events.append((leaf, proof))
        receipts.append(tx_hash)
        key_id = _key_id(envelopes.get(entry.get("envelopeHash")))
        if key_id is not None:
            signers.append((key_hash(key_id), block))
    return events, signers, receipts


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
        self._receipts: dict[str, Any] = {}

    def _prefetch(self) -> None:
        """Ask every planned question of the material in one batch (once).

        A registry error in the batch leaves the answers unfetched: each question is
        then asked on its own, so the refusal is reported against the check it concerns.
        """
        if self._plan is None:
            return
        planned_events, planned_signers, planned_receipts = planned_calls(self._plan)
        self._plan = None
        events = list(dict.fromkeys(planned_events))
        signers = list(dict.fromkeys(planned_signers))
        receipts = list(dict.fromkeys(h.lower() for h in planned_receipts))
        calls = [self._event_call(q) for q in events] + [self._signer_call(q) for q in signers]
        calls += [_receipt_call(h) for h in receipts]
        try:
            answers = iter(self._rpc.batch(calls))
        except RpcError:
            return
        self._events.update((q, next(answers)) for q in events)
        self._signers.update((q, next(answers)) for q in signers)
        self._receipts.update((h, next(answers)) for h in receipts)

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

    def anchor_transaction(self, tx_hash: str) -> TransactionAnswer | None:
        """The receipt of ``tx_hash`` with the TraceRegistry's ``LotBatchAnchored`` events."""
        receipt = self._answer(self._receipts, tx_hash.lower(), _receipt_call(tx_hash))
        if not isinstance(receipt, dict):
            return None
        try:
            return _transaction(receipt, self._trace)
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryRefused(f"an unreadable receipt of {tx_hash}: {exc}") from exc

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


def _receipt_call(tx_hash: str) -> Call:
    return Call("eth_getTransactionReceipt", [tx_hash])


def _transaction(receipt: Mapping[str, Any], registry: str) -> TransactionAnswer:
    topic = contract_abi("TraceRegistry").topic("LotBatchAnchored")
    batches = tuple(
        (_word(topics[1]), _word(topics[2]), _word(topics[3]))
        for log in receipt.get("logs") or []
        if str(log.get("address", "")).lower() == registry.lower()
        and len(topics := [str(t).lower() for t in log.get("topics") or []]) == 4
        and topics[0] == topic
    )
    status = int(str(receipt.get("status", "0x0")), 16)
    return TransactionAnswer(status == 1, int(str(receipt["blockNumber"]), 16), batches)


def _word(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def _decode(abi: Any, function: str, raw: Any) -> Any:
    try:
        return abi.decode(function, raw)
    except (ValueError, TypeError) as exc:
        # "0x" from an address with no code lands here: that registry is not what it claims.
        raise RegistryRefused(f"{abi.name}.{function} gave {str(raw)[:80]!r}: {exc}") from exc

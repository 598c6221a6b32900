"""A bundle's verdict, release, settlement and financing, checked against TradeRegistry v2.

A trade's on-chain record is a position in a verdict batch. The bundle names it (batch,
position) with the values of its verdict leaf and the proof to the batch's root; one
``verifyVerdict`` call checks that leaf against the root the registry built itself and
answers the position's state and open financing, and one ``verifySettlement`` call checks
the settlement reference's leaf against its settlement's root. Each step's receipt must
hold the registry's event of that step, decoded with the ABI, naming the verdict batch
(an indexed topic) and a mask that includes the position: a receipt of another batch, or
of other positions of this one, vouches for other trades, not this one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.verify.bundle_report import Report, UnusableBundle, hex32, mapping, uint
from api.verify.rpc import Call, contract_abi
from ledger_client.types import TradeState

__all__ = [
    "TradeClaims",
    "Transaction",
    "check_trade",
    "check_transaction",
    "plan_trade_calls",
    "read_claims",
]


@dataclass(frozen=True)
class Transaction:
    """A transaction the bundle claims, and the registry event it must hold."""

    name: str
    tx_hash: str
    block: int
    event: str


@dataclass(frozen=True)
class VerdictClaim:
    """The bundle's verdict leaf (batch, position, verdict hash, matched) and its proof."""

    batch: int
    position: int
    verdict_hash: bytes
    matched: bool
    root: bytes
    proof: tuple[bytes, ...]
    tx: Transaction


@dataclass(frozen=True)
class SettlementClaim:
    """The settlement the bundle names: its number, the reference and the leaf's proof."""

    settlement_id: int
    ref: bytes
    proof: tuple[bytes, ...]
    tx: Transaction


@dataclass(frozen=True)
class FinancingClaim:
    """The financing the bundle names: its number and the terms it was registered on."""

    financing_id: int
    terms: bytes
    tx: Transaction


@dataclass(frozen=True)
class TradeClaims:
    """What the bundle says happened to the trade on chain."""

    verdict: VerdictClaim
    release: Transaction | None
    settlement: SettlementClaim | None
    financing: FinancingClaim | None

    def wanted(self, name: str) -> dict[str, Any]:
        """The indexed arguments the event of transaction ``name`` must have: the verdict
        batch (and root, settlement or financing) the bundle names."""
        batch = self.verdict.batch
        if name == "verdict":
            return {"batch": batch, "root": self.verdict.root}
        if name == "settlement" and self.settlement is not None:
            return {"settlementId": self.settlement.settlement_id, "batch": batch}
        if name == "financing" and self.financing is not None:
            return {"financingId": self.financing.financing_id, "batch": batch}
        return {"batch": batch}

    @property
    def transactions(self) -> list[Transaction]:
        """The claimed transactions, verdict first."""
        steps = [self.release, self.settlement, self.financing]
        return [self.verdict.tx] + [s if isinstance(s, Transaction) else s.tx for s in steps if s]


@dataclass
class TradePlan:
    """Where the trade's calls sit in the verifier's JSON-RPC batch."""

    verdict: int
    settlement: int | None
    receipts: dict[str, int] = field(default_factory=dict)


# --- reading the bundle's claims -----------------------------------------------------------


def transaction(entry: Mapping[str, Any], where: str, event: str) -> Transaction:
    """The ``txHash`` and ``blockNumber`` of a bundle section, and the event it must hold."""
    tx_hash = "0x" + hex32(entry.get("txHash"), f"{where}.txHash").hex()
    return Transaction(
        where, tx_hash, uint(entry.get("blockNumber"), f"{where}.blockNumber"), event
    )


def _proof(entry: Mapping[str, Any], where: str) -> tuple[bytes, ...]:
    items = entry.get("proof")
    if not isinstance(items, list):
        raise UnusableBundle(f"{where}.proof: expected a list")
    return tuple(hex32(p, f"{where}.proof[{i}]") for i, p in enumerate(items))


def read_claims(data: Mapping[str, Any]) -> TradeClaims:
    """The verdict, release, settlement and financing sections of a ``sandan-bundle/4``."""
    entry = mapping(data.get("verdict"), "verdict")
    matched = entry.get("matched")
    if not isinstance(matched, bool):
        raise UnusableBundle(f"verdict.matched: expected true or false, found {matched!r}")
    verdict = VerdictClaim(
        batch=uint(entry.get("batch"), "verdict.batch"),
        position=uint(entry.get("position"), "verdict.position", 32),
        verdict_hash=hex32(entry.get("verdictHash"), "verdict.verdictHash"),
        matched=matched,
        root=hex32(entry.get("root"), "verdict.root"),
        proof=_proof(entry, "verdict"),
        tx=transaction(entry, "verdict", "VerdictBatchRecorded"),
    )
    release = data.get("release")
    settlement = data.get("settlement")
    financing = data.get("financing")
    return TradeClaims(
        verdict,
        None
        if release is None
        else transaction(mapping(release, "release"), "release", "TradesReleased"),
        None if settlement is None else _settlement(mapping(settlement, "settlement")),
        None if financing is None else _financing(mapping(financing, "financing")),
    )


def _settlement(entry: Mapping[str, Any]) -> SettlementClaim:
    return SettlementClaim(
        settlement_id=uint(entry.get("settlementId"), "settlement.settlementId", 32),
        ref=hex32(entry.get("settlementRef"), "settlement.settlementRef"),
        proof=_proof(entry, "settlement"),
        tx=transaction(entry, "settlement", "SettlementsConfirmed"),
    )


def _financing(entry: Mapping[str, Any]) -> FinancingClaim:
    return FinancingClaim(
        financing_id=uint(entry.get("financingId"), "financing.financingId", 32),
        terms=hex32(entry.get("termsHash"), "financing.termsHash"),
        tx=transaction(entry, "financing", "FinancingRegistered"),
    )


def plan_trade_calls(
    claims: TradeClaims, registry: str, trade_id: bytes, calls: list[Call]
) -> TradePlan:
    """Append the trade's calls to ``calls``: ``verifyVerdict`` of the bundle's leaf (with
    the trade id the verifier recomputed), ``verifySettlement`` when settled, receipts."""
    abi = contract_abi("TradeRegistry")
    v = claims.verdict
    leaf = (v.batch, v.position, trade_id, v.verdict_hash, v.matched)
    plan = TradePlan(len(calls), None)
    calls.append(abi.call(registry, "verifyVerdict", leaf, list(v.proof)))
    if claims.settlement is not None:
        s = claims.settlement
        plan.settlement = len(calls)
        calls.append(
            abi.call(
                registry, "verifySettlement", s.settlement_id, v.position, s.ref, list(s.proof)
            )
        )
    for tx in claims.transactions:
        plan.receipts[tx.name] = len(calls)
        calls.append(Call("eth_getTransactionReceipt", [tx.tx_hash]))
    return plan


# --- receipts -----------------------------------------------------------------------------


def _events(receipt: Mapping[str, Any], registry: str, event: str) -> list[dict[str, Any]]:
    """The decoded ``event`` logs that ``registry`` emitted in ``receipt``."""
    abi = contract_abi("TradeRegistry")
    found = []
    for log in receipt.get("logs") or []:
        if isinstance(log, dict) and str(log.get("address", "")).lower() == registry:
            decoded = abi.decode_log(event, log)
            if decoded is not None:
                found.append(decoded)
    return found


def check_transaction(
    tx: Transaction,
    receipt: Any,
    registry: str,
    report: Report,
    wanted: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """ "<name> transaction": mined with success in the claimed block, holding the registry's
    event with the ``wanted`` arguments. Returns every such event of the registry in a mined
    transaction (whatever its arguments: the step's check says what they name), else none."""
    name = f"{tx.name} transaction"
    wanted = wanted or {}
    expected = f"{tx.event} from {registry} in block {tx.block}, tx {tx.tx_hash}" + "".join(
        f", {k} {v.hex() if isinstance(v, bytes) else v}" for k, v in wanted.items()
    )
    if not isinstance(receipt, dict):
        report.add(name, False, "", expected=expected, found="no such transaction on this chain")
        return []
    block = int(str(receipt.get("blockNumber", "0x0")), 16)
    mined = receipt.get("status") == "0x1" and block == tx.block
    events = _events(receipt, registry, tx.event) if mined else []
    if receipt.get("status") != "0x1":
        found = "a failed transaction"
    elif block != tx.block:
        found = f"block {block}"
    else:
        found = f"no {tx.event} with these values" if events else f"no {tx.event} of this registry"
    ok = any(all(e.get(k) == v for k, v in wanted.items()) for e in events)
    report.add(name, ok, f"{tx.event} in block {tx.block}", expected=expected, found=found)
    return events


def _in_mask(mask: Sequence[int], position: int) -> bool:
    """Whether bit ``position % 256`` of word ``position // 256`` is set."""
    word, bit = divmod(position, 256)
    return word < len(mask) and bool(mask[word] >> bit & 1)


def _selections(event: str, events: list[dict[str, Any]], position: int) -> list[str]:
    """What the step's events selected, for a failed check's ``found``."""
    if not events:
        return [f"the transaction holds no {event} of this registry"]
    return [
        f"{event} of verdict batch {e['batch']}, "
        f"{'' if _in_mask(e['mask'], position) else 'not '}position {position}"
        for e in events
    ]


# --- the checks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answers:
    """The chain's answers about the trade."""

    check: dict[str, Any]  # verifyVerdict's VerdictCheck
    state: TradeState
    settled: bool  # verifySettlement's answer (False when not asked)
    events: dict[str, list[dict[str, Any]]]  # each claimed transaction's step events


def check_trade(
    claims: TradeClaims,
    plan: TradePlan,
    answers: Sequence[Any],
    registry: str,
    recomputed: tuple[bytes, bool] | None,
    report: Report,
) -> None:
    """Every check of the trade's steps, from the chain's answers. ``recomputed`` is the
    verdict hash and matched flag the verifier recomputed (None when it could not)."""
    abi = contract_abi("TradeRegistry")
    check = abi.decode("verifyVerdict", answers[plan.verdict])
    settled = plan.settlement is not None and bool(
        abi.decode("verifySettlement", answers[plan.settlement])
    )
    events = {
        tx.name: check_transaction(
            tx, answers[plan.receipts[tx.name]], registry, report, claims.wanted(tx.name)
        )
        for tx in claims.transactions
    }
    state = TradeState(check["state"]) if check["state"] in set(TradeState) else TradeState.NONE
    chain = _Answers(check, state, settled, events)
    _check_verdict_leaf(claims.verdict, chain, recomputed, report)
    position, batch = claims.verdict.position, claims.verdict.batch
    if claims.release is not None:
        _check_release(batch, position, chain, report)
    if claims.settlement is not None:
        _check_settlement(batch, position, claims.settlement, chain, report)
    if claims.financing is not None:
        _check_financing(batch, position, claims.financing, chain, report)


def _check_verdict_leaf(
    claim: VerdictClaim, chain: _Answers, recomputed: tuple[bytes, bool] | None, report: Report
) -> None:
    """ "verdict on chain": the leaf is in the batch's root, it is the verdict the verifier
    recomputed (hash and matched), it still stands, and the transaction recorded that batch."""
    check, where = chain.check, f"position {claim.position} of verdict batch {claim.batch}"
    failures = []
    if not check["anchored"]:
        failures.append(f"the leaf and its proof lead to no root of verdict batch {claim.batch}")
    elif check["root"] != claim.root:
        failures.append(f"the batch's root is {check['root'].hex()}")
    elif check["blockNumber"] != claim.tx.block:
        failures.append(f"recorded in block {check['blockNumber']}")
    if recomputed is not None and recomputed[0] != claim.verdict_hash:
        failures.append(f"the leaf's verdict hash is {claim.verdict_hash.hex()}")
    if recomputed is not None and recomputed[1] != claim.matched:
        failures.append(f"the leaf records a {_match(claim.matched)}")
    if chain.state is TradeState.SUPERSEDED:
        failures.append("superseded: a later verdict of this trade replaced it")
    recorded = [
        e for e in chain.events["verdict"] if e["batch"] == claim.batch and e["root"] == claim.root
    ]
    if not recorded:
        failures.append(f"the verdict transaction records no verdict batch {claim.batch}")
    digest, matched = recomputed or (claim.verdict_hash, claim.matched)
    report.add(
        "verdict on chain",
        not failures,
        f"{where} ({chain.state.name.lower()}), root {claim.root.hex()}",
        expected=f"verdict {digest.hex()} ({_match(matched)}) at {where}, root "
        f"{claim.root.hex()}, recorded in block {claim.tx.block} and not superseded",
        found="; ".join(failures),
    )


def _match(matched: bool) -> str:
    return "match" if matched else "mismatch"


def _check_release(batch: int, position: int, chain: _Answers, report: Report) -> None:
    failures = [] if chain.state in (TradeState.RELEASED, TradeState.SETTLED) else [_state(chain)]
    events = chain.events["release"]
    if not any(e["batch"] == batch and _in_mask(e["mask"], position) for e in events):
        failures += _selections("TradesReleased", events, position)
    report.add(
        "released by customs",
        not failures,
        f"position {position} of verdict batch {batch} released",
        expected=f"state released or settled, and a TradesReleased of verdict batch {batch} "
        f"selecting position {position}",
        found="; ".join(failures),
    )


def _state(chain: _Answers) -> str:
    return f"state {chain.state.name.lower()}"


def _check_settlement(
    batch: int, position: int, claim: SettlementClaim, chain: _Answers, report: Report
) -> None:
    failures = [] if chain.state is TradeState.SETTLED else [_state(chain)]
    if not chain.settled:
        failures.append(
            f"verifySettlement: not settlement {claim.settlement_id}'s reference of "
            f"position {position}"
        )
    events = chain.events["settlement"]
    if not any(
        e["settlementId"] == claim.settlement_id
        and e["batch"] == batch
        and _in_mask(e["mask"], position)
        for e in events
    ):
        failures += _selections("SettlementsConfirmed", events, position)
    report.add(
        "settlement confirmed",
        not failures,
        f"settlement {claim.settlement_id} under {claim.ref.hex()}",
        expected=f"state settled; settlement {claim.settlement_id} settled position {position} "
        f"under {claim.ref.hex()} (verifySettlement); its SettlementsConfirmed of verdict batch "
        f"{batch} selecting position {position}",
        found="; ".join(failures),
    )


def _check_financing(
    batch: int, position: int, claim: FinancingClaim, chain: _Answers, report: Report
) -> None:
    open_id, terms = chain.check["financingId"], chain.check["financing"]
    failures = []
    if open_id != claim.financing_id:
        failures.append(f"open financing {open_id}" if open_id else "no open financing")
    elif (terms["termsHash"], terms["blockNumber"], terms["verdictBatch"]) != (
        claim.terms,
        claim.tx.block,
        batch,
    ):
        failures.append(
            f"financing {open_id} on terms {terms['termsHash'].hex()} in block "
            f"{terms['blockNumber']} of verdict batch {terms['verdictBatch']}"
        )
    events = chain.events["financing"]
    if not any(
        e["financingId"] == claim.financing_id
        and e["batch"] == batch
        and e["termsHash"] == claim.terms
        and _in_mask(e["mask"], position)
        for e in events
    ):
        failures += _selections("FinancingRegistered", events, position)
    report.add(
        "financing registered",
        not failures,
        f"financing {claim.financing_id} in block {claim.tx.block}",
        expected=f"financing {claim.financing_id} of position {position} on terms "
        f"{claim.terms.hex()} in block {claim.tx.block}, and its FinancingRegistered",
        found="; ".join(failures),
    )

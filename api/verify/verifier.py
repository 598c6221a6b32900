"""Checking an authenticity bundle against the chain alone (``sandan verify``).

Nothing in the bundle is believed. The registries it names must be among the
verifier's pinned trust roots (:mod:`api.verify.trust`); every hash, signature and
the verdict are recomputed with the pure domain; each document's signing key is
looked up in the trusted PartyRegistry *as of the block its batch was anchored*
(registered to the party the document names, with a role allowed to sign it, not
revoked); and every transaction hash and block number is checked against its
receipt and decoded event. The chain is asked in one JSON-RPC batch: two
``eth_call`` per document (``verifyDocument`` and ``signerAt``), one ``tradeOf``
and one receipt per transaction.

A node that cannot be reached is reported as such (exit 3, try again), never as
"not authentic"; a bundle whose documents are genuine but whose verdict is a
mismatch is its own outcome (exit 4), not a forgery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, cast

from api.verify.rpc import Call, JsonRpc, RpcError, contract_abi
from api.verify.trust import TrustRoots
from traceability import (
    PartyKey,
    SignedEnvelope,
    TraceabilityError,
    content_hash,
    load_public_key,
    verify_signature,
    without_high_s,
)
from traceability.signing import b64url_decode
from traceability.signing.registry_ids import (
    algorithm_code,
    key_hash,
    party_id,
    public_key_hash,
    roles_of_mask,
    signer_mask,
)
from traceability.trade import TradeDocument, parse_document
from traceability.trade.inputs import TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.records import context_from_json
from traceability.trade.signers import SIGNER_FIELDS, names_signer
from traceability.trade.verdict import verdict_hash

BUNDLE_FORMAT = "sandan-bundle/2"
_ZERO32 = bytes(32)
#: TradeRegistry ``DocumentStatus`` and ``TradeState`` values (the contract's enums).
_ACTIVE = 0
_RELEASED, _SETTLED = 3, 4


class Outcome(IntEnum):
    """What a verification concluded, as the CLI's exit code."""

    AUTHENTIC = 0
    NOT_AUTHENTIC = 1
    UNUSABLE = 2
    UNREACHABLE = 3
    MISMATCH = 4


class UnusableBundle(ValueError):
    """The input is not a bundle this verifier can check (exit 2): nothing was concluded."""


@dataclass(frozen=True)
class Check:
    """One check's outcome; a failed one says what was expected and what was found."""

    name: str
    ok: bool
    detail: str
    expected: str | None = None
    found: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The check as JSON."""
        data: dict[str, Any] = {"check": self.name, "ok": self.ok, "detail": self.detail}
        if not self.ok:
            data["expected"] = self.expected
            data["found"] = self.found
        return data


@dataclass
class Report:
    """Every check run on a bundle, and the verdict's reasons when it is a mismatch."""

    checks: list[Check] = field(default_factory=list)
    trust_source: str = ""
    mismatch_reasons: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def authentic(self) -> bool:
        """True when every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def outcome(self) -> Outcome:
        """Authentic, not authentic, or genuine documents whose verdict is a mismatch."""
        if not self.authentic:
            return Outcome.NOT_AUTHENTIC
        return Outcome.MISMATCH if self.mismatch_reasons else Outcome.AUTHENTIC

    def add(
        self, name: str, ok: bool, detail: str, *, expected: object = None, found: object = None
    ) -> bool:
        """Record a check and return its outcome."""
        self.checks.append(
            Check(
                name,
                ok,
                detail,
                None if expected is None else str(expected),
                None if found is None else str(found),
            )
        )
        return ok

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "outcome": self.outcome.name.lower(),
            "authentic": self.outcome is Outcome.AUTHENTIC,
            "trustRoots": self.trust_source,
            "mismatchReasons": self.mismatch_reasons,
            "chainCalls": self.calls,
            "checks": [c.to_json() for c in self.checks],
        }


# --- reading the bundle -----------------------------------------------------------------


def _hex32(value: object, where: str) -> bytes:
    text = str(value).removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise UnusableBundle(f"{where}: expected 32 bytes of hex, found {value!r}")
    return raw


def _int(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise UnusableBundle(f"{where}: expected a block number, found {value!r}")
    return value


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UnusableBundle(f"{where}: expected an object, found {type(value).__name__}")
    return value


@dataclass(frozen=True)
class _Tx:
    """A transaction the bundle claims, and the event it must have emitted."""

    name: str
    tx_hash: str
    block: int
    event: str
    indexed: tuple[bytes, ...]  # the event's first indexed arguments, as topics
    data: bytes | None = None  # the event's unindexed data, when fully known


def _tx(
    entry: dict[str, Any], where: str, event: str, *indexed: bytes, data: bytes | None = None
) -> _Tx:
    tx_hash = "0x" + _hex32(entry.get("txHash"), f"{where}.txHash").hex()
    return _Tx(
        where, tx_hash, _int(entry.get("blockNumber"), f"{where}.blockNumber"), event, indexed, data
    )


# --- the checks ---------------------------------------------------------------------------


@dataclass
class _Document:
    """One bundle document after the pure checks, waiting for the chain's answers."""

    label: str
    digest: bytes
    proof: list[bytes]
    root: bytes
    block: int
    key_id: str
    party: str
    alg: str
    public_key: str
    doc_type: str
    document: TradeDocument | None  # None when a pure check failed
    verify_call: int = -1
    signer_call: int = -1


def _guard(report: Report, name: str, action: Callable[[], Any]) -> Any:
    """Run a pure check; a domain or shape error is a failed check, never a crash."""
    try:
        return action()
    except (TraceabilityError, KeyError, TypeError, ValueError) as exc:
        report.add(name, False, f"{type(exc).__name__}: {exc}")
        return None


def verify_bundle(bundle: object, rpc: JsonRpc, trust: TrustRoots) -> Report:
    """Run every check of ``bundle``.

    Raises :class:`UnusableBundle` for input that is not a bundle, and
    :class:`~api.verify.rpc.ChainUnreachable` when the node cannot be asked.
    """
    data = _object(bundle, "bundle")
    if data.get("format") != BUNDLE_FORMAT:
        raise UnusableBundle(
            f"not a {BUNDLE_FORMAT} bundle (format {data.get('format')!r}); "
            "export it again from GET /banks/trades/{id}/bundle"
        )
    report = Report(trust_source=trust.source)
    chain = _object(data.get("chain"), "chain")
    trade_address = str(chain.get("tradeRegistry", "")).lower()
    party_address = str(chain.get("partyRegistry", "")).lower()
    node_chain = int(str(rpc.request("eth_chainId", [])), 16)
    report.add(
        "chain id",
        chain.get("chainId") == node_chain,
        f"chain {node_chain}",
        expected=chain.get("chainId"),
        found=node_chain,
    )
    for role, address in (("TradeRegistry", trade_address), ("PartyRegistry", party_address)):
        report.add(
            f"{role} trusted",
            trust.trusts(node_chain, address),
            f"{address} is pinned by {trust.source}",
            expected=f"one of {trust.describe(node_chain)}",
            found=f"registry {address or '(none)'} is not a trusted registry",
        )
    if not report.authentic:
        return report  # nothing an untrusted registry answers can vouch for anything

    entries = data.get("documents")
    if not isinstance(entries, list) or not entries:
        raise UnusableBundle("documents: expected a non-empty list")
    documents = [_pure_document(e, i, report) for i, e in enumerate(entries)]
    trade_id = _check_trade_id(data, [d.document for d in documents if d.document], report)
    txs = _claimed_transactions(data, documents, trade_id)

    calls: list[Call] = []
    trade = contract_abi("TradeRegistry")
    party = contract_abi("PartyRegistry")
    for doc in documents:
        doc.verify_call = len(calls)
        calls.append(trade.call(trade_address, "verifyDocument", doc.digest, doc.proof))
        doc.signer_call = len(calls)
        calls.append(party.call(party_address, "signerAt", key_hash(doc.key_id), doc.block))
    trade_call = len(calls)
    calls.append(trade.call(trade_address, "tradeOf", trade_id))
    receipts_from = len(calls)
    calls.extend(Call("eth_getTransactionReceipt", [t.tx_hash]) for t in txs)
    try:
        answers = rpc.batch(calls)
    except RpcError as exc:
        report.add("registry calls", False, str(exc), expected="answers", found="a revert")
        return report

    signed = [
        _chain_document(
            doc,
            trade.decode("verifyDocument", answers[doc.verify_call]),
            party.decode("signerAt", answers[doc.signer_call]),
            report,
        )
        for doc in documents
    ]
    report.add("documents present", any(signed), f"{sum(signed)} verified documents")
    for tx, receipt in zip(txs, answers[receipts_from:], strict=True):
        _check_receipt(tx, receipt, trade_address, report)
    record = trade.decode("tradeOf", answers[trade_call])
    genuine = [d for d, ok in zip(documents, signed, strict=True) if ok and d.document]
    _check_verdict(data, documents, genuine, record, report)
    _check_steps(data, record, report)
    report.calls = dict(rpc.counts)
    return report


def _pure_document(entry: object, index: int, report: Report) -> _Document:
    """Hashes, signature and schema of one document; no chain call yet."""
    where = f"documents[{index}]"
    item = _object(entry, where)
    label = f"{where} {item.get('messageType', '?')}"
    envelope = _object(item.get("envelope"), f"{where}.envelope")
    key = _object(item.get("publicKey"), f"{where}.publicKey")
    anchor = _object(item.get("anchor"), f"{where}.anchor")
    proof_list = anchor.get("proof")
    if not isinstance(proof_list, list):
        raise UnusableBundle(f"{where}.anchor.proof: expected a list")
    payload = _object(envelope.get("payload"), f"{where}.envelope.payload")
    doc = _Document(
        label=label,
        digest=_hex32(item.get("contentHash"), f"{where}.contentHash"),
        proof=[_hex32(p, f"{where}.anchor.proof") for p in proof_list],
        root=_hex32(anchor.get("root"), f"{where}.anchor.root"),
        block=_int(anchor.get("blockNumber"), f"{where}.anchor.blockNumber"),
        key_id=str(payload.get("keyId", "")),
        party=str(payload.get("party", "")),
        alg=str(key.get("alg", "")),
        public_key=str(key.get("publicKey", "")),
        doc_type=str(payload.get("docType", "")),
        document=None,
    )
    report.add(
        f"{label}: key named",
        key.get("keyId") == doc.key_id and key.get("party") == doc.party,
        f"key {doc.key_id} of {doc.party}",
        expected=f"key {doc.key_id} of {doc.party} (as signed)",
        found=f"key {key.get('keyId')} of {key.get('party')}",
    )
    if envelope.get("source") == "ceb-xml":
        doc.document = _xml_document(item, envelope, doc, report)
    else:
        doc.document = _json_document(item, doc, report)
    if doc.document is not None:
        fields = SIGNER_FIELDS[doc.document.kind]
        report.add(
            f"{label}: signer named in the document",
            names_signer(doc.party, doc.document),
            f"{doc.party} is named",
            expected=f"one of {', '.join(fields)} = {doc.party}",
            found=", ".join(f"{f}={getattr(doc.document, f, None)}" for f in fields),
        )
    return doc


def _party_key(doc: _Document) -> PartyKey:
    from datetime import UTC, datetime

    # The key's validity comes from the chain (signerAt), not from a date the bundle states.
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return PartyKey(doc.key_id, doc.party, doc.alg, doc.public_key, valid_from=epoch)  # type: ignore[arg-type]


def _json_document(item: dict[str, Any], doc: _Document, report: Report) -> TradeDocument | None:
    envelope = _guard(
        report, f"{doc.label}: envelope", lambda: SignedEnvelope.parse(item["envelope"])
    )
    if envelope is None:
        return None
    digest = envelope.content_hash
    if not report.add(
        f"{doc.label}: content hash",
        digest == doc.digest,
        f"sha256(JCS(payload)) = {digest.hex()}",
        expected=doc.digest.hex(),
        found=digest.hex(),
    ):
        return None

    def signature_ok() -> bool:
        verify_signature(envelope, _party_key(doc))
        return True

    if not _guard(report, f"{doc.label}: signature", signature_ok):
        return None
    report.add(f"{doc.label}: signature", True, f"{doc.alg} by key {doc.key_id}")
    return cast(
        "TradeDocument | None",
        _guard(
            report,
            f"{doc.label}: schema",
            lambda: parse_document(item["messageType"], envelope.payload.document),
        ),
    )


def _xml_document(
    item: dict[str, Any], envelope: dict[str, Any], doc: _Document, report: Report
) -> TradeDocument | None:
    """A document submitted as signed CEB XML: the signature covers the XML bytes."""
    xml_bytes = str(item.get("sourceXml", "")).encode("utf-8")

    def signature_ok() -> bool:
        alg = _party_key(doc).alg
        signature = without_high_s(alg, b64url_decode(envelope["signature"]))  # anchored: either s
        return bool(load_public_key(alg, doc.public_key).verify(signature, xml_bytes))

    signed = bool(_guard(report, f"{doc.label}: signature", signature_ok))
    report.add(
        f"{doc.label}: signature",
        signed,
        f"{doc.alg} by key {doc.key_id} over the XML bytes",
        expected="a valid signature over sourceXml",
        found="an invalid signature",
    )

    def rebuild() -> tuple[TradeDocument, bytes]:
        # Only bundles of CEB XML documents pay for the XML reader's import.
        from traceability.ceb import read_message
        from traceability.ceb.payload import xml_payload

        message = read_message(xml_bytes, max_bytes=len(xml_bytes) + 1)
        index = int(envelope["index"])
        document = cast("TradeDocument", message.documents[index])
        payload = xml_payload(message, index, document, party=doc.party, key_id=doc.key_id)
        if payload != envelope["payload"]:
            raise ValueError("the payload differs from the one rebuilt from the XML")
        return document, content_hash(payload)

    rebuilt = _guard(report, f"{doc.label}: XML parsed", rebuild)
    if rebuilt is None:
        return None
    document, digest = rebuilt
    if not report.add(
        f"{doc.label}: content hash",
        digest == doc.digest,
        f"rebuilt from the XML: {digest.hex()}",
        expected=doc.digest.hex(),
        found=digest.hex(),
    ):
        return None
    return document if signed else None


def _chain_document(doc: _Document, check: Any, signer: dict[str, Any], report: Report) -> bool:
    """The anchoring and the signer of one document, from the chain's answers."""
    anchored = bool(check["anchored"]) and check["root"] == doc.root
    report.add(
        f"{doc.label}: anchored on chain",
        anchored and check["blockNumber"] == doc.block,
        f"root {doc.root.hex()} in block {doc.block}",
        expected=f"root {doc.root.hex()} anchored in block {doc.block}",
        found=f"root {check['root'].hex()} anchored in block {check['blockNumber']}"
        if check["anchored"]
        else "a root the trusted registry never anchored",
    )
    statuses = ("active", "revoked", "superseded")
    report.add(
        f"{doc.label}: not revoked or superseded",
        check["status"] == _ACTIVE,
        "active",
        expected="active",
        found=statuses[check["status"]] if check["status"] < len(statuses) else check["status"],
    )
    return _check_signer(doc, signer, report) and anchored and doc.document is not None


def _check_signer(doc: _Document, signer: dict[str, Any], report: Report) -> bool:
    """The PartyRegistry's view of the key, as of the block the document was anchored."""
    name = f"{doc.label}: signer registered"
    if signer["validFromBlock"] == 0:
        return report.add(
            name,
            False,
            "",
            expected=f"key {doc.key_id} registered in the trusted PartyRegistry",
            found="no such key",
        )
    owner_ok = signer["partyId"] == party_id(doc.party)
    key_ok = signer["publicKeyHash"] == public_key_hash(doc.public_key)
    alg_ok = _alg_code(doc.alg) == signer["alg"]
    ok = report.add(
        name,
        owner_ok and key_ok and alg_ok,
        f"key {doc.key_id} of {doc.party} ({doc.alg})",
        expected=f"key {doc.key_id} registered to {doc.party} with this {doc.alg} public key",
        found="registered to another party"
        if not owner_ok
        else ("another public key" if not key_ok else f"algorithm code {signer['alg']}"),
    )
    valid_from, revoked_from = signer["validFromBlock"], signer["revokedFromBlock"]
    ok &= report.add(
        f"{doc.label}: key valid when anchored",
        valid_from < doc.block and (revoked_from == 0 or doc.block < revoked_from),
        f"valid from block {valid_from}, anchored in block {doc.block}",
        expected=f"registered before block {doc.block} and not revoked at it",
        found=f"registered in block {valid_from}"
        + (f", revoked from block {revoked_from}" if revoked_from else ""),
    )
    held = roles_of_mask(signer["rolesAtBlock"])
    ok &= report.add(
        f"{doc.label}: signer's role",
        bool(signer["rolesAtBlock"] & _signer_mask(doc.doc_type)),
        f"{doc.party} held {', '.join(sorted(held))} in block {doc.block}",
        expected=f"a role allowed to sign {doc.doc_type!r}",
        found=f"roles {sorted(held) or 'none'} in block {doc.block}",
    )
    return ok


def _alg_code(alg: str) -> int:
    try:
        return algorithm_code(alg)
    except ValueError:
        return -1


def _signer_mask(doc_type: str) -> int:
    try:
        return signer_mask(doc_type)
    except ValueError:
        return 0


def _check_trade_id(data: dict[str, Any], documents: list[TradeDocument], report: Report) -> bytes:
    key = f"{data.get('ebpCode')}/{data.get('orderNo')}"
    trade_id = hashlib.sha256(key.encode("utf-8")).digest()
    orders = [d for d in documents if d.kind.value == "order"]
    same = bool(orders) and all(f"{o.ebpCode}/{o.orderNo}" == key for o in orders)  # type: ignore[union-attr]
    report.add(
        "trade id",
        trade_id.hex() == str(data.get("tradeId")) and same,
        f"sha256({key}) = {trade_id.hex()}",
        expected=f"{trade_id.hex()} for an order {key}",
        found=f"{data.get('tradeId')} for orders "
        + (", ".join(f"{o.ebpCode}/{o.orderNo}" for o in orders) or "none"),  # type: ignore[union-attr]
    )
    return trade_id


def _claimed_transactions(
    data: dict[str, Any], documents: list[_Document], trade_id: bytes
) -> list[_Tx]:
    txs: list[_Tx] = []
    roots: set[bytes] = set()
    for index, entry in enumerate(data["documents"]):
        root = documents[index].root
        if root not in roots:  # one batch may hold several of the trade's documents
            roots.add(root)
            where = f"documents[{index}] anchor"
            batch_id = _hex32(entry["anchor"].get("batchId"), f"{where}.batchId")
            txs.append(_tx(entry["anchor"], where, "BatchAnchored", root, batch_id))
    verdict = _object(data.get("verdict"), "verdict")
    verdict_digest = _hex32(verdict.get("verdictHash"), "verdict.verdictHash")
    txs.append(_tx(verdict, "verdict", "VerdictRecorded", trade_id, verdict_digest))
    # Release, settlement and financing each name the verdict they were judged on (an
    # indexed topic), and the verdict names every document: so each names these documents.
    if data.get("release") is not None:
        release = _object(data["release"], "release")
        txs.append(_tx(release, "release", "TradeReleased", trade_id, verdict_digest))
    if data.get("settlement") is not None:
        settlement = _object(data["settlement"], "settlement")
        ref = _hex32(settlement.get("settlementRef"), "settlement.settlementRef")
        txs.append(
            _tx(settlement, "settlement", "SettlementConfirmed", trade_id, verdict_digest, ref)
        )
    if data.get("financing") is not None:
        financing = _object(data["financing"], "financing")
        terms = _hex32(financing.get("termsHash"), "financing.termsHash")
        txs.append(
            _tx(financing, "financing", "FinancingRegistered", trade_id, verdict_digest, data=terms)
        )
    return txs


def _check_receipt(tx: _Tx, receipt: Any, registry: str, report: Report) -> None:
    """The transaction exists, succeeded, in the claimed block, with the claimed event."""
    name = f"{tx.name} transaction"
    expected = f"{tx.event} from {registry} in block {tx.block}, tx {tx.tx_hash}"
    if not isinstance(receipt, dict):
        report.add(name, False, "", expected=expected, found="no such transaction on this chain")
        return
    block = int(str(receipt.get("blockNumber", "0x0")), 16)
    status = receipt.get("status")
    topic = contract_abi("TradeRegistry").topic(tx.event)
    wanted = [topic, *("0x" + v.hex() for v in tx.indexed)]
    logs = [
        log
        for log in receipt.get("logs") or []
        if str(log.get("address", "")).lower() == registry
        and [str(t).lower() for t in log.get("topics", [])][: len(wanted)] == wanted
        and (tx.data is None or str(log.get("data", "")).lower() == "0x" + tx.data.hex())
    ]
    ok = status == "0x1" and block == tx.block and bool(logs)
    found = (
        "a failed transaction"
        if status != "0x1"
        else f"block {block}"
        if block != tx.block
        else f"no {tx.event} with these values"
    )
    report.add(name, ok, f"{tx.event} in block {tx.block}", expected=expected, found=found)


def _check_verdict(
    data: dict[str, Any],
    documents: list[_Document],
    genuine: list[_Document],
    record: dict[str, Any],
    report: Report,
) -> None:
    entry = data["verdict"]
    judged = _object(entry.get("verdict"), "verdict.verdict").get("documents")
    in_bundle = {
        d.document.kind.value if d.document else d.doc_type: d.digest.hex() for d in documents
    }
    report.add(
        "documents named by the verdict",
        judged == in_bundle and len(in_bundle) == len(documents),
        f"the verdict judged {', '.join(f'{k} {v[:12]}…' for k, v in in_bundle.items())}",
        expected=in_bundle,
        found=judged,
    )
    by_kind: dict[str, Any] = {d.document.kind.value: d.document for d in genuine if d.document}
    hashes = {d.document.kind.value: d.digest.hex() for d in genuine if d.document}

    def recompute() -> Any:
        context = context_from_json(entry.get("context") or {})
        return match_trade(TradeDocuments(**by_kind), context=context, hashes=hashes)

    verdict = _guard(report, "verdict recomputed", recompute)
    if verdict is None:
        return
    digest = verdict_hash(verdict)
    claimed = str(entry.get("verdictHash"))
    report.add(
        "verdict recomputed",
        digest.hex() == claimed and content_hash(entry.get("verdict")).hex() == claimed,
        f"the matcher gives {digest.hex()}",
        expected=claimed,
        found=digest.hex(),
    )
    on_chain = record["verdictHash"]
    report.add(
        "verdict on chain",
        on_chain == digest,
        f"tradeOf gives {on_chain.hex()}",
        expected=digest.hex(),
        found=on_chain.hex() if on_chain != _ZERO32 else "no verdict",
    )
    if not record["matched"]:
        reasons = [
            f"{f.rule} ({f.document.value}.{f.field}): expected {f.expected!r}, found {f.actual!r}"
            for f in verdict.failures
        ]
        report.mismatch_reasons = reasons or ["the recorded verdict is a mismatch"]


def _check_steps(data: dict[str, Any], record: dict[str, Any], report: Report) -> None:
    release = data.get("release")
    state = record["state"]
    if release is not None:
        report.add(
            "released by customs",
            state in (_RELEASED, _SETTLED) and record["releasedBlock"] == release["blockNumber"],
            f"released in block {record['releasedBlock']}",
            expected=f"released in block {release['blockNumber']}",
            found=f"released in block {record['releasedBlock']}"
            if record["releasedBlock"]
            else "not released",
        )
    settlement = data.get("settlement")
    if settlement is not None:
        ref = _hex32(settlement["settlementRef"], "settlement.settlementRef")
        recorded = (
            f"settled in block {record['settledBlock']} under {record['settlementRef'].hex()}"
        )
        report.add(
            "settlement confirmed",
            state == _SETTLED
            and record["settledBlock"] == settlement["blockNumber"]
            and record["settlementRef"] == ref,
            f"settled in block {record['settledBlock']}",
            expected=f"settled in block {settlement['blockNumber']} under {ref.hex()}",
            found=recorded,
        )
    financing = data.get("financing")
    if financing is not None:
        terms = _hex32(financing["termsHash"], "financing.termsHash")
        recorded = (
            f"financed in block {record['financedBlock']} on {record['financingTerms'].hex()}"
        )
        report.add(
            "financing registered",
            record["financedBlock"] == financing["blockNumber"]
            and record["financingTerms"] == terms,
            f"financed in block {record['financedBlock']}",
            expected=f"financed in block {financing['blockNumber']} on terms {terms.hex()}",
            found=recorded,
        )

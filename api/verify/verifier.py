"""Checking an authenticity bundle against the chain alone (``sandan verify``).

Nothing in the bundle is believed. The registries it names must be among the
verifier's pinned trust roots (:mod:`api.verify.trust`); every hash, signature and
the verdict are recomputed with the pure domain; each document's signing key is
looked up in the trusted PartyRegistry *as of the block its batch was anchored*
(registered to the party the document names, with a role allowed to sign it, not
revoked); the trade's verdict leaf, release, settlement and financing are checked as
:mod:`api.verify.trade_chain` says; and every transaction hash and block number is
checked against its receipt and decoded event. The chain is asked in one JSON-RPC
batch: two ``eth_call`` per document (``verifyDocument`` and ``signerAt``), one
``verifyVerdict``, one ``verifySettlement`` when settled, one receipt per
transaction, and the verdict batch's record and transaction, whose party lists must name
exactly the documents' signers (:mod:`api.verify.trade_parties`): the parties the
registry's negative-list check sees; plus one ``verifyDocument`` per customs receipt the
bundle carries (:mod:`api.verify.receipts_check`).

A node that cannot be reached is reported as such (exit 3, try again), never as
"not authentic"; a bundle whose documents are genuine but whose verdict is a
mismatch is its own outcome (exit 4), not a forgery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from api.verify.bundle_report import (
    Check,
    Outcome,
    Report,
    UnusableBundle,
    hex32,
    mapping,
    uint,
)
from api.verify.receipts_check import check_receipts, plan_receipt_calls
from api.verify.rpc import Call, JsonRpc, RpcError, contract_abi
from api.verify.trade_chain import (
    Transaction,
    check_trade,
    check_transaction,
    plan_trade_calls,
    read_claims,
    transaction,
)
from api.verify.trade_parties import check_parties, plan_parties_calls
from api.verify.trust import TrustRoots
from traceability import (
    DigestProfile,
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
from traceability.trade.verdict import VerdictStatus, verdict_hash

__all__ = ["BUNDLE_FORMAT", "Check", "Outcome", "Report", "UnusableBundle", "verify_bundle"]

BUNDLE_FORMAT = "sandan-bundle/4"
#: Format 3 is format 4 before zones could choose SM3: its hashes are all SHA-256.
_FORMAT_3 = "sandan-bundle/3"
#: TradeRegistry ``DocumentStatus.Active``.
_ACTIVE = 0


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
    profile: DigestProfile
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
    data = mapping(bundle, "bundle")
    profile = _digest_profile(data)
    report = Report(trust_source=trust.source)
    # Said by the bundle, not believed: every hash is recomputed with it and must then be
    # the one anchored, so a wrong profile only makes a genuine bundle fail, never a
    # forgery pass (that would take an SM3 and a SHA-256 preimage of one value).
    report.add(
        "digest profile",
        True,
        f"{profile.value}: document and verdict hashes are recomputed with "
        + ("SM3 (GB/T 32905)" if profile is DigestProfile.SM3 else "SHA-256"),
    )
    chain = mapping(data.get("chain"), "chain")
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
    documents = [_pure_document(e, i, profile, report) for i, e in enumerate(entries)]
    trade_id = _check_trade_id(data, [d.document for d in documents if d.document], report)
    claims = read_claims(data)
    anchors = _anchor_transactions(data, documents)

    calls: list[Call] = []
    trade = contract_abi("TradeRegistry")
    party = contract_abi("PartyRegistry")
    for doc in documents:
        doc.verify_call = len(calls)
        calls.append(trade.call(trade_address, "verifyDocument", doc.digest, doc.proof))
        doc.signer_call = len(calls)
        calls.append(party.call(party_address, "signerAt", key_hash(doc.key_id), doc.block))
    plan = plan_trade_calls(claims, trade_address, trade_id, calls)
    v = claims.verdict
    parties = plan_parties_calls(trade_address, v.batch, v.position, v.tx.tx_hash, calls)
    customs_receipts = plan_receipt_calls(data, profile, trade_address, calls)
    receipts_from = len(calls)
    calls.extend(Call("eth_getTransactionReceipt", [tx.tx_hash]) for tx, _ in anchors)
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
    for (tx, wanted), receipt in zip(anchors, answers[receipts_from:], strict=True):
        check_transaction(tx, receipt, trade_address, report, wanted)
    genuine = [d for d, ok in zip(documents, signed, strict=True) if ok and d.document]
    recomputed = _check_verdict(data, documents, genuine, profile, report)
    check_trade(claims, plan, answers, trade_address, recomputed, report)
    check_parties(parties, answers, [d.party for d in documents], report)
    check_receipts(customs_receipts, answers, report)
    report.calls = dict(rpc.counts)
    return report


def _digest_profile(data: dict[str, Any]) -> DigestProfile:
    """The digest profile the bundle's hashes were taken with."""
    form = data.get("format")
    if form == _FORMAT_3:
        return DigestProfile.SHA256
    if form != BUNDLE_FORMAT:
        raise UnusableBundle(
            f"unsupported bundle format {form!r}: this verifier checks "
            f"{BUNDLE_FORMAT} (and {_FORMAT_3}); export it again from "
            "GET /banks/trades/{id}/bundle"
        )
    try:
        return DigestProfile.parse(data.get("digestProfile"))
    except ValueError as exc:
        raise UnusableBundle(f"digestProfile: {exc}") from None


def _pure_document(entry: object, index: int, profile: DigestProfile, report: Report) -> _Document:
    """Hashes, signature and schema of one document; no chain call yet."""
    where = f"documents[{index}]"
    item = mapping(entry, where)
    label = f"{where} {item.get('messageType', '?')}"
    envelope = mapping(item.get("envelope"), f"{where}.envelope")
    key = mapping(item.get("publicKey"), f"{where}.publicKey")
    anchor = mapping(item.get("anchor"), f"{where}.anchor")
    proof_list = anchor.get("proof")
    if not isinstance(proof_list, list):
        raise UnusableBundle(f"{where}.anchor.proof: expected a list")
    payload = mapping(envelope.get("payload"), f"{where}.envelope.payload")
    doc = _Document(
        label=label,
        digest=hex32(item.get("contentHash"), f"{where}.contentHash"),
        proof=[hex32(p, f"{where}.anchor.proof") for p in proof_list],
        root=hex32(anchor.get("root"), f"{where}.anchor.root"),
        block=uint(anchor.get("blockNumber"), f"{where}.anchor.blockNumber"),
        key_id=str(payload.get("keyId", "")),
        party=str(payload.get("party", "")),
        alg=str(key.get("alg", "")),
        public_key=str(key.get("publicKey", "")),
        doc_type=str(payload.get("docType", "")),
        document=None,
        profile=profile,
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
    digest = envelope.digest(doc.profile)
    if not report.add(
        f"{doc.label}: content hash",
        digest == doc.digest,
        f"{doc.profile.value}(JCS(payload)) = {digest.hex()}",
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
        return document, content_hash(payload, doc.profile)

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


def _anchor_transactions(
    data: dict[str, Any], documents: list[_Document]
) -> list[tuple[Transaction, dict[str, bytes]]]:
    """Each document batch's transaction, once, and the BatchAnchored arguments it must hold."""
    txs: list[tuple[Transaction, dict[str, bytes]]] = []
    roots: set[bytes] = set()
    for index, entry in enumerate(data["documents"]):
        root = documents[index].root
        if root not in roots:  # one batch may hold several of the trade's documents
            roots.add(root)
            where = f"documents[{index}] anchor"
            batch_id = hex32(entry["anchor"].get("batchId"), f"{where}.batchId")
            tx = transaction(entry["anchor"], where, "BatchAnchored")
            txs.append((tx, {"root": root, "batchId": batch_id}))
    return txs


def _check_verdict(
    data: dict[str, Any],
    documents: list[_Document],
    genuine: list[_Document],
    profile: DigestProfile,
    report: Report,
) -> tuple[bytes, bool] | None:
    """The verdict recomputed from the genuine documents: its hash and whether it is a match
    (None when it cannot be recomputed); a mismatch's reasons go in the report."""
    entry = data["verdict"]
    judged = mapping(entry.get("verdict"), "verdict.verdict").get("documents")
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
        return None
    digest = verdict_hash(verdict, profile)
    claimed = str(entry.get("verdictHash"))
    report.add(
        "verdict recomputed",
        digest.hex() == claimed and content_hash(entry.get("verdict"), profile).hex() == claimed,
        f"the matcher gives {digest.hex()}",
        expected=claimed,
        found=digest.hex(),
    )
    matched = verdict.status is VerdictStatus.MATCH
    if not matched:
        reasons = [
            f"{f.rule} ({f.document.value}.{f.field}): expected {f.expected!r}, found {f.actual!r}"
            for f in verdict.failures
        ]
        report.mismatch_reasons = reasons or ["the recorded verdict is a mismatch"]
    return digest, matched

"""``sandan-bundle/4`` bundles made straight from ledger_client calls, without the service.

A genuine trade, as the service would carry it: its parties registered in the
PartyRegistry, its documents signed and anchored, its verdict recomputed by the matcher
and recorded in a verdict batch among other trades, then released, settled and financed.
Both verifiers are checked against these bundles, so a forgery test needs only the chain.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ledger_client import PartyLists, Supersession, TradeRegistryClient
from ledger_client.events import (
    FinancingRegistered,
    SettlementsConfirmed,
    VerdictBatchRecorded,
    events_named,
)
from tests.conftest import ChainWorld
from traceability import (
    Algorithm,
    DigestProfile,
    SigningKey,
    content_hash,
    new_salt,
    sign_envelope,
)
from traceability.merkle import MerkleTree
from traceability.ordered_merkle import OrderedMerkleTree, settlement_leaf, verdict_leaf
from traceability.signing.registry_ids import algorithm_code, key_hash, party_id, role_mask
from traceability.trade import samples
from traceability.trade.inputs import TradeDocuments
from traceability.trade.matching import match_trade
from traceability.trade.records import context_from_json
from traceability.trade.verdict import VerdictStatus, verdict_hash

#: Who signs each kind of document, with which role and algorithm.
SIGNERS = {
    "order": (samples.PLATFORM[0], "platform", Algorithm.ED25519),
    "payment": (samples.PAYER_COMPANY[0], "payment", Algorithm.ES256),
    "waybill": (samples.CARRIER[0], "logistics", Algorithm.ES256K),
    "inventory": (samples.PLATFORM[0], "platform", Algorithm.ED25519),
}


@dataclass
class Signer:
    """A registered party's signing key."""

    code: str
    key_id: str
    signing_key: SigningKey


@dataclass
class Trade:
    """A trade whose documents are anchored; its verdict and steps are filled in as they happen."""

    docs: TradeDocuments
    bundle: dict[str, Any]
    trade_id: bytes
    verdict_hash: bytes
    matched: bool

    @property
    def batch(self) -> int:
        """The verdict batch the bundle names."""
        return int(self.bundle["verdict"]["batch"])

    @property
    def position(self) -> int:
        """The position the bundle names."""
        return int(self.bundle["verdict"]["position"])


class LedgerBundles:
    """Makes trades and their bundles on ``world``'s chain."""

    def __init__(self, world: ChainWorld, algorithm: Algorithm | None = None) -> None:
        """``algorithm``: every party signs with it (SIGNERS' mix of algorithms by default)."""
        self.world = world
        self.anchorer = world.trade("anchorer")
        self.signers = self._register_signers(algorithm)

    def _register_signers(self, algorithm: Algorithm | None) -> dict[str, Signer]:
        registrar = self.world.party("admin")
        signers: dict[str, Signer] = {}
        for code, role, own in {(c, r, a) for c, r, a in SIGNERS.values()}:
            alg = algorithm or own
            signer = Signer(code, f"{code}-k1", SigningKey.generate(alg))
            record = hashlib.sha256(code.encode()).digest()
            registrar.register_party(party_id(code), code, record, role_mask([role]))
            key = signer.signing_key
            registrar.add_key(
                party_id(code), key_hash(signer.key_id), algorithm_code(alg), key.public_key
            )
            signers[code] = signer
        return signers

    def trade(
        self, docs: TradeDocuments | None = None, profile: DigestProfile = DigestProfile.SHA256
    ) -> Trade:
        """A trade whose documents are signed and anchored in one batch (no verdict yet), its
        content hashes taken with ``profile``."""
        docs = docs or samples.import_trade()
        envelopes = {}
        for kind, (code, _role, _alg) in SIGNERS.items():
            document = getattr(docs, kind)
            if document is None:
                continue
            signer = self.signers[code]
            envelopes[kind] = (
                document.message_type,
                sign_envelope(
                    document.to_json_dict(),
                    doc_type=kind,
                    party=code,
                    key_id=signer.key_id,
                    signing_key=signer.signing_key,
                    salt=new_salt(),
                    issued_at=datetime.now(UTC),
                ),
            )
        digests = {kind: e.digest(profile) for kind, (_, e) in envelopes.items()}
        tree = MerkleTree.build(list(digests.values()))
        batch_id = os.urandom(32)
        anchored = self.anchorer.anchor_batch(tree.root, len(envelopes), batch_id)
        documents = []
        for kind, (message_type, envelope) in sorted(envelopes.items()):
            signer = self.signers[SIGNERS[kind][0]]
            documents.append(
                {
                    "messageType": message_type,
                    "contentHash": digests[kind].hex(),
                    "envelope": envelope.to_wire(),
                    "publicKey": {
                        "keyId": signer.key_id,
                        "party": signer.code,
                        "alg": signer.signing_key.alg.value,
                        "publicKey": signer.signing_key.public_key,
                    },
                    "anchor": {
                        "root": tree.root.hex(),
                        "proof": [p.hex() for p in tree.proof(digests[kind])],
                        "batchId": batch_id.hex(),
                        "txHash": str(anchored.tx_hash),
                        "blockNumber": anchored.block_number,
                    },
                }
            )
        hashes = {kind: d.hex() for kind, d in digests.items()}
        context: dict[str, Any] = {}
        verdict = match_trade(docs, context=context_from_json(context), hashes=hashes)
        order = docs.order
        assert order is not None
        key = f"{order.ebpCode}/{order.orderNo}"  # type: ignore[union-attr]
        trade_id = hashlib.sha256(key.encode()).digest()
        bundle = {
            "format": "sandan-bundle/4",
            "digestProfile": profile.value,
            "tradeId": trade_id.hex(),
            "ebpCode": order.ebpCode,  # type: ignore[union-attr]
            "orderNo": order.orderNo,  # type: ignore[union-attr]
            "chain": {
                "chainId": self.world.w3.eth.chain_id,
                "tradeRegistry": self.world.deployment.trade_registry.address,
                "partyRegistry": self.world.deployment.party_registry.address,
            },
            "documents": documents,
            "verdict": {
                "verdict": verdict.to_json_dict(),
                "verdictHash": verdict_hash(verdict, profile).hex(),
                "context": context,
            },
            "release": None,
            "settlement": None,
            "financing": None,
        }
        matched = verdict.status is VerdictStatus.MATCH
        return Trade(docs, bundle, trade_id, verdict_hash(verdict, profile), matched)

    def record(
        self,
        trades: list[Trade],
        *,
        others: int = 2,
        supersede: Trade | None = None,
        matched: bool | None = None,
    ) -> None:
        """Record ``trades``' verdicts in one verdict batch after ``others`` verdicts of other
        trades (so no trade sits at position 0). ``supersede`` replaces that trade's earlier
        verdict; ``matched`` overrides what the anchorer records (a lying anchorer)."""
        fillers = [(os.urandom(32), os.urandom(32), True) for _ in range(others)]
        rows = fillers + [
            (t.trade_id, t.verdict_hash, t.matched if matched is None else matched) for t in trades
        ]
        supersessions = []
        if supersede is not None:
            old = supersede.bundle["verdict"]
            supersessions.append(
                Supersession(
                    index=others + trades.index(supersede),
                    batch=old["batch"],
                    position=old["position"],
                    verdict_hash=bytes.fromhex(old["verdictHash"]),
                    matched=old["matched"],
                    proof=tuple(bytes.fromhex(p) for p in old["proof"]),
                )
            )
        # Each verdict commits to its documents' signers, as the service's verdict lane does.
        signers = [[]] * others + [
            sorted({d["envelope"]["payload"]["party"] for d in t.bundle["documents"]})
            for t in trades
        ]
        parties = PartyLists.of([[party_id(code) for code in codes] for codes in signers])
        result = self.anchorer.record_verdict_batch(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            supersessions,
            parties=parties,
        )
        (event,) = events_named(result.events, VerdictBatchRecorded)
        tree = OrderedMerkleTree([verdict_leaf(event.batch, i, *row) for i, row in enumerate(rows)])
        assert tree.root == event.root
        for offset, trade in enumerate(trades):
            position = others + offset
            root, proof = tree.root, tree.proof(position)
            trade.bundle["verdict"].update(
                batch=event.batch,
                position=position,
                matched=rows[position][2],
                root=root.hex(),
                proof=[p.hex() for p in proof],
                txHash=str(result.tx_hash),
                blockNumber=result.block_number,
            )

    def release(self, trades: list[Trade]) -> None:
        """Customs releases ``trades`` (all of one verdict batch) in one transaction."""
        result = self.world.trade("customs").release_trades(
            trades[0].batch, [t.position for t in trades]
        )
        for trade in trades:
            trade.bundle["release"] = {
                "txHash": str(result.tx_hash),
                "blockNumber": result.block_number,
            }

    def settle(self, trades: list[Trade]) -> None:
        """The bank confirms ``trades``' settlements (all of one batch) in one transaction."""
        refs = {t.position: hashlib.sha256(f"FX-{t.position}".encode()).digest() for t in trades}
        bank: TradeRegistryClient = self.world.trade("bank")
        result = bank.confirm_settlements(trades[0].batch, refs)
        (event,) = events_named(result.events, SettlementsConfirmed)
        positions = sorted(refs)
        tree = OrderedMerkleTree([settlement_leaf(trades[0].batch, p, refs[p]) for p in positions])
        assert tree.root == event.root
        for trade in trades:
            proof = tree.proof(positions.index(trade.position))
            trade.bundle["settlement"] = {
                "txHash": str(result.tx_hash),
                "blockNumber": result.block_number,
                "settlementRef": refs[trade.position].hex(),
                "settlementId": event.settlement_id,
                "proof": [p.hex() for p in proof],
            }

    def finance(self, trades: list[Trade], terms: bytes | None = None) -> None:
        """The bank registers financing of ``trades`` (all of one batch) on ``terms``."""
        terms = terms or hashlib.sha256(b"100.00 CNY at 4%").digest()
        result = self.world.trade("bank").register_financing(
            trades[0].batch, [t.position for t in trades], terms
        )
        (event,) = events_named(result.events, FinancingRegistered)
        for trade in trades:
            trade.bundle["financing"] = {
                "txHash": str(result.tx_hash),
                "blockNumber": result.block_number,
                "termsHash": terms.hex(),
                "financingId": event.financing_id,
            }

    def receipts(self, trade: Trade, statuses: list[tuple[str, str, str]]) -> None:
        """Customs' receipts of ``trade`` (message type, status, info), anchored in one batch
        as the service anchors them, in the bundle's ``customsReceipts`` section."""
        profile = DigestProfile.parse(trade.bundle["digestProfile"])
        order = trade.docs.order
        assert order is not None
        payloads = [
            {
                "messageType": message_type,
                "receipt": {
                    "guid": f"{message_type}-{index}-{os.urandom(4).hex()}",
                    "ebpCode": order.ebpCode,  # type: ignore[union-attr]
                    "orderNo": order.orderNo,  # type: ignore[union-attr]
                    "returnStatus": status,
                    "returnTime": "20261204120000000",
                    "returnInfo": info,
                },
            }
            for index, (message_type, status, info) in enumerate(statuses)
        ]
        digests = [content_hash(p, profile) for p in payloads]
        tree = MerkleTree.build(digests)
        batch_id = os.urandom(32)
        anchored = self.anchorer.anchor_batch(tree.root, len(digests), batch_id)
        trade.bundle["customsReceipts"] = {
            "relation": "The release this bundle proves is the chain's.",
            "receipts": [
                {
                    "messageType": payload["messageType"],
                    "contentHash": digest.hex(),
                    "status": payload["receipt"]["returnStatus"],
                    "payload": payload,
                    "anchor": {
                        "root": tree.root.hex(),
                        "proof": [p.hex() for p in tree.proof(digest)],
                        "batchId": batch_id.hex(),
                        "txHash": str(anchored.tx_hash),
                        "blockNumber": anchored.block_number,
                    },
                }
                for payload, digest in zip(payloads, digests, strict=True)
            ],
            "pending": 0,
            "release": {
                "authority": "chain",
                "releasedOnChain": trade.bundle["release"] is not None,
                "receiptStatus": statuses[-1][1],
                "receiptStatusText": statuses[-1][2],
                "receiptHash": digests[-1].hex(),
                "disagreement": None,
            },
        }

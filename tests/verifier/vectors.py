"""Test vectors for the browser verifier, made by the Python code it must agree with.

Every expected value here comes from ``traceability``: the canonical bytes and content
hashes, the signatures and whether each one verifies, strict base64url, the Merkle roots
and proofs, the role order and which roles may sign what. The JavaScript tests
(``verifier/test/units.test.cjs``) check the shipped bundle against each of them.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from Crypto.Hash import keccak

from ledger_client import load_artifacts
from traceability import (
    Algorithm,
    DigestProfile,
    Role,
    SigningKey,
    canonical_json,
    content_hash,
    sign_envelope,
)
from traceability.merkle import MerkleTree, leaf_hash
from traceability.signing import b64url_decode, b64url_encode, load_public_key, without_high_s
from traceability.signing.certificates import Sm2PublicKey
from traceability.signing.parties import SIGNABLE_DOC_TYPES
from traceability.trade.models import DOCUMENT_MODELS
from traceability.trade.signers import SIGNER_FIELDS

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ISSUED = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)

#: Values whose RFC 8785 form is easy to get wrong: number formatting, escapes, key order
#: by UTF-16 code units (U+1F600 sorts before U+FFFF there, after it by code point).
JCS_CASES: list[Any] = [
    {"b": 1, "a": [True, False, None], "c": {"z": "", "y": "Zürich 中国"}},
    [1.0, 0.1, -0.0, 1e21, 1e-7, 5e-324, 123456789012345680000.0, 2**53 - 1, -(2**53 - 1)],
    {"\ufb33": 1, "\U0001f600": 2, "\uffff": 3, "a": 4, "\u00e9": 5},
    ["\u2028\u2029", '"\\/\b\f\n\r\t', "\u0000\u001f\u007f", "😀"],
    {"amount": "123.45", "nested": [[], {}, [{}]]},
]

#: base64url texts and whether sandan's strict decoder accepts them.
B64URL_CASES = [
    "",
    "AA",
    "AAA",
    "AAAA",
    "AB",
    "AAE",
    "A",
    "AA==",
    "AA AA",
    "+/8",
    "-_8",
    "_w",
    "_x",
]


def _keccak(data: bytes) -> str:
    return "0x" + keccak.new(digest_bits=256, data=data).hexdigest()


def _document() -> dict[str, Any]:
    return {
        "orderNo": "SO-2026-0001",
        "ebpCode": "3301960001",
        "goodsValue": "199.00",
        "buyerName": "张三",
        "items": [{"gname": "赣南脐橙 5kg", "qty": 2, "price": "99.50"}],
    }


def _flip(signature: bytes, index: int) -> bytes:
    out = bytearray(signature)
    out[index] ^= 0x01
    return bytes(out)


def _signature_cases(alg: Algorithm) -> dict[str, Any]:
    key = SigningKey.from_private_bytes(
        alg, hashlib.sha256(f"vector {alg.value}".encode()).digest()
    )
    envelope = sign_envelope(
        _document(),
        doc_type="order",
        party="3301960001",
        key_id=f"key-{alg.value.lower()}",
        signing_key=key,
        salt=bytes(range(16)),
        issued_at=_ISSUED,
    )
    message = envelope.payload.canonical_bytes
    signature = envelope.signature_bytes
    verifier = load_public_key(alg, key.public_key)
    tampered = canonical_json(
        {**envelope.payload.to_wire(), "document": {**_document(), "goodsValue": "1.00"}}
    )
    cases = [
        ("genuine", message, signature),
        ("signature byte flipped", message, _flip(signature, 5)),
        ("s flipped", message, _flip(signature, 40)),
        ("document edited", tampered, signature),
    ]
    if alg in (Algorithm.ES256, Algorithm.ES256K):
        n = _P256_N if alg is Algorithm.ES256 else _SECP256K1_N
        s = int.from_bytes(signature[32:], "big")
        # The other s of the same signature (high-S): verifiers accept it for ES256 (documents
        # anchored before sandan refused it at submission), never for ES256K.
        cases.append(("negated s", message, signature[:32] + (n - s).to_bytes(32, "big")))
    point = b64url_decode(key.public_key)
    keys = {"uncompressed": key.public_key}
    if alg is not Algorithm.ED25519:
        prefix = b"\x03" if point[-1] & 1 else b"\x02"
        keys["compressed"] = b64url_encode(prefix + point[1:33])
    return {
        "alg": alg.value,
        "envelope": envelope.to_wire(),
        "canonicalHex": message.hex(),
        "contentHash": envelope.content_hash.hex(),
        "contentHashSm3": envelope.digest(DigestProfile.SM3).hex(),
        "keys": keys,
        "keyHash": _keccak(envelope.payload.key_id.encode()),
        "publicKeyHash": _keccak(key.public_key.encode()),
        "sm2Z": verifier.z.hex() if isinstance(verifier, Sm2PublicKey) else None,
        "cases": [
            {
                "name": name,
                "messageHex": body.hex(),
                "signature": b64url_encode(sig),
                "valid": {
                    form: load_public_key(alg, text).verify(without_high_s(alg, sig), body)
                    for form, text in keys.items()
                },
            }
            for name, body, sig in cases
        ],
    }


def _b64url_case(text: str) -> dict[str, Any]:
    try:
        return {"text": text, "hex": b64url_decode(text).hex()}
    except ValueError:
        return {"text": text, "hex": None}


def _merkle_leaf(tree: MerkleTree, value: bytes) -> dict[str, Any]:
    proof = [p.hex() for p in tree.proof(value)]
    return {"value": value.hex(), "leafHash": leaf_hash(value).hex(), "proof": proof}


def _merkle() -> dict[str, Any]:
    values = [hashlib.sha256(f"document {i}".encode()).digest() for i in range(7)]
    tree = MerkleTree.build(values)
    return {
        "root": tree.root.hex(),
        "leaves": [
            {
                "value": v.hex(),
                "leafHash": leaf_hash(v).hex(),
                "proof": [p.hex() for p in tree.proof(v)],
            }
            for v in values
        ],
        "single": {"value": values[0].hex(), "root": MerkleTree.build(values[:1]).root.hex()},
    }


def _xml_document() -> dict[str, Any]:
    """A document submitted as signed CEB XML: the signature covers the XML text's UTF-8 bytes."""
    key = SigningKey.from_private_bytes(Algorithm.SM2, hashlib.sha256(b"vector xml").digest())
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ceb:CEB311Message xmlns:ceb='
        '"http://www.chinaport.gov.cn/ceb"><ceb:Order><ceb:OrderHead><ceb:orderNo>X1'
        "</ceb:orderNo><ceb:goodsInfo>赣南脐橙</ceb:goodsInfo></ceb:OrderHead></ceb:Order>"
        "</ceb:CEB311Message>"
    )
    payload = {
        "docType": "order",
        "party": "3301960A01",
        "keyId": "3301960A01-xml",
        "issuedAt": "2026-11-23T13:00:00+08:00",
        "salt": "xml:guid-1:0",
        "document": {"ebpCode": "3301960A01", "orderNo": "X1"},
    }
    digest = content_hash(payload)
    return {
        "messageType": "CEB311",
        "contentHash": digest.hex(),
        "envelope": {
            "source": "ceb-xml",
            "messageType": "CEB311",
            "index": 0,
            "payload": payload,
            "alg": key.alg.value,
            "signature": b64url_encode(key.sign(xml.encode("utf-8"))),
        },
        "sourceXml": xml,
        "publicKey": {
            "keyId": payload["keyId"],
            "party": payload["party"],
            "alg": key.alg.value,
            "publicKey": key.public_key,
        },
        "anchor": {
            "root": MerkleTree.build([digest]).root.hex(),
            "proof": [],
            "batchId": "00" * 32,
            "txHash": "0x" + "11" * 32,
            "blockNumber": 5,
        },
    }


def _receipt() -> dict[str, Any]:
    """A customs receipt as the bundle carries it: hashed over {"messageType", "receipt"}."""
    payload = {
        "messageType": "CEB622",
        "receipt": {"guid": "R-1", "returnStatus": "800", "returnInfo": "放行 released"},
    }
    return {
        "payload": payload,
        "contentHash": {p.value: content_hash(payload, p).hex() for p in DigestProfile},
    }


def build_vectors() -> dict[str, Any]:
    """Every vector the JavaScript unit tests check, as JSON-ready data."""
    return {
        "jcs": [
            {"value": value, "canonicalHex": canonical_json(value).hex()} for value in JCS_CASES
        ],
        "signatures": [_signature_cases(alg) for alg in Algorithm],
        "b64url": [_b64url_case(text) for text in B64URL_CASES],
        "xmlDocument": _xml_document(),
        "receipt": _receipt(),
        "merkle": _merkle(),
        "roles": [role.value for role in Role],
        "signable": {
            role.value: sorted(doc.value for doc in SIGNABLE_DOC_TYPES.get(role, ()))
            for role in Role
        },
        "messageKinds": {name: model.kind.value for name, model in DOCUMENT_MODELS.items()},  # type: ignore[attr-defined]
        "signerFields": {kind.value: list(fields) for kind, fields in SIGNER_FIELDS.items()},
        "keccakText": {"text": "3301960001", "hash": _keccak(b"3301960001")},
        "abi": {name: artifact.abi for name, artifact in load_artifacts().items()},
    }

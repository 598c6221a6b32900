"""SM2 envelope signatures against an independent implementation: OpenSSL 3's command line.

OpenSSL 3.0 computes Z with an empty user ID unless told otherwise (4.0 changes the
default to the standard's), so the helpers name ``distid:1234567812345678``; a signature
made without it must not verify here, which shows the ID is really in Z.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from tests.sm2_openssl import run_openssl, sm2_key, sm2_sign, sm2_verify
from traceability.signing._encoding import b64url_encode
from traceability.signing.algorithms import Algorithm, SigningKey, load_public_key

MESSAGE = "报关单 CEB311 — 三单比对".encode()


def _raw(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _public(key: Path) -> str:
    """The key's public point as sandan's base64url text (the SPKI ends with it)."""
    return b64url_encode(run_openssl("pkey", "-in", key, "-pubout", "-outform", "DER")[-65:])


def test_openssl_signature_verifies_and_tampering_is_refused(tmp_path: Path):
    key = sm2_key(tmp_path / "openssl.pem")
    verifier = load_public_key(Algorithm.SM2, _public(key))
    signature = _raw(sm2_sign(key, MESSAGE))
    assert verifier.verify(signature, MESSAGE)
    assert not verifier.verify(signature, MESSAGE + b" ")
    flipped = signature[:40] + bytes([signature[40] ^ 1]) + signature[41:]
    assert not verifier.verify(flipped, MESSAGE)


def test_openssl_signature_with_another_user_id_is_refused(tmp_path: Path):
    key = sm2_key(tmp_path / "openssl.pem")
    # OpenSSL 3.0's own default: an empty ID in Z.
    der = run_openssl("dgst", "-sm3", "-sign", key, stdin=MESSAGE)
    assert not load_public_key(Algorithm.SM2, _public(key)).verify(_raw(der), MESSAGE)


def test_sandan_signature_verifies_with_openssl(tmp_path: Path):
    key = SigningKey.generate(Algorithm.SM2)
    private = tmp_path / "sandan.pem"
    private.write_bytes(key.to_pkcs8_pem())
    signature = key.sign(MESSAGE)
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    der = encode_dss_signature(r, s)
    assert sm2_verify(private, MESSAGE, der, tmp_path)
    assert not sm2_verify(private, MESSAGE + b"x", der, tmp_path)

"""PKCS#8 PEM of signing keys: round trips, the SM2 layout OpenSSL uses, refusals."""

from __future__ import annotations

import base64

import pytest

from traceability import Algorithm, InvalidKey, SigningKey
from traceability.signing._pkcs8 import pem_decode, pem_encode

# What ``openssl genpkey -algorithm SM2`` writes before the scalar: PrivateKeyInfo v0,
# id-ecPublicKey with curve SM2, then ECPrivateKey v1 and the 32-byte octet string.
SM2_PREFIX = bytes.fromhex(
    "308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420"
)


@pytest.mark.parametrize("alg", list(Algorithm))
def test_pkcs8_pem_round_trips_every_algorithm(alg: Algorithm) -> None:
    key = SigningKey.generate(alg)
    pem = key.to_pkcs8_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")
    loaded = SigningKey.from_pem(pem)
    assert (loaded.alg, loaded.private_bytes()) == (alg, key.private_bytes())


def test_sm2_pkcs8_has_openssl_layout_with_the_point() -> None:
    key = SigningKey.generate(Algorithm.SM2)
    label, der = pem_decode(key.to_pkcs8_pem())
    assert label == "PRIVATE KEY"
    assert der.startswith(SM2_PREFIX + key.private_bytes())
    point = base64.urlsafe_b64decode(key.public_key + "==")
    assert der.endswith(bytes.fromhex("a144034200") + point)


def test_sm2_key_whose_point_is_not_its_own_is_refused() -> None:
    key, other = SigningKey.generate(Algorithm.SM2), SigningKey.generate(Algorithm.SM2)
    _, der = pem_decode(key.to_pkcs8_pem())
    _, foreign = pem_decode(other.to_pkcs8_pem())
    forged = der[:-65] + foreign[-65:]
    with pytest.raises(InvalidKey, match="does not belong to its private key"):
        SigningKey.from_pem(pem_encode("PRIVATE KEY", forged))


def test_sec1_sm2_key_names_its_curve_inside() -> None:
    key = SigningKey.generate(Algorithm.SM2)
    sm2_curve = bytes.fromhex("06082a811ccf5501822d")
    inner = (
        bytes.fromhex("020101") + b"\x04\x20" + key.private_bytes()
        + b"\xa0" + bytes([len(sm2_curve)]) + sm2_curve
    )  # fmt: skip
    der = b"\x30" + bytes([len(inner)]) + inner
    loaded = SigningKey.from_pem(pem_encode("EC PRIVATE KEY", der))
    assert (loaded.alg, loaded.public_key) == (Algorithm.SM2, key.public_key)


@pytest.mark.parametrize(
    "der",
    [b"", b"\x30\x05\x02\x01\x00", b"\x30\x81", b"\x04\x00"],
    ids=["empty", "short", "truncated", "not-a-sequence"],
)
def test_malformed_der_is_an_invalid_key(der: bytes) -> None:
    with pytest.raises(InvalidKey, match="unusable private key"):
        SigningKey.from_pem(pem_encode("PRIVATE KEY", der))

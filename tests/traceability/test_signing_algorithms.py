"""Signature algorithms: published vectors, round trips, encodings and malleability."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from traceability.errors import InvalidKey
from traceability.signing._encoding import b64url_encode
from traceability.signing._sm2 import Sm2PrivateKey, Sm2PublicKey
from traceability.signing.algorithms import (
    Algorithm,
    SigningKey,
    canonical_public_key,
    load_public_key,
    public_key_fingerprint,
    without_high_s,
)

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
ED25519_L = 2**252 + 27742317777372353535851937790883648493
ORDERS = {Algorithm.ES256: P256_N, Algorithm.ES256K: SECP256K1_N, Algorithm.SM2: SM2_N}


def _b64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- published vectors --------------------------------------------------------

# RFC 8032 section 7.1, TEST 1 (empty message).
ED25519_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
ED25519_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
ED25519_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
    "d25bf5f0595bbe24655141438e7a100b"
)

# RFC 7515 appendix A.3 (JWS ES256 example): raw r||s over the JWS signing input.
ES256_X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"
ES256_Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
ES256_INPUT = (
    b"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9p"
    b"c19yb290Ijp0cnVlfQ"
)
ES256_SIGNATURE = (
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
)

# GM/T 0003.5-2012 appendix A: SM2 signature with SM3 on sm2p256v1, user ID 1234567812345678.
SM2_D = bytes.fromhex("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
SM2_PUBLIC = bytes.fromhex(
    "04"
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
SM2_MESSAGE = b"message digest"
SM2_E = bytes.fromhex("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640")
SM2_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
SM2_SIGNATURE = bytes.fromhex(
    "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
    "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
)


def test_sign_ed25519_matches_rfc8032_vector() -> None:
    key = SigningKey.from_private_bytes(Algorithm.ED25519, ED25519_SECRET)
    assert key.public_key == b64url_encode(ED25519_PUBLIC)
    assert key.sign(b"") == ED25519_SIGNATURE
    assert load_public_key(Algorithm.ED25519, key.public_key).verify(ED25519_SIGNATURE, b"")


def test_verify_es256_accepts_rfc7515_vector_in_low_s_form_only() -> None:
    """The RFC's signature happens to be high-S: sandan takes its low-S twin, and only that."""
    point = b"\x04" + _b64u(ES256_X) + _b64u(ES256_Y)
    verifier = load_public_key(Algorithm.ES256, b64url_encode(point))
    published = _b64u(ES256_SIGNATURE)
    s = int.from_bytes(published[32:], "big")
    assert s > P256_N // 2
    low_s = published[:32] + (P256_N - s).to_bytes(32, "big")
    assert verifier.verify(low_s, ES256_INPUT)
    assert not verifier.verify(low_s, ES256_INPUT + b"x")
    assert not verifier.verify(published, ES256_INPUT)


def test_sign_sm2_with_the_gmt_0003_key() -> None:
    """The standard's key gives its public point and e; Tongsuo draws the nonce, so the
    signature differs from the vector's (made with its fixed k) but verifies the same."""
    key = Sm2PrivateKey(SM2_D)
    assert key.public_key().encoded_point() == SM2_PUBLIC
    assert key.public_key().digest(SM2_MESSAGE) == SM2_E
    first, second = key.sign(SM2_MESSAGE), key.sign(SM2_MESSAGE)
    assert first != second != SM2_SIGNATURE
    verifier = load_public_key(Algorithm.SM2, b64url_encode(SM2_PUBLIC))
    assert verifier.verify(first, SM2_MESSAGE)
    assert verifier.verify(second, SM2_MESSAGE)


def test_verify_sm2_accepts_gmt_0003_vector() -> None:
    verifier = load_public_key(Algorithm.SM2, b64url_encode(SM2_PUBLIC))
    assert verifier.verify(SM2_SIGNATURE, SM2_MESSAGE)
    assert not verifier.verify(SM2_SIGNATURE, b"message digesT")


def test_sm2_signature_out_of_range_or_twin_is_refused() -> None:
    verifier = Sm2PublicKey(SM2_PUBLIC)
    r, s = SM2_SIGNATURE[:32], int.from_bytes(SM2_SIGNATURE[32:], "big")
    assert not verifier.verify(r + (SM2_N - s).to_bytes(32, "big"), SM2_MESSAGE)
    assert not verifier.verify(r + SM2_N.to_bytes(32, "big"), SM2_MESSAGE)
    assert not verifier.verify(bytes(32) + SM2_SIGNATURE[32:], SM2_MESSAGE)
    assert not verifier.verify(SM2_SIGNATURE[:-1], SM2_MESSAGE)


def test_load_sm2_public_key_with_leading_zero_or_four_hex() -> None:
    # A key whose point starts with small bytes round-trips (gmssl used to strip them).
    for _ in range(200):
        key = Sm2PrivateKey.generate()
        if key.public_key().encoded_point()[1] < 0x50:
            break
    else:
        pytest.fail("no key with a small leading byte in 200 draws")
    signature = key.sign(b"abc")
    assert Sm2PublicKey(key.public_key().encoded_point()).verify(signature, b"abc")


# --- round trips and encodings ------------------------------------------------


@pytest.mark.parametrize("alg", list(Algorithm))
def test_sign_message_round_trips(alg: Algorithm) -> None:
    key = SigningKey.generate(alg)
    signature = key.sign(b"hello")
    verifier = load_public_key(alg, key.public_key)
    assert len(signature) == 64
    assert verifier.verify(signature, b"hello")
    assert not verifier.verify(signature, b"hellO")
    assert not verifier.verify(signature[:-1] + bytes([signature[-1] ^ 1]), b"hello")


@pytest.mark.parametrize("alg", list(Algorithm))
def test_load_signing_key_from_private_bytes_keeps_public_key(alg: Algorithm) -> None:
    key = SigningKey.generate(alg)
    again = SigningKey.from_private_bytes(alg, key.private_bytes())
    assert again.public_key == key.public_key
    assert again.alg is alg


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES256K, Algorithm.SM2])
def test_load_public_key_accepts_compressed_point(alg: Algorithm) -> None:
    key = SigningKey.generate(alg)
    point = _b64u(key.public_key)
    compressed = bytes([2 + (point[-1] & 1)]) + point[1:33]
    assert load_public_key(alg, b64url_encode(compressed)).verify(key.sign(b"m"), b"m")


@pytest.mark.parametrize(
    ("alg", "public_key"),
    [
        pytest.param(Algorithm.ED25519, b64url_encode(b"\x01" * 31), id="ed25519-short"),
        pytest.param(Algorithm.ES256, b64url_encode(b"\x04" + b"\x01" * 64), id="es256-off-curve"),
        pytest.param(
            Algorithm.ES256K, b64url_encode(b"\x04" + b"\x01" * 64), id="es256k-off-curve"
        ),
        pytest.param(Algorithm.SM2, b64url_encode(b"\x04" + b"\x01" * 64), id="sm2-off-curve"),
        pytest.param(Algorithm.SM2, b64url_encode(b"\x05" + b"\x01" * 32), id="sm2-bad-prefix"),
        pytest.param(Algorithm.ES256, b64url_encode(b"\x04" + b"\x01" * 10), id="es256-short"),
        pytest.param(Algorithm.ES256, "not base64url!", id="not-base64url"),
        pytest.param(Algorithm.ED25519, b64url_encode(b"\x01" * 32) + "==", id="padded"),
    ],
)
def test_load_public_key_rejects_invalid_key(alg: Algorithm, public_key: str) -> None:
    with pytest.raises(InvalidKey) as info:
        load_public_key(alg, public_key)
    assert info.value.field == "public_key"


@pytest.mark.parametrize(
    ("alg", "data"),
    [
        pytest.param(Algorithm.ED25519, b"\x01" * 31, id="short"),
        pytest.param(Algorithm.ES256, b"\x00" * 32, id="es256-zero-scalar"),
        pytest.param(Algorithm.ES256K, b"\xff" * 32, id="es256k-scalar-above-order"),
        pytest.param(Algorithm.SM2, b"\x00" * 32, id="sm2-zero-scalar"),
    ],
)
def test_load_signing_key_rejects_invalid_private_bytes(alg: Algorithm, data: bytes) -> None:
    with pytest.raises(InvalidKey):
        SigningKey.from_private_bytes(alg, data)


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES256K])
def test_sign_ecdsa_always_produces_low_s(alg: Algorithm) -> None:
    key = SigningKey.generate(alg)
    for index in range(40):
        signature = key.sign(index.to_bytes(2, "big"))
        assert int.from_bytes(signature[32:], "big") <= ORDERS[alg] // 2


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES256K, Algorithm.SM2])
def test_verify_rejects_negated_s_twin(alg: Algorithm) -> None:
    """(r, n - s) of an accepted signature is refused: for ECDSA by the low-S rule, and SM2
    is not malleable that way at all."""
    key = SigningKey.generate(alg)
    signature = key.sign(b"pay 10.00")
    s = int.from_bytes(signature[32:], "big")
    twin = signature[:32] + (ORDERS[alg] - s).to_bytes(32, "big")
    verifier = load_public_key(alg, key.public_key)
    assert verifier.verify(signature, b"pay 10.00")
    assert not verifier.verify(twin, b"pay 10.00")


def test_verify_es256_accepts_only_the_low_s_form_of_an_openssl_signature() -> None:
    """OpenSSL (like WebCrypto) returns high-S half the time: such a signer must normalise."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    verifier = load_public_key(Algorithm.ES256, b64url_encode(point))
    seen = set()
    for index in range(24):
        message = index.to_bytes(2, "big")
        r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256())))
        low, high = sorted((s, P256_N - s))
        seen.add(s == high)
        assert verifier.verify(r.to_bytes(32, "big") + low.to_bytes(32, "big"), message)
        assert not verifier.verify(r.to_bytes(32, "big") + high.to_bytes(32, "big"), message)
    assert seen == {True, False}  # both forms came out of OpenSSL and were judged


def test_verify_ed25519_rejects_non_canonical_s() -> None:
    """OpenSSL refuses s >= L, so s + L (the same value mod L) is no second signature."""
    key = SigningKey.generate(Algorithm.ED25519)
    signature = key.sign(b"m")
    s = int.from_bytes(signature[32:], "little")
    twin = signature[:32] + (s + ED25519_L).to_bytes(32, "little")
    verifier = load_public_key(Algorithm.ED25519, key.public_key)
    assert verifier.verify(signature, b"m")
    assert not verifier.verify(twin, b"m")


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES256K, Algorithm.SM2])
@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(b"\x00" * 64, id="zero-r-s"),
        pytest.param(b"\xff" * 64, id="r-s-above-order"),
        pytest.param(b"\x01" * 63, id="short"),
    ],
)
def test_verify_ecdsa_rejects_out_of_range_signature(alg: Algorithm, signature: bytes) -> None:
    key = SigningKey.generate(alg)
    assert not load_public_key(alg, key.public_key).verify(signature, b"m")


def test_verify_es256_rejects_der_signature() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.sign(b"m", ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    s = min(s, P256_N - s)
    point = private.public_key().public_numbers()
    raw_point = b"\x04" + point.x.to_bytes(32, "big") + point.y.to_bytes(32, "big")
    verifier = load_public_key(Algorithm.ES256, b64url_encode(raw_point))
    assert verifier.verify(r.to_bytes(32, "big") + s.to_bytes(32, "big"), b"m")
    assert not verifier.verify(der, b"m")


@pytest.mark.parametrize(
    ("signer", "verifier"),
    [
        pytest.param(Algorithm.ES256, Algorithm.ES256K, id="p256-as-k256"),
        pytest.param(Algorithm.ES256K, Algorithm.SM2, id="k256-as-sm2"),
    ],
)
def test_verify_signature_under_other_curve_fails(signer: Algorithm, verifier: Algorithm) -> None:
    key = SigningKey.generate(signer)
    signature = key.sign(b"m")
    other = SigningKey.generate(verifier)
    assert not load_public_key(verifier, other.public_key).verify(signature, b"m")


# --- one key, one canonical encoding ------------------------------------------


def _compressed(public_key: str) -> str:
    point = _b64u(public_key)
    return b64url_encode(bytes([2 + (point[-1] & 1)]) + point[1:33])


@pytest.mark.parametrize("alg", [Algorithm.ES256, Algorithm.ES256K, Algorithm.SM2])
def test_canonical_public_key_of_compressed_point_is_the_uncompressed_point(
    alg: Algorithm,
) -> None:
    key = SigningKey.generate(alg)
    compressed = _compressed(key.public_key)
    assert canonical_public_key(alg, compressed) == key.public_key
    assert public_key_fingerprint(alg, compressed) == public_key_fingerprint(alg, key.public_key)
    other = SigningKey.generate(alg)
    assert public_key_fingerprint(alg, other.public_key) != public_key_fingerprint(
        alg, key.public_key
    )


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param((2**255 - 19 + 1).to_bytes(32, "little"), id="y-at-or-above-p"),
        pytest.param((1).to_bytes(32, "little"), id="identity"),
        pytest.param((1 | 1 << 255).to_bytes(32, "little"), id="identity-sign-bit"),
        pytest.param((2**255 - 20).to_bytes(32, "little"), id="order-2"),
        pytest.param(
            bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
            id="order-8",
        ),
    ],
)
def test_load_ed25519_public_key_rejects_non_canonical_or_small_order_point(raw: bytes) -> None:
    """Each such text would be a second name of one point, or a key that verifies what
    nobody signed."""
    with pytest.raises(InvalidKey):
        load_public_key(Algorithm.ED25519, b64url_encode(raw))


def test_without_high_s_turns_only_high_s_es256_into_its_low_s_twin() -> None:
    key = SigningKey.generate(Algorithm.ES256)
    low = key.sign(b"m")
    high = low[:32] + (P256_N - int.from_bytes(low[32:], "big")).to_bytes(32, "big")
    assert without_high_s(Algorithm.ES256, high) == low
    assert without_high_s(Algorithm.ES256, low) == low
    k1 = SigningKey.generate(Algorithm.ES256K).sign(b"m")
    k1_high = k1[:32] + (SECP256K1_N - int.from_bytes(k1[32:], "big")).to_bytes(32, "big")
    assert without_high_s(Algorithm.ES256K, k1_high) == k1_high  # secp256k1 was always low-S

"""Signature algorithms, their key encodings and a small signing-key wrapper.

Every algorithm produces a 64-byte raw signature, carried as base64url:

=========  =====================================  ==========================================
alg        signature                              public key (base64url of)
=========  =====================================  ==========================================
Ed25519    RFC 8032, 64 bytes                     the raw 32-byte key
ES256      ECDSA P-256 + SHA-256, r‖s (JWS)       SEC1 point, 65 bytes 04‖X‖Y (33 compressed
                                                  also accepted)
ES256K     ECDSA secp256k1 + SHA-256, r‖s, low-S  same as ES256
SM2        SM2 + SM3, user ID 1234567812345678,   same as ES256
           r‖s
=========  =====================================  ==========================================

DER-encoded ECDSA signatures are refused (a 64-byte length check happens before
any of this). ES256 and ES256K require s ≤ n/2 (low-S), as Ethereum and Bitcoin do
for secp256k1: for ECDSA, (r, n - s) verifies whenever (r, s) does, so without the
rule anyone could turn a party's signature into a second, different-looking valid
one. :class:`SigningKey` always signs low-S; other signers must normalise (s → n - s).
SM2 needs no such rule: its twin (r, n - s) does not verify (s is bound to r through
t = r + s), and Ed25519's s < L is checked by OpenSSL.

A public key has many texts (compressed or uncompressed points, for instance) but
one canonical encoding, :func:`canonical_public_key`: the raw 32 bytes for Ed25519,
the uncompressed SEC1 point for the others. :func:`public_key_fingerprint` hashes
it, so the same key is recognised however it was written.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from functools import lru_cache
from typing import Final, Protocol

import coincurve
from coincurve.ecdsa import cdata_to_der, deserialize_compact
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from traceability.errors import InvalidKey
from traceability.signing import _pkcs8
from traceability.signing._encoding import b64url_decode, b64url_encode
from traceability.signing._sm2 import Sm2PrivateKey, Sm2PublicKey

__all__ = [
    "SIGNATURE_LENGTH",
    "Algorithm",
    "PublicKeyVerifier",
    "SigningKey",
    "canonical_public_key",
    "load_public_key",
    "public_key_fingerprint",
    "without_high_s",
]

#: Every supported algorithm signs with 64 raw bytes.
SIGNATURE_LENGTH: Final = 64

_SECP256K1_N: Final = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_P256_N: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_ED25519_P: Final = 2**255 - 19
# y of the eight points of small order (sign bit aside): a key there verifies
# signatures nobody made (libsodium refuses the same list).
_ED25519_SMALL_ORDER_Y: Final = frozenset(
    {
        0,
        1,
        _ED25519_P - 1,
        int.from_bytes(
            bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
            "little",
        ),
        int.from_bytes(
            bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
            "little",
        ),
    }
)


class Algorithm(StrEnum):
    """Signature algorithm names as they appear in an envelope's ``alg``."""

    ED25519 = "Ed25519"
    ES256 = "ES256"
    ES256K = "ES256K"
    SM2 = "SM2"


class PublicKeyVerifier(Protocol):
    """A loaded public key that checks 64-byte signatures over a message."""

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Tell whether ``signature`` is valid for ``message``."""
        ...

    def canonical_bytes(self) -> bytes:
        """The key's one encoding: raw 32 bytes (Ed25519) or the uncompressed SEC1 point."""
        ...


_CURVES: Final[dict[Algorithm, ec.EllipticCurve]] = {
    Algorithm.ES256: ec.SECP256R1(),
    Algorithm.ES256K: ec.SECP256K1(),
}


def _check_ed25519_point(raw: bytes) -> None:
    if len(raw) != 32:
        raise ValueError("Ed25519 public key must be 32 raw bytes")
    y = int.from_bytes(raw, "little") & ~(1 << 255)
    if y >= _ED25519_P:
        raise ValueError("Ed25519 public key is not canonically encoded (y >= p)")
    if y in _ED25519_SMALL_ORDER_Y:
        raise ValueError("Ed25519 public key is a point of small order")


class _Ed25519Verifier:
    __slots__ = ("_key", "_raw")

    def __init__(self, raw: bytes) -> None:
        _check_ed25519_point(raw)
        self._key = ed25519.Ed25519PublicKey.from_public_bytes(raw)
        self._raw = raw

    def canonical_bytes(self) -> bytes:
        return self._raw

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def _check_point_length(alg: Algorithm, point: bytes) -> None:
    if len(point) not in (33, 65):
        raise ValueError(f"{alg} public key must be a 65- or 33-byte SEC1 point")


class _P256Verifier:
    __slots__ = ("_key",)

    def __init__(self, point: bytes) -> None:
        _check_point_length(Algorithm.ES256, point)
        self._key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)

    def canonical_bytes(self) -> bytes:
        return self._key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != SIGNATURE_LENGTH:
            return False
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        if s > _P256_N // 2:
            return False  # high-S: malleable twin of a valid signature
        try:
            self._key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


class _Secp256k1Verifier:
    # libsecp256k1 (coincurve) verifies about 9x faster than OpenSSL on this curve.
    __slots__ = ("_key",)

    def __init__(self, point: bytes) -> None:
        _check_point_length(Algorithm.ES256K, point)
        self._key = coincurve.PublicKey(point)

    def canonical_bytes(self) -> bytes:
        return self._key.format(compressed=False)

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != SIGNATURE_LENGTH:
            return False
        if int.from_bytes(signature[32:], "big") > _SECP256K1_N // 2:
            return False  # high-S: malleable twin of a valid signature
        try:
            der = cdata_to_der(deserialize_compact(signature))
        except ValueError:
            return False  # r or s not below the group order
        return bool(self._key.verify(der, message))


@lru_cache(maxsize=4096)
def load_public_key(alg: Algorithm, public_key: str) -> PublicKeyVerifier:
    """Load a base64url public key for ``alg``; cached, so each key is parsed once.

    Raises :class:`~traceability.errors.InvalidKey` when the text or the point is invalid.
    """
    try:
        raw = b64url_decode(public_key)
        if alg is Algorithm.ED25519:
            return _Ed25519Verifier(raw)
        if alg is Algorithm.SM2:
            return Sm2PublicKey(raw)
        if alg is Algorithm.ES256K:
            return _Secp256k1Verifier(raw)
        return _P256Verifier(raw)
    except ValueError as exc:
        raise InvalidKey(f"invalid {alg} public key: {exc}", field="public_key") from exc


def canonical_public_key(alg: Algorithm, public_key: str) -> str:
    """The canonical base64url text of a public key (raw Ed25519, uncompressed EC point).

    Raises :class:`~traceability.errors.InvalidKey` as :func:`load_public_key` does.
    """
    return b64url_encode(load_public_key(alg, public_key).canonical_bytes())


def public_key_fingerprint(alg: Algorithm, public_key: str) -> str:
    """Hex SHA-256 of the key's canonical bytes: equal for every text of the same key.

    The algorithm is left out on purpose: the canonical encodings of the curves never
    share a length with Ed25519's, and a point valid on two curves is one set of bytes
    that must not belong to two parties either.
    """
    return hashlib.sha256(load_public_key(alg, public_key).canonical_bytes()).hexdigest()


def without_high_s(alg: Algorithm, signature: bytes) -> bytes:
    """The low-S form of an ES256 signature; any other signature unchanged.

    For verifiers of what is already anchored: ES256 documents accepted before sandan
    required low-S may carry either s, and (r, n - s) proves exactly what (r, s) does.
    Submissions never go through this: there the high-S form is refused.
    """
    if Algorithm(alg) is not Algorithm.ES256 or len(signature) != SIGNATURE_LENGTH:
        return signature
    s = int.from_bytes(signature[32:], "big")
    if s <= _P256_N // 2:
        return signature
    return signature[:32] + (_P256_N - s).to_bytes(32, "big")


class SigningKey:
    """A private key of one algorithm that produces 64-byte raw signatures."""

    __slots__ = ("_alg", "_key")

    def __init__(
        self,
        alg: Algorithm,
        key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | Sm2PrivateKey,
    ) -> None:
        """Wrap a loaded private key; prefer :meth:`generate` or :meth:`from_private_bytes`."""
        self._alg = Algorithm(alg)
        self._key = key

    @classmethod
    def generate(cls, alg: Algorithm) -> SigningKey:
        """Return a new random key for ``alg`` (reads the OS randomness source)."""
        alg = Algorithm(alg)
        if alg is Algorithm.ED25519:
            return cls(alg, ed25519.Ed25519PrivateKey.generate())
        if alg is Algorithm.SM2:
            return cls(alg, Sm2PrivateKey.generate())
        return cls(alg, ec.generate_private_key(_CURVES[alg]))

    @classmethod
    def from_private_bytes(cls, alg: Algorithm, data: bytes) -> SigningKey:
        """Load a 32-byte private key (Ed25519 seed or big-endian EC scalar)."""
        alg = Algorithm(alg)
        if len(data) != 32:
            raise InvalidKey(f"{alg} private key must be 32 bytes", field="private_key")
        try:
            if alg is Algorithm.ED25519:
                return cls(alg, ed25519.Ed25519PrivateKey.from_private_bytes(data))
            if alg is Algorithm.SM2:
                return cls(alg, Sm2PrivateKey(data))
            return cls(alg, ec.derive_private_key(int.from_bytes(data, "big"), _CURVES[alg]))
        except ValueError as exc:
            raise InvalidKey(f"invalid {alg} private key: {exc}", field="private_key") from exc

    @property
    def alg(self) -> Algorithm:
        """The algorithm this key signs with."""
        return self._alg

    def private_bytes(self) -> bytes:
        """Return the 32-byte private key (keep it secret)."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.private_bytes_raw()
        if isinstance(key, Sm2PrivateKey):
            return key.private_bytes()
        return key.private_numbers().private_value.to_bytes(32, "big")

    @property
    def public_key(self) -> str:
        """The public key in this module's base64url encoding (uncompressed for EC)."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            raw = key.public_key().public_bytes_raw()
        elif isinstance(key, Sm2PrivateKey):
            raw = key.public_key().encoded_point()
        else:
            raw = key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        return b64url_encode(raw)

    def sign(self, message: bytes) -> bytes:
        """Return the 64-byte raw signature of ``message``."""
        key = self._key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(message)
        if isinstance(key, Sm2PrivateKey):
            return key.sign(message)
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
        n = _SECP256K1_N if self._alg is Algorithm.ES256K else _P256_N
        if s > n // 2:
            s = n - s  # the low-S twin is equally valid and the only one we accept
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def to_pkcs8_pem(self) -> bytes:
        """The key as unencrypted PKCS#8 PEM (``-----BEGIN PRIVATE KEY-----``), as OpenSSL
        writes it; SM2 too (id-ecPublicKey with the named curve SM2)."""
        key = self._key
        if isinstance(key, Sm2PrivateKey):
            der = _pkcs8.sm2_pkcs8_der(key.private_bytes(), key.public_key().encoded_point())
            return _pkcs8.pem_encode("PRIVATE KEY", der)
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(cls, data: bytes) -> SigningKey:
        """Load an unencrypted PKCS#8 (or SEC1 ``EC PRIVATE KEY``) PEM key of any of the four
        algorithms, telling the algorithm from the key itself.

        Raises :class:`~traceability.errors.InvalidKey` naming what is wrong: no PEM, an
        encrypted key, or an algorithm or curve sandan does not sign with.
        """
        try:
            label, der = _pkcs8.pem_decode(data)
            if label == "ENCRYPTED PRIVATE KEY":
                raise ValueError("the key is encrypted; decrypt it first (openssl pkey -in F)")
            if label not in ("PRIVATE KEY", "EC PRIVATE KEY"):
                raise ValueError(f"a {label} is not a private key")
            shape = _pkcs8.describe_private_key(label, der)
            alg = Algorithm(_pkcs8.algorithm_name(shape))
            if alg is Algorithm.SM2:
                return cls._sm2_from_der(label, der)
            loaded = serialization.load_der_private_key(der, password=None)
        except ValueError as exc:
            raise InvalidKey(f"unusable private key: {exc}", field="private_key") from exc
        if not isinstance(loaded, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
            raise InvalidKey("unusable private key: unsupported key type", field="private_key")
        return cls(alg, loaded)

    @classmethod
    def _sm2_from_der(cls, label: str, der: bytes) -> SigningKey:
        scalar, point = _pkcs8.sm2_private_scalar(label, der)
        key = Sm2PrivateKey(scalar)
        if point is not None and Sm2PublicKey(point).encoded_point() != (
            key.public_key().encoded_point()
        ):
            raise ValueError("the public key in the file does not belong to its private key")
        return cls(Algorithm.SM2, key)

    def __repr__(self) -> str:
        return f"SigningKey(alg={self._alg.value!r}, public_key={self.public_key!r})"

"""SM2 signatures with SM3 (GB/T 32918.2, GM/T 0003.2) over the recommended curve sm2p256v1.

The arithmetic is Tongsuo's (the OpenSSL fork maintained for the Chinese algorithms),
through ``tongsuopy``, its pyca/cryptography-style binding with Tongsuo built into the
wheel: a few thousand verifications a second on one core, where the pure-Python
``gmssl`` managed about a hundred. Tongsuo computes Z with the default user ID
``1234567812345678`` (GB/T 35276 §10; checked against GM/T 0003.5 appendix A in the
tests), which is the one sandan uses. Around it, what is ours:

* the one wire form sandan carries, 64 bytes r‖s, converted to and from Tongsuo's DER;
* r and s are range-checked before verification. There is no low-S rule, as SM2
  needs none: the point checked is sG + (r + s)P, so the ECDSA twin (r, n - s) names
  another point and fails, and the one other signature with the same r (from -k)
  takes the private key to compute;
* public keys are decoded and checked to lie on the curve with a clear reason
  before Tongsuo sees them.

e = SM3(Z ‖ M), the value actually signed, is also computed here (SM3 from OpenSSL,
through ``cryptography``) so that tests can compare it with the standard's vector.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from tongsuopy.crypto import hashes as tongsuo_hashes
from tongsuopy.crypto.asymciphers import ec as tongsuo_ec
from tongsuopy.crypto.exceptions import InvalidSignature

__all__ = ["DEFAULT_USER_ID", "Sm2PrivateKey", "Sm2PublicKey"]

#: The user ID the standard and every common implementation use when none is agreed.
DEFAULT_USER_ID: Final = b"1234567812345678"

_P: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF
_A: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC
_B: Final = 0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93
_N: Final = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123
_G: Final = bytes.fromhex(
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0"
)
_FIELD: Final = 32
_CURVE: Final = tongsuo_ec.SM2()
_SIGNATURE: Final = tongsuo_ec.ECDSA(tongsuo_hashes.SM3())


def _sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _decode_point(data: bytes) -> tuple[int, int]:
    """Decode a SEC1 point (0x04‖X‖Y or 0x02/0x03‖X) and check it lies on the curve."""
    if len(data) == 1 + 2 * _FIELD and data[0] == 4:
        x = int.from_bytes(data[1 : 1 + _FIELD], "big")
        y = int.from_bytes(data[1 + _FIELD :], "big")
    elif len(data) == 1 + _FIELD and data[0] in (2, 3):
        x = int.from_bytes(data[1:], "big")
        y = _lift_x(x, odd=data[0] == 3)
    else:
        raise ValueError(
            "SM2 public key must be a 65-byte uncompressed or 33-byte compressed point"
        )
    if not (x < _P and y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0):
        raise ValueError("SM2 public key is not a point on sm2p256v1")
    return x, y


def _lift_x(x: int, *, odd: bool) -> int:
    """Return the y with the given parity for ``x`` (p ≡ 3 mod 4, so one exponentiation)."""
    rhs = (x * x * x + _A * x + _B) % _P
    y = pow(rhs, (_P + 1) // 4, _P)
    if y * y % _P != rhs:
        raise ValueError("SM2 public key x has no point on sm2p256v1")
    return y if (y & 1) == odd else _P - y


class Sm2PublicKey:
    """An SM2 public key that verifies raw r‖s signatures over SM3(Z‖M)."""

    __slots__ = ("_key", "_xy", "_z")

    def __init__(self, point: bytes) -> None:
        """Load a SEC1-encoded point; raise ``ValueError`` if it is not on the curve."""
        x, y = _decode_point(point)
        self._xy = x.to_bytes(_FIELD, "big") + y.to_bytes(_FIELD, "big")
        self._key = tongsuo_ec.EllipticCurvePublicKey.from_encoded_point(
            _CURVE, self.encoded_point()
        )
        self._z = _sm3(
            (len(DEFAULT_USER_ID) * 8).to_bytes(2, "big")
            + DEFAULT_USER_ID
            + _A.to_bytes(_FIELD, "big")
            + _B.to_bytes(_FIELD, "big")
            + _G
            + self._xy
        )

    def encoded_point(self) -> bytes:
        """Return the 65-byte uncompressed SEC1 encoding (0x04‖X‖Y)."""
        return b"\x04" + self._xy

    def canonical_bytes(self) -> bytes:
        """The key's one encoding, the uncompressed point (whatever form it was loaded from)."""
        return self.encoded_point()

    @property
    def z(self) -> bytes:
        """Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ G ‖ P) under the default user ID (GB/T 32918.2)."""
        return self._z

    def digest(self, message: bytes) -> bytes:
        """Return e = SM3(Z_A ‖ M), the value actually signed."""
        return _sm3(self._z + message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Tell whether ``signature`` (64 bytes r‖s) is valid for ``message``."""
        if len(signature) != 2 * _FIELD:
            return False
        r = int.from_bytes(signature[:_FIELD], "big")
        s = int.from_bytes(signature[_FIELD:], "big")
        return self._verify_rs(r, s, message)

    def verify_der(self, signature: bytes, message: bytes) -> bool:
        """Tell whether ``signature`` (a DER SEQUENCE of r and s, as X.509 certificates
        carry it) is valid for ``message``."""
        try:
            r, s = decode_dss_signature(signature)
        except ValueError:
            return False
        return self._verify_rs(r, s, message)

    def _verify_rs(self, r: int, s: int, message: bytes) -> bool:
        if not (0 < r < _N and 0 < s < _N):
            return False
        try:
            self._key.verify(encode_dss_signature(r, s), message, _SIGNATURE)
        except InvalidSignature:
            return False
        return True


class Sm2PrivateKey:
    """An SM2 private key (scalar d in [1, n-2]) for signing with SM3 and the default user ID."""

    __slots__ = ("_d", "_key", "_public")

    def __init__(self, scalar: bytes) -> None:
        """Load a 32-byte big-endian private scalar; raise ``ValueError`` if out of range."""
        d = int.from_bytes(scalar, "big")
        if len(scalar) != _FIELD or not 0 < d < _N - 1:
            raise ValueError("SM2 private key must be 32 bytes encoding 1 <= d <= n - 2")
        self._d = d
        self._key = tongsuo_ec.derive_private_key(d, _CURVE)
        numbers = self._key.public_key().public_numbers()
        self._public = Sm2PublicKey(
            b"\x04" + numbers.x.to_bytes(_FIELD, "big") + numbers.y.to_bytes(_FIELD, "big")
        )

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        """Return a new random key (Tongsuo's generator, from the OS randomness source)."""
        while True:
            d = tongsuo_ec.generate_private_key(_CURVE).private_numbers().private_value
            if d < _N - 1:  # SM2 excludes n - 1, which ECDSA key generation allows
                return cls(d.to_bytes(_FIELD, "big"))

    def private_bytes(self) -> bytes:
        """Return the 32-byte big-endian scalar."""
        return self._d.to_bytes(_FIELD, "big")

    def public_key(self) -> Sm2PublicKey:
        """Return the matching public key."""
        return self._public

    def sign(self, message: bytes) -> bytes:
        """Return a 64-byte r‖s signature (Tongsuo draws the nonce)."""
        r, s = decode_dss_signature(self._key.sign(message, _SIGNATURE))
        return r.to_bytes(_FIELD, "big") + s.to_bytes(_FIELD, "big")

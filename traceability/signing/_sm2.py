"""SM2 signatures with SM3 (GB/T 32918.2, GM/T 0003.2) over the recommended curve sm2p256v1.

The elliptic-curve arithmetic comes from ``gmssl`` (checked against the signing
example of GM/T 0003.5 appendix A in the tests). Everything around it is ours,
because ``gmssl`` gets these wrong or leaves them out:

* SM3 (for Z and e) is OpenSSL's, through ``cryptography``: fast and reviewed;
* public keys are checked to lie on the curve before use;
* r and s are range-checked before verification. There is no low-S rule, as SM2
  needs none: the point checked is sG + (r + s)P, so the ECDSA twin (r, n - s) names
  another point and fails, and the one other signature with the same r (from -k)
  takes the private key to compute;
* the per-signature nonce k comes from :mod:`secrets` (``gmssl`` uses :mod:`random`);
* the public key is set after construction, because ``CryptSM2`` mangles keys
  whose hex starts with ``0`` or ``4`` (it calls ``str.lstrip("04")``).

``gmssl`` is pure Python: about 100 verifications per second per core, against
thousands for Ed25519 / P-256. Signing is not constant time, so a party's
production SM2 key belongs in its own HSM or GmSSL; signing here serves tests,
demos and tools.
"""

from __future__ import annotations

import secrets
from typing import Final

from cryptography.hazmat.primitives import hashes
from gmssl.sm2 import CryptSM2, default_ecc_table

__all__ = ["DEFAULT_USER_ID", "Sm2PrivateKey", "Sm2PublicKey"]

#: The user ID the standard and every common implementation use when none is agreed.
DEFAULT_USER_ID: Final = b"1234567812345678"

_P: Final = int(default_ecc_table["p"], 16)
_A: Final = int(default_ecc_table["a"], 16)
_B: Final = int(default_ecc_table["b"], 16)
_N: Final = int(default_ecc_table["n"], 16)
_G: Final = bytes.fromhex(default_ecc_table["g"])
_FIELD: Final = 32


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

    __slots__ = ("_engine", "_xy", "_z")

    def __init__(self, point: bytes, user_id: bytes = DEFAULT_USER_ID) -> None:
        """Load a SEC1-encoded point; raise ``ValueError`` if it is not on the curve."""
        x, y = _decode_point(point)
        self._xy = x.to_bytes(_FIELD, "big") + y.to_bytes(_FIELD, "big")
        self._z = _sm3(
            (len(user_id) * 8).to_bytes(2, "big")
            + user_id
            + _A.to_bytes(_FIELD, "big")
            + _B.to_bytes(_FIELD, "big")
            + _G
            + self._xy
        )
        self._engine = CryptSM2(private_key="", public_key="")
        self._engine.public_key = self._xy.hex()

    def encoded_point(self) -> bytes:
        """Return the 65-byte uncompressed SEC1 encoding (0x04‖X‖Y)."""
        return b"\x04" + self._xy

    def canonical_bytes(self) -> bytes:
        """The key's one encoding, the uncompressed point (whatever form it was loaded from)."""
        return self.encoded_point()

    def digest(self, message: bytes) -> bytes:
        """Return e = SM3(Z_A ‖ M), the value that is actually signed."""
        return _sm3(self._z + message)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Tell whether ``signature`` (64 bytes r‖s) is valid for ``message``."""
        if len(signature) != 2 * _FIELD:
            return False
        r = int.from_bytes(signature[:_FIELD], "big")
        s = int.from_bytes(signature[_FIELD:], "big")
        if not (0 < r < _N and 0 < s < _N):
            return False
        try:
            return bool(self._engine.verify(signature.hex(), self.digest(message)))
        except (TypeError, ValueError):
            # gmssl returns None for the point at infinity and then fails to slice it.
            return False


class Sm2PrivateKey:
    """An SM2 private key (scalar d in [1, n-2]) for signing with SM3 and the default user ID."""

    __slots__ = ("_d", "_engine", "_public")

    def __init__(self, scalar: bytes) -> None:
        """Load a 32-byte big-endian private scalar; raise ``ValueError`` if out of range."""
        d = int.from_bytes(scalar, "big")
        if len(scalar) != _FIELD or not 0 < d < _N - 1:
            raise ValueError("SM2 private key must be 32 bytes encoding 1 <= d <= n - 2")
        self._d = d
        self._engine = CryptSM2(private_key=f"{d:064x}", public_key="")
        xy_hex = self._engine._kg(d, default_ecc_table["g"])
        self._engine.public_key = xy_hex
        self._public = Sm2PublicKey(b"\x04" + bytes.fromhex(xy_hex))

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        """Return a new random key."""
        return cls((secrets.randbelow(_N - 2) + 1).to_bytes(_FIELD, "big"))

    def private_bytes(self) -> bytes:
        """Return the 32-byte big-endian scalar."""
        return self._d.to_bytes(_FIELD, "big")

    def public_key(self) -> Sm2PublicKey:
        """Return the matching public key."""
        return self._public

    def sign(self, message: bytes, *, nonce: int | None = None) -> bytes:
        """Return a 64-byte r‖s signature; ``nonce`` is for known-answer tests only."""
        digest = self._public.digest(message)
        while True:
            k = nonce if nonce is not None else secrets.randbelow(_N - 1) + 1
            signature = self._engine.sign(digest, f"{k:064x}")
            if signature is not None:
                return bytes.fromhex(signature)
            if nonce is not None:
                raise ValueError("this nonce yields r = 0 or s = 0; choose another")

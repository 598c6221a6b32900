"""PEM / DER of private keys: just enough ASN.1 to name a key's algorithm and to carry SM2.

``cryptography`` reads and writes PKCS#8 for Ed25519, P-256 and secp256k1, but not for
SM2, whose curve it does not know. No ASN.1 library is installed (neither asn1crypto
nor pyasn1), and the structures involved are three fixed SEQUENCEs, so this module
holds a small DER reader and writer for exactly them:

* PrivateKeyInfo (RFC 5208 / 5958): ``SEQUENCE {INTEGER 0, AlgorithmIdentifier,
  OCTET STRING}``, with AlgorithmIdentifier ``SEQUENCE {OID, parameters}``;
* ECPrivateKey (RFC 5915): ``SEQUENCE {INTEGER 1, OCTET STRING d, [0] curve OID
  OPTIONAL, [1] BIT STRING point OPTIONAL}``;
* the SM2 form OpenSSL 3 writes (``openssl genpkey -algorithm SM2``): id-ecPublicKey
  with the named curve SM2 (1.2.156.10197.1.301), no [0] inside, the point in [1].

Reading only classifies a key and extracts an SM2 scalar; every other key is handed
to ``cryptography`` whole, so its checks apply.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "EC_PUBLIC_KEY_OID",
    "ED25519_OID",
    "SECP256K1_OID",
    "SECP256R1_OID",
    "SM2_CURVE_OID",
    "KeyShape",
    "algorithm_name",
    "describe_private_key",
    "pem_decode",
    "pem_encode",
    "sm2_pkcs8_der",
    "sm2_private_scalar",
]

ED25519_OID: Final = "1.3.101.112"
EC_PUBLIC_KEY_OID: Final = "1.2.840.10045.2.1"
SECP256R1_OID: Final = "1.2.840.10045.3.1.7"
SECP256K1_OID: Final = "1.3.132.0.10"
SM2_CURVE_OID: Final = "1.2.156.10197.1.301"

_SEQUENCE, _INTEGER, _OCTETS, _BITS, _OID = 0x30, 0x02, 0x04, 0x03, 0x06
_CONTEXT_0, _CONTEXT_1 = 0xA0, 0xA1
_PEM: Final = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\s*([A-Za-z0-9+/=\s]*?)\s*-----END \1-----")


@dataclass(frozen=True, slots=True)
class KeyShape:
    """What a private key file holds: its PEM label, key algorithm OID and curve OID."""

    label: str
    algorithm: str
    curve: str | None


#: The envelope ``alg`` of each supported named curve.
_ALGORITHM_OF_CURVE: Final = {SECP256R1_OID: "ES256", SECP256K1_OID: "ES256K", SM2_CURVE_OID: "SM2"}


def algorithm_name(shape: KeyShape) -> str:
    """The envelope ``alg`` a key signs with; ``ValueError`` naming an unsupported OID."""
    if shape.algorithm == ED25519_OID:
        return "Ed25519"
    if shape.algorithm != EC_PUBLIC_KEY_OID:
        raise ValueError(
            f"key algorithm {shape.algorithm} is not supported (Ed25519, ES256, ES256K, SM2)"
        )
    name = _ALGORITHM_OF_CURVE.get(shape.curve or "")
    if name is None:
        raise ValueError(
            f"curve {shape.curve or '(explicit parameters)'} is not supported "
            "(P-256, secp256k1, SM2)"
        )
    return name


# --- DER reading ---------------------------------------------------------------


def _read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One TLV at ``offset``: (tag, value, offset after it); ``ValueError`` if truncated."""
    if offset + 2 > len(data):
        raise ValueError("truncated DER")
    tag, length, offset = data[offset], data[offset + 1], offset + 2
    if length & 0x80:
        size = length & 0x7F
        if not 1 <= size <= 3 or offset + size > len(data):
            raise ValueError("bad DER length")
        length, offset = int.from_bytes(data[offset : offset + size], "big"), offset + size
    end = offset + length
    if end > len(data):
        raise ValueError("truncated DER")
    return tag, data[offset:end], end


def _children(value: bytes) -> list[tuple[int, bytes]]:
    """The TLVs inside a constructed value."""
    items, offset = [], 0
    while offset < len(value):
        tag, inner, offset = _read(value, offset)
        items.append((tag, inner))
    return items


def _sequence(der: bytes) -> list[tuple[int, bytes]]:
    tag, value, end = _read(der, 0)
    if tag != _SEQUENCE or end != len(der):
        raise ValueError("not a DER SEQUENCE")
    return _children(value)


def _oid_text(value: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content octets."""
    if not value:
        raise ValueError("empty OID")
    arcs, current = [], 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(current)
            current = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in (first, arcs[0] - 40 * first, *arcs[1:]))


def _expect(item: tuple[int, bytes], tag: int, what: str) -> bytes:
    if item[0] != tag:
        raise ValueError(f"{what} expected")
    return item[1]


def describe_private_key(label: str, der: bytes) -> KeyShape:
    """Classify a ``PRIVATE KEY`` (PKCS#8) or ``EC PRIVATE KEY`` (SEC1) DER value."""
    fields = _sequence(der)
    if label == "EC PRIVATE KEY":
        return KeyShape(label, EC_PUBLIC_KEY_OID, _ec_parts(der)[1])
    if len(fields) < 3:
        raise ValueError("PrivateKeyInfo needs version, algorithm and key")
    algorithm = _children(_expect(fields[1], _SEQUENCE, "AlgorithmIdentifier"))
    oid = _oid_text(_expect(algorithm[0], _OID, "algorithm OID"))
    curve = None
    if len(algorithm) > 1 and algorithm[1][0] == _OID:
        curve = _oid_text(algorithm[1][1])
    if curve is None and oid == EC_PUBLIC_KEY_OID:
        curve = _ec_parts(_expect(fields[2], _OCTETS, "privateKey"))[1]
    return KeyShape(label, oid, curve)


def _ec_parts(der: bytes) -> tuple[bytes, str | None, bytes | None]:
    """(private scalar, curve OID from [0], point from [1]) of an ECPrivateKey."""
    fields = _sequence(der)
    if len(fields) < 2 or _expect(fields[0], _INTEGER, "version") != b"\x01":
        raise ValueError("ECPrivateKey version must be 1")
    scalar = _expect(fields[1], _OCTETS, "private key octets")
    curve = point = None
    for tag, value in fields[2:]:
        if tag == _CONTEXT_0:
            curve = _oid_text(_expect(_children(value)[0], _OID, "curve OID"))
        elif tag == _CONTEXT_1:
            bits = _expect(_children(value)[0], _BITS, "public key BIT STRING")
            point = bits[1:]  # the first octet counts unused bits: 0 for a point
    return scalar.rjust(32, b"\x00"), curve, point


def sm2_private_scalar(label: str, der: bytes) -> tuple[bytes, bytes | None]:
    """The 32-byte scalar and the point (if the file carries one) of an SM2 key's DER."""
    if label == "EC PRIVATE KEY":
        scalar, _, point = _ec_parts(der)
    else:
        scalar, _, point = _ec_parts(_expect(_sequence(der)[2], _OCTETS, "privateKey"))
    if len(scalar) != 32:
        raise ValueError("SM2 private key must be 32 bytes")
    return scalar, point


# --- DER writing ---------------------------------------------------------------


def _tlv(tag: int, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        return bytes([tag, size]) + value
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + value


def _oid(text: str) -> bytes:
    arcs = [int(part) for part in text.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        body.extend(reversed(chunk))
    return _tlv(_OID, bytes(body))


def sm2_pkcs8_der(scalar: bytes, point: bytes) -> bytes:
    """PKCS#8 DER of an SM2 key in the form OpenSSL 3 writes and reads."""
    ec_private_key = _tlv(
        _SEQUENCE,
        _tlv(_INTEGER, b"\x01")
        + _tlv(_OCTETS, scalar)
        + _tlv(_CONTEXT_1, _tlv(_BITS, b"\x00" + point)),
    )
    algorithm = _tlv(_SEQUENCE, _oid(EC_PUBLIC_KEY_OID) + _oid(SM2_CURVE_OID))
    return _tlv(_SEQUENCE, _tlv(_INTEGER, b"\x00") + algorithm + _tlv(_OCTETS, ec_private_key))


# --- PEM -----------------------------------------------------------------------


def pem_decode(data: bytes) -> tuple[str, bytes]:
    """The label and DER of the first PEM block in ``data``; ``ValueError`` if there is none."""
    match = _PEM.search(data)
    if match is None:
        raise ValueError("no PEM block (-----BEGIN ... -----) found")
    try:
        der = base64.b64decode(b"".join(match.group(2).split()), validate=True)
    except binascii.Error as exc:
        raise ValueError("the PEM block is not valid base64") from exc
    return match.group(1).decode("ascii"), der


def pem_encode(label: str, der: bytes) -> bytes:
    """``der`` as a PEM block with ``label``, 64 characters a line."""
    text = base64.b64encode(der)
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    header, footer = f"-----BEGIN {label}-----", f"-----END {label}-----"
    return b"\n".join([header.encode(), *lines, footer.encode()]) + b"\n"

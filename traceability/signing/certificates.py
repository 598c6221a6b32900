"""The public key of an X.509 certificate, SM2 included.

``cryptography`` reads any certificate's structure but refuses to load a key on a curve
it does not support, and the e-port's enterprise certificates (电子口岸卡) carry SM2
keys (id-ecPublicKey with the named curve 1.2.156.10197.1.301). This module takes the
SubjectPublicKeyInfo out of the to-be-signed bytes itself, so that every certificate
has a key fingerprint, and returns an SM2 key as sandan's :class:`Sm2PublicKey`.
"""

from __future__ import annotations

import hashlib
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from traceability.signing import _pkcs8
from traceability.signing._sm2 import Sm2PublicKey

__all__ = [
    "SM2_CURVE_OID",
    "SM2_WITH_SM3_OID",
    "CertificateKey",
    "Sm2PublicKey",
    "certificate_key",
    "spki_der",
    "spki_fingerprint",
]

SM2_CURVE_OID: Final = "1.2.156.10197.1.301"
SM2_WITH_SM3_OID: Final = "1.2.156.10197.1.501"
_EC_PUBLIC_KEY_OID: Final = "1.2.840.10045.2.1"
_SEQUENCE: Final = 0x30
_OID: Final = 0x06
_BIT_STRING: Final = 0x03

CertificateKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | Sm2PublicKey


def spki_der(certificate: x509.Certificate) -> bytes:
    """The certificate's SubjectPublicKeyInfo, exactly as encoded in it.

    TBSCertificate is SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
    validity, subject, subjectPublicKeyInfo, ... }; ``ValueError`` if it is not.
    """
    tag, body, _ = _pkcs8._read(certificate.tbs_certificate_bytes, 0)
    if tag != _SEQUENCE:
        raise ValueError("the certificate's TBSCertificate is not a SEQUENCE")
    fields: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(body) and len(fields) < 7:
        start = offset
        tag, _value, offset = _pkcs8._read(body, offset)
        fields.append((tag, body[start:offset]))
    if fields and fields[0][0] == 0xA0:  # the explicit version; v1 certificates omit it
        fields = fields[1:]
    if len(fields) < 6 or fields[5][0] != _SEQUENCE:
        raise ValueError("the certificate has no SubjectPublicKeyInfo")
    return fields[5][1]


def spki_fingerprint(certificate: x509.Certificate) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: one value per key pair, whatever else
    two certificates of it differ in, and whatever the key's algorithm."""
    try:
        key = certificate.public_key()
    except UnsupportedAlgorithm:
        return hashlib.sha256(spki_der(certificate)).hexdigest()
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def _sm2_point(spki: bytes) -> bytes | None:
    """The SEC1 point of an SM2 SubjectPublicKeyInfo, None for any other key."""
    algorithm, key = _pkcs8._sequence(spki)
    parts = _pkcs8._children(_pkcs8._expect(algorithm, _SEQUENCE, "AlgorithmIdentifier"))
    if len(parts) != 2 or parts[0][0] != _OID or parts[1][0] != _OID:
        return None
    if (_pkcs8._oid_text(parts[0][1]), _pkcs8._oid_text(parts[1][1])) != (
        _EC_PUBLIC_KEY_OID,
        SM2_CURVE_OID,
    ):
        return None
    bits = _pkcs8._expect(key, _BIT_STRING, "subjectPublicKey BIT STRING")
    if not bits or bits[0] != 0:
        raise ValueError("the SM2 public key BIT STRING has unused bits")
    return bits[1:]


def certificate_key(certificate: x509.Certificate) -> CertificateKey:
    """The certificate's public key: RSA, an EC curve ``cryptography`` knows, or SM2.

    ``ValueError`` for any other key, or an SM2 point not on the curve.
    """
    try:
        key = certificate.public_key()
    except UnsupportedAlgorithm:
        point = _sm2_point(spki_der(certificate))
        if point is None:
            raise ValueError("the certificate's key algorithm is not supported") from None
        return Sm2PublicKey(point)
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"the certificate's {type(key).__name__} is not supported")
    return key

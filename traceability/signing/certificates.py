"""X.509 certificates, SM2 included: their public key, and their chain to trusted CAs.

``cryptography`` reads any certificate's structure but refuses to load a key on a curve
it does not support, and the e-port's enterprise certificates (电子口岸卡) carry SM2
keys (id-ecPublicKey with the named curve 1.2.156.10197.1.301). This module takes the
SubjectPublicKeyInfo out of the to-be-signed bytes itself, so that every certificate
has a key fingerprint, and returns an SM2 key as sandan's :class:`Sm2PublicKey`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from traceability.signing import _pkcs8
from traceability.signing._sm2 import Sm2PublicKey

__all__ = [
    "SM2_CURVE_OID",
    "SM2_WITH_SM3_OID",
    "CertificateKey",
    "CertificateRejected",
    "Sm2PublicKey",
    "certificate_key",
    "certificate_number",
    "load_certificates",
    "spki_der",
    "spki_fingerprint",
    "verify_chain",
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


# --- chains -------------------------------------------------------------------------

_MAX_DEPTH: Final = 6


class CertificateRejected(ValueError):
    """A certificate (or its chain) that sandan does not accept, with the reason."""


def load_certificates(pem: bytes) -> list[x509.Certificate]:
    """Every certificate of a PEM bundle, in order; ``CertificateRejected`` if none."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise CertificateRejected(f"not a PEM X.509 certificate: {exc}") from exc
    if not certificates:
        raise CertificateRejected("no PEM certificate found")
    return certificates


def _signed_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    """Whether ``issuer``'s key made ``certificate``'s signature (and named it issuer)."""
    if certificate.issuer != issuer.subject:
        return False
    if certificate.signature_algorithm_oid.dotted_string == SM2_WITH_SM3_OID:
        # GM/T 0015: certificates are signed with SM3 and the standard's user ID.
        try:
            key = certificate_key(issuer)
        except ValueError:
            return False  # an issuer whose key sandan cannot read signed nothing it trusts
        if not isinstance(key, Sm2PublicKey):
            return False
        return key.verify_der(certificate.signature, certificate.tbs_certificate_bytes)
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except (x509.ExtensionNotFound, ValueError):  # absent, or malformed extensions
        return False
    return constraints.value.ca


def _check_period(certificate: x509.Certificate, at: datetime, role: str) -> None:
    if at < certificate.not_valid_before_utc:
        raise CertificateRejected(
            f"the {role} certificate ({certificate.subject.rfc4514_string()}) is not valid"
            f" before {certificate.not_valid_before_utc.isoformat()}"
        )
    if at > certificate.not_valid_after_utc:
        raise CertificateRejected(
            f"the {role} certificate ({certificate.subject.rfc4514_string()}) expired on"
            f" {certificate.not_valid_after_utc.isoformat()}"
        )


def verify_chain(
    leaf: x509.Certificate,
    *,
    trusted: Sequence[x509.Certificate],
    intermediates: Sequence[x509.Certificate] = (),
    at: datetime,
) -> list[x509.Certificate]:
    """Check that ``leaf`` chains to one of the ``trusted`` CA certificates at ``at``.

    Every certificate on the way must be within its validity period at ``at``, every
    issuer a CA (basicConstraints), every signature verify (SM2-with-SM3 by sandan's
    SM2, RSA and ECDSA by ``cryptography``). Returns the chain from the leaf to the
    trusted certificate; ``CertificateRejected`` naming the first problem.
    """
    if not trusted:
        raise CertificateRejected("no trusted CA certificates are configured")
    _check_period(leaf, at, "signer's")
    chain, current = [leaf], leaf
    while len(chain) <= _MAX_DEPTH:
        for anchor in trusted:
            if _signed_by(current, anchor):
                _check_period(anchor, at, "trusted CA")
                return [*chain, anchor]
        issuer = next(
            (c for c in intermediates if c not in chain and _is_ca(c) and _signed_by(current, c)),
            None,
        )
        if issuer is None:
            raise CertificateRejected(
                f"{current.subject.rfc4514_string()} is not issued by a trusted CA"
                f" (its issuer: {current.issuer.rfc4514_string()})"
            )
        _check_period(issuer, at, "intermediate CA")
        chain.append(issuer)
        current = issuer
    raise CertificateRejected(f"the chain is longer than {_MAX_DEPTH} certificates")


def certificate_number(certificate: x509.Certificate) -> str:
    """The certificate number as the e-port names it: the serial in hex, at least 16 digits."""
    return f"{certificate.serial_number:016x}"

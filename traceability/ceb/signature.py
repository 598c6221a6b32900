"""XML digital signatures of CEB messages (enveloped XML-DSig, C14N 1.0).

The customs specification (§6) signs the whole message with an enveloped
signature: ``Reference URI=""``, the enveloped-signature transform, inclusive
C14N 20010315, and RSA-SHA1/SHA1 or SM2-SM3 (the chinaport URIs, with SM3
digests). This module signs and verifies both (and RSA-SHA256): RSA through
``cryptography``, SM2 through :mod:`traceability.signing` (Tongsuo). An SM2
SignatureValue is accepted in the three forms e-port tooling is seen to produce
(docs/sm2-xmldsig.md): 64 bytes r‖s, a 72-byte fixed-width SEQUENCE, or
canonical DER (see :func:`_sm2_signature_value`). sandan itself writes r‖s, as
the e-port's ukey does.

Verification trusts only the certificate the caller configures for the sender,
never the certificate embedded in ``KeyInfo``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from lxml import etree

from traceability.ceb._registry import SPECS
from traceability.ceb.safe_xml import DEFAULT_MAX_BYTES, parse_xml
from traceability.ceb.spec import CEB_NS, DS_NS
from traceability.errors import InvalidKey
from traceability.signing import Algorithm, SigningKey, b64url_decode
from traceability.signing.certificates import (
    CertificateKey,
    Sm2PublicKey,
    certificate_key,
    spki_fingerprint,
)

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = ["SignatureResult", "certificate_key_fingerprint", "sign_xml", "verify_xml_signature"]

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = f"{DS_NS}enveloped-signature"
RSA_SHA1 = f"{DS_NS}rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SM2_SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
#: The same method under the XML-DSig namespace, which e-port signing tools wrote before
#: the 2022 specification named its own URI (docs/sm2-xmldsig.md); verified, never written.
SM2_SM3_W3 = f"{DS_NS}sm2-sm3"
_SM2_METHODS = frozenset({SM2_SM3, SM2_SM3_W3})
_FIXED_HEAD = b"\x30\x46\x02\x21\x00"
_FIXED_MIDDLE = b"\x02\x21\x00"
SHA1 = f"{DS_NS}sha1"
SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm3"
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    SHA1: hashes.SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    SM3: hashes.SM3,
}
_SIGNATURES: dict[str, type[hashes.HashAlgorithm]] = {
    RSA_SHA1: hashes.SHA1,
    RSA_SHA256: hashes.SHA256,
}
_NS = {"ds": DS_NS}

Outcome = Literal[
    "valid",
    "missing",
    "malformed",
    "unsupported_algorithm",
    "bad_certificate",
    "digest_mismatch",
    "bad_signature",
]


@dataclass(frozen=True, slots=True)
class SignatureResult:
    """The outcome of checking one message's signature against the sender's certificate."""

    outcome: Outcome
    detail: str
    algorithm: str | None = None
    key_name: str | None = None

    @property
    def valid(self) -> bool:
        """Whether the signature verified."""
        return self.outcome == "valid"


class _RefusedError(Exception):
    """Internal: stop verification with an outcome."""

    def __init__(self, outcome: Outcome, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


def verify_xml_signature(
    xml_bytes: bytes, certificate_pem: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> SignatureResult:
    """Verify the enveloped ds:Signature of ``xml_bytes`` with the sender's certificate.

    Unsafe or malformed XML raises the parser's :class:`~traceability.ceb.errors.CebError`;
    every signature problem is a :class:`SignatureResult`, never an exception.
    """
    root = parse_xml(xml_bytes, max_bytes=max_bytes)
    signature = root.find("ds:Signature", _NS)
    if signature is None:
        return SignatureResult("missing", "the message has no ds:Signature element")
    key_name = signature.findtext("ds:KeyInfo/ds:KeyName", namespaces=_NS)
    algorithm = _attr(signature, "ds:SignedInfo/ds:SignatureMethod")
    try:
        public_key = _load_public_key(certificate_pem)
        _check_digest(root, signature)
        _check_signature_value(signature, public_key, algorithm)
    except _RefusedError as refused:
        return SignatureResult(refused.outcome, refused.detail, algorithm, key_name)
    return SignatureResult("valid", "signature verified", algorithm, key_name)


def certificate_key_fingerprint(certificate_pem: bytes) -> str:
    """Hex SHA-256 of a PEM certificate's public key (DER SubjectPublicKeyInfo).

    Two certificates for one key pair share it, whatever else differs, so a key can be
    held to one party. Raises ``ValueError`` for a PEM that is not a certificate.
    """
    return spki_fingerprint(x509.load_pem_x509_certificate(certificate_pem))


def _attr(signature: _Element, path: str) -> str | None:
    element = signature.find(path, _NS)
    return None if element is None else element.get("Algorithm")


def _load_public_key(certificate_pem: bytes) -> CertificateKey:
    try:
        return certificate_key(x509.load_pem_x509_certificate(certificate_pem))
    except ValueError as exc:
        raise _RefusedError("bad_certificate", f"cannot use the PEM certificate: {exc}") from exc


def _check_digest(root: _Element, signature: _Element) -> None:
    references = signature.findall("ds:SignedInfo/ds:Reference", _NS)
    if len(references) != 1 or references[0].get("URI") != "":
        raise _RefusedError("malformed", 'exactly one Reference with URI="" is expected')
    reference = references[0]
    transforms = [t.get("Algorithm") for t in reference.findall("ds:Transforms/ds:Transform", _NS)]
    if ENVELOPED not in transforms or any(t not in (ENVELOPED, C14N) for t in transforms):
        raise _RefusedError("unsupported_algorithm", f"unsupported transforms {transforms}")
    digest_method = _attr(reference, "ds:DigestMethod") or ""
    if digest_method not in _DIGESTS:
        raise _RefusedError("unsupported_algorithm", f"unsupported digest {digest_method!r}")
    expected = _b64(reference.findtext("ds:DigestValue", namespaces=_NS), "DigestValue")
    actual = _digest(document_without_signature(root), _DIGESTS[digest_method]())
    if actual != expected:
        raise _RefusedError("digest_mismatch", "the message content does not match its DigestValue")


def _check_signature_value(
    signature: _Element, public_key: CertificateKey, algorithm: str | None
) -> None:
    if algorithm not in _SM2_METHODS and algorithm not in _SIGNATURES:
        raise _RefusedError("unsupported_algorithm", f"unsupported signature method {algorithm!r}")
    signed_info = signature.find("ds:SignedInfo", _NS)
    method = _attr(signature, "ds:SignedInfo/ds:CanonicalizationMethod")
    if signed_info is None or method != C14N:
        raise _RefusedError("unsupported_algorithm", f"unsupported canonicalization {method!r}")
    value = _b64(signature.findtext("ds:SignatureValue", namespaces=_NS), "SignatureValue")
    signed = _c14n(signed_info)
    if algorithm in _SM2_METHODS:
        if not isinstance(public_key, Sm2PublicKey):
            raise _RefusedError(
                "bad_certificate", "the message is signed SM2-SM3 but the certificate is not SM2"
            )
        if not public_key.verify(_sm2_signature_value(value), signed):
            raise _RefusedError(
                "bad_signature", "SignatureValue does not verify with the certificate (SM2-SM3)"
            )
        return
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _RefusedError(
            "bad_certificate", f"the message is signed {algorithm} but the certificate is not RSA"
        )
    try:
        public_key.verify(value, signed, padding.PKCS1v15(), _SIGNATURES[algorithm]())
    except InvalidSignature as exc:
        raise _RefusedError(
            "bad_signature", "SignatureValue does not verify with the certificate"
        ) from exc


def _sm2_signature_value(value: bytes) -> bytes:
    """An SM2 SignatureValue as 64 bytes r‖s, from the three forms seen in the wild.

    * 64 bytes r‖s, what the e-port ukey client returns (``cus-sec_SpcSignDataAsPEM``);
    * 72 bytes ``30 46 02 21 00‖r 02 21 00‖s``, the fixed-width SEQUENCE that e-port
      senders build from a hardware signing box's output, padded whatever r and s are;
    * canonical DER, as BouncyCastle's ``SM3withSM2`` and OpenSSL write it.

    A 64-byte value is r‖s: canonical DER that short needs both integers below 2^232,
    which a real signature's are with a chance of about 2^-48, so the forms do not
    collide in practice. Anything else (BER, trailing bytes, oversized integers) is
    ``malformed``.
    """
    if len(value) == 64:
        return value
    if len(value) == 72 and value[:5] == _FIXED_HEAD and value[37:40] == _FIXED_MIDDLE:
        return value[5:37] + value[40:]
    try:
        r, s = decode_dss_signature(value)
    except ValueError as exc:
        raise _RefusedError(
            "malformed", "an SM2 SignatureValue is 64 bytes r‖s or a DER SEQUENCE of r and s"
        ) from exc
    if not (0 < r < 2**256 and 0 < s < 2**256) or encode_dss_signature(r, s) != value:
        raise _RefusedError("malformed", "the SM2 SignatureValue is not canonical DER")
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _b64(text: str | None, name: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _RefusedError("malformed", f"{name} is not base64") from exc


def _c14n(element: _Element) -> bytes:
    """Inclusive C14N 1.0 without comments (in-scope namespaces are kept)."""
    return etree.tostring(element, method="c14n", exclusive=False, with_comments=False)


def _digest(data: bytes, algorithm: hashes.HashAlgorithm) -> bytes:
    digest = hashes.Hash(algorithm)
    digest.update(data)
    return digest.finalize()


def document_without_signature(root: _Element) -> bytes:
    """C14N of the whole document with the ds:Signature element removed (enveloped)."""
    copy = etree.fromstring(etree.tostring(root))
    for signature in copy.findall("ds:Signature", _NS):
        _remove_keeping_tail(signature)
    return _c14n(copy)


def _remove_keeping_tail(element: _Element) -> None:
    """Remove ``element`` but keep the text that followed it, as XPath node-sets do."""
    parent = element.getparent()
    assert parent is not None  # the signature is never the root
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


# --- signing ---------------------------------------------------------------------


def sign_xml(
    xml_bytes: bytes,
    *,
    private_key_pem: bytes,
    certificate_pem: bytes,
    key_name: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
    """Sign a CEB message (enveloped, C14N) as the customs spec describes: SM2-SM3 with
    SM3 digests for an SM2 key, RSA-SHA1 for an RSA key. The certificate, written into
    ``KeyInfo`` with ``key_name`` (its number), must hold the signing key's public key.

    ``ValueError`` for a key of another kind, or a certificate of another key.
    """
    root = parse_xml(xml_bytes, max_bytes=max_bytes)
    for old in root.findall("ds:Signature", _NS):
        _remove_keeping_tail(old)
    signer = _xml_signer(private_key_pem)
    certified = _load_public_key_or_value_error(certificate_pem)
    if not signer.certifies(certified):
        raise ValueError("the certificate does not hold the signing key's public key")
    digest = base64.b64encode(_digest(_c14n(root), _DIGESTS[signer.digest]())).decode()
    signature = _signature_element(signer, digest, key_name, certificate_pem)
    _place_signature(root, signature)
    signed_info = signature.find("ds:SignedInfo", _NS)
    value_element = signature.find("ds:SignatureValue", _NS)
    assert signed_info is not None
    assert value_element is not None
    value_element.text = base64.b64encode(signer.sign(_c14n(signed_info))).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@dataclass(frozen=True, slots=True)
class _XmlSigner:
    """A private key and the SignatureMethod / DigestMethod it signs with."""

    method: str
    digest: str
    key: rsa.RSAPrivateKey | SigningKey

    def sign(self, signed_info: bytes) -> bytes:
        if isinstance(self.key, SigningKey):
            return self.key.sign(signed_info)  # SM2 with SM3 and the standard's user ID
        return self.key.sign(signed_info, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303

    def certifies(self, public_key: CertificateKey) -> bool:
        if isinstance(self.key, SigningKey):
            return (
                isinstance(public_key, Sm2PublicKey)
                and b64url_decode(self.key.public_key) == public_key.encoded_point()
            )
        return (
            isinstance(public_key, rsa.RSAPublicKey)
            and public_key.public_numbers() == self.key.public_key().public_numbers()
        )


def _xml_signer(private_key_pem: bytes) -> _XmlSigner:
    """RSA-SHA1 for an RSA key, SM2-SM3 for an SM2 key; ``ValueError`` for anything else."""
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        pass  # cryptography cannot read SM2 keys; sandan's own loader can
    else:
        if isinstance(key, rsa.RSAPrivateKey):
            return _XmlSigner(RSA_SHA1, SHA1, key)
        raise ValueError("an XML signature needs an RSA or SM2 private key")
    try:
        signing_key = SigningKey.from_pem(private_key_pem)
    except InvalidKey as exc:
        raise ValueError(f"cannot read the private key: {exc}") from exc
    if signing_key.alg is not Algorithm.SM2:
        raise ValueError(f"an XML signature needs an RSA or SM2 private key, not {signing_key.alg}")
    return _XmlSigner(SM2_SM3, SM3, signing_key)


def _load_public_key_or_value_error(certificate_pem: bytes) -> CertificateKey:
    try:
        return _load_public_key(certificate_pem)
    except _RefusedError as exc:
        raise ValueError(exc.detail) from exc


def _signature_element(
    signer: _XmlSigner, digest: str, key_name: str, certificate_pem: bytes
) -> _Element:
    ds = f"{{{DS_NS}}}"
    signature = etree.Element(f"{ds}Signature", nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, f"{ds}SignedInfo")
    etree.SubElement(signed_info, f"{ds}CanonicalizationMethod", Algorithm=C14N)
    etree.SubElement(signed_info, f"{ds}SignatureMethod", Algorithm=signer.method)
    reference = etree.SubElement(signed_info, f"{ds}Reference", URI="")
    transforms = etree.SubElement(reference, f"{ds}Transforms")
    etree.SubElement(transforms, f"{ds}Transform", Algorithm=ENVELOPED)
    etree.SubElement(reference, f"{ds}DigestMethod", Algorithm=signer.digest)
    etree.SubElement(reference, f"{ds}DigestValue").text = digest
    etree.SubElement(signature, f"{ds}SignatureValue")
    key_info = etree.SubElement(signature, f"{ds}KeyInfo")
    etree.SubElement(key_info, f"{ds}KeyName").text = key_name
    x509_data = etree.SubElement(key_info, f"{ds}X509Data")
    body = b"".join(line for line in certificate_pem.splitlines() if not line.startswith(b"-----"))
    etree.SubElement(x509_data, f"{ds}X509Certificate").text = body.decode("ascii")
    return signature


def _place_signature(root: _Element, signature: _Element) -> None:
    """Import messages end with the signature; export ones put it before ExtendMessage."""
    last = root[-1] if len(root) else None
    if last is not None and last.tag == f"{{{CEB_NS}}}ExtendMessage" and _is_export(root):
        last.addprevious(signature)
    else:
        root.append(signature)


def _is_export(root: _Element) -> bool:
    spec = SPECS.get(etree.QName(root).localname.removesuffix("Message"))
    return spec is not None and spec.flow == "export"

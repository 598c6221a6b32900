"""XML digital signatures of CEB messages (enveloped XML-DSig, C14N 1.0).

The customs specification (§6) signs the whole message with an enveloped
signature: ``Reference URI=""``, the enveloped-signature transform, inclusive
C14N 20010315, and RSA-SHA1/SHA1 or SM2-SM3. This module signs and verifies
RSA-SHA1 (and RSA-SHA256) with ``cryptography``. SM2-SM3 is recognised and
reported as unsupported: checking it needs the chinaport SM2 encoding details
we could not confirm, and a wrong verifier is worse than an honest "unsupported".

Verification trusts only the certificate the caller configures for the sender,
never the certificate embedded in ``KeyInfo``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from traceability.ceb._registry import SPECS
from traceability.ceb.safe_xml import DEFAULT_MAX_BYTES, parse_xml
from traceability.ceb.spec import CEB_NS, DS_NS

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = ["SignatureResult", "certificate_key_fingerprint", "sign_xml", "verify_xml_signature"]

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = f"{DS_NS}enveloped-signature"
RSA_SHA1 = f"{DS_NS}rsa-sha1"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SM2_SM3 = "http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3"
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    f"{DS_NS}sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
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
    key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def _attr(signature: _Element, path: str) -> str | None:
    element = signature.find(path, _NS)
    return None if element is None else element.get("Algorithm")


def _load_public_key(certificate_pem: bytes) -> rsa.RSAPublicKey:
    try:
        certificate = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError as exc:
        raise _RefusedError("bad_certificate", f"cannot read the PEM certificate: {exc}") from exc
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise _RefusedError("unsupported_algorithm", "only RSA certificates are supported for now")
    return key


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
    signature: _Element, public_key: rsa.RSAPublicKey, algorithm: str | None
) -> None:
    if algorithm == SM2_SM3:
        raise _RefusedError("unsupported_algorithm", "SM2-SM3 signatures cannot be verified yet")
    if algorithm not in _SIGNATURES:
        raise _RefusedError("unsupported_algorithm", f"unsupported signature method {algorithm!r}")
    signed_info = signature.find("ds:SignedInfo", _NS)
    method = _attr(signature, "ds:SignedInfo/ds:CanonicalizationMethod")
    if signed_info is None or method != C14N:
        raise _RefusedError("unsupported_algorithm", f"unsupported canonicalization {method!r}")
    value = _b64(signature.findtext("ds:SignatureValue", namespaces=_NS), "SignatureValue")
    try:
        public_key.verify(value, _c14n(signed_info), padding.PKCS1v15(), _SIGNATURES[algorithm]())
    except InvalidSignature as exc:
        raise _RefusedError(
            "bad_signature", "SignatureValue does not verify with the certificate"
        ) from exc


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
    """Sign a CEB message with RSA-SHA1 (enveloped, C14N), as the customs spec describes."""
    root = parse_xml(xml_bytes, max_bytes=max_bytes)
    for old in root.findall("ds:Signature", _NS):
        _remove_keeping_tail(old)
    private_key = serialization.load_pem_private_key(private_key_pem, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise TypeError("only RSA private keys are supported for signing")
    digest = base64.b64encode(hashlib.sha1(_c14n(root)).digest()).decode()  # noqa: S324
    signature = _signature_element(digest, key_name, certificate_pem)
    _place_signature(root, signature)
    signed_info = signature.find("ds:SignedInfo", _NS)
    assert signed_info is not None
    value = private_key.sign(_c14n(signed_info), padding.PKCS1v15(), hashes.SHA1())  # noqa: S303
    value_element = signature.find("ds:SignatureValue", _NS)
    assert value_element is not None
    value_element.text = base64.b64encode(value).decode()
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _signature_element(digest: str, key_name: str, certificate_pem: bytes) -> _Element:
    ds = f"{{{DS_NS}}}"
    signature = etree.Element(f"{ds}Signature", nsmap={"ds": DS_NS})
    signed_info = etree.SubElement(signature, f"{ds}SignedInfo")
    etree.SubElement(signed_info, f"{ds}CanonicalizationMethod", Algorithm=C14N)
    etree.SubElement(signed_info, f"{ds}SignatureMethod", Algorithm=RSA_SHA1)
    reference = etree.SubElement(signed_info, f"{ds}Reference", URI="")
    transforms = etree.SubElement(reference, f"{ds}Transforms")
    etree.SubElement(transforms, f"{ds}Transform", Algorithm=ENVELOPED)
    etree.SubElement(reference, f"{ds}DigestMethod", Algorithm=f"{DS_NS}sha1")
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

"""Enveloped SM2-SM3 signatures, the e-port's preferred method, both ways and against OpenSSL.

The independent signer builds the ds:Signature from text and does all of its
cryptography with the OpenSSL 3 command line: the SM3 DigestValue of the canonical
document and the SM2 signature of the canonical SignedInfo, in DER (as BouncyCastle's
``SM3withSM2`` and e-port clients give it) and in raw r‖s. sandan's own signatures are
checked by the same command line.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import (
    encode_dss_signature,
)
from lxml import etree

from tests.sm2_openssl import (
    C14N,
    SIGNATURE,
    SM3_URI,
    Sm2Signer,
    c14n,
    openssl_signed,
    pem_body,
    raw_signature,
    sm2_sign,
    sm2_verify,
    sm3_digest,
)
from tests.traceability.ceb.conftest import DATA, Signer, sample
from traceability.ceb import read_message, sign_xml, verify_xml_signature
from traceability.ceb.signature import (
    SM2_SM3,
    SM2_SM3_W3,
    _check_signature_value,
    _RefusedError,
    document_without_signature,
)
from traceability.ceb.spec import DS_NS
from traceability.signing.certificates import SM2_WITH_SM3_OID, Sm2PublicKey, certificate_key


@pytest.fixture(scope="module")
def sm2(tmp_path_factory: pytest.TempPathFactory) -> Sm2Signer:
    return Sm2Signer(tmp_path_factory.mktemp("sm2-xml"), "ebc")


@pytest.fixture(scope="module")
def other_sm2(tmp_path_factory: pytest.TempPathFactory) -> Sm2Signer:
    return Sm2Signer(tmp_path_factory.mktemp("sm2-xml-other"), "other")


@pytest.mark.parametrize("encoding", ["der", "raw"])
@pytest.mark.parametrize("code", ["CEB311", "CEB621", "CEB303", "CEB701"])
def test_openssl_made_sm2_sm3_signature_verifies(code: str, encoding: str, sm2: Sm2Signer):
    signed = openssl_signed(sample(code), sm2, encoding=encoding)
    result = verify_xml_signature(signed, sm2.cert_pem)
    assert result.valid, result
    assert (result.algorithm, result.key_name) == (SM2_SM3, "3301960002-SM2")


@pytest.mark.parametrize(
    ("old", "new", "outcome"),
    [
        ("张三".encode(), "李四".encode(), "digest_mismatch"),
        (b"<ceb:qty>2</ceb:qty>", b"<ceb:qty>3</ceb:qty>", "digest_mismatch"),
        (b"xmldsig#sm3", b"xmldsig#sm4", "unsupported_algorithm"),
        (b"REC-xml-c14n-20010315", b"REC-xml-c14n-20010316", "unsupported_algorithm"),
    ],
    ids=["name", "quantity", "digest-method", "c14n"],
)
def test_tampered_openssl_signature_is_refused(old, new, outcome, sm2: Sm2Signer):
    signed = openssl_signed(sample("CEB311"), sm2)
    assert old in signed
    assert verify_xml_signature(signed.replace(old, new, 1), sm2.cert_pem).outcome == outcome


def test_signature_value_altered_or_by_another_key_is_refused(sm2, other_sm2):
    signed = openssl_signed(sample("CEB311"), sm2, encoding="raw")
    root = etree.fromstring(signed)
    value = root.find(f".//{{{DS_NS}}}SignatureValue")
    raw = bytearray(base64.b64decode(value.text))
    raw[40] ^= 1
    value.text = base64.b64encode(bytes(raw)).decode()
    altered = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert verify_xml_signature(altered, sm2.cert_pem).outcome == "bad_signature"
    other = verify_xml_signature(signed, other_sm2.cert_pem)
    assert other.outcome == "bad_signature"
    assert "SM2-SM3" in other.detail


def test_signature_over_a_non_canonical_signed_info_is_refused(sm2: Sm2Signer):
    """Signed over SignedInfo serialised without canonicalisation (no inherited ceb
    namespace, self-closed elements): a verifier that skipped C14N would pass it."""
    signed = openssl_signed(
        sample("CEB311"), sm2, signed_info_bytes=lambda element: etree.tostring(element)
    )
    result = verify_xml_signature(signed, sm2.cert_pem)
    assert result.outcome == "bad_signature"


@pytest.mark.parametrize(
    "value",
    [
        b"\x01" * 63,  # neither 64 bytes nor DER
        encode_dss_signature(5, 7) + b"\x00",  # DER with trailing bytes
        b"\x30\x81\x06\x02\x01\x05\x02\x01\x07",  # BER: a long-form length DER forbids
    ],
    ids=["short", "trailing", "ber"],
)
def test_malformed_sm2_signature_value_is_named(value: bytes, sm2: Sm2Signer):
    root = etree.fromstring(openssl_signed(sample("CEB311"), sm2))
    root.find(f".//{{{DS_NS}}}SignatureValue").text = base64.b64encode(value).decode()
    tampered = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    result = verify_xml_signature(tampered, sm2.cert_pem)
    assert result.outcome == "malformed"
    assert "SM2 SignatureValue" in result.detail


def test_sm2_method_with_an_rsa_certificate_is_refused_naming_the_mismatch(sm2, signer: Signer):
    result = verify_xml_signature(openssl_signed(sample("CEB311"), sm2), signer.cert_pem)
    assert result.outcome == "bad_certificate"
    assert "not SM2" in result.detail


@pytest.mark.parametrize("code", ["CEB311", "CEB621", "CEB303", "CEB603", "CEB701"])
def test_sandan_sm2_signature_verifies_with_openssl(code: str, sm2: Sm2Signer, tmp_path: Path):
    signed = sign_xml(
        sample(code), private_key_pem=sm2.key_pem, certificate_pem=sm2.cert_pem, key_name="K-SM2"
    )
    assert verify_xml_signature(signed, sm2.cert_pem).valid
    assert read_message(signed).signature is not None  # the schema order still holds
    root = etree.fromstring(signed)
    signature = root.find(f"{{{DS_NS}}}Signature")
    assert signature.find(f".//{{{DS_NS}}}SignatureMethod").get("Algorithm") == SM2_SM3
    assert signature.find(f".//{{{DS_NS}}}DigestMethod").get("Algorithm") == SM3_URI
    # The DigestValue is OpenSSL's SM3 of the canonical document without the signature.
    digest = base64.b64decode(signature.findtext(f".//{{{DS_NS}}}DigestValue"))
    assert digest == sm3_digest(document_without_signature(root))
    # The SignatureValue (raw r‖s) verifies with OpenSSL over the canonical SignedInfo.
    raw = base64.b64decode(signature.findtext(f"{{{DS_NS}}}SignatureValue"))
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    signed_info = c14n(signature.find(f"{{{DS_NS}}}SignedInfo"))
    assert sm2_verify(sm2.certificate, signed_info, der, tmp_path)
    assert not sm2_verify(sm2.certificate, signed_info + b" ", der, tmp_path)


def test_signing_with_a_certificate_of_another_key_is_refused(sm2, other_sm2, signer: Signer):
    with pytest.raises(ValueError, match="does not hold the signing key"):
        sign_xml(
            sample("CEB311"), private_key_pem=sm2.key_pem, certificate_pem=other_sm2.cert_pem,
            key_name="K",
        )  # fmt: skip
    with pytest.raises(ValueError, match="does not hold the signing key"):
        sign_xml(
            sample("CEB311"), private_key_pem=sm2.key_pem, certificate_pem=signer.cert_pem,
            key_name="K",
        )  # fmt: skip


UKEY = json.loads((DATA / "eport-sm2" / "ukey-signatures.json").read_text(encoding="utf-8"))


def _signature_of(signed_info: str, value: str) -> etree._Element:
    return etree.fromstring(
        f'<ds:Signature xmlns:ds="{DS_NS}">{signed_info}<ds:SignatureValue>{value}'
        "</ds:SignatureValue></ds:Signature>"
    )


@pytest.mark.parametrize("sample", UKEY["samples"], ids=lambda s: s["source"]["path"])
def test_real_eport_ukey_signature_verifies(sample: dict):
    """Two signatures an e-port ukey made (published by an e-port signing project): the
    canonical SignedInfo it was given, its 64-byte r‖s, and its SM2 certificate."""
    der = base64.b64decode(sample["x509Certificate"])
    certificate = x509.load_der_x509_certificate(der)
    key = certificate_key(certificate)
    assert isinstance(key, Sm2PublicKey)
    assert certificate.signature_algorithm_oid.dotted_string == SM2_WITH_SM3_OID
    assert f"{certificate.serial_number:016x}" == sample["certNo"]  # KeyName: the serial, hex
    signature = _signature_of(sample["signedInfo"], sample["signatureValue"])
    signed_info = signature.find(f"{{{DS_NS}}}SignedInfo")
    # The ukey was given exactly the canonical form sandan computes for this SignedInfo.
    assert c14n(signed_info) == sample["signedInfo"].encode()
    _check_signature_value(signature, key, SM2_SM3_W3)  # raises on failure
    tampered = _signature_of(
        sample["signedInfo"].replace(sample["digestValue"], "A" + sample["digestValue"][1:]),
        sample["signatureValue"],
    )
    with pytest.raises(_RefusedError) as refused:
        _check_signature_value(tampered, key, SM2_SM3_W3)
    assert refused.value.outcome == "bad_signature"


def test_fixed_width_sequence_of_a_signing_box_verifies(sm2: Sm2Signer):
    """``30 46 02 21 00‖r 02 21 00‖s``: zero-padded whatever r and s, so often not DER."""
    root = etree.fromstring(openssl_signed(sample("CEB311"), sm2, encoding="raw"))
    value = root.find(f".//{{{DS_NS}}}SignatureValue")
    raw = base64.b64decode(value.text)
    fixed = b"\x30\x46\x02\x21\x00" + raw[:32] + b"\x02\x21\x00" + raw[32:]
    value.text = base64.b64encode(fixed).decode()
    signed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    assert verify_xml_signature(signed, sm2.cert_pem).valid


def test_w3_namespaced_sm2_method_with_sha1_digest_verifies(sm2: Sm2Signer):
    """What e-port tools wrote before the 2022 URIs (and customs answered): the XML-DSig
    namespace for sm2-sm3 and a SHA-1 DigestValue."""
    root = etree.fromstring(sample("CEB311"))
    digest = base64.b64encode(hashlib.sha1(c14n(root)).digest()).decode()
    text = SIGNATURE.format(
        c14n=C14N, method=f"{DS_NS}sm2-sm3", digest_method=f"{DS_NS}sha1", digest=digest,
        value="", key_name="03000000000cde6f", certificate=pem_body(sm2.cert_pem),
    )  # fmt: skip
    signature = etree.fromstring(text)
    root.append(signature)
    signed_info = signature.find(f"{{{DS_NS}}}SignedInfo")
    raw = raw_signature(sm2_sign(sm2.key, c14n(signed_info)))
    signature.find(f"{{{DS_NS}}}SignatureValue").text = base64.b64encode(raw).decode()
    signed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    result = verify_xml_signature(signed, sm2.cert_pem)
    assert result.valid, result
    assert result.algorithm == f"{DS_NS}sm2-sm3"

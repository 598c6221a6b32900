"""Enveloped RSA-SHA1 signatures: sign, verify, and every way verification can fail."""

from __future__ import annotations

import pytest

from tests.traceability.ceb.conftest import DATA, Signer, sample
from traceability.ceb import read_message, sign_xml, verify_xml_signature


def _signed(code: str, signer: Signer) -> bytes:
    return sign_xml(
        sample(code), private_key_pem=signer.key_pem, certificate_pem=signer.cert_pem, key_name="K1"
    )


@pytest.mark.parametrize("code", ["CEB311", "CEB303", "CEB621", "CEB701"])
def test_verify_xml_signature_accepts_our_signature(code: str, signer: Signer) -> None:
    signed = _signed(code, signer)
    result = verify_xml_signature(signed, signer.cert_pem)
    assert result.valid, result
    assert result.key_name == "K1"
    assert read_message(signed).signature is not None  # the schema order still holds


def test_verify_xml_signature_accepts_committed_sample() -> None:
    cert = (DATA / "certs" / "ebc-3301960002.pem").read_bytes()
    assert verify_xml_signature(sample("CEB621"), cert).valid


@pytest.mark.parametrize(
    ("old", "new", "outcome"),
    [
        ("张三".encode(), "李四".encode(), "digest_mismatch"),
        (b"<ceb:qty>2</ceb:qty>", b"<ceb:qty>3</ceb:qty>", "digest_mismatch"),
        (b"#rsa-sha1", b"#dsa-sha1", "unsupported_algorithm"),
        (
            b"http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            b"http://www.chinaport.gov.cn/2022/04/xmldsig#sm2-sm3",
            "bad_certificate",  # an SM2-SM3 signature needs an SM2 certificate
        ),
    ],
    ids=["name", "quantity", "dsa", "sm2"],
)
def test_verify_xml_signature_rejects_tampering(
    old: bytes, new: bytes, outcome: str, signer: Signer
) -> None:
    signed = _signed("CEB311", signer)
    tampered = signed.replace(old, new, 1)
    assert verify_xml_signature(tampered, signer.cert_pem).outcome == outcome


def test_verify_xml_signature_rejects_other_certificate(
    signer: Signer, other_signer: Signer
) -> None:
    result = verify_xml_signature(_signed("CEB311", signer), other_signer.cert_pem)
    assert result.outcome == "bad_signature"


def test_verify_xml_signature_reports_missing_and_bad_certificate(signer: Signer) -> None:
    assert verify_xml_signature(sample("CEB311"), signer.cert_pem).outcome == "missing"
    assert (
        verify_xml_signature(_signed("CEB311", signer), b"not a pem").outcome == "bad_certificate"
    )


def test_verify_xml_signature_rejects_changed_signature_value(signer: Signer) -> None:
    signed = _signed("CEB311", signer)
    start = signed.index(b"<ds:SignatureValue>") + len(b"<ds:SignatureValue>")
    flipped = b"A" if signed[start : start + 1] != b"A" else b"B"
    tampered = signed[:start] + flipped + signed[start + 1 :]
    assert verify_xml_signature(tampered, signer.cert_pem).outcome == "bad_signature"

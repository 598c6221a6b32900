"""SM2 certificates: their key, their number, and their chain to the configured CAs.

Every authority and certificate here is made by the OpenSSL 3 command line (``openssl
ca``, SM2-with-SM3, the standard's user ID), so the chain check is tested against an
independent issuer, with every way a chain can fail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.sm2_openssl import Sm2Authority, self_signed_sm2_certificate, sm2_key
from traceability.signing.certificates import (
    CertificateRejected,
    Sm2PublicKey,
    certificate_key,
    certificate_number,
    load_certificates,
    spki_fingerprint,
    verify_chain,
)


def _now() -> datetime:
    return datetime.now(UTC)  # at the check, after the fixtures made the certificates


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


@pytest.fixture(scope="module")
def authorities(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Sm2Authority]:
    directory = tmp_path_factory.mktemp("sm2-ca")
    root = Sm2Authority(directory, "Root CA")
    return {
        "root": root,
        "intermediate": Sm2Authority(directory, "Issuing CA", parent=root),
        "stranger": Sm2Authority(directory, "Unknown CA"),
    }


def test_leaf_chains_through_an_intermediate_to_the_trusted_root(authorities):
    root, issuing = authorities["root"], authorities["intermediate"]
    _, leaf = issuing.issue("3301960001")
    chain = verify_chain(
        _load(leaf), trusted=[_load(root.certificate)],
        intermediates=load_certificates(issuing.pem), at=_now(),
    )  # fmt: skip
    assert [c.subject.rfc4514_string() for c in chain] == [
        "CN=3301960001", "CN=Issuing CA", "CN=Root CA",
    ]  # fmt: skip
    assert isinstance(certificate_key(_load(leaf)), Sm2PublicKey)
    assert len(certificate_number(_load(leaf))) >= 16


def test_leaf_without_its_intermediate_is_not_trusted(authorities):
    _, leaf = authorities["intermediate"].issue("no-intermediate")
    with pytest.raises(CertificateRejected, match="not issued by a trusted CA"):
        verify_chain(_load(leaf), trusted=[_load(authorities["root"].certificate)], at=_now())


def test_certificate_from_an_unknown_ca_is_rejected(authorities):
    _, leaf = authorities["stranger"].issue("impostor")
    with pytest.raises(CertificateRejected, match="not issued by a trusted CA"):
        verify_chain(
            _load(leaf), trusted=[_load(authorities["root"].certificate)],
            intermediates=[_load(authorities["stranger"].certificate)], at=_now(),
        )  # fmt: skip


def test_self_signed_certificate_is_rejected(tmp_path: Path, authorities):
    key = sm2_key(tmp_path / "self.pem")
    self_signed = _load(self_signed_sm2_certificate(key, tmp_path / "self.crt", "self"))
    with pytest.raises(CertificateRejected, match="not issued by a trusted CA"):
        verify_chain(self_signed, trusted=[_load(authorities["root"].certificate)], at=_now())


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("20200101000000Z", "20210101000000Z", "expired on 2021-01-01"),
        ("20300101000000Z", "20310101000000Z", "not valid before 2030-01-01"),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_certificate_outside_its_validity_period_is_rejected(authorities, start, end, reason):
    root = authorities["root"]
    _, leaf = root.issue(f"period-{start}", start=start, end=end)
    with pytest.raises(CertificateRejected, match=reason):
        verify_chain(_load(leaf), trusted=[_load(root.certificate)], at=_now())


def test_altered_certificate_signature_is_rejected(authorities):
    root = authorities["root"]
    _, leaf = root.issue("altered")
    der = bytearray(_load(leaf).public_bytes(Encoding.DER))
    der[-5] ^= 1  # inside the signature's s
    altered = x509.load_der_x509_certificate(bytes(der))
    with pytest.raises(CertificateRejected, match="not issued by a trusted CA"):
        verify_chain(altered, trusted=[_load(root.certificate)], at=_now())


def test_a_leaf_cannot_act_as_an_intermediate(authorities):
    root = authorities["root"]
    leaf_key, leaf = root.issue("not-a-ca")
    # A certificate "issued" by the leaf: openssl ca with the leaf as authority.
    fake = Sm2Authority.__new__(Sm2Authority)
    fake.directory, fake.key, fake.certificate = root.directory, leaf_key, leaf
    _, grandchild = fake.issue("grandchild")
    with pytest.raises(CertificateRejected, match="not issued by a trusted CA"):
        verify_chain(
            _load(grandchild), trusted=[_load(root.certificate)], intermediates=[_load(leaf)],
            at=_now(),
        )  # fmt: skip


def test_every_certificate_has_a_key_fingerprint(authorities):
    from tests.traceability.ceb.conftest import make_signer

    sm2 = _load(authorities["root"].certificate)
    assert len(spki_fingerprint(sm2)) == 64
    rsa = x509.load_pem_x509_certificate(make_signer().cert_pem)
    assert spki_fingerprint(rsa) != spki_fingerprint(sm2)


def test_a_trusted_ca_whose_key_sandan_cannot_read_verifies_nothing(authorities):
    """An Ed25519 'CA' of the same name as the real issuer: refused, not a crash."""
    import datetime as dt

    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.x509.oid import NameOID

    key = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Root CA")])
    impostor = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(dt.datetime(2045, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, None)
    )
    _, leaf = authorities["root"].issue("under-impostor")
    with pytest.raises(CertificateRejected, match="not issued by a trusted CA"):
        verify_chain(_load(leaf), trusted=[impostor], at=_now())
    with pytest.raises(ValueError, match="not supported"):
        certificate_key(impostor)

"""Shared fixtures: our sample messages and a throw-away RSA signer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DATA = Path(__file__).resolve().parents[2] / "data" / "ceb"

SAMPLES = {
    "CEB311": "import/order.xml",
    "CEB411": "import/payment.xml",
    "CEB511": "import/logistics.xml",
    "CEB621": "import/inventory.xml",
    "CEB625": "import/return.xml",
    "CEB623": "import/cancel.xml",
    "CEB303": "export/order.xml",
    "CEB403": "export/payment.xml",
    "CEB505": "export/logistics.xml",
    "CEB603": "export/inventory.xml",
    "CEB607": "export/waybill_group.xml",
    "CEB701": "export/summary.xml",
    "CEB605": "export/cancel.xml",
}


#: A receipt's clock and the numbers only the e-port assigns (preNo, invtNo...).
NOW = dt.datetime(2024, 3, 15, 3, 0, 0, 987654, tzinfo=dt.UTC)
ASSIGNED = {
    "preNo": "B20240315000000001",
    "invtNo": "29912024I000000001",
    "copNo": "INV20240315001",
    "sumNo": "31052024S000000001",
}


def guids() -> Callable[[], str]:
    """Predictable message and document guids, numbered from 1."""
    numbers = count(1)
    return lambda: f"00000000-0000-4000-8000-{next(numbers):012d}"


def sample(code: str) -> bytes:
    """The bytes of our sample message of type ``code``."""
    return (DATA / SAMPLES[code]).read_bytes()


@dataclass(frozen=True)
class Signer:
    """A fresh RSA key and its self-signed certificate, PEM encoded."""

    key_pem: bytes
    cert_pem: bytes


def make_signer(
    common_name: str = "sandan test signer", *, key: rsa.RSAPrivateKey | None = None
) -> Signer:
    """A self-signed certificate for ``key``, by default a new 2048-bit RSA key."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return Signer(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        cert.public_bytes(serialization.Encoding.PEM),
    )


@pytest.fixture(scope="session")
def signer() -> Signer:
    """One signer per session: RSA key generation is slow."""
    return make_signer()


@pytest.fixture(scope="session")
def other_signer() -> Signer:
    """A second, unrelated signer."""
    return make_signer("someone else")

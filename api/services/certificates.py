"""Party certificates checked against the zone's trusted CAs (``SANDAN_TRUSTED_CA_FILE``).

The e-port's enterprise certificates (电子口岸卡) are SM2 certificates issued under the
e-port's CAs. A certificate a party registers (for its XML signatures) must chain to one
of the configured CA certificates and be within its validity period when it is
registered; the check is repeated when a message signed under it arrives, so an expired
or no-longer-trusted certificate stops verifying. Without a configured CA file, XML
certificates are taken as the party's own statement, as before.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from cryptography import x509

from api.config import ApiSettings
from api.errors import ServiceUnavailable, UnprocessableContent
from traceability.signing.certificates import (
    CertificateRejected,
    load_certificates,
    verify_chain,
)

__all__ = ["check_certificate", "trusted_authorities"]


@lru_cache(maxsize=8)
def _authorities(pem: bytes) -> tuple[x509.Certificate, ...]:
    return tuple(load_certificates(pem))


def trusted_authorities(settings: ApiSettings) -> tuple[x509.Certificate, ...] | None:
    """The configured CA certificates, None when unset. The file is read at every check
    (a few kilobytes) and parsed once per content, so a changed trust list applies at once."""
    path = settings.trusted_ca_file
    if path is None:
        return None
    try:
        return _authorities(path.read_bytes())
    except (OSError, CertificateRejected) as exc:
        # A misconfigured trust anchor must not silently accept everything: the check
        # cannot be made, so the request waits for the operator (503), it is not refused.
        raise ServiceUnavailable(
            f"SANDAN_TRUSTED_CA_FILE {path} is unusable: {exc}", code="trust_unconfigured"
        ) from exc


def check_certificate(
    pem: bytes, *, settings: ApiSettings, at: datetime, field: str
) -> list[x509.Certificate] | None:
    """The chain of ``pem`` (its first certificate, then any intermediates) to a trusted
    CA at ``at``; None when no CA file is configured. 422 naming ``field`` otherwise."""
    trusted = trusted_authorities(settings)
    if trusted is None:
        return None
    try:
        leaf, *intermediates = load_certificates(pem)
        return verify_chain(leaf, trusted=trusted, intermediates=intermediates, at=at)
    except CertificateRejected as exc:
        raise UnprocessableContent(
            f"the certificate is not accepted: {exc}", field=field, code="untrusted_certificate"
        ) from exc

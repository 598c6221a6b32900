"""Bodies the hostile tests send, built once."""

from __future__ import annotations

from api.demo.parties import RegisteredParty
from traceability.signing import b64url_encode


def ceb311(inner: bytes) -> bytes:
    """A CEB311 message around ``inner`` (its business elements, well-formed or not)."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<ceb:CEB311Message xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="'
        + b"0" * 36
        + b'" version="1.0">'
        + inner
        + b"</ceb:CEB311Message>"
    )


def signed_xml_headers(party: RegisteredParty, body: bytes) -> dict[str, str]:
    """The headers of an XML submission by ``party``, its signature over ``body`` valid."""
    return {
        **party.headers,
        "content-type": "application/xml",
        "Sandan-Key-Id": party.key_id,
        "Sandan-Signature": b64url_encode(party.signing_key.sign(body)),
    }

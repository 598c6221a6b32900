"""Strict base64url and RFC 3339 helpers shared by the signing modules.

Strict means one byte string has exactly one accepted text form: no padding,
no whitespace, no stray bits in the last character. A lenient decoder would
let two different-looking envelopes carry the same salt or signature.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime
from typing import Final

_B64URL_CHARS: Final = re.compile(r"[A-Za-z0-9_-]*")
# RFC 3339 date-time in UTC ("Z"), with an optional fraction of up to 9 digits.
_RFC3339_UTC: Final = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,9}))?Z")


def b64url_encode(data: bytes) -> str:
    """Return unpadded base64url text for ``data``."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode unpadded base64url text, refusing any non-canonical form with ``ValueError``."""
    if not isinstance(text, str) or _B64URL_CHARS.fullmatch(text) is None:
        raise ValueError("not unpadded base64url text")
    if len(text) % 4 == 1:
        raise ValueError("base64url text has an impossible length")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as exc:
        raise ValueError("not unpadded base64url text") from exc
    if b64url_encode(data) != text:
        raise ValueError("base64url text has non-zero padding bits")
    return data


def format_rfc3339(moment: datetime) -> str:
    """Return ``moment`` as RFC 3339 UTC text in milliseconds: ``2026-11-23T05:00:00.000Z``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_rfc3339(text: str) -> datetime:
    """Parse RFC 3339 UTC text ending in ``Z`` into an aware datetime (sub-microseconds dropped)."""
    match = _RFC3339_UTC.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError("not an RFC 3339 UTC timestamp like 2026-11-23T05:00:00.000Z")
    fraction = match.group(1) or ""
    # fromisoformat takes at most 6 fraction digits; nanoseconds add nothing here.
    base = text[: match.start(1) - 1] if fraction else text[:-1]
    micro = int((fraction + "000000")[:6]) if fraction else 0
    try:
        parsed = datetime.fromisoformat(base)
    except ValueError as exc:
        raise ValueError(f"not a valid calendar time: {exc}") from exc
    return parsed.replace(microsecond=micro, tzinfo=UTC)

"""xsd:dateTimeStamp handling: EPCIS times always carry an offset.

``utc_millis`` writes a time the way the CBV 2.0 event hash wants it: UTC,
``Z``, exactly three fractional digits, rounded half up on the fourth digit
(``.9995`` becomes the next second, never dropped).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

__all__ = ["OFFSET_PATTERN", "is_timestamp", "parse_timestamp", "utc_millis"]

_STAMP: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})"
)
#: eventTimeZoneOffset: ``+hh:mm`` / ``-hh:mm`` with hh ≤ 14 (and 14 only as 14:00).
OFFSET_PATTERN: Final = re.compile(r"[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)")


def is_timestamp(value: str) -> bool:
    """True when ``value`` has the lexical form of an xsd:dateTimeStamp (offset required)."""
    return _STAMP.fullmatch(value) is not None


def parse_timestamp(value: str) -> tuple[datetime, Decimal]:
    """Return (whole-second UTC datetime, fraction of a second); raise ValueError if invalid."""
    match = _STAMP.fullmatch(value)
    if match is None:
        raise ValueError("not an ISO 8601 date-time with a time zone offset (e.g. Z or +08:00)")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = Decimal("0" + match.group(7)) if match.group(7) else Decimal(0)
    zone = match.group(8)
    if zone != "Z" and not OFFSET_PATTERN.fullmatch(zone):
        raise ValueError(f"time zone offset {zone} is out of range")
    offset = timedelta() if zone == "Z" else _offset(zone)
    # datetime() rejects month 13, day 31 of April, hour 24, second 60 and the like.
    local = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return local - offset, fraction


def utc_millis(value: str) -> str:
    """Normalise a timestamp to ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, half-up milliseconds)."""
    moment, fraction = parse_timestamp(value.strip())
    millis = int((fraction * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    moment += timedelta(milliseconds=millis)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def _offset(zone: str) -> timedelta:
    sign = -1 if zone[0] == "-" else 1
    return sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))

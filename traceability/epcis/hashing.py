"""CBV 2.0 event hash ID: ``ni:///sha-256;<hex>?ver=CBV2.0``.

The pre-hash string concatenates, without separators, ``key=value`` for
leaves and ``key`` followed by its children for containers, in the CBV 2.0
canonical property order (see ``docs/epcis-hash.md`` for the rules, the hash
profiles and the agreement counts with the reference generator and epcis2.js):

eventType, eventTime, eventTimeZoneOffset, certificationInfo, epcList,
parentID, inputEPCList, childEPCs, quantityList, childQuantityList,
inputQuantityList, outputEPCList, outputQuantityList, action,
transformationID, bizStep, disposition, persistentDisposition, readPoint,
bizLocation, bizTransactionList, sourceList, destinationList,
sensorElementList, ilmd, then user extensions.

Values are normalised first: trimmed; times to UTC milliseconds (half up);
numbers without trailing zeros; CBV bare terms, CURIEs and URNs to Web URIs;
EPC URNs to Digital Links; Digital Links to their constrained canonical form.
Members of every list are sorted by code point. ``eventID``, ``recordTime``,
``errorDeclaration`` and comments are left out. A bizTransaction / source /
destination is written type first under profile ``gs1-ref/2`` (the default, what
the GS1 tools compute) and value first under ``sandan-cbv/1`` (the earlier rule).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, Final

from traceability.epcis.timestamps import is_timestamp, utc_millis
from traceability.epcis.vocabulary import Vocabulary, cbv_urn_to_web, expand_curie, expand_term
from traceability.gs1 import (
    InvalidIdentifier,
    epc_uri_to_digital_link,
    is_epc_uri,
    parse_digital_link,
)

__all__ = [
    "DEFAULT_PROFILE",
    "HASH_PREFIX",
    "HASH_PROFILES",
    "HASH_SUFFIX",
    "LEGACY_PROFILE",
    "UnknownHashProfile",
    "check_profile",
    "event_hash",
    "event_hash_bytes",
    "namespaces",
    "prehash",
]

HASH_PREFIX: Final = "ni:///sha-256;"
HASH_SUFFIX: Final = "?ver=CBV2.0"

#: Keys that never enter the pre-hash string, at any depth.
_IGNORED: Final = frozenset(
    {"eventID", "recordTime", "errorDeclaration", "comment", "rdfs:comment"}
)
#: Cheap filter before trying to parse a string as a Digital Link.
_DL_HINT: Final = re.compile(r"^https?://[^/]+(?:/[^?#]*)?/(?:0[01]|41[47]|8\d{3}|25[35]|40[12])/")

Prefixes = dict[str, str]

#: The rule the GS1 tools compute (reference generator, epcis2.js, OpenEPCIS): a
#: bizTransaction / source / destination is written type first, then its value.
DEFAULT_PROFILE: Final = "gs1-ref/2"
#: sandan's first rule, the standard's text read literally (value, then type): events
#: anchored before ``gs1-ref/2`` were hashed with it and are re-hashed with it.
LEGACY_PROFILE: Final = "sandan-cbv/1"
HASH_PROFILES: Final = (DEFAULT_PROFILE, LEGACY_PROFILE)


class UnknownHashProfile(ValueError):
    """A hash profile name sandan does not know."""


def check_profile(profile: str) -> str:
    """``profile`` itself when it names a known hash profile, else :class:`UnknownHashProfile`."""
    if profile not in HASH_PROFILES:
        known = ", ".join(HASH_PROFILES)
        raise UnknownHashProfile(f"unknown event hash profile {profile!r} (known: {known})")
    return profile


def namespaces(*contexts: Any) -> Prefixes:
    """CURIE prefixes declared in JSON-LD ``@context`` values (strings are remote, skipped)."""
    found: Prefixes = {}
    for context in contexts:
        items = context if isinstance(context, list) else [context]
        for item in items:
            if isinstance(item, Mapping):
                found.update({k: v for k, v in item.items() if isinstance(v, str) and k[:1] != "@"})
    return found


def prehash(
    event: Mapping[str, Any], *, context: Any = None, profile: str = DEFAULT_PROFILE
) -> str:
    """Pre-hash string of one EPCIS 2.0 JSON-LD event (``context``: the document's @context)."""
    order = _ORDERS[check_profile(profile)]
    ns = namespaces(context, event.get("@context"))
    parts = [f"eventType={_text(event.get('type', ''))}"]
    for key, render in order:
        value = event.get(key)
        if value is not None and value != [] and value != {}:
            parts.append(render(key, value, ns))
    extras = (k for k in event if k not in _STANDARD and k not in _IGNORED and k[:1] != "@")
    parts.append("".join(sorted(s for k in extras for s in _generic(k, event[k], ns))))
    return "".join(parts)


def event_hash_bytes(
    event: Mapping[str, Any], *, context: Any = None, profile: str = DEFAULT_PROFILE
) -> bytes:
    """The 32 raw SHA-256 bytes of the pre-hash string (what gets anchored)."""
    text = prehash(event, context=context, profile=profile)
    return hashlib.sha256(text.encode("utf-8")).digest()


def event_hash(
    event: Mapping[str, Any], *, context: Any = None, profile: str = DEFAULT_PROFILE
) -> str:
    """The CBV 2.0 event hash ID ``ni:///sha-256;<hex>?ver=CBV2.0``."""
    return (
        HASH_PREFIX + event_hash_bytes(event, context=context, profile=profile).hex() + HASH_SUFFIX
    )


# --- value normalisation ------------------------------------------------------


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else _scalar(value)


def _scalar(value: Any) -> str:
    """A JSON scalar as the pre-hash writes it: true/false, numbers without trailing zeros."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} has no pre-hash form")
        return _decimal(Decimal(repr(value)))
    return str(value).strip()


def _decimal(number: Decimal) -> str:
    normal = number.normalize()
    return "0" if normal.is_zero() else format(normal, "f")


def _number(value: Any) -> str:
    if isinstance(value, str):
        try:
            return _decimal(Decimal(value.strip()))
        except InvalidOperation:
            return value.strip()
    return _scalar(value)


def _identifier(value: Any, ns: Prefixes) -> str:
    """EPC URN → DL, DL → constrained canonical DL, CURIE / CBV URN → Web URI."""
    text = _text(value)
    link = _link(text)
    return link if link is not None else cbv_urn_to_web(expand_curie(text, ns))


@lru_cache(maxsize=8192)
def _link(text: str) -> str | None:
    """Constrained Digital Link of an EPC URN or Digital Link; cached, identifiers repeat."""
    try:
        if is_epc_uri(text):
            return parse_digital_link(epc_uri_to_digital_link(text)).constrained()
        if _DL_HINT.match(text):
            return parse_digital_link(text).constrained()
    except InvalidIdentifier:
        return text  # not convertible: hash it as written (validation reports it)
    return None


def _time(value: Any) -> str:
    try:
        return utc_millis(_text(value))
    except ValueError:
        return _text(value)


def _free(value: Any, ns: Prefixes) -> str:
    """Extension and ILMD values: types unknown, so normalise by lexical form."""
    if not isinstance(value, str):
        return _scalar(value)
    text = value.strip()
    return _time(text) if is_timestamp(text) else _identifier(text, ns)


def _term(vocabulary: Vocabulary) -> Callable[[Any, Prefixes], str]:
    return lambda value, ns: expand_term(_text(value), vocabulary, ns)


# --- structure ----------------------------------------------------------------

_Field = Callable[[Any, Prefixes], str]


def _leaf(kind: _Field) -> Callable[[str, Any, Prefixes], str]:
    return lambda key, value, ns: f"{key}={kind(value, ns)}"


def _many(item: str, kind: _Field) -> Callable[[str, Any, Prefixes], str]:
    """A list of scalar values written ``key`` + sorted ``item=value`` strings."""

    def render(key: str, value: Any, ns: Prefixes) -> str:
        values = value if isinstance(value, list) else [value]
        return key + "".join(sorted(f"{item}={kind(v, ns)}" for v in values if v is not None))

    return render


def _repeated(kind: _Field) -> Callable[[str, Any, Prefixes], str]:
    """A field that may repeat (certificationInfo): sorted ``key=value`` strings, no wrapper."""

    def render(key: str, value: Any, ns: Prefixes) -> str:
        values = value if isinstance(value, list) else [value]
        return "".join(sorted(f"{key}={kind(v, ns)}" for v in values if v is not None))

    return render


def _fields(obj: Mapping[str, Any], order: Iterable[tuple[str, _Field]], ns: Prefixes) -> str:
    """Known fields of an object in order, then its extension fields sorted."""
    known = "".join(f"{k}={kind(obj[k], ns)}" for k, kind in order if obj.get(k) is not None)
    names = {k for k, _ in order}
    rest = (k for k in obj if k not in names and k not in _IGNORED and k[:1] != "@")
    return known + "".join(sorted(s for k in rest for s in _generic(k, obj[k], ns)))


def _objects(
    item: str, order: tuple[tuple[str, _Field], ...]
) -> Callable[[str, Any, Prefixes], str]:
    """A list of objects written ``key`` + sorted ``item`` + fields strings."""

    def render(key: str, value: Any, ns: Prefixes) -> str:
        rendered = (item + _fields(obj, order, ns) for obj in value if isinstance(obj, Mapping))
        return key + "".join(sorted(rendered))

    return render


def _container(order: tuple[tuple[str, _Field], ...]) -> Callable[[str, Any, Prefixes], str]:
    return lambda key, value, ns: key + _fields(value, order, ns)


def _persistent(key: str, value: Any, ns: Prefixes) -> str:
    term = _term(Vocabulary.DISPOSITION)
    out = key
    for part in ("set", "unset"):
        values = value.get(part) or []
        out += "".join(sorted(f"{part}={term(v, ns)}" for v in values))
    return out


def _sensor_elements(key: str, value: Any, ns: Prefixes) -> str:
    elements = []
    for element in value:
        meta = element.get("sensorMetadata")
        text = "sensorMetadata" + _fields(meta, _SENSOR_METADATA, ns) if meta else ""
        reports = element.get("sensorReport") or []
        text += "".join(sorted("sensorReport" + _fields(r, _SENSOR_REPORT, ns) for r in reports))
        extras = (k for k in element if k not in ("sensorMetadata", "sensorReport"))
        ext = (s for k in extras if k not in _IGNORED for s in _generic(k, element[k], ns))
        elements.append("sensorElement" + text + "".join(sorted(ext)))
    return key + "".join(sorted(elements))


def _ilmd(key: str, value: Any, ns: Prefixes) -> str:
    entries = (s for k, v in value.items() if k not in _IGNORED for s in _generic(k, v, ns))
    return key + "".join(sorted(entries))


def _generic(key: str, value: Any, ns: Prefixes) -> list[str]:
    """Extension element(s): ``{namespace}local`` with ``=value`` or sorted children."""
    name = _expand_key(key, ns)
    if isinstance(value, list):
        return [s for item in value for s in _generic(key, item, ns)]
    if isinstance(value, Mapping):
        if "@value" in value:
            return [f"{name}={_free(value['@value'], ns)}"]
        children = (
            s
            for k, v in value.items()
            if k not in _IGNORED and k[:1] != "@"
            for s in _generic(k, v, ns)
        )
        return [name + "".join(sorted(children))]
    if value is None:
        return []
    return [f"{name}={_free(value, ns)}"]


def _expand_key(key: str, ns: Prefixes) -> str:
    prefix, colon, local = key.partition(":")
    if colon and not local.startswith("//") and prefix in ns:
        return "{" + ns[prefix] + "}" + local
    if "://" in key:
        cut = max(key.rfind("/"), key.rfind("#")) + 1
        return "{" + key[:cut] + "}" + key[cut:]
    return key


_ID: Final[_Field] = _identifier
_QUANTITY: Final = (
    ("epcClass", _ID),
    ("quantity", lambda v, ns: _number(v)),
    ("uom", lambda v, ns: _text(v)),
)
_SENSOR_METADATA: Final = (
    ("time", lambda v, ns: _time(v)),
    ("startTime", lambda v, ns: _time(v)),
    ("endTime", lambda v, ns: _time(v)),
    ("deviceID", _ID),
    ("deviceMetadata", _ID),
    ("rawData", _ID),
    ("dataProcessingMethod", _ID),
    ("bizRules", _ID),
)
_NUM: Final[_Field] = lambda v, ns: _number(v)  # noqa: E731
_STR: Final[_Field] = lambda v, ns: _text(v)  # noqa: E731
_SENSOR_REPORT: Final = (
    ("type", _term(Vocabulary.MEASUREMENT_TYPE)),
    ("exception", _term(Vocabulary.SENSOR_ALERT)),
    ("deviceID", _ID),
    ("deviceMetadata", _ID),
    ("rawData", _ID),
    ("dataProcessingMethod", _ID),
    ("time", lambda v, ns: _time(v)),
    ("microorganism", _ID),
    ("chemicalSubstance", _ID),
    ("value", _NUM),
    ("component", _term(Vocabulary.COMPONENT)),
    ("stringValue", _STR),
    ("booleanValue", _STR),
    ("hexBinaryValue", _STR),
    ("uriValue", _ID),
    ("minValue", _NUM),
    ("maxValue", _NUM),
    ("meanValue", _NUM),
    ("sDev", _NUM),
    ("percRank", _NUM),
    ("percValue", _NUM),
    ("uom", _STR),
    ("coordinateReferenceSystem", _ID),
)


def _typed_pair(
    value_key: str, vocabulary: Vocabulary, *, type_first: bool
) -> tuple[tuple[str, _Field], ...]:
    """bizTransaction / source / destination: type and value, in the profile's order."""
    pair = ((value_key, _ID), ("type", _term(vocabulary)))
    return pair[::-1] if type_first else pair


_Render = Callable[[str, Any, Prefixes], str]


def _order(*, type_first: bool) -> tuple[tuple[str, _Render], ...]:
    """The top-level fields in pre-hash order; ``type_first``: see :data:`DEFAULT_PROFILE`."""

    def typed(value_key: str, vocabulary: Vocabulary) -> _Render:
        return _objects("", _typed_pair(value_key, vocabulary, type_first=type_first))

    return (
        ("eventTime", _leaf(lambda v, ns: _time(v))),
        ("eventTimeZoneOffset", _leaf(_STR)),
        ("certificationInfo", _repeated(_ID)),
        ("epcList", _many("epc", _ID)),
        ("parentID", _leaf(_ID)),
        ("inputEPCList", _many("epc", _ID)),
        ("childEPCs", _many("epc", _ID)),
        ("quantityList", _objects("quantityElement", _QUANTITY)),
        ("childQuantityList", _objects("quantityElement", _QUANTITY)),
        ("inputQuantityList", _objects("quantityElement", _QUANTITY)),
        ("outputEPCList", _many("epc", _ID)),
        ("outputQuantityList", _objects("quantityElement", _QUANTITY)),
        ("action", _leaf(_STR)),
        ("transformationID", _leaf(_ID)),
        ("bizStep", _leaf(_term(Vocabulary.BIZ_STEP))),
        ("disposition", _leaf(_term(Vocabulary.DISPOSITION))),
        ("persistentDisposition", _persistent),
        ("readPoint", _container((("id", _ID),))),
        ("bizLocation", _container((("id", _ID),))),
        ("bizTransactionList", typed("bizTransaction", Vocabulary.BIZ_TRANSACTION_TYPE)),
        ("sourceList", typed("source", Vocabulary.SOURCE_DESTINATION_TYPE)),
        ("destinationList", typed("destination", Vocabulary.SOURCE_DESTINATION_TYPE)),
        ("sensorElementList", _sensor_elements),
        ("ilmd", _ilmd),
    )


_ORDERS: Final = {
    DEFAULT_PROFILE: _order(type_first=True),
    LEGACY_PROFILE: _order(type_first=False),
}
_STANDARD: Final = frozenset({"type", *(key for key, _ in _ORDERS[DEFAULT_PROFILE])})

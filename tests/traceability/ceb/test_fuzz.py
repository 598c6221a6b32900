"""Hypothesis: valid messages round-trip; mutated or random bytes only raise our errors."""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.traceability.ceb.conftest import SAMPLES, sample
from traceability.ceb import CebError, CebMessage, read_message, write_message

FAST = settings(max_examples=150, deadline=500, suppress_health_check=[HealthCheck.too_slow])
ORDER = read_message(sample("CEB311"))
CJK = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=30)
AMOUNT = st.decimals(min_value=0, max_value=Decimal("99999999"), places=2, allow_nan=False)


@FAST
@given(name=CJK, address=CJK, price=AMOUNT, qty=st.integers(min_value=1, max_value=999))
def test_generated_orders_round_trip(name: str, address: str, price: Decimal, qty: int) -> None:
    order = ORDER.documents[0]
    line = order.items[0].model_copy(  # type: ignore[attr-defined]
        update={"qty": Decimal(qty), "price": price, "totalPrice": price * qty, "itemName": name}
    )
    changed = order.model_copy(
        update={"buyerName": name[:60], "consigneeAddress": address, "items": (line,)}
    )
    message = ORDER.__class__(
        ORDER.message_type, ORDER.guid, (changed,), base_transfer=ORDER.base_transfer
    )
    assert read_message(write_message(message)) == message


@FAST
@given(
    code=st.sampled_from(sorted(SAMPLES)),
    position=st.floats(min_value=0, max_value=1),
    junk=st.binary(max_size=12),
    cut=st.integers(min_value=0, max_value=12),
)
def test_mutated_messages_never_crash(code: str, position: float, junk: bytes, cut: int) -> None:
    data = sample(code)
    at = int(position * len(data))
    mutated = data[:at] + junk + data[at + cut :]
    with contextlib.suppress(CebError):
        read_message(mutated)


@FAST
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash(data: bytes) -> None:
    with contextlib.suppress(CebError):
        read_message(data)


@FAST
@given(st.text(alphabet="<>/=\"' &;!?[]-abcCEB:x", max_size=300))
def test_random_markup_never_crash(text: str) -> None:
    with contextlib.suppress(CebError):
        read_message(text.encode())


@FAST
@given(name=CJK, price=AMOUNT, qty=st.integers(min_value=1, max_value=999))
def test_generated_orders_round_trip_through_json(name: str, price: Decimal, qty: int) -> None:
    """What ``sandan ceb convert`` prints, ``sandan ceb write`` turns back into the message."""
    order = ORDER.documents[0]
    line = order.items[0].model_copy(  # type: ignore[attr-defined]
        update={"qty": Decimal(qty), "price": price, "totalPrice": price * qty, "itemName": name}
    )
    message = ORDER.__class__(
        ORDER.message_type,
        ORDER.guid,
        (order.model_copy(update={"buyerName": name[:60], "items": (line,)}),),
        base_transfer=ORDER.base_transfer,
    )
    printed = json.loads(json.dumps(message.to_json_dict(), ensure_ascii=False))
    again = CebMessage.from_json_dict(printed)
    assert again == message
    assert write_message(again) == write_message(message)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@FAST
@given(
    code=st.sampled_from(sorted(SAMPLES)),
    where=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
    value=JSON_VALUES,
)
def test_mutated_converted_json_never_crashes_write(
    code: str, where: list[int], value: Any
) -> None:
    """A hostile JSON file only ever gives our errors (exit 2 naming the key), never a crash."""
    data: Any = read_message(sample(code)).to_json_dict()
    target = data
    for step in where[:-1]:  # walk down to some nested object or list
        children = list(target.values()) if isinstance(target, dict) else target
        nested = [child for child in children if isinstance(child, dict | list) and child]
        if not nested:
            break
        target = nested[step % len(nested)]
    if isinstance(target, dict):
        target[sorted(target)[where[-1] % len(target)]] = value
    elif isinstance(target, list) and target:
        target[where[-1] % len(target)] = value
    with contextlib.suppress(CebError):
        write_message(CebMessage.from_json_dict(data))


@pytest.mark.parametrize("attribute", ["guid", "version"])
def test_a_control_character_in_a_root_attribute_is_a_schema_issue_not_a_crash(
    attribute: str,
) -> None:
    """Found by the fuzzer above: the root's attributes were written outside the guard."""
    data: Any = read_message(sample(sorted(SAMPLES)[0])).to_json_dict()
    data[attribute] = "\x01" * (36 if attribute == "guid" else 3)
    with pytest.raises(CebError, match="not writable as XML"):
        write_message(CebMessage.from_json_dict(data))

"""Reading a lot's material from untrusted text: unusable input is refused, never crashes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from api.verify.lot_input import UnusableInput, load_lot, lot_material

GOOD: dict[str, Any] = {
    "format": "sandan-lot/1",
    "chain": {"chainId": 1, "traceRegistry": "0x" + "1" * 40, "partyRegistry": None},
    "events": [{"eventHash": "00" * 32, "event": {}, "anchor": None}],
    "envelopes": {},
}


def test_load_lot_takes_the_resolver_body_or_the_material() -> None:
    assert load_lot(json.dumps({"gtin": "x", "verification": GOOD})) == GOOD
    assert load_lot(json.dumps(GOOD).encode()) == GOOD


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[1, 2]", "not an object"),
        (json.dumps({"gtin": "x"}), 'no "verification" object'),
        (json.dumps(_with(format="sandan-bundle/2")), "format sandan-lot/1"),
        (json.dumps(_with(chain={"chainId": True, "traceRegistry": "0x"})), "chainId"),
        (json.dumps(_with(events={})), "verification.events must be a list"),
        (json.dumps(_with(events=[{"eventHash": "00", "event": []}])), "events[0].event"),
        (
            json.dumps(_with(events=[{"eventHash": "00", "event": {}, "anchor": {"proof": 1}}])),
            "events[0].anchor.proof",
        ),
        (
            json.dumps(_with(events=[{"eventHash": "00", "event": {}, "envelopeHash": [1]}])),
            "events[0].envelopeHash",
        ),
        (
            json.dumps(_with(events=[{"eventHash": "00", "event": {}, "hashProfile": 2}])),
            "events[0].hashProfile",
        ),
        (
            json.dumps(_with(events=[{"eventHash": "00", "event": {}, "hashProfile": "cbv/9"}])),
            "events[0].hashProfile: unknown 'cbv/9'",
        ),
        ("[" * 65 + "]" * 65, "deeper than 64"),
    ],
)
def test_load_lot_refuses_unusable_input(text: str, message: str) -> None:
    with pytest.raises(UnusableInput, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_lot(text)


def test_load_lot_accepts_sixty_four_levels_and_brackets_inside_strings() -> None:
    nested: Any = {"x": "[[[[{{{{" * 100}
    for _ in range(59):  # with the material's own five levels: 64 in all
        nested = [nested]
    material = _with(events=[{"eventHash": "00", "event": {"deep": nested}}])
    assert lot_material(json.loads(json.dumps(material))) == material
    assert load_lot(json.dumps(material)) == material


def test_load_lot_refuses_a_deep_document_after_eth_account_is_imported() -> None:
    # eth_account raises the recursion limit; a deep text must still be refused, not crash.
    probe = (
        "import eth_account, sys\n"
        "from api.verify.lot_input import UnusableInput, load_lot\n"
        "try:\n"
        "    load_lot('[' * 400000 + ']' * 400000)\n"
        "except UnusableInput as exc:\n"
        "    print('refused', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("refused")

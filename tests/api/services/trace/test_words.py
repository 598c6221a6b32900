"""Words of the consumer page: every CBV step and template key in both languages; units; state."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.services.trace.i18n import TEXT
from api.services.trace.names import Names, Place
from api.services.trace.view import lot_state
from api.services.trace.words import STEPS, amount, quantity_text, step_label, unit_label
from api.web.pages.findings import finding_text
from traceability.epcis.vocabulary import BIZ_STEPS
from traceability.lineage import Finding, StageName

TEMPLATES = Path(__file__).resolve().parents[4] / "api" / "web" / "templates"
#: Keys the page builds from a value (``t['stage.' ~ ...]``): every value must have its word.
DYNAMIC = {
    "stage": [s.value for s in StageName] + ["none"],
    "state": ["verified", "verified_with_gaps", "not_verified", "recalled"],
    "state_note": ["verified", "verified_with_gaps", "not_verified", "recalled"],
    "status": ["verified", "recalled", "unsigned", "hash_mismatch", "not_on_chain",
               "not_anchored", "unreadable"],
    "correction": ["corrected", "retracted"],
    "finding": ["missing_stage", "time_reversed", "broken_custody", "unreached_location",
                "unclassified", "recalled", "other"],
}  # fmt: skip


def test_every_cbv_business_step_has_words_in_both_languages() -> None:
    assert set(STEPS) == set(BIZ_STEPS)
    for step in BIZ_STEPS:
        en, zh = step_label("en", step, "ObjectEvent"), step_label("zh", step, "ObjectEvent")
        assert step not in (en, zh), step
        assert en != zh, step


def test_every_key_the_templates_use_exists_in_both_languages() -> None:
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r"\bt\.([a-z_]+)\b", text))
        used |= set(re.findall(r"\bt\['([a-z_.]+)'\]", text))
    used |= {f"{prefix}.{value}" for prefix, values in DYNAMIC.items() for value in values}
    used -= {"get"}  # t.get('bt.' ~ type, type): a business transaction type or the code
    for lang in ("en", "zh"):
        assert sorted(used - set(TEXT[lang])) == [], lang
    assert set(TEXT["en"]) == set(TEXT["zh"])


@pytest.mark.parametrize(
    ("value", "uom", "measurement", "en", "zh"),
    [(1200.0, "KGM", None, "1200 kg", "1200 千克"),
     (6.5, "CEL", "Temperature", "6.5°C", "6.5°C"),
     (12.8, "P1", "Brix", "12.8 °Brix", "12.8 °Brix"),
     (40.0, "P1", "RelativeHumidity", "40%", "40%"),
     (0.02, "NA", "MassConcentration", "0.02 mg/kg", "0.02 毫克/千克"),
     (3.0, "H87", None, "3 pieces", "3 件"),
     (7.0, "ZZZ", None, "7 ZZZ", "7 ZZZ")],  # an unknown code is shown, never dropped
)  # fmt: skip
def test_amount_names_units_in_words(
    value: float, uom: str, measurement: str | None, en: str, zh: str
) -> None:
    assert amount(value, uom, "en", measurement) == en
    assert amount(value, uom, "zh", measurement) == zh


def test_quantity_without_unit_is_a_count_and_none_is_nothing() -> None:
    assert quantity_text("en", 230.0, None) == "230 items"
    assert quantity_text("zh", 230.0, None) == "230 件"
    assert quantity_text("en", None, "KGM") == ""
    assert unit_label("en", None) == ""


def test_findings_in_plain_words_with_place_names() -> None:
    port = "6901234000047"
    names = Names(places={port: Place(port, "Ganzhou Land Port", "赣州国际陆港")})
    finding = Finding(
        "unreached_location",
        "goods shipped to https://id.gs1.org/414/6901234000047 but next seen at x",
        None,
        (("to", f"https://id.gs1.org/414/{port}"), ("at", "https://id.gs1.org/414/8712345000104")),
    )
    en, zh = finding_text(finding, "en", names), finding_text(finding, "zh", names)
    assert en == "The goods were shipped to Ganzhou Land Port, but next seen at GLN 8712345000104."
    assert zh == "货物发往 赣州国际陆港，但随后出现在 GLN 8712345000104。"
    gap = Finding("missing_stage", "no export event recorded", None, (("stage", "export"),))
    assert finding_text(gap, "zh", names) == "未记录“出口运输”环节。"
    assert finding_text(Finding("new_kind", "raw"), "en", names) == TEXT["en"]["finding.other"]


def _lot(statuses: list[str], *, findings: int = 0, recalled: bool = False) -> Any:
    return SimpleNamespace(
        recall=SimpleNamespace(recalled=recalled),
        checks={str(i): SimpleNamespace(status=s) for i, s in enumerate(statuses)},
        lineage=SimpleNamespace(findings=[object()] * findings, alerts=[]),
    )


@pytest.mark.parametrize(
    ("lot", "state"),
    [(_lot(["verified", "verified"]), "verified"),
     (_lot(["verified", "unsigned"]), "verified_with_gaps"),
     (_lot(["verified"], findings=1), "verified_with_gaps"),
     (_lot(["unsigned", "unsigned"]), "not_verified"),
     (_lot(["verified", "not_anchored"]), "not_verified"),
     (_lot(["verified", "hash_mismatch"], findings=2), "not_verified"),
     (_lot(["recalled"], findings=1, recalled=True), "recalled")],
)  # fmt: skip
def test_lot_state_is_never_verified_beside_a_problem(lot: Any, state: str) -> None:
    assert lot_state(lot) == state

"""The epcis package declares its API and stays pure (no oracle, no PyLD, no web or chain)."""

from __future__ import annotations

import subprocess
import sys

import traceability.epcis as epcis


def test_epcis_all_is_sorted_and_matches_exports():
    assert sorted(epcis.__all__, key=str.casefold) == sorted(epcis.__all__, key=str.casefold)
    assert all(hasattr(epcis, name) for name in epcis.__all__)


def test_import_epcis_loads_no_oracle_jsonld_web_or_chain_modules():
    code = (
        "import sys, traceability.gs1, traceability.epcis, traceability.lineage, "
        "traceability.epcis.samples;"
        "bad = {'epcis_event_hash_generator', 'pyld', 'web3', 'fastapi', 'sqlmodel', 'httpx',"
        " 'segno'};"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

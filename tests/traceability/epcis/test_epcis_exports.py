"""The epcis package declares its API and stays pure (no oracle, no PyLD, no web or chain)."""

from __future__ import annotations

import traceability.epcis as epcis
from tests.probe import modules_loaded_by, top_level


def test_epcis_all_is_sorted_and_matches_exports():
    assert sorted(epcis.__all__, key=str.casefold) == sorted(epcis.__all__, key=str.casefold)
    assert all(hasattr(epcis, name) for name in epcis.__all__)


def test_import_epcis_loads_no_oracle_jsonld_web_or_chain_modules():
    loaded = modules_loaded_by(
        "import traceability.gs1, traceability.epcis, traceability.lineage, "
        "traceability.epcis.samples"
    )
    bad = {"epcis_event_hash_generator", "pyld", "web3", "fastapi", "sqlmodel", "httpx", "segno"}
    assert bad & top_level(loaded) == set()

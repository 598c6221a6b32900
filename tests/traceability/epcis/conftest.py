"""Test oracles of the event hash: the GS1 reference generator, run offline."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest

CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


@pytest.fixture(scope="module")
def oracle() -> Iterator[Callable[[dict[str, Any]], list[str]]]:
    """Reference pre-hashes of a document, with network fetches turned into failures."""
    pytest.importorskip("epcis_event_hash_generator")
    from epcis_event_hash_generator import hash_generator, json_to_py
    from pyld import jsonld

    original = jsonld.get_document_loader()
    # The two context files the reference package ships, served without its own loader
    # (which uses a deprecated importlib API and falls back to HTTP).
    shipped = {
        CONTEXT_URL: "e532647e8eb371379b8b0e8602d8981c8566bc60f7351f22c76a5bc865962008.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld": (
            "14b10c9d3e92d35f577bfc610fe5ec15aa2941124987919389d7cd9998516861.jsonld"
        ),
    }
    package = resources.files("epcis_event_hash_generator")

    def offline(url, options=None):
        if url not in shipped:
            raise AssertionError(f"the reference generator tried to fetch {url}")
        document = json.loads(package.joinpath(shipped[url]).read_text(encoding="utf-8"))
        return {"contextUrl": None, "documentUrl": url, "document": document}

    jsonld.set_document_loader(offline)

    def run(document: dict[str, Any]) -> list[str]:
        # The reference keeps CURIE prefixes in a module global across documents; start clean.
        json_to_py._namespaces.clear()
        events = json_to_py.event_list_from_epcis_document_json(copy.deepcopy(document))
        return hash_generator.derive_prehashes_from_events(events)

    yield run
    jsonld.set_document_loader(original)

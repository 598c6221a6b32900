"""ledger_client's public API is exactly its sorted ``__all__``, and importing it is cheap."""

import sys

import pytest

import ledger_client
from tests.probe import modules_loaded_by


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions: the order ruff's RUF022 keeps."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_matches_public_names():
    assert ledger_client.__all__ == sorted(ledger_client.__all__, key=_isort_key)
    assert set(ledger_client.__all__) == set(ledger_client._MODULE_OF)
    assert dir(ledger_client) == sorted(ledger_client.__all__)


def test_every_public_name_resolves_to_its_module():
    for name in ledger_client.__all__:
        module = f"ledger_client.{ledger_client._MODULE_OF[name]}"
        value = getattr(ledger_client, name)
        assert value is getattr(sys.modules[module], name)


def test_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="NoSuchThing"):
        ledger_client.NoSuchThing  # noqa: B018


def test_import_does_not_load_web3():
    assert {"web3", "eth_account"} & modules_loaded_by("import ledger_client") == set()

"""ledger_client's public API is exactly its sorted ``__all__``."""

import ledger_client


def _isort_key(name: str) -> tuple[int, str]:
    """Constants, then classes, then functions: the order ruff's RUF022 keeps."""
    kind = 0 if name.isupper() else 1 if name[0].isupper() else 2
    return kind, name


def test_all_is_sorted_and_matches_public_names():
    public = {name for name in vars(ledger_client) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(ledger_client, name)).__name__ == "module"}
    assert ledger_client.__all__ == sorted(ledger_client.__all__, key=_isort_key)
    assert set(ledger_client.__all__) == public - modules

"""Chain access for sandan: compile, deploy and call the trade and trace registries."""

from ledger_client.compile import (
    check_artifacts,
    compile_contracts,
    load_artifacts,
    write_artifacts,
)
from ledger_client.config import LedgerSettings

__all__ = [
    "LedgerSettings",
    "check_artifacts",
    "compile_contracts",
    "load_artifacts",
    "write_artifacts",
]

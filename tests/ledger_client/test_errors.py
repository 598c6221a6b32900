"""ContractReverted keeps its error name and arguments, as text and through pickling."""

import pickle

from ledger_client import ContractReverted, LedgerError


def test_contract_reverted_shows_name_and_args():
    exc = ContractReverted("TradeRegistryRootAlreadyAnchored", (b"\x01" * 32,), tx_hash="0xab")
    assert isinstance(exc, LedgerError)
    assert exc.args == (b"\x01" * 32,)
    assert str(exc) == f"TradeRegistryRootAlreadyAnchored(0x{'01' * 32}) (transaction 0xab)"


def test_contract_reverted_survives_pickling():
    exc = ContractReverted("TradeRegistryNotFinancier", (b"\x02" * 32, "0xA", "0xB"))
    again = pickle.loads(pickle.dumps(exc))
    assert (again.error_name, again.args, again.tx_hash) == (exc.error_name, exc.args, None)

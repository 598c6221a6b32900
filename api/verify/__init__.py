"""The offline verifier: checks an authenticity bundle with traceability and ledger_client only."""

# Cheap (PEP 562), and it keeps py_ecc from raising the recursion limit when the verifier
# later imports web3: see ledger_client._recursion.
import ledger_client  # noqa: F401

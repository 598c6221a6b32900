"""The offline verifier: checks an authenticity bundle with traceability and ledger_client only."""

"""Use cases of the service: each composes traceability (rules) and ledger_client (chain)."""

"""Traceability use cases: EPCIS storage, queries, lots, lineage views and the resolver's links."""

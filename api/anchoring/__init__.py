"""Anchoring: the chain gateway, the typed lanes and the crash-safe worker."""

"""Persistence: the engine, the SQLModel tables and keyword-only CRUD."""

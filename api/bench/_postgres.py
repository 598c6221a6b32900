"""Fresh PostgreSQL databases for benches: created from a maintenance URL, dropped after."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

__all__ = ["fresh_database", "server_version"]


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def _plain(url: str) -> str:
    """psycopg wants ``postgresql://``; SQLAlchemy URLs may say ``postgresql+psycopg://``."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def server_version(url: str) -> str | None:
    """``PostgreSQL 15.x`` of the server at ``url``, or None when it does not answer."""
    try:
        with psycopg.connect(_plain(url), connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return f"PostgreSQL {row[0]}" if row else None


@contextlib.contextmanager
def fresh_database(url: str, name: str) -> Iterator[str]:
    """Create ``sandan_bench_<name>_<pid>`` on the server at ``url``; yield its URL; drop it."""
    database = f"sandan_bench_{name}_{os.getpid()}"
    admin = _plain(url)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        yield _with_database(admin, database)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(database)))

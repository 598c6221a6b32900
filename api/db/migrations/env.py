"""Alembic environment: migrations run on the connection :mod:`api.db.migrate` hands over.

sandan builds its alembic ``Config`` in code (no ``alembic.ini``) and passes the
connection it already holds the migration lock on in ``config.attributes``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from api.db.migrate import target_metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run sandan's migrations through api.db.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    # SQLite changes constraints and types by copying the table; PostgreSQL alters in place.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

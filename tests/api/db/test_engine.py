"""Database set-up: a database made by an earlier sandan gains the columns added since."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from api.db.engine import create_db_and_tables, make_engine


def test_create_db_adds_nullable_columns_missing_from_an_older_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    create_db_and_tables(engine)
    with engine.begin() as connection:
        connection.execute(text('ALTER TABLE party DROP COLUMN "xml_certificate"'))
    assert "xml_certificate" not in {c["name"] for c in inspect(engine).get_columns("party")}
    create_db_and_tables(engine)
    assert "xml_certificate" in {c["name"] for c in inspect(engine).get_columns("party")}
    engine.dispose()

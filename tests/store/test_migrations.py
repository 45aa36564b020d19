"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cloudtap.store.db import engine_for
from cloudtap.store.migrate import downgrade, upgrade
from cloudtap.store.models import Base


def test_upgrade_matches_the_models(database_url: str) -> None:
    upgrade(database_url)
    engine = engine_for(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "base")
    assert set(inspect(engine_for(database_url)).get_table_names()) <= {"alembic_version"}
    upgrade(database_url)
    upgrade(database_url)  # idempotent
    assert "sessions" in inspect(engine_for(database_url)).get_table_names()

"""Throwaway PostgreSQL databases on the server ``scripts/services`` starts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cloudtap.store.db import dispose_all

POSTGRES_ENV = "CLOUDTAP_TEST_POSTGRES_URL"


def fresh_postgres_database(server_url: str) -> Iterator[str]:
    """A database of its own (yielded as a URL), so parallel test runs never share tables."""
    name = f"cloudtap_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        dispose_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

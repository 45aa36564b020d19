"""Throwaway PostgreSQL databases on the server ``scripts/services`` starts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
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


@contextmanager
def database_url_for(
    engine: str, tmp_path: Path, sqlite_name: str, *, fail_in_ci: bool = False
) -> Iterator[str]:
    """A database URL on ``engine`` (``"sqlite"``: the file ``tmp_path / sqlite_name``;
    ``"postgresql"``: a fresh database, dropped afterwards). Without the server the test is
    skipped, or fails on CI when ``fail_in_ci``."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / sqlite_name}"
        dispose_all()
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        if fail_in_ci and os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_ENV} is not set (run `source scripts/services`)")
        pytest.skip(f"{POSTGRES_ENV} is not set (run `source scripts/services`)")
    yield from fresh_postgres_database(server)

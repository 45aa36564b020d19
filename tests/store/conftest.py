"""Database URLs to run store tests on: SQLite always, PostgreSQL when scripts/services ran."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudtap.store.db import dispose_all
from tests.support.postgres import POSTGRES_ENV, fresh_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        dispose_all()
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set (run `source scripts/services`)")
    yield from fresh_postgres_database(server)

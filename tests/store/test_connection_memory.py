"""What each pooled SQLite connection may keep: bounded caches, not SQLite's defaults.

``serve`` keeps up to ``POOL_SIZE`` connections, each with its own page cache and its own
cache of prepared statements; left at their defaults (2 MB, 128 statements of ~14 KB)
they fill over many polls and ``serve``'s memory climbs to their bound (bench ``soak``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cloudtap.store.db import PAGE_CACHE_KIB, STATEMENT_CACHE, engine_for


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = engine_for(f"sqlite:///{tmp_path / 'memory.sqlite'}")
    yield engine
    engine.dispose()


def _live_statements() -> int:
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if type(o).__name__ == "Statement" and type(o).__module__ == "sqlite3"
    )


def test_a_connection_keeps_a_bounded_page_cache(engine: Engine) -> None:
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == -PAGE_CACHE_KIB


def test_a_connection_keeps_at_most_its_bound_of_prepared_statements(engine: Engine) -> None:
    with engine.connect() as connection:
        before = _live_statements()
        for n in range(200):  # more distinct statements than SQLite's default cache (128)
            assert connection.exec_driver_sql(f"SELECT {n}").scalar() == n
        kept = _live_statements() - before
    assert 0 < kept <= STATEMENT_CACHE

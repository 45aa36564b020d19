"""A key's open polls (``POST /polls`` refuses a key with 100) are counted from an index
of open polls alone: the count read every poll of the database, every organisation's,
to find a key's few open ones (``bench/api_calls_in_process.py``: part of 5 ms of CPU
per ``POST /polls``), so creating a poll grew slower with everything ever polled."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from cloudtap.store.in_flight import in_flight_statement
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Poll, Session


@pytest.mark.parametrize(
    ("model", "states"), [(Poll, ("pending", "processing")), (Session, ("pending",))]
)
def test_a_keys_open_objects_are_counted_from_their_own_index(
    tmp_path: Path, model: type[Poll] | type[Session], states: tuple[str, ...]
) -> None:
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    engine = create_engine(url)
    statement = in_flight_statement(model, states).params(key_id="key")
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = [str(r[3]) for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    engine.dispose()
    table = model.__tablename__
    assert any(f"{table} USING COVERING INDEX ix_{table}_open_by_key" in s for s in plan), plan

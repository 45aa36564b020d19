"""A list's ``total_count`` over an organisation's events and polls is read from an index
alone: it is asked on every ``GET /events`` and ``GET /polls``, and events grow by several
per poll (api-mix: with 2,456 events, the count alone took ~10 ms of SQLite's time)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event

from cloudtap.store.accounts import create_organisation, issue_key
from cloudtap.store.db import dispose_all, engine_for, transaction
from cloudtap.store.environments import environment_scope
from cloudtap.store.listing import list_scoped
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Base, Event, Poll


@pytest.mark.parametrize("model", [Event, Poll])
def test_a_keys_list_count_reads_a_covering_index(tmp_path: Path, model: type[Base]) -> None:
    path = tmp_path / "counts.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with transaction(url) as db:
        org = create_organisation(db, "Acme")
        issue_key(db, org.id, "sandbox")
    counts: list[tuple[str, object]] = []

    def seen(*args: object) -> None:
        statement = str(args[2])
        if "count(" in statement.lower():
            counts.append((statement, args[3]))

    engine = engine_for(url)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with transaction(url) as db:
            scope = environment_scope(model, org.id, "sandbox")
            list_scoped(db, model, org.id, limit=20, scope=scope)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
        dispose_all()
    [(statement, parameters)] = counts
    with sqlite3.connect(path) as raw:
        plan = [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)]  # type: ignore[arg-type]
    table = model.__tablename__
    assert any(step.startswith(f"SEARCH {table} USING COVERING INDEX") for step in plan), plan

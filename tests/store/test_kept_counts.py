"""Kept list counts (``store/kept_counts.py``): an unfiltered list's ``total_count`` counts
only the rows added since it was last counted, and is always the same as a full count:
after inserts, deletes through the store, and deletes by another connection and by
foreign-key cascades (which a trigger counts)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session as DbSession

from cloudtap.store.accounts import create_organisation, get_or_create_user, issue_key
from cloudtap.store.db import transaction
from cloudtap.store.environments import environment_scope
from cloudtap.store.kept_counts import KEPT_MODELS, forget_kept_counts, kept_counts
from cloudtap.store.listing import list_in_environment, list_scoped, list_statements
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import Base, Event, Poll, Session, Source, Task
from cloudtap.store.removal import delete_session

WATCHED = ("polls", "tasks", "results", "events", "keys")


@pytest.fixture(autouse=True)
def _no_counts_kept_from_other_tests() -> None:
    forget_kept_counts()


def _counts(database_url: str, org_id: str, model: type[Base]) -> tuple[int, int]:
    """(the list's total_count, a full count with the same scope)."""
    with transaction(database_url) as db:
        listed = list_in_environment(db, model, org_id, "sandbox", limit=1).total_count
        scope = environment_scope(model, org_id, "sandbox")
        return listed, list_scoped(db, model, org_id, limit=1, scope=scope).total_count


def _add_polls(db: DbSession, org_id: str, key_id: str, session: Session, n: int) -> None:
    for _ in range(n):
        poll = Poll(
            organisation_id=org_id,
            key_id=key_id,
            user_id=session.user_id,
            source_id=session.source_id,
            session_id=session.id,
        )
        db.add(poll)
        db.flush()
        db.add(Task(organisation_id=org_id, key_id=key_id, poll_id=poll.id, type="data"))
        db.add(Event(organisation_id=org_id, key_id=key_id, type="poll", action="created"))
    db.flush()


def _new_session(db: DbSession, org_id: str, key_id: str, name: str = "u") -> Session:
    user, _ = get_or_create_user(db, org_id, name, key_id)
    source = Source(
        organisation_id=org_id, user_id=user.id, key_id=key_id, type="icloud", identifier="a@b"
    )
    db.add(source)
    db.flush()
    session = Session(organisation_id=org_id, key_id=key_id, user_id=user.id, source_id=source.id)
    db.add(session)
    db.flush()
    return session


def test_counts_stay_exact_through_inserts_and_every_kind_of_delete(tmp_path: Path) -> None:
    path = tmp_path / "kept.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with transaction(url) as db:
        org = create_organisation(db, "Acme")
        key = issue_key(db, org.id, "sandbox").key
        other = create_organisation(db, "Globex")
        other_key = issue_key(db, other.id, "sandbox").key
        first = _new_session(db, org.id, key.id, "first")
        second = _new_session(db, org.id, key.id, "second")
        _add_polls(db, org.id, key.id, first, 4)
        _add_polls(db, org.id, key.id, second, 3)
        _add_polls(db, other.id, other_key.id, _new_session(db, other.id, other_key.id), 2)
        org_id, key_id, first_id, second_id = org.id, key.id, first.id, second.id

    def exact(expected: int) -> None:
        for model in (Poll, Task, Event):
            listed, full = _counts(url, org_id, model)
            assert listed == full == expected, model

    exact(7)
    assert kept_counts() == 3  # one per list: polls, tasks, events of Acme's sandbox
    with transaction(url) as db:  # inserts after the count was kept
        _add_polls(db, org_id, key_id, db.get_one(Session, _pk(db, first_id)), 2)
    exact(9)

    with transaction(url) as db:  # through the store: the session's polls, tasks, events
        session = db.get_one(Session, _pk(db, first_id))
        delete_session(db, session)
    with transaction(url) as db:  # (the events here are about no poll: added back alike)
        db.execute(text("DELETE FROM events WHERE pk IN (SELECT pk FROM events LIMIT 6)"))
    assert _counts(url, org_id, Poll) == (3, 3)

    # Another connection, not through SQLAlchemy (as another process would): a cascade
    # from a deleted session to its polls and their tasks.
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("DELETE FROM sessions WHERE id = ?", (second_id,))
    for model in (Poll, Task, Event):
        listed, full = _counts(url, org_id, model)
        assert listed == full, model
    assert _counts(url, org_id, Poll) == (0, 0)


def test_counts_on_postgresql_are_full_counts_and_exact(database_url: str) -> None:
    """PostgreSQL hands out keys before commits, in any order: no count is kept there."""
    upgrade(database_url)
    with transaction(database_url) as db:
        org = create_organisation(db, "Acme")
        key = issue_key(db, org.id, "sandbox").key
        _add_polls(db, org.id, key.id, _new_session(db, org.id, key.id), 3)
        org_id = org.id
    assert _counts(database_url, org_id, Poll) == (3, 3)
    kept = 1 if database_url.startswith("sqlite") else 0
    assert kept_counts() == kept


def _pk(db: DbSession, session_id: str) -> int:
    return int(
        db.execute(text("SELECT pk FROM sessions WHERE id = :id"), {"id": session_id}).scalar_one()
    )


@pytest.mark.parametrize("model", sorted(KEPT_MODELS, key=str))
def test_a_kept_count_reads_only_the_rows_added_since(tmp_path: Path, model: type[Base]) -> None:
    """The count after the first is a range of the table's index above the kept key: its
    cost is the rows added since, not the organisation's history."""
    url = f"sqlite:///{tmp_path / 'plan.db'}"
    upgrade(url)
    kept = list_statements(model).kept
    assert kept is not None
    values = {"scoped_organisation_id": "org", "scoped_environment": "sandbox"}
    statement = kept.since.params({**values, "kept_since_pk": 5})
    engine = create_engine(url)
    compiled = statement.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        plan = [str(r[3]) for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    engine.dispose()
    table = model.__tablename__
    assert any(s.startswith(f"SEARCH {table} USING") and "rowid>?" in s for s in plan), plan


def test_filtered_lists_are_counted_in_full() -> None:
    """A filter may name a column that changes (a poll's state): no count is kept."""
    assert list_statements(Poll, ("state",)).kept is None
    assert list_statements(Event, ("type",)).kept is None
    assert list_statements(Poll).kept is not None


def test_every_watched_table_has_its_deletion_trigger_at_head(tmp_path: Path) -> None:
    """A migration rebuilding one of these tables on SQLite drops its trigger."""
    path = tmp_path / "head.db"
    upgrade(f"sqlite:///{path}")
    with sqlite3.connect(path) as raw:
        triggers = dict(
            raw.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        )
    assert all(triggers.get(table) == f"{table}_list_deletion" for table in WATCHED), triggers

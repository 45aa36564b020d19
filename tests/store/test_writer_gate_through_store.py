"""Writers of one SQLite file in one process take turns on a lock (``sqlite_writer``):
a waiting writer never reaches SQLite (and its sleeping busy handler) while another of
this process is mid-transaction, and starts the moment that one ends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import event, text

from cloudtap.store.db import engine_for, on_commit, transaction


def _table(url: str) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))


def _traced_inserts(url: str) -> threading.Event:
    """Set when any connection of ``url`` starts running ``INSERT ... VALUES (2)``."""
    started = threading.Event()

    def on_connect(dbapi_connection: object, _record: object) -> None:
        def trace(statement: str) -> None:
            if "VALUES (2)" in statement:
                started.set()

        dbapi_connection.set_trace_callback(trace)  # type: ignore[attr-defined]

    engine = engine_for(url)
    engine.pool.dispose()  # every later connection is traced
    event.listen(engine, "connect", on_connect)
    return started


def test_a_second_writer_waits_for_the_first_to_end_then_goes_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    _table(url)
    second_started = _traced_inserts(url)
    first_wrote, first_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        with transaction(url) as db:
            db.execute(text("INSERT INTO t VALUES (1)"))
            first_wrote.set()
            first_may_commit.wait(30)

    def second() -> None:
        try:
            with transaction(url) as db:
                db.execute(text("INSERT INTO t VALUES (2)"))
        except BaseException as error:  # reported below
            errors.append(error)

    one = threading.Thread(target=first)
    one.start()
    assert first_wrote.wait(30)
    two = threading.Thread(target=second)
    two.start()
    # While the first is mid-transaction, the second's INSERT does not reach SQLite.
    assert not second_started.wait(1.0)
    first_may_commit.set()
    one.join(30)
    assert second_started.wait(30)
    two.join(30)
    assert not errors
    with transaction(url) as db:
        assert sorted(db.execute(text("SELECT x FROM t")).scalars()) == [1, 2]


def test_a_write_made_as_a_transaction_commits_does_not_wait_on_it(tmp_path: Path) -> None:
    """``on_commit`` actions (enqueueing a job) write in a transaction of their own while
    the first one's connection is still checked out: the lock is already free."""
    url = f"sqlite:///{tmp_path / 'w.db'}"
    _table(url)
    done = threading.Event()

    def then_write() -> None:
        with transaction(url) as db:
            db.execute(text("INSERT INTO t VALUES (3)"))
        done.set()

    started = time.monotonic()
    with transaction(url) as db:
        db.execute(text("INSERT INTO t VALUES (1)"))
        on_commit(db, then_write)
    # Held until the connection's return to the pool, it would wait out its 10 s bound.
    assert done.is_set() and time.monotonic() - started < 5
    with transaction(url) as db:
        assert sorted(db.execute(text("SELECT x FROM t")).scalars()) == [1, 3]

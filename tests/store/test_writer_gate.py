"""SQLite's writer handed over in turns, urgent writers first (issue 25, item 2): a
files batch's bulk writes never keep an API request or a one-task poll waiting for
more than the unit they are writing. Real SQLite files, real threads; order asserted,
never time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloudtap.store import fair_queue
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.fair_queue import Tenant
from cloudtap.store.migrate import upgrade
from cloudtap.store.models import QueuedJob
from cloudtap.store.writer_gate import GATE, bulk_writes, urgent_writer_waiting

TENANT = Tenant("org-a", "key-1")
DEADLINE = 30.0


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    database_url = f"sqlite:///{tmp_path / 'gate.db'}"
    upgrade(database_url)
    yield database_url
    dispose_all()


def _write(url: str, label: str) -> None:
    with transaction(url) as db:
        fair_queue.push(db, TENANT, "poll", [label])


def _written(url: str) -> list[str]:
    with transaction(url) as db:
        rows = db.scalars(select(QueuedJob).order_by(QueuedJob.pk))
        return [str(row.args[0]) for row in rows]


def _until(condition: Callable[[], bool], what: str) -> None:
    changed = threading.Event()
    for _ in range(int(DEADLINE / 0.01)):
        if condition():
            return
        changed.wait(0.01)  # bounded: the condition is read again, never assumed
    raise AssertionError(f"{what} within {DEADLINE:.0f} s")


def _thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def _bulk_write(url: str, label: str) -> None:
    with bulk_writes():
        _write(url, label)


def test_an_urgent_writer_goes_before_bulk_writers_that_waited_longer(url: str) -> None:
    holding, let_go = threading.Event(), threading.Event()

    def hold() -> None:
        with bulk_writes(), transaction(url) as db:
            fair_queue.push(db, TENANT, "poll", ["holder"])
            holding.set()
            assert let_go.wait(DEADLINE)

    holder = _thread(hold)
    assert holding.wait(DEADLINE)
    bulk = _thread(lambda: _bulk_write(url, "bulk"))
    _until(lambda: GATE.waiting() == (0, 1), "the bulk writer waiting")
    urgent = _thread(lambda: _write(url, "urgent"))
    _until(lambda: GATE.waiting() == (1, 1), "the urgent writer waiting too")
    let_go.set()
    for thread in (holder, bulk, urgent):
        thread.join(DEADLINE)
    assert _written(url) == ["holder", "urgent", "bulk"]


def test_a_bulk_transaction_hears_an_urgent_writer_waiting(url: str) -> None:
    heard: list[bool] = []
    with bulk_writes(), transaction(url) as db:
        fair_queue.push(db, TENANT, "poll", ["bulk"])
        heard.append(urgent_writer_waiting())
        urgent = _thread(lambda: _write(url, "urgent"))
        _until(GATE.urgent_waiting, "the urgent writer waiting")
        heard.append(urgent_writer_waiting())
    urgent.join(DEADLINE)
    assert heard == [False, True]
    assert _written(url) == ["bulk", "urgent"]


def test_urgent_transactions_are_never_asked_to_split(url: str) -> None:
    with transaction(url) as db:
        fair_queue.push(db, TENANT, "poll", ["first"])
        other = _thread(lambda: _write(url, "second"))
        _until(GATE.urgent_waiting, "the other writer waiting")
        assert not urgent_writer_waiting()  # only bulk work commits early
    other.join(DEADLINE)
    assert _written(url) == ["first", "second"]


def test_a_failed_transaction_hands_the_writer_over(url: str) -> None:
    with pytest.raises(RuntimeError), transaction(url) as db:
        fair_queue.push(db, TENANT, "poll", ["rolled back"])
        raise RuntimeError("the unit of work failed")
    after = _thread(lambda: _write(url, "after"))
    after.join(DEADLINE)
    assert not after.is_alive() and _written(url) == ["after"]
    assert GATE.waiting() == (0, 0)

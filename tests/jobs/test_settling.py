"""A files batch claims and settles many tasks in one transaction, but commits between
tasks when an urgent writer (an API request, another tenant's one-task poll) waits
for SQLite's writer: that writer waits for one task's writes, not the batch's (issue
25, item 2). Real SQLite, real threads; what the waiting writer saw is asserted."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from cloudtap.config import Settings
from cloudtap.icloud.errors import ServiceDisabled
from cloudtap.jobs.settling import Outcome, finish_tasks
from cloudtap.jobs.task_runs import claim_while, start_tasks
from cloudtap.store import fair_queue
from cloudtap.store.db import engine_for, transaction
from cloudtap.store.fair_queue import Tenant
from cloudtap.store.models import Task
from cloudtap.store.writer_gate import GATE, bulk_writes
from tests.jobs.job_database import file_task, job_settings, processing_poll

TASKS = 4
DEADLINE = 30.0


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with job_settings("sqlite", tmp_path) as settings:  # the gate is SQLite's
        yield settings


def _tasks(settings: Settings) -> list[str]:
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {"files": []})
        tasks = [file_task(poll, f"icpl://file-{n}") for n in range(TASKS)]
        db.add_all(tasks)
        db.flush()
        return [task.id for task in tasks]


def _states(settings: Settings, state: str) -> int:
    with transaction(settings.database_url) as db:
        return int(db.scalar(select(func.count()).where(Task.state == state)) or 0)


class UrgentWriter:
    """At the batch's first write to ``tasks``, another thread writes (urgently) and
    then counts the tasks in ``state``: how many the batch had committed before it."""

    def __init__(self, settings: Settings, state: str) -> None:
        self.settings, self.state = settings, state
        self.saw: list[int] = []
        self.thread = threading.Thread(target=self._write, daemon=True)

    def _write(self) -> None:
        with transaction(self.settings.database_url) as db:
            fair_queue.push(db, Tenant("org-b"), "poll", ["urgent"])
        self.saw.append(_states(self.settings, self.state))

    def on_update(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE tasks") and not self.thread.is_alive() and not self.saw:
            self.thread.start()
            _until(GATE.urgent_waiting, "the urgent writer waiting")

    def during(self, work: Callable[[], None]) -> None:
        engine = engine_for(self.settings.database_url)
        event.listen(engine, "after_cursor_execute", self.on_update)
        try:
            with bulk_writes():
                work()
        finally:
            event.remove(engine, "after_cursor_execute", self.on_update)
        self.thread.join(DEADLINE)


def _until(condition: Callable[[], bool], what: str) -> None:
    waited = threading.Event()
    for _ in range(int(DEADLINE / 0.01)):
        if condition():
            return
        waited.wait(0.01)
    raise AssertionError(f"{what} within {DEADLINE:.0f} s")


def test_a_batch_claim_lets_a_waiting_writer_in_after_one_task(settings: Settings) -> None:
    task_ids = _tasks(settings)
    urgent = UrgentWriter(settings, "processing")
    runs: list[Any] = []
    urgent.during(lambda: runs.extend(start_tasks(settings, task_ids, "batch-owner")))
    assert urgent.saw == [1]  # not TASKS: the claim committed after its first task
    assert [run.task_id for run in runs] == task_ids  # and then claimed all the others


def test_a_batch_settle_lets_a_waiting_writer_in_after_one_task(settings: Settings) -> None:
    task_ids = _tasks(settings)
    runs = start_tasks(settings, task_ids, "batch-owner")
    outcomes = [Outcome(run, None, error=ServiceDisabled()) for run in runs]
    urgent = UrgentWriter(settings, "failed")
    urgent.during(lambda: finish_tasks(settings, outcomes))
    assert urgent.saw == [1]
    assert _states(settings, "failed") == TASKS  # every task settled once all the same


def test_outside_a_batch_one_transaction_settles_them_all(settings: Settings) -> None:
    task_ids = _tasks(settings)
    runs = start_tasks(settings, task_ids, "owner")
    outcomes = [Outcome(run, None, error=ServiceDisabled()) for run in runs]
    urgent = UrgentWriter(settings, "failed")
    engine = engine_for(settings.database_url)
    event.listen(engine, "after_cursor_execute", urgent.on_update)
    try:
        finish_tasks(settings, outcomes)  # not bulk: the other writer waits for all
    finally:
        event.remove(engine, "after_cursor_execute", urgent.on_update)
    urgent.thread.join(DEADLINE)
    assert urgent.saw == [TASKS]


def test_a_claim_stops_between_tasks_once_its_batch_makes_way(settings: Settings) -> None:
    task_ids = _tasks(settings)
    answers = iter([True, False])  # another tenant's job arrives after the first claim

    runs, left = claim_while(settings, task_ids, "batch-owner", lambda: next(answers, False))

    assert [run.task_id for run in runs] == task_ids[:1]
    assert left == task_ids[1:]  # not tried: still pending, no owner, claimed later
    with transaction(settings.database_url) as db:
        rows = db.execute(select(Task.state, Task.lease_owner).where(Task.id.in_(left)))
        assert set(rows.tuples()) == {("pending", None)}

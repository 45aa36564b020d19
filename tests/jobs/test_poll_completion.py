"""A poll is completed by its last task's settle, in that settle's transaction. Two
tasks of one poll settling at the same moment on PostgreSQL must not each see the other
still open (each statement there reads what was committed when it began): the poll's
row is locked first, so the later settle sees the earlier one done and completes it,
once. Real PostgreSQL, real threads, held at the same point by a barrier."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from cloudtap.config import Settings
from cloudtap.jobs.heartbeat import new_owner
from cloudtap.jobs.settling import Outcome, finish_tasks
from cloudtap.jobs.task_runs import TaskRun, start_tasks
from cloudtap.publish.store import StoredObject
from cloudtap.store.db import engine_for, transaction
from cloudtap.store.models import Event, Poll
from tests.jobs.job_database import file_task, job_settings, processing_poll

DEADLINE = 30.0


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    with job_settings("postgresql", tmp_path) as settings:
        yield settings


def _two_claimed_tasks(settings: Settings) -> tuple[str, list[TaskRun]]:
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {"files": []})
        tasks = [file_task(poll, f"icpl://file-{n}") for n in range(2)]
        db.add_all(tasks)
        db.flush()
        poll_id, task_ids = poll.id, [task.id for task in tasks]
    runs = [start_tasks(settings, [task_id], new_owner())[0] for task_id in task_ids]
    return poll_id, runs


def _stored(run: TaskRun) -> StoredObject:
    return StoredObject("local", f"{run.task_id}.bin", f"/files/{run.task_id}", 3, "0" * 32)


def test_two_tasks_settling_at_once_complete_their_poll_once(settings: Settings) -> None:
    poll_id, runs = _two_claimed_tasks(settings)
    # Both settles wait here, each with its task settled and not committed, until the
    # other is there too: then both go on to the poll's completion check.
    both_settled = threading.Barrier(2, timeout=DEADLINE)
    held: set[int] = set()

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        me = threading.get_ident()
        # The completion check's first statement: the lock, or the conditional UPDATE.
        check = statement.lstrip().upper().startswith(("SELECT POLLS.ID", "UPDATE POLLS SET STATE"))
        if check and me not in held:
            held.add(me)
            both_settled.wait()

    errors: list[BaseException] = []

    def settle(run: TaskRun) -> None:
        try:
            finish_tasks(settings, [Outcome(run, _stored(run), "bin")])
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    engine = engine_for(settings.database_url)
    event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=settle, args=(run,)) for run in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE)
    finally:
        event.remove(engine, "before_cursor_execute", hold)
    assert not errors and not any(thread.is_alive() for thread in threads)
    assert len(held) == 2  # both reached the completion check before either committed
    with transaction(settings.database_url) as db:
        state = db.scalar(select(Poll.state).where(Poll.id == poll_id))
        completed = db.scalar(
            select(func.count()).where(
                Event.type == "poll", Event.action == "completed", Event.organisation_id != ""
            )
        )
    assert state == "completed"
    assert completed == 1

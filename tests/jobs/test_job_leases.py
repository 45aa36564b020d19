"""Leases on running tasks (SQLite and PostgreSQL): a duplicate queue message never runs
a task twice, a lapsed lease is taken back and its task run again with one result and
no partial file left, only the lease holder may publish, and a task whose workers keep
dying fails with ``worker-lost``."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from cloudtap.config import Settings
from cloudtap.jobs.queue import queue_for
from cloudtap.jobs.reclaim import sweep_leases
from cloudtap.jobs.task_job import run_task
from cloudtap.store import fair_queue, job_leases
from cloudtap.store.db import dispose_all, transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.migrate import downgrade, upgrade
from cloudtap.store.models import Event, Poll, Result, Task
from tests.jobs.fake_connector import FILE_ID, file_bytes
from tests.jobs.job_database import file_task, job_settings, processing_poll


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with job_settings(request.param, tmp_path, {"CLOUDTAP_TASK_MAX_ATTEMPTS": "2"}) as settings:
        yield settings


def _file_task(settings: Settings) -> str:
    """A pending file task of a processing poll, on an active session."""
    with transaction(settings.database_url) as db:
        task = file_task(processing_poll(db, settings, {"files": [FILE_ID]}), FILE_ID)
        db.add(task)
        db.flush()
        return task.id


def _die_while_running(settings: Settings, task_id: str) -> Path:
    """What a SIGKILLed worker leaves: the task ``processing`` under a lapsed lease of a
    token nobody renews, and a half-written partial file in the results folder."""
    with transaction(settings.database_url) as db:
        assert job_leases.claim(db, Task, task_id, "dead-worker", 30)
        db.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(lease_expires=utcnow() - timedelta(seconds=1))
        )
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        folder = settings.data_dir / "results" / task.organisation_id / str(task.poll_id)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"{task_id}.jpg.0badc0de.partial"
    partial.write_bytes(file_bytes(FILE_ID)[:1000])
    return partial


def _outcome(settings: Settings, task_id: str) -> tuple[Task, Poll, int, int]:
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        poll = db.scalars(select(Poll).where(Poll.id == task.poll_id)).one()
        results = db.scalar(select(func.count()).where(Result.task_id == task_id)) or 0
        created = sum(
            1
            for data in db.scalars(
                select(Event.data).where(Event.type == "result", Event.action == "created")
            )
            if data["task"] == task_id
        )
        return task, poll, int(results), created


def test_a_task_enqueued_twice_runs_and_publishes_once(settings: Settings) -> None:
    task_id = _file_task(settings)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(run_task, [task_id] * 6))
    task, poll, results, created = _outcome(settings, task_id)
    assert task.state == "succeeded" and poll.state == "completed"
    assert (results, created) == (1, 1)


def test_a_lapsed_lease_is_taken_back_and_the_task_run_again(settings: Settings) -> None:
    task_id = _file_task(settings)
    partial = _die_while_running(settings, task_id)
    swept = sweep_leases(settings)
    assert swept.reclaimed == 1
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        assert (task.state, task.reclaims, task.lease_owner) == ("pending", 1, None)
    assert queue_for(settings).pending_count() == 1  # enqueued again
    assert sweep_leases(settings).reclaimed == 0  # taken back once, whoever sweeps
    run_task(task_id)
    task, poll, results, created = _outcome(settings, task_id)
    assert task.state == "succeeded" and poll.state == "completed"
    assert (results, created) == (1, 1)
    with transaction(settings.database_url) as db:
        location = db.scalars(select(Result.location).where(Result.task_id == task_id)).one()
    assert Path(location).read_bytes() == file_bytes(FILE_ID)
    assert not partial.exists()
    assert list((settings.data_dir / "results").rglob("*.partial")) == []


def test_only_the_lease_holder_settles(settings: Settings) -> None:
    task_id = _file_task(settings)
    _die_while_running(settings, task_id)
    sweep_leases(settings)
    with transaction(settings.database_url) as db:
        # The stalled first run comes back: its lease is gone, so it writes nothing.
        assert not job_leases.settle(db, Task, task_id, "dead-worker", state="succeeded")
        assert job_leases.claim(db, Task, task_id, "second-run", 30)
        assert not job_leases.claim(db, Task, task_id, "third-run", 30)
        assert not job_leases.renew(db, Task, task_id, "dead-worker", 30)
        assert job_leases.renew(db, Task, task_id, "second-run", 30)


def test_a_task_whose_workers_keep_dying_fails(settings: Settings) -> None:
    task_id = _file_task(settings)
    for _ in range(2):  # CLOUDTAP_TASK_MAX_ATTEMPTS
        partial = _die_while_running(settings, task_id)
        assert sweep_leases(settings).reclaimed == 1
    run_task(task_id)
    task, poll, results, created = _outcome(settings, task_id)
    assert (task.state, task.error, task.reclaims) == ("failed", "worker-lost", 2)
    assert [e["error"] for e in poll.errors] == ["worker-lost"]
    assert poll.state == "completed"
    assert (results, created) == (0, 0)
    assert not partial.exists()


def test_a_poll_whose_last_task_worker_died_is_completed(settings: Settings) -> None:
    task_id = _file_task(settings)
    with transaction(settings.database_url) as db:
        # The task's result committed, then its worker died before completing the poll.
        db.execute(update(Task).where(Task.id == task_id).values(state="succeeded"))
        poll_id = db.scalars(select(Task.poll_id).where(Task.id == task_id)).one()
        db.execute(
            update(Poll)
            .where(Poll.id == poll_id)
            .values(date_started=utcnow() - timedelta(minutes=5))
        )
    assert sweep_leases(settings).completed == 1
    _, poll, _, _ = _outcome(settings, task_id)
    assert poll.state == "completed"


def test_a_task_stuck_before_the_upgrade_is_taken_back(settings: Settings) -> None:
    task_id = _file_task(settings)
    downgrade(settings.database_url, "0003")  # before leases: a worker died mid-task
    dispose_all()
    with transaction(settings.database_url) as db:
        db.execute(text("UPDATE tasks SET state = 'processing' WHERE id = :id"), {"id": task_id})
    upgrade(settings.database_url)
    dispose_all()
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        poll = db.scalars(select(Poll).where(Poll.id == task.poll_id)).one()
    assert task.lease_expires is not None and task.lease_owner is None
    assert poll.lease_expires is None  # planned already: its task carries on
    assert sweep_leases(settings).reclaimed == 1
    run_task(task_id)
    task, poll, results, created = _outcome(settings, task_id)
    assert (task.state, poll.state, results, created) == ("succeeded", "completed", 1, 1)


def test_a_job_waiting_its_turn_whose_message_was_lost_gets_one(settings: Settings) -> None:
    task_id = _file_task(settings)
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        # Its message died with a process between the two writes.
        tenant = fair_queue.Tenant(task.organisation_id, task.key_id or "")
        fair_queue.push(db, tenant, "task", [task_id])
    queue = queue_for(settings)
    assert queue.pending_count() == 0
    swept = sweep_leases(settings)
    assert swept.woken == 1 and queue.pending_count() == 1
    assert sweep_leases(settings).woken == 0  # the message is there now
    # The message runs the job: the task succeeds once.
    queue.execute(queue.dequeue())
    assert _outcome(settings, task_id)[0].state == "succeeded"

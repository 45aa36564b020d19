"""A poll's file tasks run as one batch job (SQLite and PostgreSQL): every task settled on
its own lease with one result each, tasks another worker holds left alone, and the
batch's waiting tasks kept off the sweeper's "message lost" list while it lives."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.jobs.file_batches import BatchLeases, run_file_batch
from cloudtap.store import job_leases
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Result, Task
from tests.jobs.fake_connector import file_bytes
from tests.jobs.job_database import file_task, job_settings, processing_poll

FILES = 9


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with job_settings(request.param, tmp_path, fail_in_ci=True) as settings:
        yield settings


def _poll(settings: Settings, targets: list[str]) -> tuple[str, list[str]]:
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {"files": targets})
        tasks = [file_task(poll, target) for target in targets]
        db.add_all(tasks)
        db.flush()
        return poll.id, [t.id for t in tasks]


def test_every_file_task_of_the_batch_settles_once(settings: Settings) -> None:
    targets = [f"icpl://file-{n}" for n in range(FILES)] + ["unknown://gone"]
    poll_id, task_ids = _poll(settings, targets)
    # One task is already running elsewhere (another worker's lease): left to it.
    with transaction(settings.database_url) as db:
        assert job_leases.claim(db, Task, task_ids[0], "other-worker", 60)
    run_file_batch(poll_id, task_ids)
    with transaction(settings.database_url) as db:
        states = dict(db.execute(select(Task.target, Task.state)).tuples().all())
        results = list(db.scalars(select(Result).where(Result.poll_id == poll_id)))
        poll = db.scalars(select(Poll).where(Poll.id == poll_id)).one()
        errors, poll_state = list(poll.errors), poll.state
    assert states[targets[0]] == "processing"
    assert {states[t] for t in targets[1:FILES]} == {"succeeded"}
    assert states["unknown://gone"] == "failed"
    assert [e["error"] for e in errors] == ["not-found"]
    assert sorted(r.identifier for r in results) == sorted(targets[1:FILES])
    for result in results:
        assert result.checksum == hashlib.md5(file_bytes(result.identifier)).hexdigest()
    assert poll_state == "processing"  # the other worker's task is still open


def test_waiting_tasks_are_not_taken_for_lost_messages(settings: Settings) -> None:
    _, task_ids = _poll(settings, [f"icpl://file-{n}" for n in range(3)])
    later = utcnow().replace(year=utcnow().year + 1)
    with transaction(settings.database_url) as db:
        assert set(job_leases.overdue(db, Task, later, 0, 10)) == set(task_ids)
    leases = BatchLeases(settings, task_ids)
    leases.take(task_ids[0], "this-batch")
    leases.beat()
    with transaction(settings.database_url) as db:
        overdue = set(job_leases.overdue(db, Task, utcnow(), settings.task_lease_seconds, 10))
    assert overdue.isdisjoint(task_ids)

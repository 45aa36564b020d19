"""A poll's file tasks run as one batch job (SQLite and PostgreSQL): every task settled on
its own lease with one result each, tasks another worker holds left alone, and the
batch's waiting tasks kept off the sweeper's "message lost" list while it lives."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloudtap.config import Settings
from cloudtap.jobs import file_batches
from cloudtap.jobs.fair import OthersWaiting
from cloudtap.jobs.file_batches import BatchLeases, run_file_batch
from cloudtap.jobs.locks import lock_provider_for
from cloudtap.store import fair_queue, job_leases
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, QueuedJob, Result, Task
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


def _waiting_jobs(settings: Settings) -> list[tuple[str, str, list[Any]]]:
    with transaction(settings.database_url) as db:
        rows = db.execute(select(QueuedJob.organisation_id, QueuedJob.name, QueuedJob.args))
        return [(org, name, list(args)) for org, name, args in rows.tuples()]


def test_a_batch_gives_its_turn_up_to_another_tenant_and_loses_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [f"icpl://file-{n}" for n in range(40)]
    poll_id, task_ids = _poll(settings, targets)
    with transaction(settings.database_url) as db:
        fair_queue.push(db, fair_queue.Tenant("another-organisation"), "poll", ["p"])
    asked: list[bool] = []
    # Each transfer asks before and after the first claim, then once per file it ends:
    # another tenant's job "arrives" once every transfer has started and a few ended.
    arrives_after = 2 * lock_provider_for(settings).downloads_per_account + 4

    def others_waiting(self: OthersWaiting) -> bool:
        asked.append(True)
        return len(asked) > arrives_after

    monkeypatch.setattr(file_batches, "MIN_TURN_SECONDS", 0.0)
    monkeypatch.setattr(OthersWaiting, "__call__", others_waiting)
    run_file_batch(poll_id, task_ids)

    with transaction(settings.database_url) as db:
        states = dict(db.execute(select(Task.id, Task.state)).tuples().all())
        owners = {db.scalar(select(Task.lease_owner).where(Task.id == t)) for t in task_ids}
        done = db.scalar(select(func.count()).where(Result.poll_id == poll_id))
    [other, (_, name, args)] = _waiting_jobs(settings)
    assert other[0] == "another-organisation"  # it stays first in line
    assert (name, args[0]) == ("file_batch", poll_id)
    rest = args[1]
    # The claimed but unstarted tasks went back too: pending, no owner, queued again.
    assert 0 < len(rest) < len(task_ids) and done == len(task_ids) - len(rest)
    assert {states[t] for t in rest} == {"pending"} and owners == {None}
    assert {t for t in task_ids if states[t] == "succeeded"} == set(task_ids) - set(rest)

    monkeypatch.setattr(OthersWaiting, "__call__", lambda self: False)
    run_file_batch(poll_id, rest)
    with transaction(settings.database_url) as db:
        identifiers = list(db.scalars(select(Result.identifier).where(Result.poll_id == poll_id)))
        poll_state = db.scalar(select(Poll.state).where(Poll.id == poll_id))
    assert sorted(identifiers) == sorted(targets)  # every file once
    assert poll_state == "completed"


def test_every_turn_of_a_batch_makes_progress(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [f"icpl://file-{n}" for n in range(12)]
    poll_id, rest = _poll(settings, targets)
    # Another tenant always waits, and every turn is over at once.
    monkeypatch.setattr(file_batches, "MIN_TURN_SECONDS", 0.0)
    monkeypatch.setattr(OthersWaiting, "__call__", lambda self: True)
    turns = 0
    while rest:
        turns += 1
        assert turns <= len(targets), "a turn started no file"
        run_file_batch(poll_id, rest)
        with transaction(settings.database_url) as db:
            taken = fair_queue.take_next(db)
        rest = [] if taken is None else list(taken.args[1])
    with transaction(settings.database_url) as db:
        identifiers = list(db.scalars(select(Result.identifier).where(Result.poll_id == poll_id)))
        poll_state = db.scalar(select(Poll.state).where(Poll.id == poll_id))
    assert sorted(identifiers) == sorted(targets) and poll_state == "completed"

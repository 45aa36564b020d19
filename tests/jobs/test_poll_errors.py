"""Every failed task of a poll is recorded in ``poll.errors``, however many workers fail
tasks of the same poll at once (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.jobs.task_job import run_task
from cloudtap.store.db import transaction
from cloudtap.store.models import Poll, Task
from tests.jobs.job_database import file_task, job_settings, processing_poll

TASKS = 50
WORKERS = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    with job_settings(request.param, tmp_path, fail_in_ci=True) as settings:
        yield settings


def _poll_with_failing_tasks(settings: Settings) -> tuple[str, list[str]]:
    """A poll of ``TASKS`` file tasks whose files the connector does not know."""
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {})
        tasks = [file_task(poll, f"unknown://file-{n}") for n in range(TASKS)]
        db.add_all(tasks)
        db.flush()
        return poll.id, [t.id for t in tasks]


def test_concurrent_task_failures_are_all_recorded(settings: Settings) -> None:
    poll_id, task_ids = _poll_with_failing_tasks(settings)
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(run_task, task_ids))
    with transaction(settings.database_url) as db:
        poll = db.scalars(select(Poll).where(Poll.id == poll_id)).one()
        states = set(db.scalars(select(Task.state).where(Task.poll_id == poll_id)))
        errors = list(poll.errors)
        state = poll.state
    assert states == {"failed"}
    assert sorted(e["task"] for e in errors) == sorted(task_ids)
    assert {e["error"] for e in errors} == {"not-found"}
    assert state == "completed"

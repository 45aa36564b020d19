"""A files batch makes way for another tenant's short job (issue 25, item 2), on SQLite
and PostgreSQL with the real fair queue: while that job is queued the batch starts no
file; once it is gone every file is stored once; and however long it stays, the batch's
pauses are bounded and it finishes every file."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from cloudtap.config import Settings
from cloudtap.jobs import fair, making_way
from cloudtap.jobs.file_batches import run_file_batch
from cloudtap.jobs.lanes import LANES
from cloudtap.jobs.making_way import MakingWay
from cloudtap.store import fair_queue
from cloudtap.store.db import transaction
from cloudtap.store.models import Poll, QueuedJob, Result, Task
from tests.api.helpers import wait_for
from tests.jobs.job_database import file_task, job_settings, processing_poll

FILES = 12
OTHER = fair_queue.Tenant("another-organisation", "its-key")
PAUSED = "pauses for another tenant's job"


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    # As in ``serve``: a short lane, so the batch keeps its turn (a grace far longer
    # than the test: the other job is never handed the batch's worker here).
    LANES.set_threads(2)
    monkeypatch.setattr(fair, "YIELD_GRACE_SECONDS", 3600.0)
    monkeypatch.setattr(fair, "SHORT_JOB_SECONDS", 3600.0)  # it stays "just queued"
    with job_settings(request.param, tmp_path, fail_in_ci=True) as settings:
        yield settings
    LANES.set_threads(1)


def _poll(settings: Settings) -> tuple[str, list[str]]:
    with transaction(settings.database_url) as db:
        poll = processing_poll(db, settings, {"files": []})
        tasks = [file_task(poll, f"icpl://file-{n}") for n in range(FILES)]
        db.add_all(tasks)
        db.flush()
        return poll.id, [task.id for task in tasks]


def _queue_other_tenants_short_job(settings: Settings) -> None:
    with transaction(settings.database_url) as db:
        fair_queue.push(db, OTHER, "poll", ["its-one-task-poll"])


def _started(settings: Settings, poll_id: str) -> int:
    with transaction(settings.database_url) as db:
        return int(
            db.scalar(select(func.count()).where(Task.poll_id == poll_id, Task.state != "pending"))
            or 0
        )


def _stored_once(settings: Settings, poll_id: str) -> tuple[list[str], str | None]:
    with transaction(settings.database_url) as db:
        stored = list(db.scalars(select(Result.identifier).where(Result.poll_id == poll_id)))
        return sorted(stored), db.scalar(select(Poll.state).where(Poll.id == poll_id))


def _paused(caplog: pytest.LogCaptureFixture, poll_id: str) -> int:
    return sum(PAUSED in r.getMessage() and poll_id in r.getMessage() for r in caplog.records)


def test_a_batch_starts_no_file_while_another_tenants_short_job_waits(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(making_way, "MAX_PAUSE_SECONDS", 3600.0)  # only its end resumes
    caplog.set_level(logging.INFO, logger=making_way.__name__)
    poll_id, task_ids = _poll(settings)
    _queue_other_tenants_short_job(settings)
    batch = threading.Thread(target=run_file_batch, args=(poll_id, task_ids), daemon=True)
    batch.start()

    wait_for(lambda: _paused(caplog, poll_id))
    assert _started(settings, poll_id) == 0  # not one file claimed, not one byte read
    assert batch.is_alive()

    with transaction(settings.database_url) as db:  # the other tenant's job ends
        db.execute(delete(QueuedJob).where(QueuedJob.organisation_id == OTHER.organisation_id))
    batch.join(timeout=60)
    assert not batch.is_alive()
    stored, state = _stored_once(settings, poll_id)
    assert stored == sorted(f"icpl://file-{n}" for n in range(FILES)) and state == "completed"


def test_pauses_are_bounded_so_the_batch_always_finishes(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # The other tenant's job never leaves; short bounds keep the test quick.
    monkeypatch.setattr(making_way, "MAX_PAUSE_SECONDS", 0.02)
    monkeypatch.setattr(making_way, "MIN_RUN_SECONDS", 0.02)
    caplog.set_level(logging.INFO, logger=making_way.__name__)
    poll_id, task_ids = _poll(settings)
    _queue_other_tenants_short_job(settings)

    run_file_batch(poll_id, task_ids)

    assert _paused(caplog, poll_id) >= 1
    stored, state = _stored_once(settings, poll_id)
    assert stored == sorted(f"icpl://file-{n}" for n in range(FILES)) and state == "completed"


def test_a_tenant_alone_never_pauses(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=making_way.__name__)
    poll_id, task_ids = _poll(settings)
    with transaction(settings.database_url) as db:
        tenant = fair.tenant_of(settings, "file_batch", poll_id)
        assert tenant is not None
        fair_queue.push(db, tenant, "poll", ["its-own-next-poll"])  # its own short job

    run_file_batch(poll_id, task_ids)

    assert _paused(caplog, poll_id) == 0
    assert _stored_once(settings, poll_id)[1] == "completed"


def test_a_short_job_queued_in_this_process_wakes_the_batches_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches look only every hour here: a pause can only come from the wake-up.
    monkeypatch.setattr(making_way, "CHECK_SECONDS", 3600.0)
    others = threading.Event()  # what the fair queue would answer

    async def scenario() -> bool:
        way = MakingWay(others.is_set, "poll-a")
        watching = asyncio.create_task(way.watch())
        await way.look()  # nothing of others' yet: the batch goes on
        assert way.is_clear()
        others.set()  # another tenant's short job is queued in this process ...
        await asyncio.to_thread(making_way.notice_short_job)
        deadline = time.monotonic() + 30
        while way.is_clear() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # ... and the watcher looks at once, not in an hour
        paused = not way.is_clear()
        way.stop()
        await watching
        return paused

    assert asyncio.run(scenario())

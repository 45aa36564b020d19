"""Settling task runs: each run's outcome (a result, a throttled retry, or a failure)
written under its own lease, with its events, in one transaction for many runs; a run
that lost its lease publishes nothing. A files batch's settle commits early, between
runs, when an urgent writer waits for SQLite (:mod:`cloudtap.store.writer_gate`)."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings
from cloudtap.icloud.errors import ICloudError, SessionExpired
from cloudtap.jobs.breaker import AccountCoolingDown
from cloudtap.jobs.cursors import keep_cursor
from cloudtap.jobs.polls import TASK_DATA, complete_if_done, complete_in
from cloudtap.jobs.session_state import expire_session
from cloudtap.jobs.task_runs import TaskRun, breaker_for, load_task
from cloudtap.jobs.throttling import schedule_task_retry, throttle_wait
from cloudtap.publish.events import emit
from cloudtap.publish.store import StoredObject
from cloudtap.store import job_leases
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Result, Session, Task
from cloudtap.store.poll_errors import append_poll_error
from cloudtap.store.writer_gate import urgent_writer_waiting
from cloudtap.wire.results import serialize_result
from cloudtap.wire.tasks import serialize_task

log = logging.getLogger(__name__)

_TASK_AFRESH = (
    select(Task).where(Task.id == bindparam("task_id")).execution_options(populate_existing=True)
)


@dataclass
class Outcome:
    """How one run ended: what it stored, or the error it failed (or is retried) with;
    ``attempt`` and ``waited`` count its earlier throttled tries."""

    run: TaskRun
    stored: StoredObject | None
    kind: str = "bin"
    error: ICloudError | None = None
    attempt: int = 0
    waited: float = 0.0


def finish_task(
    settings: Settings,
    run: TaskRun,
    stored: StoredObject | None,
    kind: str,
    error: ICloudError | None,
    attempt: int = 0,
    waited: float = 0.0,
) -> None:
    """Settle the task's lease with its outcome: result and events, a throttled retry,
    or its failure; a run that lost its lease publishes nothing."""
    finish_tasks(settings, [Outcome(run, stored, kind, error, attempt, waited)])


def finish_tasks(settings: Settings, outcomes: Sequence[Outcome]) -> None:
    """Settle several tasks in one transaction, each on its own lease as
    :func:`finish_task` does (a run that lost its lease publishes nothing)."""
    waits: list[float | None] = []
    for done in outcomes:
        wait = (
            None
            if done.stored is not None
            else throttle_wait(settings, done.error, done.attempt, done.waited)
        )
        if (
            wait is not None
            and done.run.apple_id
            and not isinstance(done.error, AccountCoolingDown)
        ):
            # Apple itself throttled: the account's other tasks wait as long as this one.
            breaker_for(settings).trip(done.run.apple_id, wait)
        waits.append(wait)
    # A poll is completed in the settle's own unit of work, unless a listing's cursor is
    # kept after it: then once it is, so a completed poll's next one finds the cursor.
    cursors = [done for done in outcomes if _keeps_cursor(done)]
    unsettled = deque(zip(outcomes, waits, strict=True))
    while unsettled:
        with transaction(settings.database_url) as db:
            settled: set[str] = set()
            while unsettled:
                done, wait = unsettled.popleft()
                _settle(db, settings, done, wait)
                settled.add(done.run.poll_id)
                if urgent_writer_waiting():
                    break  # each run is settled on its own: commit these, let it write
            if not cursors:
                for poll_id in sorted(settled):
                    complete_in(db, poll_id)
    for done in cursors:
        run = done.run
        key = run.resume.key or run.task.target or ""  # an album listing's apart
        assert run.task.source_id is not None and run.resume.left is not None
        keep_cursor(settings, run.task.source_id, key, run.resume.left, run.listing_started)
    for poll_id in sorted({done.run.poll_id for done in cursors}):
        complete_if_done(settings, poll_id)


def _keeps_cursor(done: Outcome) -> bool:
    run = done.run
    return done.stored is not None and run.resume.left is not None and bool(run.task.source_id)


def _lease_outcome(settings: Settings, done: Outcome, wait: float | None) -> dict[str, Any]:
    """The task row's new state: succeeded, pending again (a throttled retry), or failed."""
    now = utcnow()
    if done.stored is not None:
        return {"state": "succeeded", "date_completed": now}
    if wait is not None:
        # Expected back from the queue's schedule in ``wait`` s (see jobs.reclaim).
        due = now + timedelta(seconds=wait + settings.task_lease_seconds)
        return {"state": "pending", "date_started": None, "lease_expires": due}
    assert done.error is not None
    return {"state": "failed", "error": done.error.code, "date_completed": now}


def _publish(db: DbSession, settings: Settings, run: TaskRun, stored: StoredObject,
             kind: str, task: Task) -> None:  # fmt: skip
    """The task's result row and its ``result.created`` and ``task.succeeded`` events."""
    result = Result(
        organisation_id=task.organisation_id,
        poll_id=run.poll_id,
        task_id=task.id,
        identifier=task.target or "",
        type=kind,
        storage=stored.storage,
        storage_config_id=run.storage_config_id,
        location=stored.location,
        url=stored.url,
        size=stored.size,
        checksum=stored.checksum,
        date_expires=utcnow() + _ttl(settings),
    )
    if task.type == TASK_DATA:
        # Whether the result lists everything or only the changes since a point.
        result.incremental = run.resume.given is not None
        result.changes_since = run.resume.given_as_of
    db.add(result)
    db.flush()
    emit(db, task.organisation_id, task.key_id, "result", "created", serialize_result(result))
    # A task succeeds once, with this result: nothing else of it to read.
    data = serialize_task(db, task, results=[result])
    emit(db, task.organisation_id, task.key_id, "task", "succeeded", data)


def _record_failure(db: DbSession, error: ICloudError, task: Task, session: Session) -> None:
    """The task's entry in its poll's errors and its ``task.failed`` event."""
    # Other workers fail tasks of this poll at the same time: append atomically.
    entry: dict[str, Any] = {"task": task.id, "target": task.target, "error": error.code}
    if error.info:  # what the caller needs to act: Apple's reason, when to retry
        entry["error_info"] = error.info
    append_poll_error(db, task.poll_id or "", entry)
    if isinstance(error, SessionExpired):
        expire_session(db, session)
    emit(db, task.organisation_id, task.key_id, "task", "failed", serialize_task(db, task))


def _settle(db: DbSession, settings: Settings, done: Outcome, wait: float | None) -> None:
    run, stored = done.run, done.stored
    # Only the run still holding the lease publishes: a result and its events once.
    outcome = _lease_outcome(settings, done, wait)
    if not job_leases.settle(db, Task, run.task_id, run.owner, **outcome):
        log.warning("task %s was taken back (or removed) while it ran", run.task_id)
        if stored is not None and run.store is not None and not _published(db, stored):
            run.store.delete(stored.location)
        return
    # Read afresh (its row was just settled): what its events show.
    task = db.scalars(_TASK_AFRESH, {"task_id": run.task_id}).first()
    if task is None:
        return
    if stored is not None:
        _publish(db, settings, run, stored, done.kind, task)
    elif wait is not None:
        # Apple throttles: try again later rather than fail (see jobs.throttling).
        log.info("task %s throttled; retry %d in %.1f s", run.task_id, done.attempt + 1, wait)
        retry = (run.task_id, done.attempt + 1, done.waited + wait, wait)
        on_commit(db, lambda: schedule_task_retry(settings, *retry))
    else:
        assert done.error is not None
        loaded = load_task(db, run.task_id)
        if loaded is not None:
            _record_failure(db, done.error, task, loaded[2])


def _published(db: DbSession, stored: StoredObject) -> bool:
    """Whether a result row (of the run that kept the lease) points at this object."""
    return bool(db.scalar(select(func.count()).where(Result.location == stored.location)))


def _ttl(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.result_ttl_seconds)

"""Fair turns between tenants: no organisation's (or key's) backlog holds another's job.

A tenant's job is written to the database's fair queue (:mod:`cloudtap.store.fair_queue`)
and one anonymous message, ``cloudtap.next``, goes on the huey queue. Whichever worker
takes a message runs the job whose turn it is: the organisation with the fewest jobs
running, then the least recently served, then likewise the keys of one, oldest job
first within a key. Long jobs give their worker up while another
tenant waits (a files batch between files, :mod:`cloudtap.jobs.file_batches`), so a
one-task poll waits for a file in flight, not for another tenant's backlog; where a
short lane keeps a thread free (:mod:`cloudtap.jobs.lanes`), only once the other job
has waited longer than that thread takes to start it.

A message whose job was already taken by an earlier one finds the next job or nothing;
a job whose message was lost (a process died between the two writes) is given a message
by the lease sweeper (:mod:`cloudtap.jobs.reclaim`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.jobs.lanes import FILES_POLL, LANES, LONG_JOBS
from cloudtap.jobs.making_way import notice_short_job
from cloudtap.jobs.queue import queue_for, task
from cloudtap.store import fair_queue
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.fair_queue import Tenant
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Session, Task

log = logging.getLogger(__name__)

NEXT_JOB = "next"
# How stale a running job's view of "does another tenant wait?" may be.
OTHERS_CHECK_SECONDS = 0.05
# With a short lane, the thread it keeps free takes another tenant's short job within
# moments: a long job gives its worker up only for a job that waited longer than this
# (a long one, or one every thread was too busy for). Handing a files batch over costs
# writes, a new batch and new connections to Apple, all while the other job runs.
YIELD_GRACE_SECONDS = 0.25

# A short job of another tenant queued this recently (and still waiting or running)
# makes a running files batch pause its transfers (:mod:`cloudtap.jobs.making_way`); one
# running longer than this (a big listing) shares the process with the batch as before.
SHORT_JOB_SECONDS = 2.0

# job name -> the table whose row its first argument names (which holds its tenant)
_OWNED_BY: dict[str, type[Poll] | type[Task] | type[Session]] = {
    "login": Session,
    "logout": Session,
    "poll": Poll,
    FILES_POLL: Poll,
    "file_batch": Poll,
    "task": Task,
    "config_test": Task,
}


def tenant_of(settings: Settings, name: str, row_id: str) -> Tenant | None:
    model = _OWNED_BY[name]
    with transaction(settings.database_url) as db:
        found = db.execute(
            select(model.organisation_id, model.key_id).where(model.id == row_id)
        ).first()
    if found is None:
        return None
    return Tenant(str(found[0]), str(found[1] or ""))


def enqueue_fairly(settings: Settings, name: str, *args: Any) -> None:
    """Queue job ``name`` for its tenant's turn (its first argument names its row)."""

    tenant = tenant_of(settings, name, str(args[0]))
    if tenant is None:
        log.warning("not queued: the %s job's row is gone", name)
        return
    with transaction(settings.database_url) as db:
        fair_queue.push(db, tenant, name, list(args))
    _queued(settings, name)


def enqueue_fairly_in(
    db: DbSession, settings: Settings, tenant: Tenant, name: str, *args: Any
) -> None:
    """Queue job ``name`` for ``tenant`` in the caller's unit of work: its row commits
    with the rows the job works on (never one without the other), with no transaction or
    tenant lookup of its own; the message that wakes a worker goes once it commits."""
    fair_queue.push(db, tenant, name, list(args))
    on_commit(db, lambda: _queued(settings, name))


def _queued(settings: Settings, name: str) -> None:
    """Once job ``name``'s row is committed: a short one has this process's batches of
    other tenants make way at once; a worker is woken for it."""
    if name not in LONG_JOBS:
        notice_short_job()
    task(settings, NEXT_JOB)()


def wake_workers(settings: Settings, jobs: int) -> None:
    """One message per job queued (after the unit of work that queued them commits)."""
    for _ in range(jobs):
        task(settings, NEXT_JOB)()


def wake_lost_jobs(settings: Settings) -> int:
    """One message per waiting job, when the huey queue holds none: their messages
    were lost. Returns how many were sent."""

    if queue_for(settings).pending_count():
        return 0
    with transaction(settings.database_url) as db:
        count = fair_queue.waiting(db)
    wake_workers(settings, count)
    return count


def run_next(jobs: Mapping[str, Callable[..., None]]) -> None:
    """The ``cloudtap.next`` job: run the job whose turn it is, if any waits. Long jobs
    (files batches) are taken only while this process has a long-job slot free
    (:mod:`cloudtap.jobs.lanes`), so one thread always stays free for short ones."""
    settings = get_settings()
    long_slot = LANES.try_reserve_long()
    try:
        with transaction(settings.database_url) as db:
            # Counted as running for a lease at most: a long job's tenant may then be
            # served beside it, a dead worker's job stops counting.
            taken = fair_queue.take_next(
                db,
                running_for=settings.task_lease_seconds,
                excluding=frozenset() if long_slot else LONG_JOBS,
            )
    except BaseException:
        if long_slot:
            LANES.release_long()
        raise
    if long_slot and (taken is None or taken.name not in LONG_JOBS):
        LANES.release_long()
        long_slot = False
    if taken is None:
        return
    try:
        job = jobs.get(taken.name)
        if job is None:
            log.error("dropped a queued job of unknown kind %s", taken.name)
            return
        # ids only: which worker ran which job (the message itself names no job).
        subject = taken.args[0] if taken.args else "-"
        log.info("%s job %s started", taken.name, subject)
        job(*taken.args)
        log.info("%s job %s ended", taken.name, subject)
    finally:
        with transaction(settings.database_url) as db:
            fair_queue.finish(db, taken)
            # Only a long job's end may owe a passed-over job its message (below).
            left_waiting = long_slot and fair_queue.waiting(db)
        if long_slot:
            LANES.release_long()
            if left_waiting:
                # A long job passed over for want of a slot lost its message: the slot
                # this one frees takes it.

                task(settings, NEXT_JOB)()


def others_short_job_active(settings: Settings, tenant: Tenant) -> bool:
    """Whether another tenant's short job (not a files batch), queued within
    ``SHORT_JOB_SECONDS``, waits or runs: a batch of ``tenant`` then makes way for it."""
    now = utcnow()
    since = now - timedelta(seconds=SHORT_JOB_SECONDS)
    with transaction(settings.database_url) as db:
        return fair_queue.others_active(db, tenant, now, since, LONG_JOBS)


class OthersWaiting:
    """Whether another tenant has a job waiting (for longer than ``YIELD_GRACE_SECONDS``
    where a short lane takes short jobs), asked of the database at most every
    ``OTHERS_CHECK_SECONDS`` (a running job asks between units of its work)."""

    def __init__(self, settings: Settings, tenant: Tenant) -> None:
        self._settings = settings
        self._tenant = tenant
        self._known = (False, float("-inf"))

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self._known[1] > OTHERS_CHECK_SECONDS:
            grace = YIELD_GRACE_SECONDS if LANES.has_short_lane() else 0.0
            queued_by = utcnow() - timedelta(seconds=grace)
            with transaction(self._settings.database_url) as db:
                waiting = fair_queue.others_waiting(db, self._tenant, queued_by)
            self._known = (waiting, now)
        return self._known[0]

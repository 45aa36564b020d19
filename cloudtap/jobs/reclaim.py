"""Taking jobs back from dead workers, by every live worker, every few seconds.

- A running poll or task whose lease lapsed (its worker died) goes back to ``pending``,
  with ``reclaims`` + 1, and is enqueued again; a task run ``task_max_attempts`` times
  without its worker surviving then fails with ``worker-lost`` instead of looping.
- A job waiting its tenant's turn (:mod:`cloudtap.jobs.fair`) while the queue holds no
  message gets one: its message was lost.
- A pending poll or task nobody claimed in time, while the queue is empty (no message,
  no job waiting its turn), is enqueued again: its message was lost (a worker died
  after taking it off the queue, or between a commit and its enqueue). A second
  message for a claimed row is a no-op.
- A poll left ``processing`` with no open task (its last task's worker died before it
  marked the poll completed) is completed.
- A session whose login job was lost, and whose sealed password has expired since, fails
  with ``login-expired`` (see :func:`cloudtap.jobs.login.fail_lapsed_logins`).
- A webhook delivery lost with its process is queued again once overdue
  (:mod:`cloudtap.jobs.lost_deliveries`).
- A session nearing its trust's end is announced (``session.expiring``), and one past
  Apple's horizon expired (:mod:`cloudtap.jobs.session_horizon`).

Every step is a conditional UPDATE, so sweepers on many workers never double a job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from cloudtap.config import Settings
from cloudtap.jobs.dispatch import enqueue_poll, enqueue_task
from cloudtap.jobs.fair import wake_lost_jobs
from cloudtap.jobs.login import fail_lapsed_logins
from cloudtap.jobs.lost_deliveries import requeue_lost_deliveries
from cloudtap.jobs.polls import complete_if_done
from cloudtap.jobs.queue import queue_for
from cloudtap.jobs.session_horizon import sweep_session_horizons
from cloudtap.store import fair_queue, job_leases
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Poll, Task
from cloudtap.sweeper import Sweeper

log = logging.getLogger(__name__)

_BATCH = 200


@dataclass
class Swept:
    reclaimed: int = 0
    requeued: int = 0
    completed: int = 0
    logins_failed: int = 0
    sessions_expiring: int = 0
    sessions_expired: int = 0
    deliveries_requeued: int = 0
    woken: int = 0


def _waiting(settings: Settings) -> int:
    with transaction(settings.database_url) as db:
        return fair_queue.waiting(db)


def _enqueue(settings: Settings, model: job_leases.Leased, row_id: str) -> None:
    if model is Poll:
        enqueue_poll(settings, row_id)
    else:
        enqueue_task(settings, row_id)


def sweep_leases(settings: Settings) -> Swept:
    swept = Swept()
    grace = settings.task_lease_seconds
    for model in (Poll, Task):
        now = utcnow()
        with transaction(settings.database_url) as db:
            taken = [
                row_id
                for row_id in job_leases.expired(db, model, now, _BATCH)
                if job_leases.reclaim(db, model, row_id, now, grace)
            ]
        for row_id in taken:
            log.warning("took %s %s back from a dead worker", model.__tablename__, row_id)
            _enqueue(settings, model, row_id)
        swept.reclaimed += len(taken)
    # Jobs waiting their turn whose message was lost get one; while any job waits its
    # turn, a pending row may be just waiting too.
    swept.woken = wake_lost_jobs(settings)
    if swept.woken == 0 and queue_for(settings).pending_count() == 0 and not _waiting(settings):
        for model in (Poll, Task):
            now = utcnow()
            with transaction(settings.database_url) as db:
                late = [
                    row_id
                    for row_id in job_leases.overdue(db, model, now, grace, _BATCH)
                    if job_leases.postpone(db, model, row_id, now, grace)
                ]
            for row_id in late:
                log.warning(
                    "enqueued %s %s again: its message was lost", model.__tablename__, row_id
                )
                _enqueue(settings, model, row_id)
            swept.requeued += len(late)
    with transaction(settings.database_url) as db:
        stuck = job_leases.unfinished_polls(db, utcnow() - timedelta(seconds=grace), _BATCH)
    for poll_id in stuck:
        complete_if_done(settings, poll_id)
    swept.completed = len(stuck)
    swept.logins_failed = fail_lapsed_logins(settings)
    swept.sessions_expiring, swept.sessions_expired = sweep_session_horizons(settings)
    swept.deliveries_requeued = len(requeue_lost_deliveries(settings, utcnow()))
    return swept


class LeaseSweeper(Sweeper):
    """Background thread calling :func:`sweep_leases` at start and every third of a lease."""

    thread_name = "cloudtap-reclaim"
    what = "lease"
    logger = log
    sweep_at_start = True

    def interval(self) -> float:
        return max(0.5, self._settings.task_lease_seconds / 3)

    def sweep(self) -> None:
        sweep_leases(self._settings)

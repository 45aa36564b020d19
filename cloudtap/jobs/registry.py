"""Every job cloudtap runs, defined on the job queue when this module is imported.

The entry points import it (the application's assembly, the consumer, the tests): the
queue itself (:mod:`cloudtap.jobs.queue`) imports no job module, so the job modules may
enqueue through it without a circle.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudtap.jobs.config_tests import run_config_test
from cloudtap.jobs.fair import NEXT_JOB, run_next
from cloudtap.jobs.file_batches import run_file_batch
from cloudtap.jobs.lanes import FILES_POLL
from cloudtap.jobs.log_context import with_log_context
from cloudtap.jobs.login import run_login, run_logout
from cloudtap.jobs.polls import run_poll
from cloudtap.jobs.queue import define
from cloudtap.jobs.subscriptions import run_subscription
from cloudtap.jobs.task_job import run_task
from cloudtap.jobs.webhooks import run_deliveries, run_delivery

# Retries are left to the job functions: a login must never be hot-retried, and a poll
# task Apple throttles schedules its own next try (see jobs/throttling.py).
# Tenants' jobs: run by ``cloudtap.next`` in their tenant's turn (see jobs/fair.py); a
# throttled task's retry is scheduled on the queue directly, under its own name.
TENANT_JOBS: dict[str, Callable[..., None]] = {
    "login": run_login,
    "logout": run_logout,
    "poll": run_poll,
    # A files poll's planning, in the long jobs' lane (see jobs/lanes.py).
    FILES_POLL: run_poll,
    "task": run_task,
    # A poll's file tasks, a few transfers at a time (see jobs/file_batches.py).
    "file_batch": run_file_batch,
    "config_test": run_config_test,
}
OTHER_JOBS: dict[str, Callable[..., None]] = {
    # Delivery schedules its own retries (backoff with jitter, attempts recorded).
    "deliver_event": run_delivery,
    # The first attempts of the events one commit recorded (a poll's results).
    "deliver_events": run_deliveries,
    "subscription": run_subscription,
}
# Each job's log lines name the job and its ids.
_FAIR = {name: with_log_context(f"cloudtap.{name}", job) for name, job in TENANT_JOBS.items()}

define(NEXT_JOB, lambda: run_next(_FAIR))
for _name, _job in {**TENANT_JOBS, **OTHER_JOBS}.items():
    define(_name, with_log_context(f"cloudtap.{_name}", _job))

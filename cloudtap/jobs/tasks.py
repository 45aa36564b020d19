"""Registration of cloudtap's job functions on a huey instance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import Huey

from cloudtap.jobs.config_tests import run_config_test
from cloudtap.jobs.fair import NEXT_JOB, run_next
from cloudtap.jobs.file_batches import run_file_batch
from cloudtap.jobs.log_context import with_log_context
from cloudtap.jobs.login import run_login, run_logout
from cloudtap.jobs.polling import run_poll, run_task
from cloudtap.jobs.subscriptions import run_subscription
from cloudtap.jobs.webhooks import run_deliveries, run_delivery


def _job(huey: Huey, name: str, function: Callable[..., None]) -> Any:
    """``function`` as the huey task ``name``, its log lines naming the job and its ids."""
    return huey.task(name=name)(with_log_context(name, function))


def register(huey: Huey) -> dict[str, Any]:
    # Retries are left to the job functions: a login must never be hot-retried, and a
    # poll task Apple throttles schedules its own next try (see jobs/throttling.py).
    # Tenants' jobs: run by ``cloudtap.next`` in their tenant's turn (see jobs/fair.py);
    # a throttled task's retry is scheduled on the queue directly.
    fair: dict[str, Callable[..., None]] = {
        "login": with_log_context("cloudtap.login", run_login),
        "logout": with_log_context("cloudtap.logout", run_logout),
        "poll": with_log_context("cloudtap.poll", run_poll),
        "task": with_log_context("cloudtap.task", run_task),
        "file_batch": with_log_context("cloudtap.file_batch", run_file_batch),
        "config_test": with_log_context("cloudtap.config_test", run_config_test),
    }
    return {
        NEXT_JOB: huey.task(name="cloudtap.next")(lambda: run_next(fair)),
        "login": _job(huey, "cloudtap.login", run_login),
        "logout": _job(huey, "cloudtap.logout", run_logout),
        "poll": _job(huey, "cloudtap.poll", run_poll),
        "task": _job(huey, "cloudtap.task", run_task),
        # A poll's file tasks, a few transfers at a time (see jobs/file_batches.py).
        "file_batch": _job(huey, "cloudtap.file_batch", run_file_batch),
        "config_test": _job(huey, "cloudtap.config_test", run_config_test),
        # Delivery schedules its own retries (backoff with jitter, attempts recorded).
        "deliver_event": _job(huey, "cloudtap.deliver_event", run_delivery),
        # The first attempts of the events one commit recorded (a poll's results).
        "deliver_events": _job(huey, "cloudtap.deliver_events", run_deliveries),
        "subscription": _job(huey, "cloudtap.subscription", run_subscription),
    }

"""Registration of cloudtap's job functions on a huey instance."""

from __future__ import annotations

from typing import Any

from huey import Huey

from cloudtap.jobs.config_tests import run_config_test
from cloudtap.jobs.file_batches import run_file_batch
from cloudtap.jobs.login import run_login, run_logout
from cloudtap.jobs.polling import run_poll, run_task
from cloudtap.jobs.subscriptions import run_subscription
from cloudtap.jobs.webhooks import run_delivery


def register(huey: Huey) -> dict[str, Any]:
    # Retries are left to the job functions: a login must never be hot-retried, and a
    # poll task Apple throttles schedules its own next try (see jobs/throttling.py).
    return {
        "login": huey.task(name="cloudtap.login")(run_login),
        "logout": huey.task(name="cloudtap.logout")(run_logout),
        "poll": huey.task(name="cloudtap.poll")(run_poll),
        "task": huey.task(name="cloudtap.task")(run_task),
        # A poll's file tasks, a few transfers at a time (see jobs/file_batches.py).
        "file_batch": huey.task(name="cloudtap.file_batch")(run_file_batch),
        "config_test": huey.task(name="cloudtap.config_test")(run_config_test),
        # Delivery schedules its own retries (backoff with jitter, attempts recorded).
        "deliver_event": huey.task(name="cloudtap.deliver_event")(run_delivery),
        "subscription": huey.task(name="cloudtap.subscription")(run_subscription),
    }

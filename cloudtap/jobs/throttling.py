"""Waiting out Apple's throttling: a throttled task goes back to ``pending`` and runs
again later, instead of failing (or holding a worker while it sleeps).

Each retry waits at least Apple's ``Retry-After`` (backoff when Apple gives none), and
one task's waits together stay within ``Settings.throttle_retry_budget_seconds``;
past that it fails with ``rate-limited``. Attempt and time waited so far travel with
the queued job, so any worker can pick the retry up.
"""

from __future__ import annotations

import logging

from cloudtap.config import Settings
from cloudtap.icloud.errors import ICloudError, RateLimited
from cloudtap.icloud.retry import ThrottleBudget, retry_after_of
from cloudtap.jobs.queue import task

log = logging.getLogger(__name__)


def throttle_wait(
    settings: Settings, error: ICloudError | None, attempt: int, waited: float
) -> float | None:
    """Seconds until the task's next try, or None when it must fail now."""
    if not isinstance(error, RateLimited):
        return None
    budget = ThrottleBudget(total_seconds=settings.throttle_retry_budget_seconds)
    return budget.next_wait(attempt, waited, retry_after_of(error.info))


def schedule_task_retry(
    settings: Settings, task_id: str, attempt: int, waited: float, delay: float
) -> None:

    task(settings, "task").schedule(args=(task_id, attempt, waited), delay=delay)

"""When a subscription runs next."""

from __future__ import annotations

from datetime import datetime, timedelta

from cloudtap.jobs.subscriptions import next_run_after
from cloudtap.store.models import Subscription

T0 = datetime(2026, 1, 1, 12, 0, 0)


def subscription(interval: int, due: datetime, end: datetime | None = None) -> Subscription:
    return Subscription(interval=interval, date_next_poll=due, date_end=end)


def test_runs_keep_their_cadence_when_on_time() -> None:
    late_by_a_bit = T0 + timedelta(seconds=2)
    assert next_run_after(subscription(60, T0), late_by_a_bit) == T0 + timedelta(seconds=60)


def test_missed_runs_are_skipped_not_replayed() -> None:
    after_downtime = T0 + timedelta(hours=5)
    following = next_run_after(subscription(60, T0), after_downtime)
    assert following == after_downtime + timedelta(seconds=60)


def test_no_run_past_the_end_date() -> None:
    end = T0 + timedelta(seconds=90)
    assert next_run_after(subscription(60, T0, end), T0) == T0 + timedelta(seconds=60)
    assert next_run_after(subscription(60, T0 + timedelta(seconds=60), end), T0) is None

"""A webhook delivery lost with its process (taken off the queue, then killed) is queued
again once its next attempt is overdue by more than the grace; never twice at once, and
never for an event that is not pending or has nowhere to go."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cloudtap.config import Settings
from cloudtap.jobs.lost_deliveries import LOST_AFTER, requeue_lost_deliveries
from cloudtap.jobs.queue import queue_for
from cloudtap.store.accounts import create_organisation, issue_key
from cloudtap.store.db import transaction
from cloudtap.store.ids import isoformat, utcnow
from cloudtap.store.models import Event, WebhookConfig
from tests.jobs.job_database import job_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    env = {"CLOUDTAP_WEBHOOK_BACKOFF_BASE": "600"}
    with job_settings(request.param, tmp_path, env) as settings:
        yield settings


def _event(
    settings: Settings,
    created: datetime,
    attempts: Sequence[datetime] = (),
    state: str = "pending",
    with_config: bool = True,
) -> str:
    with transaction(settings.database_url) as db:
        org = create_organisation(db, "Acme")
        key = issue_key(db, org.id, "live").key
        if with_config:
            config = WebhookConfig(
                organisation_id=org.id,
                environment="live",
                url="https://hooks.example/x",
                secret="s",
            )
            db.add(config)
            db.flush()
            org.webhook_config_default = config.id
        event = Event(
            organisation_id=org.id,
            key_id=key.id,
            type="poll",
            action="completed",
            data={"id": "p"},
            state=state,
            date_created=created,
            retries=len(attempts),
            attempts=[
                {"date": isoformat(at), "url": "u", "status_code": 500, "error": None}
                for at in attempts
            ],
        )
        db.add(event)
        db.flush()
        return event.id


def _queued(settings: Settings) -> int:
    return int(queue_for(settings).pending_count())


def test_a_never_attempted_event_is_queued_again_once(settings: Settings) -> None:
    now = utcnow()
    lost = _event(settings, now - LOST_AFTER - timedelta(seconds=5))
    assert requeue_lost_deliveries(settings, now) == [lost]
    assert _queued(settings) == 1
    # Another sweeper (or the next sweep) while that message waits: not queued again.
    assert requeue_lost_deliveries(settings, now) == []
    assert _queued(settings) == 1


def test_an_event_whose_retry_is_overdue_is_queued_again(settings: Settings) -> None:
    now = utcnow()
    # Two failed attempts: the next comes at most 1,200 s (600·2) after the last.
    last = now - timedelta(seconds=1200) - LOST_AFTER - timedelta(seconds=5)
    lost = _event(settings, last - timedelta(hours=1), [last - timedelta(minutes=20), last])
    assert requeue_lost_deliveries(settings, now) == [lost]


@pytest.mark.parametrize("case", ["fresh", "retry-not-due", "delivered", "failed", "no-config"])
def test_events_that_are_not_lost_are_left_alone(settings: Settings, case: str) -> None:
    now = utcnow()
    old = now - LOST_AFTER - timedelta(minutes=5)
    if case == "fresh":
        _event(settings, now - LOST_AFTER + timedelta(seconds=30))
    elif case == "retry-not-due":  # second retry may wait up to 1,200 s + grace
        _event(settings, old, [now - timedelta(seconds=1200), now - LOST_AFTER])
    elif case in ("delivered", "failed"):
        _event(settings, old, state=case)
    else:
        _event(settings, old, with_config=False)
    assert requeue_lost_deliveries(settings, now) == []
    assert _queued(settings) == 0

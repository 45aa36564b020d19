"""Webhook deliveries lost with their process, found and queued again.

A delivery job hands its attempt to the in-memory delivery pool and returns; if the
process dies before the attempt is recorded, nothing would ever try the event again and
it would stay ``pending`` for ever. Retries are scheduled on the durable queue, so an
event whose next attempt is overdue by more than :data:`LOST_AFTER` (a generous bound
on waiting in a busy receiver's line) has lost its delivery: it is queued again with the
attempt number it was due. Deliveries are at-least-once (receivers deduplicate on
``Ricloud-Event-Id``); a lease per event keeps concurrent sweepers from queuing one
event twice within the grace.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from cloudtap.config import Settings
from cloudtap.jobs.locks import lease_store_for
from cloudtap.jobs.queue import task
from cloudtap.jobs.webhooks import MAX_ATTEMPTS, webhook_config_for
from cloudtap.store.db import transaction
from cloudtap.store.models import Event

log = logging.getLogger(__name__)

LOST_AFTER = timedelta(minutes=15)
# Events older than every retry's window (base·(2^MAX_ATTEMPTS)) plus this are not looked at.
_HORIZON = timedelta(days=3)
_BATCH = 200


def _last_attempt(event: Event) -> datetime | None:
    attempts = event.attempts or []
    if not attempts:
        return None
    return datetime.fromisoformat(str(attempts[-1]["date"]).removesuffix("Z"))


def next_attempt_due(event: Event, backoff_base_seconds: float) -> datetime:
    """When the event's next attempt should have started, at the latest."""
    last = _last_attempt(event)
    if last is None:
        return event.date_created
    failed = len(event.attempts or [])
    return last + timedelta(seconds=backoff_base_seconds * 2 ** (failed - 1))


def requeue_lost_deliveries(settings: Settings, now: datetime) -> list[str]:
    """Queue again every pending event whose delivery was lost; the ids queued."""
    base = settings.webhook_backoff_base_seconds
    lost: list[tuple[str, int]] = []
    with transaction(settings.database_url) as db:
        pending = db.scalars(
            select(Event)
            .where(
                Event.state == "pending",
                Event.date_created < now - LOST_AFTER,
                Event.date_created > now - _HORIZON - timedelta(seconds=base * 2**MAX_ATTEMPTS),
            )
            .order_by(Event.date_created)
            .limit(_BATCH)
        ).all()
        for event in pending:
            attempt = len(event.attempts or []) + 1
            if attempt > MAX_ATTEMPTS or next_attempt_due(event, base) + LOST_AFTER > now:
                continue
            if webhook_config_for(db, event) is None:
                continue  # nowhere to send it; POST /events/{id}/redeliver can later
            lost.append((event.id, attempt))
    store = lease_store_for(settings.queue_url)
    queued: list[str] = []
    for event_id, attempt in lost:
        name = f"webhook-requeue:{event_id}"
        if not store.try_acquire(name, "sweeper", 1, LOST_AFTER.total_seconds()):
            continue  # queued again by another sweeper within the grace
        log.warning("webhook event %s: its delivery was lost; queued again", event_id)
        task(settings, "deliver_event")(event_id, attempt)
        queued.append(event_id)
    return queued

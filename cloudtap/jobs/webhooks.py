"""The webhook delivery job: at-least-once, with exponential backoff and jitter.

Every committed event is handed to :func:`enqueue_deliveries` (an events listener, which
queues one job for all the events of a commit: a poll's many results cost one queue
write, not two per file; :func:`run_deliveries` runs each event's first attempt). One
job run makes one attempt through :func:`cloudtap.publish.webhooks.delivery.deliver`,
records it on the event, and either marks the event ``delivered`` or schedules the next
attempt; after :data:`MAX_ATTEMPTS` failed attempts the event is ``failed``. A receiver
may therefore see an event more than once: ``Ricloud-Event-Id`` lets it deduplicate.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.jobs.queue import task
from cloudtap.jobs.webhook_targets import any_webhook_config
from cloudtap.ops.metrics import WEBHOOK_DELIVERIES
from cloudtap.publish.events import add_batch_listener
from cloudtap.publish.webhooks.delivery import DeliveryAttempt, deliver
from cloudtap.publish.webhooks.pool import delivery_pool, receiver_of
from cloudtap.publish.webhooks.ssrf import WebhookURLGuard
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.environments import config_of_key
from cloudtap.store.ids import isoformat, utcnow
from cloudtap.store.models import Event, Key, WebhookConfig
from cloudtap.wire.events import serialize_event

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# First attempts queued as one job, at most (a poll's planning records one per task).
EVENTS_PER_JOB = 500
# Fields about delivery itself, not the event: kept out of the signed body.
_DELIVERY_FIELDS = ("attempts",)


def backoff_seconds(base: float, attempt: int, rng: Callable[[], float] = random.random) -> float:
    """Delay after failed attempt number ``attempt`` (1-based): base·2^(n-1), jittered.

    The jitter draws from the upper half of the window ("equal jitter"), so retries of
    many events spread out while each still waits at least half the nominal delay.
    """
    nominal = base * 2 ** (attempt - 1)
    return nominal / 2 + rng() * nominal / 2


def event_body(event: Event) -> bytes:
    payload = {k: v for k, v in serialize_event(event).items() if k not in _DELIVERY_FIELDS}
    return json.dumps(payload, separators=(",", ":")).encode()


def webhook_config_for(db: DbSession, event: Event) -> WebhookConfig | None:
    """The key's webhook config, else the organisation's default, of the event's
    environment only (:func:`cloudtap.store.environments.config_of_key`).

    A ``webhook_config.test`` event always goes to the config under test, if it is of the
    event's environment. An event without a key belongs to no environment: nowhere.
    """
    if event.key_id is None:
        return None
    if event.type == "webhook_config" and event.action == "test":
        config_id = str((event.data or {}).get("id") or "") or None
        key = db.scalars(select(Key).where(Key.id == event.key_id)).first()
        if config_id is None or key is None:
            return None
        return db.scalars(
            select(WebhookConfig).where(
                WebhookConfig.id == config_id,
                WebhookConfig.organisation_id == event.organisation_id,
                WebhookConfig.environment == key.environment,
            )
        ).first()
    config = config_of_key(db, WebhookConfig, event.organisation_id, event.key_id)
    return config if isinstance(config, WebhookConfig) else None


def record_attempt(event: Event, attempt: DeliveryAttempt) -> dict[str, Any]:
    entry = {
        "date": isoformat(utcnow()),
        "url": attempt.url,
        "status_code": attempt.status_code,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
    }
    # A new list, so SQLAlchemy sees the JSON column change.
    event.attempts = [*(event.attempts or []), entry]
    if attempt.ok:
        event.state, event.date_delivered = "delivered", utcnow()
    else:
        event.retries = (event.retries or 0) + 1
    return entry


def attempt_once(
    settings: Settings, url: str, secret: str, event_id: str, body: bytes
) -> DeliveryAttempt:
    return deliver(
        config_url=url,
        event_id=event_id,
        body=body,
        secret=secret,
        guard=WebhookURLGuard(settings.webhook_allow_hosts),
        timeout=settings.webhook_timeout_seconds,
    )


# A delivery refused by a full receiver line is looked at again this much later.
BUSY_RECEIVER_DELAY_SECONDS = 5.0


def run_delivery(event_id: str, attempt: int = 1) -> None:
    """The delivery job: hands the attempt to the delivery pool and returns at once.

    The job threads are shared with logins and polls, so the (possibly slow) call to the
    receiver runs on the pool's own threads, bounded per receiver.
    """
    settings = get_settings()
    with transaction(settings.database_url) as db:
        event = db.scalars(select(Event).where(Event.id == event_id)).first()
        if event is None or event.state != "pending":
            return  # gone, already delivered, or given up on
        config = webhook_config_for(db, event)
        if config is None:
            return  # nowhere to send it; it stays pending and can be redelivered later
        url = config.url
    _hand_over(settings, event_id, attempt, url)


def _hand_over(settings: Settings, event_id: str, attempt: int, url: str) -> None:
    accepted = delivery_pool().submit(
        receiver_of(url), lambda: deliver_and_record(settings, event_id, attempt)
    )
    if not accepted:
        WEBHOOK_DELIVERIES.labels("deferred").inc()
        schedule_delivery(settings, event_id, attempt, BUSY_RECEIVER_DELAY_SECONDS)


def deliver_and_record(settings: Settings, event_id: str, attempt: int) -> None:
    """One attempt (on a pool thread): call the receiver, record it, schedule the next."""
    with transaction(settings.database_url) as db:
        event = db.scalars(select(Event).where(Event.id == event_id)).first()
        if event is None or event.state != "pending":
            return
        config = webhook_config_for(db, event)
        if config is None:
            return
        body, url, secret = event_body(event), config.url, config.secret
    # The receiver is called outside any transaction: a slow one must not hold the DB.
    outcome = attempt_once(settings, url, secret, event_id, body)
    with transaction(settings.database_url) as db:
        event = db.scalars(select(Event).where(Event.id == event_id)).first()
        if event is None or event.state != "pending":
            return
        record_attempt(event, outcome)
        if outcome.ok:
            WEBHOOK_DELIVERIES.labels("delivered").inc()
            return
        if attempt >= MAX_ATTEMPTS:
            WEBHOOK_DELIVERIES.labels("gave-up").inc()
            event.state = "failed"
            log.info("webhook event %s failed after %d attempts", event_id, attempt)
            return
        WEBHOOK_DELIVERIES.labels("failed").inc()
        delay = backoff_seconds(settings.webhook_backoff_base_seconds, attempt)
        on_commit(db, lambda: schedule_delivery(settings, event_id, attempt + 1, delay))


def schedule_delivery(settings: Settings, event_id: str, attempt: int, delay: float) -> None:

    task(settings, "deliver_event").schedule(args=(event_id, attempt), delay=delay)


def enqueue_delivery(event_id: str) -> None:
    """Queue the first attempt of one committed event."""

    task(get_settings(), "deliver_event")(event_id, 1)


def enqueue_deliveries(event_ids: list[str]) -> None:
    """Events listener: one job for the first attempts of a commit's events, of those
    with somewhere to go. A job for events no config receives would find nothing to do,
    after the queue write and a turn of a job thread (the short lane's, which another
    tenant's poll waits for behind it: a files poll records events with every commit).
    While no config exists at all (known without a query for a second), none is asked."""

    settings = get_settings()
    if not any_webhook_config(settings.database_url):
        return
    event_ids = _with_receiver(settings, event_ids)
    if not event_ids:
        return
    if len(event_ids) == 1:
        enqueue_delivery(event_ids[0])
        return
    for start in range(0, len(event_ids), EVENTS_PER_JOB):
        task(get_settings(), "deliver_events")(event_ids[start : start + EVENTS_PER_JOB])


def _with_receiver(settings: Settings, event_ids: list[str]) -> list[str]:
    """Those of ``event_ids`` whose key (or organisation) has a webhook config now; a
    config's test event always (its delivery finds the config under test)."""
    with transaction(settings.database_url) as db:
        rows = db.execute(
            select(Event.id, Event.organisation_id, Event.key_id, Event.type, Event.action).where(
                Event.id.in_(event_ids)
            )
        ).tuples()
        received: dict[tuple[str, str | None], bool] = {}
        kept: set[str] = set()
        for event_id, organisation_id, key_id, type_, action in rows:
            if (type_, action) == ("webhook_config", "test"):
                kept.add(event_id)
                continue
            scope = (organisation_id, key_id)
            if scope not in received:
                config = (
                    None
                    if key_id is None
                    else config_of_key(db, WebhookConfig, organisation_id, key_id)
                )
                received[scope] = config is not None
            if received[scope]:
                kept.add(event_id)
    return [event_id for event_id in event_ids if event_id in kept]


def run_deliveries(event_ids: list[str]) -> None:
    """The first attempt of each event, as :func:`run_delivery` makes it; the events are
    read at once and each key's config looked up once."""
    settings = get_settings()
    found: list[tuple[str, str]] = []
    with transaction(settings.database_url) as db:
        events = db.scalars(
            select(Event).where(Event.id.in_(event_ids), Event.state == "pending")
        ).all()
        urls: dict[tuple[str, str | None], str | None] = {}
        for event in events:
            if event.type == "webhook_config" and event.action == "test":
                config = webhook_config_for(db, event)
                url = config.url if config is not None else None
            else:
                scope = (event.organisation_id, event.key_id)
                if scope not in urls:
                    config = webhook_config_for(db, event)
                    urls[scope] = config.url if config is not None else None
                url = urls[scope]
            if url is not None:  # else it stays pending and can be redelivered later
                found.append((event.id, url))
    order = {event_id: n for n, event_id in enumerate(event_ids)}
    for event_id, url in sorted(found, key=lambda pair: order[pair[0]]):
        _hand_over(settings, event_id, 1, url)


def install_webhook_delivery() -> None:
    """Hook delivery onto event emission (API, embedded consumer and workers call this)."""
    add_batch_listener(enqueue_deliveries)

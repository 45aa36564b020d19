"""The webhook delivery job: at-least-once, with exponential backoff and jitter.

Every committed event is handed to :func:`enqueue_delivery` (an events listener). One
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
from cloudtap.ops.metrics import WEBHOOK_DELIVERIES
from cloudtap.publish.events import add_listener
from cloudtap.publish.webhooks.delivery import DeliveryAttempt, deliver
from cloudtap.publish.webhooks.pool import delivery_pool, receiver_of
from cloudtap.publish.webhooks.ssrf import WebhookURLGuard
from cloudtap.store.db import on_commit, transaction
from cloudtap.store.ids import isoformat, utcnow
from cloudtap.store.models import Event, Key, Organisation, WebhookConfig
from cloudtap.wire.events import serialize_event

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
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
    """The key's webhook config, else the organisation's default.

    A ``webhook_config.test`` event always goes to the config under test.
    """
    config_id: str | None = None
    if event.type == "webhook_config" and event.action == "test":
        config_id = str((event.data or {}).get("id") or "") or None
    else:
        if event.key_id is not None:
            key = db.scalars(select(Key).where(Key.id == event.key_id)).first()
            config_id = key.webhook_config_id if key is not None else None
        if config_id is None:
            org = db.scalars(
                select(Organisation).where(Organisation.id == event.organisation_id)
            ).first()
            config_id = org.webhook_config_default if org is not None else None
    if config_id is None:
        return None
    return db.scalars(
        select(WebhookConfig).where(
            WebhookConfig.id == config_id,
            WebhookConfig.organisation_id == event.organisation_id,
        )
    ).first()


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
    from cloudtap.jobs.queue import task

    task(settings, "deliver_event").schedule(args=(event_id, attempt), delay=delay)


def enqueue_delivery(event_id: str) -> None:
    """Events listener: queue the first attempt once the event is committed."""
    from cloudtap.jobs.queue import task

    task(get_settings(), "deliver_event")(event_id, 1)


def install_webhook_delivery() -> None:
    """Hook delivery onto event emission (API, embedded consumer and workers call this)."""
    add_listener(enqueue_delivery)

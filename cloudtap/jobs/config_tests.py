"""``storage_config.test`` and ``webhook_config.test`` tasks: valid or invalid."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.crypto.sealing import SealError
from cloudtap.jobs.webhooks import attempt_once, event_body, record_attempt
from cloudtap.publish.events import emit
from cloudtap.publish.local_roots import LocalPathRefused, checked_local_path
from cloudtap.publish.outbound import UnsafeURL
from cloudtap.publish.webhooks.pool import delivery_pool, receiver_of
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import Event, StorageConfig, Task, WebhookConfig
from cloudtap.wire.webhook_configs import serialize_webhook_config

log = logging.getLogger(__name__)


def _local_store_works(settings: Settings, url: str) -> str | None:
    """Write, read back and delete a probe file; returns an error code or None.

    A path outside the allowed roots is refused before anything is touched, so the
    answer says nothing about the rest of the server's file system."""
    try:
        root = checked_local_path(settings, url)
    except LocalPathRefused:
        return "storage-refused"
    probe = root / f".cloudtap-test-{secrets.token_hex(4)}"
    payload = secrets.token_bytes(32)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(payload)
        ok = probe.read_bytes() == payload
        probe.unlink()
    except OSError:
        return "storage-unreachable"
    return None if ok else "storage-corrupt"


def _bucket_works(settings: Settings, config: StorageConfig) -> str | None:
    """Upload, read back and delete a probe object through the config's own store."""
    from cloudtap.publish.s3 import S3Error
    from cloudtap.publish.stores import open_credentials, s3_guard, store_for_config

    payload = secrets.token_bytes(32)
    key = f".cloudtap-test-{secrets.token_hex(4)}"
    try:
        endpoint = open_credentials(settings, config).get("endpoint_url")
        if endpoint:  # resolved and vetted now; each connection is vetted again
            s3_guard(settings).check(endpoint)
    except UnsafeURL as exc:
        log.info("storage config %s refused: %s", config.id, exc)
        return "storage-refused"
    except (SealError, ValueError):
        return "storage-unreachable"
    try:
        store = store_for_config(settings, config)
        with store.writer(key) as (sink, stored):
            sink.write(payload)
        location = stored[0].location
        ok = b"".join(store.read(location)) == payload
        store.delete(location)
    except (*S3Error, OSError, ValueError, SealError) as exc:
        log.info("storage config %s failed its test: %s", config.id, type(exc).__name__)
        return "storage-unreachable"
    return None if ok else "storage-corrupt"


def _test_storage(settings: Settings, config: StorageConfig) -> str | None:
    if urlsplit(config.url).scheme in ("local", "file"):
        return _local_store_works(settings, config.url)
    if config.type == "s3":
        return _bucket_works(settings, config)
    return "storage-unsupported"


def _test_webhook(settings: Settings, config_id: str, event_id: str) -> str | None:
    """One delivery attempt of the test event to the config, recorded on the event."""

    with transaction(settings.database_url) as db:
        event = db.scalars(select(Event).where(Event.id == event_id)).one()
        config = db.scalars(select(WebhookConfig).where(WebhookConfig.id == config_id)).one()
        url, secret, body = config.url, config.secret, event_body(event)
    attempt = attempt_once(settings, url, secret, event_id, body)
    with transaction(settings.database_url) as db:
        event = db.scalars(select(Event).where(Event.id == event_id)).one()
        record_attempt(event, attempt)
        if not attempt.ok:
            event.state = "failed"  # a test is one attempt, never retried
    return None if attempt.ok else "webhook-unreachable"


def _load_config(db: DbSession, task: Task) -> StorageConfig | WebhookConfig | None:
    if task.type == "storage_config.test":
        return db.scalars(select(StorageConfig).where(StorageConfig.id == task.target)).first()
    return db.scalars(select(WebhookConfig).where(WebhookConfig.id == task.target)).first()


def run_config_test(task_id: str) -> None:
    settings = get_settings()
    event_id = ""
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).first()
        if task is None or task.state != "pending":
            return
        task.state, task.date_started = "processing", utcnow()
        config = _load_config(db, task)
        if isinstance(config, WebhookConfig):
            data = serialize_webhook_config(config)
            # Delivered below, to this config only, rather than by the delivery job.
            event = emit(
                db, task.organisation_id, task.key_id, "webhook_config", "test", data, notify=False
            )
            event_id = event.id
        if config is not None:
            db.expunge(config)
    if config is None:
        _finish(settings, task_id, "not-found")
    elif isinstance(config, StorageConfig):
        _finish(settings, task_id, _test_storage(settings, config))
    else:
        # A receiver may take its whole timeout to (not) answer: the attempt runs on the
        # webhook delivery pool, bounded per receiver, never on a shared job thread.
        config_id = config.id

        def attempt() -> None:
            _finish(settings, task_id, _test_webhook(settings, config_id, event_id))

        if not delivery_pool().submit(receiver_of(config.url), attempt):
            _finish(settings, task_id, "webhook-unreachable")  # its line is full


def _finish(settings: Settings, task_id: str, error: str | None) -> None:
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        task.state = "failed" if error else "succeeded"
        task.error, task.date_completed = error, utcnow()
        row = _load_config(db, task)
        if row is not None:
            row.state = "invalid" if error else "valid"

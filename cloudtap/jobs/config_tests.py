"""``storage_config.test`` and ``webhook_config.test`` tasks: valid or invalid."""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session as DbSession

from cloudtap.config import Settings, get_settings
from cloudtap.publish.events import emit
from cloudtap.store.db import transaction
from cloudtap.store.ids import utcnow
from cloudtap.store.models import StorageConfig, Task, WebhookConfig

log = logging.getLogger(__name__)


def _local_store_works(url: str) -> str | None:
    """Write, read back and delete a probe file; returns an error code or None."""
    root = Path(url.split("://", 1)[-1] or "/")
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


def _test_storage(url: str) -> str | None:
    if urlsplit(url).scheme in ("local", "file"):
        return _local_store_works(url)
    return "storage-unsupported"  # S3 and GCS arrive with the publishing issue


def _test_webhook(
    settings: Settings, config: WebhookConfig, event_id: str, body: bytes
) -> str | None:
    try:
        from cloudtap.publish.webhooks.delivery import deliver
        from cloudtap.publish.webhooks.ssrf import WebhookURLGuard
    except ImportError:
        return "webhooks-unavailable"
    attempt = deliver(
        config_url=config.url,
        event_id=event_id,
        body=body,
        secret=config.secret,
        guard=WebhookURLGuard(settings.webhook_allow_hosts),
    )
    return None if attempt.ok else "webhook-unreachable"


def _load_config(db: DbSession, task: Task) -> StorageConfig | WebhookConfig | None:
    if task.type == "storage_config.test":
        return db.scalars(select(StorageConfig).where(StorageConfig.id == task.target)).first()
    return db.scalars(select(WebhookConfig).where(WebhookConfig.id == task.target)).first()


def run_config_test(task_id: str) -> None:
    from cloudtap.api.resources.webhook_configs import serialize_webhook_config

    settings = get_settings()
    event_id, event_body = "", b""
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).first()
        if task is None or task.state != "pending":
            return
        task.state, task.date_started = "processing", utcnow()
        config = _load_config(db, task)
        if isinstance(config, WebhookConfig):
            data = serialize_webhook_config(config)
            event = emit(db, task.organisation_id, task.key_id, "webhook_config", "test", data)
            event_id = event.id
            event_body = json.dumps(
                {
                    "id": event.id,
                    "resource": "event",
                    "type": "webhook_config",
                    "action": "test",
                    "data": data,
                }
            ).encode()
    error: str | None
    if config is None:
        error = "not-found"
    elif isinstance(config, StorageConfig):
        error = _test_storage(config.url)
    else:
        error = _test_webhook(settings, config, event_id, event_body)
    with transaction(settings.database_url) as db:
        task = db.scalars(select(Task).where(Task.id == task_id)).one()
        task.state = "failed" if error else "succeeded"
        task.error, task.date_completed = error, utcnow()
        row = _load_config(db, task)
        if row is not None:
            row.state = "invalid" if error else "valid"

"""``webhook_config`` objects."""

from __future__ import annotations

from typing import Any

from cloudtap.store.ids import isoformat
from cloudtap.store.models import WebhookConfig


def serialize_webhook_config(row: WebhookConfig, *, reveal_secret: bool = True) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "webhook_config",
        "organisation": row.organisation_id,
        "url": row.url,
        # Empty for a sandbox key when live keys rely on the config (see api.shared).
        "secret": row.secret if reveal_secret else "",
        "state": row.state,
        "date_created": isoformat(row.date_created),
    }

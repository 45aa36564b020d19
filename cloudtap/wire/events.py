"""``event`` objects."""

from __future__ import annotations

from typing import Any

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Event


def serialize_event(row: Event) -> dict[str, Any]:
    return {
        "id": row.id,
        "resource": "event",
        "organisation": row.organisation_id,
        "key": row.key_id,
        "type": row.type,
        "action": row.action,
        "data": row.data,
        "state": row.state,
        "retries": row.retries,
        "date_created": isoformat(row.date_created),
        "date_delivered": isoformat(row.date_delivered),
        # Webhook delivery attempts: {date, url, status_code, error, duration_ms}.
        "attempts": list(row.attempts or []),
    }

"""``event`` objects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from cloudtap.store.ids import isoformat
from cloudtap.store.models import Event

# What an event object shows: a page of events is read as plain rows of these (many
# times cheaper to load than ORM objects); both have the same attributes.
EVENT_COLUMNS = (
    Event.id,
    Event.organisation_id,
    Event.key_id,
    Event.type,
    Event.action,
    Event.data,
    Event.state,
    Event.retries,
    Event.date_created,
    Event.date_delivered,
    Event.attempts,
)


def serialize_event(row: Event | Row[Any]) -> dict[str, Any]:
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

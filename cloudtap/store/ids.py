"""Public object ids and timestamps.

Ids are opaque UUID strings (ricloud-py's webhook receiver routes event ids as UUIDs, and
one format for every resource keeps the API uniform); list order uses a separate
integer sequence so cursors stay cheap.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    # Stored naive-UTC: SQLite has no time zones and PostgreSQL columns are declared without.
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(value: datetime | None) -> str | None:
    """ricloud's datetime format, e.g. ``2018-08-22T10:25:05Z``."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0).isoformat() + "Z"

"""Small helpers the data type modules share: stable ids and timestamps."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any


def stable_id(*parts: object) -> str:
    """A short id that is the same on every poll for the same Apple record."""
    return hashlib.sha256(":".join(map(str, parts)).encode("utf-8")).hexdigest()[:16]


def iso_from_ms(milliseconds: Any) -> str | None:
    """Apple's epoch milliseconds as the seed's ``2020-01-01T00:00:00.000000Z``."""
    try:
        moment = datetime.fromtimestamp(int(milliseconds) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return iso(moment)


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def cursor_token(cursor: Any, zone_key: str) -> str | None:
    """The sync token a previous listing left for ``zone_key`` in its cursor, if any."""
    zones = cursor.get("zones") if isinstance(cursor, dict) else None
    token = zones.get(zone_key) if isinstance(zones, dict) else None
    return str(token) if token else None

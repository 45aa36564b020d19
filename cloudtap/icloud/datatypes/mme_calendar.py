"""Data type ``mme_calendar.events``: iCloud Calendar events, one item per occurrence.

Each item: ``calendar`` (title and id), ``title``, ``location``, ``notes``, ``start`` and
``end`` (ISO-8601 with the event's offset; dates only for all-day events), ``time_zone``,
``all_day``, ``recurrence``, ``attendees`` and ``alarms``. ``since``/``until`` bound the
start dates listed; without them the last ``DEFAULT_PAST_DAYS`` and the next
``DEFAULT_FUTURE_DAYS`` are listed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.services import calendar as service

DATA_TYPE = "mme_calendar.events"
ITEM_TYPE = "mme_calendar.event"
DEFAULT_PAST_DAYS = 5 * 366
DEFAULT_FUTURE_DAYS = 366


def _zone(name: Any) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or name == "Floating":
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def apple_moment(parts: Any, zone: ZoneInfo | None, all_day: bool) -> str | None:
    """Apple's ``["20250301",2025,3,1,9,30,570]`` (UTC here) as ISO-8601 in ``zone``."""
    if not isinstance(parts, list) or len(parts) < 6:
        return None
    try:
        year, month, day, hour, minute = (int(p) for p in parts[1:6])
        moment = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except (TypeError, ValueError):
        return None
    if all_day:
        return moment.date().isoformat()
    return moment.astimezone(zone).isoformat() if zone else moment.isoformat()


def to_item(event: dict[str, Any], batch: service.EventBatch, names: dict[str, str]) -> JSONDict:
    all_day = bool(event.get("allDay"))
    zone = _zone(event.get("tz"))
    recurrence = batch.recurrences.get(str(event.get("recurrence", "")))
    return {
        "id": stable_id("event", event.get("guid")),
        "data_type": ITEM_TYPE,
        "calendar": names.get(str(event.get("pGuid"))),
        "calendar_id": event.get("pGuid"),
        "title": event.get("title"),
        "location": event.get("location") or None,
        "notes": event.get("description") or None,
        "start": apple_moment(event.get("startDate"), zone, all_day),
        "end": apple_moment(event.get("endDate"), zone, all_day),
        "time_zone": None if zone is None else str(zone),
        "all_day": all_day,
        "recurrence": None
        if recurrence is None
        else {
            "frequency": recurrence.get("freq") or recurrence.get("frequency"),
            "interval": recurrence.get("interval"),
            "count": recurrence.get("count"),
            "until": recurrence.get("until"),
        },
        "attendees": [
            {
                "name": i.get("commonName"),
                "email": i.get("email"),
                "status": i.get("inviteeStatus"),
                "organiser": bool(i.get("isOrganizer")),
            }
            for i in (batch.invitees.get(str(g)) for g in event.get("invitees") or [])
            if i is not None
        ],
        "alarms": [
            _alarm(a)
            for a in (batch.alarms.get(str(g)) for g in event.get("alarms") or [])
            if a is not None
        ],
    }


def _alarm(alarm: dict[str, Any]) -> JSONDict:
    m = alarm.get("measurement") if isinstance(alarm.get("measurement"), dict) else {}
    assert isinstance(m, dict)
    minutes = (
        int(m.get("weeks") or 0) * 7 * 1440
        + int(m.get("days") or 0) * 1440
        + int(m.get("hours") or 0) * 60
        + int(m.get("minutes") or 0)
    )
    return {"minutes_before": minutes if m.get("before", True) else -minutes}


def _day(moment: datetime | None, default: date) -> date:
    if moment is None:
        return default
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    today = datetime.now(UTC).date()
    first = _day(filters.since, today - timedelta(days=DEFAULT_PAST_DAYS))
    last = _day(filters.until, today + timedelta(days=DEFAULT_FUTURE_DAYS))
    names = await service.calendars(client)
    seen: set[str] = set()
    async for batch in service.event_batches(client, first, last):
        for event in batch.events:
            guid = str(event.get("guid"))
            if guid in seen:
                continue  # an event spanning two ranges comes back in both
            seen.add(guid)
            yield to_item(event, batch, names)

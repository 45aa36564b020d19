"""Data type ``mme_calendar.events``: iCloud Calendar events, one item per occurrence.

Each item: ``calendar`` (title and id), ``title``, ``location``, ``notes``, ``start`` and
``end`` (the true moment, ISO-8601 with the event's own offset; a bare wall-clock time for
a floating event; dates, end exclusive, for all-day events), ``time_zone``, ``all_day``,
``recurrence``, ``attendees`` and ``alarms``. ``since``/``until`` name the UTC days whose
events are listed (capped at ``MAX_PAST_YEARS`` back and ``MAX_FUTURE_YEARS`` ahead);
without them the last ``DEFAULT_PAST_DAYS`` and the next ``DEFAULT_FUTURE_DAYS``.

A listing reports each calendar's ``ctag`` for its cursor; a listing resumed from it asks
only ``/ca/allcollections`` first (``changes``): the same ctags for the same calendars
mean nothing changed, and nothing more is asked (see docs/apple-evidence.md, Calendar).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes import calendar_moments as dates
from cloudtap.icloud.datatypes.calendar_moments import EventZone
from cloudtap.icloud.datatypes.common import stable_id
from cloudtap.icloud.datatypes.listing_diff import FeedChanges
from cloudtap.icloud.datatypes.stream import CursorSink
from cloudtap.icloud.services import calendar as service

DATA_TYPE = "mme_calendar.events"
ITEM_TYPE = "mme_calendar.event"
CTAGS_KEY = "ctags"  # the cursor's calendar guid -> ctag, as the listing found them
DEFAULT_PAST_DAYS = 5 * 366
DEFAULT_FUTURE_DAYS = 366
ONE_DAY = timedelta(days=1)
MAX_PAST_YEARS = 20  # ``since`` earlier than this is read as this (see listed_days)
MAX_FUTURE_YEARS = 10


def _times(event: dict[str, Any]) -> tuple[str | None, str | None, EventZone]:
    """``start``/``end`` as ISO-8601: the true moment in the event's own zone, a bare
    wall-clock time for a floating event, dates (end exclusive) for an all-day one."""
    where = EventZone.of(event)
    duration = dates.minutes(event.get("duration"))
    if event.get("allDay"):
        first = dates.all_day_date(event.get("startDate"), event.get("localStartDate"))
        last = dates.all_day_date(event.get("endDate"), event.get("localEndDate"))
        if first is not None and (last is None or last <= first):
            # An end on (or before) the start day reads as inclusive: end after it, by
            # ``duration`` when that says how many days (Home Assistant does the same).
            days = duration if duration is not None and duration >= ONE_DAY else ONE_DAY
            last = (datetime.combine(first, time()) + days).date()
        return _iso(first), _iso(last), where
    user_zone = ZoneInfo(service.USER_TZ)
    start = dates.moment(event.get("startDate"), event.get("localStartDate"), where, user_zone)
    end = dates.moment(event.get("endDate"), event.get("localEndDate"), where, user_zone)
    if start is None and end is None:
        start = dates.floating_time(event.get("startDate"), event.get("localStartDate"))
        end = dates.floating_time(event.get("endDate"), event.get("localEndDate"))
    if end is None and start is not None and duration is not None:
        end = _add(start, duration)
    return _iso(start), _iso(end), where


def _add(start: datetime, duration: timedelta) -> datetime | None:
    """``start`` plus an elapsed ``duration`` (not wall-clock: DST changes count)."""
    try:
        if start.tzinfo is None:
            return start + duration
        return (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
    except OverflowError:
        return None


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def apple_moment(parts: Any, zone: ZoneInfo | None, all_day: bool) -> str | None:
    """One Apple date array (wall-clock in ``zone``) as ISO-8601; a date for all-day."""
    if all_day:
        return _iso(dates.all_day_date(parts, None))
    wall = dates.wall_clock(parts)
    if wall is None:
        return None
    return (wall.replace(tzinfo=zone) if zone else wall).isoformat()


def to_item(event: dict[str, Any], batch: service.EventBatch, names: dict[str, str]) -> JSONDict:
    start, end, where = _times(event)
    recurrence = batch.recurrences.get(str(event.get("recurrence", "")))
    return {
        "id": stable_id("event", event.get("guid")),
        "data_type": ITEM_TYPE,
        "event_guid": event.get("guid"),
        "calendar": names.get(str(event.get("pGuid"))),
        "calendar_id": event.get("pGuid"),
        "title": event.get("title"),
        "location": event.get("location") or None,
        "notes": event.get("description") or None,
        "url": event.get("url") or None,
        "start": start,
        "end": end,
        "time_zone": None if where.zone is None or event.get("allDay") else str(where.zone),
        "all_day": bool(event.get("allDay")),
        "busy": not event.get("transparent"),
        "read_only": bool(event.get("readOnly")),
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
                "role": i.get("role"),
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
    try:
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        return date.min if moment.year == 1 else date.max


def listed_days(since: datetime | None, until: datetime | None, today: date) -> tuple[date, date]:
    """The UTC days to ask for: the filters' days, within ``MAX_PAST_YEARS`` before today
    and ``MAX_FUTURE_YEARS`` after it.

    Apple answers month by month, so an unbounded ``since``/``until`` (0001..9999) would be
    ~120,000 requests; a calendar's events sit within a few decades of today, so the cap
    costs nothing real and bounds a poll to ~360 requests.
    """
    floor = today.replace(year=today.year - MAX_PAST_YEARS, day=min(today.day, 28))
    ceiling = today.replace(year=today.year + MAX_FUTURE_YEARS, day=min(today.day, 28))
    first = max(floor, _day(since, today - timedelta(days=DEFAULT_PAST_DAYS)))
    last = min(ceiling, _day(until, today + timedelta(days=DEFAULT_FUTURE_DAYS)))
    return first, last


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    first, last = listed_days(filters.since, filters.until, datetime.now(UTC).date())
    found = await service.calendars(client)
    names = found.titles
    set_cursor({CTAGS_KEY: found.ctags})
    seen: set[str] = set()
    rules: dict[str, dict[str, Any]] = {}
    async for batch in service.event_batches(client, first, last):
        # A series' rule may ride in an earlier reply than some of its occurrences.
        rules.update(batch.recurrences)
        batch.recurrences = rules
        for event in batch.events:
            guid = str(event.get("guid"))
            if guid in seen:
                continue  # an event spanning two ranges comes back in both
            seen.add(guid)
            yield to_item(event, batch, names)


async def changes(client: AppleClient, cursor: JSONDict) -> FeedChanges | None:
    """Nothing changed when every calendar's ctag is the cursor's (the same calendars, each
    with a ctag): CalDAV's getctag, whose name Apple's web calendar uses, changes whenever
    an event of its calendar is added, changed or deleted. Otherwise None: the window is
    listed again and compared with the kept digests. No calendars at all is no answer
    either, never read as "nothing changed"."""
    kept = cursor.get(CTAGS_KEY)
    if not isinstance(kept, dict) or not kept:
        return None
    now = (await service.calendars(client)).ctags
    if not now or None in now.values() or now != kept:
        return None
    return FeedChanges(items=[], removed=[], cursor={CTAGS_KEY: now})

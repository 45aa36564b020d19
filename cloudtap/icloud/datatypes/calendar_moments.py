"""Apple's calendar date arrays read to the moment they name.

An event's ``startDate``/``endDate`` are ``["20250610", 2025, 6, 10, 20, 0, 1200]``:
wall-clock time in the event's own zone (``tz``; ``tzname`` and ``startDateTZOffset`` are
typed beside it by public clients). ``localStartDate``/``localEndDate`` are the same
moments as wall-clock time in the ``usertz`` the request named. The 7th element (minutes
from midnight for a start, to midnight for an end) is not trusted: clients write it
inconsistently. All-day and zone-less ("floating") events have no moment, only a
wall-clock date or time. Evidence: docs/apple-evidence.md, Calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")


def wall_clock(parts: Any) -> datetime | None:
    """The naive date-time an Apple date array spells, or None when it is not one."""
    if not isinstance(parts, list) or len(parts) < 4:
        return None
    try:
        fields = [int(p) for p in parts[1:6]]
        fields += [0] * (5 - len(fields))
        year, month, day, hour, minute = fields
        return datetime(year, month, day, hour, minute)
    except (TypeError, ValueError, OverflowError):
        return None


def named_zone(name: Any) -> ZoneInfo | None:
    """An IANA zone (``tz`` or ``tzname``); None for ``Floating``, empty or unknown names."""
    if not isinstance(name, str) or not name.strip() or name == "Floating":
        return None
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def fixed_offset(value: Any) -> timezone | None:
    """``startDateTZOffset`` as ``-07:00``, ``-0700``, ``GMT-07:00`` or ``UTC-7``."""
    match = _OFFSET.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        return None
    return timezone(-delta if sign == "-" else delta)


@dataclass(frozen=True)
class EventZone:
    """Where an event's zone-local dates live: a named zone, a bare offset, or nowhere."""

    zone: ZoneInfo | None
    offset: timezone | None

    @property
    def tz(self) -> tzinfo | None:
        return self.zone or self.offset

    @classmethod
    def of(cls, event: dict[str, Any]) -> EventZone:
        zone = named_zone(event.get("tz")) or named_zone(event.get("tzname"))
        return cls(zone, None if zone else fixed_offset(event.get("startDateTZOffset")))


def moment(zoned: Any, local: Any, where: EventZone, user_zone: tzinfo) -> datetime | None:
    """The true moment of one end of a timed event, shown in the event's zone.

    The zone-local array in the event's zone is the event's own definition. The
    ``usertz`` array names the same instant without ambiguity (cloudtap asks in UTC), so
    it settles an hour a DST change repeats, and stands in when the other is missing.
    """
    own = wall_clock(zoned)
    theirs = wall_clock(local)
    tz = where.tz
    at_user = theirs.replace(tzinfo=user_zone) if theirs is not None else None
    if tz is None:
        # No zone named: the pairs differing means the event has one we were not told,
        # and the ``usertz`` pair is its moment; equal pairs mean a floating event.
        return at_user if own is None or theirs != own else None
    if at_user is not None:
        shown = at_user.astimezone(tz)
        if own is None or shown.replace(tzinfo=None) == own:
            return shown
    if own is None:
        return None
    return own.replace(tzinfo=tz)


def floating_time(zoned: Any, local: Any) -> datetime | None:
    """A zone-less event's wall-clock time (the same in every zone)."""
    return wall_clock(zoned) or wall_clock(local)


def all_day_date(zoned: Any, local: Any) -> date | None:
    """An all-day event's date: its arrays carry midnight, in no zone."""
    found = wall_clock(zoned) or wall_clock(local)
    return None if found is None else found.date()


def minutes(value: Any) -> timedelta | None:
    """``duration`` in minutes."""
    try:
        return timedelta(minutes=int(value))
    except (TypeError, ValueError, OverflowError):
        return None

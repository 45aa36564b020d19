"""Calendar events as the iCloud web ``/ca`` service returns them.

Event ``i`` sits in its own time slot between three years ago and six months ahead, so a
date range maps straight to an index range. Every 9th event is all-day, every 20th a
weekly series (expanded into occurrences), every 6th lives in another time zone; some
carry invitees and alarms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services.content import words
from cloudtap.sandbox.services.content.rng import (
    day_start,
    index_range_for,
    item_rng,
    item_uuid,
    spread,
    today,
)

KIND = "event"
HOME_TZ = "America/Los_Angeles"
PAST_YEARS = 3
FUTURE_DAYS = 183
ALL_DAY_EVERY, ALL_DAY_AT = 9, 4
RECURRING_EVERY, RECURRING_AT = 20, 7
OCCURRENCES = 8  # weekly series length
ABROAD_EVERY, ABROAD_AT = 6, 5

CALENDARS = (
    ("Home", "#1BADF8"),
    ("Work", "#CC73E1"),
    ("Family", "#63DA38"),
)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


def window(day: date | None = None) -> Window:
    anchor = day or today()
    return Window(
        start=day_start(anchor) - timedelta(days=round(365.25 * PAST_YEARS)),
        end=day_start(anchor) + timedelta(days=FUTURE_DAYS),
    )


def calendar_guid(spec: ContentSpec, index: int) -> str:
    return item_uuid(spec.seed, "calendar", index)


def ctag(spec: ContentSpec, index: int) -> str:
    raw = f"{spec.seed}:{spec.events}:{index}:{today().isoformat()}".encode()
    return "HwoQEgwAAA" + hashlib.sha1(raw).hexdigest()[:20]


def collections(spec: ContentSpec) -> list[dict[str, Any]]:
    return [
        {
            "guid": calendar_guid(spec, i),
            "ctag": ctag(spec, i),
            "etag": ctag(spec, i)[-10:],
            "title": title,
            "color": colour,
            "symbolicColor": "__custom__",
            "enabled": True,
            "order": i + 1,
            "objectType": "personal",
            "supportedType": "Event",
            "isDefault": i == 0,
            "readOnly": False,
            "isFamily": title == "Family",
            "isPublished": False,
            "shareType": None,
            "shareTitle": "",
            "sharedUrl": "",
            "prePublishedUrl": None,
            "publishedUrl": None,
            "extendedDetailsAreIncluded": True,
            "lastModifiedDate": None,
        }
        for i, (title, colour) in enumerate(CALENDARS)
    ]


def event_guid(spec: ContentSpec, index: int) -> str:
    return item_uuid(spec.seed, KIND, index)


@lru_cache(maxsize=8)
def _guid_index(seed: int, count: int) -> dict[str, int]:
    return {item_uuid(seed, KIND, i): i for i in range(count)}


def index_of(spec: ContentSpec, guid: str) -> int | None:
    return _guid_index(spec.seed, spec.events).get(guid.split("*", 1)[0])


@dataclass(frozen=True)
class Occurrence:
    index: int
    start: datetime  # aware, in the event's zone
    end: datetime
    occurrence: int | None  # None for a one-off event; 0.. for a series member


def _is_all_day(index: int) -> bool:
    return index % ALL_DAY_EVERY == ALL_DAY_AT


def _is_recurring(index: int) -> bool:
    return index % RECURRING_EVERY == RECURRING_AT and not _is_all_day(index)


def _event_tz(spec: ContentSpec, index: int) -> str:
    if index % ABROAD_EVERY == ABROAD_AT:
        return item_rng(spec.seed, "event-tz", index).choice(words.PLACES)[7]
    return HOME_TZ


def first_occurrence(spec: ContentSpec, index: int, win: Window) -> Occurrence:
    rng = item_rng(spec.seed, KIND, index)
    at = spread(index, spec.events, win.start, win.end, rng)
    tz = ZoneInfo(_event_tz(spec, index))
    local = at.astimezone(tz)
    if _is_all_day(index):
        start = datetime(local.year, local.month, local.day, tzinfo=tz)
        end = start + timedelta(days=rng.choice((1, 1, 1, 2, 3)))
    else:
        local = local.replace(minute=(local.minute // 15) * 15, second=0, microsecond=0)
        start = local.replace(hour=max(7, min(local.hour, 20)))
        end = start + timedelta(minutes=rng.choice((15, 30, 45, 60, 60, 90, 120, 180)))
    return Occurrence(index, start, end, 0 if _is_recurring(index) else None)


def occurrences_between(
    spec: ContentSpec, lo: datetime, hi: datetime, win: Window | None = None
) -> Iterator[Occurrence]:
    """Every event or series occurrence overlapping [lo, hi), in index order."""
    win = win or window()
    margin = timedelta(days=3)  # all-day events in far time zones, multi-day events
    for index in index_range_for(spec.events, win.start, win.end, lo - margin, hi + margin):
        if _is_recurring(index):
            continue
        occ = first_occurrence(spec, index, win)
        if occ.start < hi and occ.end > lo:
            yield occ
    # A weekly series started up to OCCURRENCES weeks before ``lo`` may still reach it.
    series_lo = lo - timedelta(weeks=OCCURRENCES) - margin
    for index in index_range_for(spec.events, win.start, win.end, series_lo, hi + margin):
        if not _is_recurring(index):
            continue
        for occ in series(spec, index, win):
            if occ.start < hi and occ.end > lo:
                yield occ


def series(spec: ContentSpec, index: int, win: Window) -> Iterator[Occurrence]:
    """Every occurrence of event ``index`` (just one unless it is a weekly series)."""
    first = first_occurrence(spec, index, win)
    if first.occurrence is None:
        yield first
        return
    for n in range(OCCURRENCES):
        # Same wall-clock time each week, across daylight-saving changes.
        start = (first.start.replace(tzinfo=None) + timedelta(weeks=n)).replace(
            tzinfo=first.start.tzinfo
        )
        yield Occurrence(index, start, start + (first.end - first.start), n)


def apple_date(moment: datetime, is_start: bool) -> list[int | str]:
    """Apple's 7-element date: minutes from midnight for a start, to midnight for an end."""
    elapsed = moment.hour * 60 + moment.minute
    last = elapsed if is_start else (1440 - elapsed) % 1440
    return [
        moment.strftime("%Y%m%d"),
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        last,
    ]


@dataclass
class EventBundle:
    """One /ca reply's worth of records: events and the sidecar collections Apple uses."""

    events: list[dict[str, Any]]
    alarms: list[dict[str, Any]]
    invitees: list[dict[str, Any]]
    recurrences: list[dict[str, Any]]

    def as_reply(self) -> dict[str, Any]:
        return {
            "Event": self.events,
            "Alarm": self.alarms,
            "Invitee": self.invitees,
            "Recurrence": self.recurrences,
        }


def new_bundle() -> EventBundle:
    return EventBundle([], [], [], [])


def add_occurrence(
    bundle: EventBundle, spec: ContentSpec, occ: Occurrence, user_tz: ZoneInfo
) -> None:
    index = occ.index
    rng = item_rng(spec.seed, KIND + "-detail", index)
    master = event_guid(spec, index)
    guid = master if occ.occurrence in (None, 0) else f"{master}*{occ.start:%Y%m%dT%H%M%S}"
    calendar = calendar_guid(spec, rng.randrange(len(CALENDARS)))
    name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
    place = rng.choice(words.PLACES)
    title = rng.choice(words.EVENT_TITLES).format(name=name.split()[0], city=place[0])
    all_day = _is_all_day(index)
    tz_name = "Floating" if all_day else str(occ.start.tzinfo)
    local_start = occ.start if all_day else occ.start.astimezone(user_tz)
    local_end = occ.end if all_day else occ.end.astimezone(user_tz)
    created = occ.start - timedelta(days=rng.randrange(1, 60))
    event: dict[str, Any] = {
        "guid": guid,
        "pGuid": calendar,
        "etag": f"C={index + 100}@U={master[:8].lower()}",
        "title": title,
        "location": f"{place[0]}, {place[3]}" if rng.random() < 0.5 else "",
        "description": "Bring the slides." if rng.random() < 0.2 else "",
        "url": "",
        "tz": tz_name,
        "allDay": all_day,
        "duration": int((occ.end - occ.start).total_seconds() // 60),
        "startDate": apple_date(occ.start, True),
        "endDate": apple_date(occ.end, False),
        "localStartDate": apple_date(local_start, True),
        "localEndDate": apple_date(local_end, False),
        "createdDate": apple_date(created, True),
        "lastModifiedDate": apple_date(created, True),
        "icon": 0,
        "readOnly": False,
        "transparent": all_day,
        "hasAttachments": False,
        "extendedDetailsAreIncluded": True,
        "recurrenceMaster": occ.occurrence == 0,
        "recurrenceException": False,
        "birthdayIsYearlessBday": False,
        "birthdayShowAsCompany": False,
        "shouldShowJunkUIWhenAppropriate": False,
        "alarms": [],
        "invitees": [],
    }
    if occ.occurrence is not None:
        event["recurrence"] = f"{master}*MME-RID"
        if occ.occurrence == 0:
            bundle.recurrences.append(
                {
                    "guid": f"{master}*MME-RID",
                    "pGuid": master,
                    "freq": "weekly",
                    "interval": 1,
                    "count": OCCURRENCES,
                    "until": None,
                    "weekStart": "SU",
                    "frequency": "Weekly",
                }
            )
    if index % 3 == 0:
        alarm = f"{guid}:{item_uuid(spec.seed, 'alarm', index)}"
        event["alarms"].append(alarm)
        minutes = rng.choice((5, 10, 15, 30))
        bundle.alarms.append(
            {
                "guid": alarm,
                "pGuid": guid,
                "messageType": "message",
                "isLocationBased": False,
                "measurement": {
                    "before": True,
                    "weeks": 0,
                    "days": 0,
                    "hours": 0,
                    "minutes": 0 if all_day else minutes,
                    "seconds": 0,
                },
                "description": "Event reminder",
            }
        )
    if index % 4 == 1:
        for n in range(1 + rng.randrange(3)):
            first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}@example.com"
            invitee = f"{guid}:{email}"
            event["invitees"].append(invitee)
            bundle.invitees.append(
                {
                    "guid": invitee,
                    "pGuid": guid,
                    "role": "REQ-PARTICIPANT",
                    "isOrganizer": n == 0,
                    "email": email,
                    "commonName": f"{first} {last}",
                    "inviteeStatus": rng.choice(("ACCEPTED", "DECLINED", "NEEDS-ACTION")),
                    "isMe": False,
                }
            )
    bundle.events.append(event)

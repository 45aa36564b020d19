"""Calendar events as the iCloud web ``/ca`` service returns them.

Event ``i`` sits in its own time slot between three years ago and six months ahead, so a
date range maps straight to an index range. Every 9th event is all-day, every 20th a
weekly series (expanded into occurrences, same wall-clock time across DST changes), every
6th lives in another time zone (both sides of UTC, some with half-hour offsets), every
11th has a non-ASCII title, every 7th has no location or notes keys at all; some carry
invitees and alarms. :func:`source` gives an occurrence's values as the world knows them
(what tests compare against); :func:`add_occurrence` renders them as Apple's JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
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
UNICODE_EVERY, UNICODE_AT = 11, 3
URL_EVERY, URL_AT = 13, 6
MISSING_EVERY, MISSING_AT = 7, 2  # no ``location``/``description`` keys at all
FLOATING = "Floating"  # ``tz`` of all-day events (no public capture shows the value)
# Zones both sides of UTC, with half- and quarter-hour offsets and both hemispheres' DST.
ZONES = (
    *(place[7] for place in words.PLACES),
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Auckland",
    "Pacific/Honolulu",
)
UNICODE_TITLES = (
    "Café with {name} ☕",
    "Réunion d'équipe",
    "東京出張",
    "Geburtstag: Jürgen 🎂",
    "Встреча с {name}",  # noqa: RUF001 (Cyrillic on purpose)
    "مراجعة المشروع",
)
UNICODE_NOTES = ("Zimmer 3 — 2. Stock\nBitte pünktlich.", "会議室B", "")

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


def calendar_of(spec: ContentSpec, index: int) -> int:
    """The calendar event ``index`` sits in: :func:`source`'s first draw."""
    return item_rng(spec.seed, KIND + "-detail", index).randrange(len(CALENDARS))


def ctag(spec: ContentSpec, index: int, marks: Mapping[int, str] | None = None) -> str:
    """Calendar ``index``'s ctag: it changes whenever one of its events does (``marks``:
    event index -> what happened to it), as CalDAV's getctag does, and stays otherwise
    (the window's day aside: the generated events move with it)."""
    mine = sorted((e, m) for e, m in (marks or {}).items() if calendar_of(spec, e) == index)
    raw = f"{spec.seed}:{spec.events}:{index}:{today().isoformat()}:{mine}".encode()
    return "HwoQEgwAAA" + hashlib.sha1(raw).hexdigest()[:20]


def collections(spec: ContentSpec, marks: Mapping[int, str] | None = None) -> list[dict[str, Any]]:
    return [
        {
            "guid": calendar_guid(spec, i),
            "ctag": ctag(spec, i, marks),
            "etag": ctag(spec, i, marks)[-10:],
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
        return item_rng(spec.seed, "event-tz", index).choice(ZONES)
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


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    status: str
    organiser: bool


@dataclass(frozen=True)
class EventSource:
    """One occurrence as the world knows it: the values tests compare cloudtap against."""

    guid: str  # the occurrence's guid on the wire
    master: str  # the event's (series') guid
    index: int
    occurrence: int | None
    calendar_guid: str
    calendar_title: str
    title: str
    location: str | None  # None: the key is absent on the wire; "" an empty one
    notes: str | None  # likewise for ``description``
    start: datetime  # aware, in the event's zone (midnight for all-day events)
    end: datetime  # all-day: exclusive, the day after the last day
    zone: str | None  # None for all-day (floating) events
    all_day: bool
    recurrence: tuple[str, int, int] | None  # (frequency, interval, count)
    alarm_minutes: int | None  # minutes before the start
    attendees: tuple[Attendee, ...]
    url: str  # "" when none
    busy: bool  # all-day events show as free (``transparent``)


def _unicode_text(spec: ContentSpec, index: int, name: str) -> tuple[str, str] | None:
    """Every ``UNICODE_EVERY``th event gets a non-ASCII title and note."""
    if index % UNICODE_EVERY != UNICODE_AT:
        return None
    rng = item_rng(spec.seed, KIND + "-unicode", index)
    return rng.choice(UNICODE_TITLES).format(name=name), rng.choice(UNICODE_NOTES)


def source(spec: ContentSpec, occ: Occurrence) -> EventSource:
    """The world's own values for one occurrence (the same draws, in the same order, always)."""
    index = occ.index
    rng = item_rng(spec.seed, KIND + "-detail", index)
    master = event_guid(spec, index)
    guid = master if occ.occurrence in (None, 0) else f"{master}*{occ.start:%Y%m%dT%H%M%S}"
    calendar_index = rng.randrange(len(CALENDARS))  # calendar_of's draw
    name = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
    place = rng.choice(words.PLACES)
    title = rng.choice(words.EVENT_TITLES).format(name=name.split()[0], city=place[0])
    location: str | None = f"{place[0]}, {place[3]}" if rng.random() < 0.5 else ""
    notes: str | None = "Bring the slides." if rng.random() < 0.2 else ""
    unicode_text = _unicode_text(spec, index, name.split()[0])
    if unicode_text is not None:
        title, notes = unicode_text
    if index % MISSING_EVERY == MISSING_AT:
        location = notes = None
    all_day = _is_all_day(index)
    alarm = None
    if index % 3 == 0:
        minutes = rng.choice((5, 10, 15, 30))
        alarm = 0 if all_day else minutes
    attendees: list[Attendee] = []
    if index % 4 == 1:
        for n in range(1 + rng.randrange(3)):
            first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
            attendees.append(
                Attendee(
                    name=f"{first} {last}",
                    email=f"{first.lower()}.{last.lower()}@example.com",
                    status=rng.choice(("ACCEPTED", "DECLINED", "NEEDS-ACTION")),
                    organiser=n == 0,
                )
            )
    return EventSource(
        guid=guid,
        master=master,
        index=index,
        occurrence=occ.occurrence,
        calendar_guid=calendar_guid(spec, calendar_index),
        calendar_title=CALENDARS[calendar_index][0],
        title=title,
        location=location,
        notes=notes,
        start=occ.start,
        end=occ.end,
        zone=None if all_day else str(occ.start.tzinfo),
        all_day=all_day,
        recurrence=("weekly", 1, OCCURRENCES) if occ.occurrence is not None else None,
        alarm_minutes=alarm,
        attendees=tuple(attendees),
        url=f"https://meet.example.com/{master[:8].lower()}" if index % URL_EVERY == URL_AT else "",
        busy=not all_day,
    )


def add_occurrence(
    bundle: EventBundle, spec: ContentSpec, occ: Occurrence, user_tz: ZoneInfo, edits: int = 0
) -> None:
    """Render one occurrence the way ``/ca/events`` does.

    ``startDate``/``endDate`` are wall-clock times in the event's zone ``tz``;
    ``localStartDate``/``localEndDate`` the same moments as wall-clock times in the
    request's ``usertz``. All-day events are floating: midnight-to-midnight dates, the end
    exclusive, identical in both pairs. An event its owner edited ``edits`` times has
    that in its title and etag.
    """
    src = source(spec, occ)
    if edits:
        src = replace(src, title=src.title + (" (edited)" if edits == 1 else f" (edited {edits})"))
    guid, master = src.guid, src.master
    local_start = src.start if src.all_day else src.start.astimezone(user_tz)
    local_end = src.end if src.all_day else src.end.astimezone(user_tz)
    age = item_rng(spec.seed, KIND + "-created", src.index).randrange(1, 60)
    created = src.start - timedelta(days=age)
    event: dict[str, Any] = {
        "guid": guid,
        "pGuid": src.calendar_guid,
        "etag": f"C={src.index + 100}@U={master[:8].lower()}" + (f"-E{edits}" if edits else ""),
        "title": src.title,
        "url": src.url,
        "tz": src.zone or FLOATING,
        "allDay": src.all_day,
        "duration": int((src.end - src.start).total_seconds() // 60),
        "startDate": apple_date(src.start, True),
        "endDate": apple_date(src.end, False),
        "localStartDate": apple_date(local_start, True),
        "localEndDate": apple_date(local_end, False),
        "createdDate": apple_date(created, True),
        "lastModifiedDate": apple_date(created, True),
        "icon": 0,
        "readOnly": False,
        "transparent": not src.busy,
        "hasAttachments": False,
        "extendedDetailsAreIncluded": True,
        "recurrenceMaster": src.occurrence == 0,
        "recurrenceException": False,
        "birthdayIsYearlessBday": False,
        "birthdayShowAsCompany": False,
        "shouldShowJunkUIWhenAppropriate": False,
        "alarms": [],
        "invitees": [],
    }
    if src.location is not None:
        event["location"] = src.location
    if src.notes is not None:
        event["description"] = src.notes
    if src.recurrence is not None:
        frequency, interval, count = src.recurrence
        event["recurrence"] = f"{master}*MME-RID"
        # Every reply that holds an occurrence carries its series' rule (once).
        if all(r["guid"] != event["recurrence"] for r in bundle.recurrences):
            bundle.recurrences.append(
                {
                    "guid": f"{master}*MME-RID",
                    "pGuid": master,
                    "freq": frequency,
                    "interval": interval,
                    "count": count,
                    "until": None,
                    "weekStart": "SU",
                    "frequency": frequency.capitalize(),
                }
            )
    if src.alarm_minutes is not None:
        alarm = f"{guid}:{item_uuid(spec.seed, 'alarm', src.index)}"
        event["alarms"].append(alarm)
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
                    "minutes": src.alarm_minutes,
                    "seconds": 0,
                },
                "description": "Event reminder",
            }
        )
    for person in src.attendees:
        invitee = f"{guid}:{person.email}"
        event["invitees"].append(invitee)
        bundle.invitees.append(
            {
                "guid": invitee,
                "pGuid": guid,
                "role": "REQ-PARTICIPANT",
                "isOrganizer": person.organiser,
                "email": person.email,
                "commonName": person.name,
                "inviteeStatus": person.status,
                "isMe": False,
            }
        )
    bundle.events.append(event)

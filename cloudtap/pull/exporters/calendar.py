"""Calendar → one ICS file per calendar (``calendars/<name>.ics``), written with
icalendar: a weekly series becomes one VEVENT with its RRULE, events keep their own
time zone (VTIMEZONE included), all-day events are dates, alarms are VALARMs."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from cloudtap.pull.exporters import Item, OutsideCopy, Wanted, safe_name, write_atomically

DATA_TYPE = "mme_calendar.events"
PRODID = "-//cloudtap//cloudtap pull//EN"


def wanted(item: Item) -> list[Wanted]:
    return []


def series_id(item: Item) -> str:
    """A later occurrence's guid is ``<series>*YYYYMMDDTHHMMSS``."""
    return str(item.get("event_guid") or item.get("id")).split("*", 1)[0]


def moment(value: str, zone: str | None, all_day: bool) -> date | datetime:
    if all_day:
        return date.fromisoformat(value[:10])
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed  # floating: wall-clock time without a zone
    return parsed.astimezone(ZoneInfo(zone)) if zone else parsed


def _rrule(recurrence: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"FREQ": str(recurrence.get("frequency") or "weekly").upper()}
    if recurrence.get("interval"):
        rule["INTERVAL"] = int(recurrence["interval"])
    if recurrence.get("count"):
        rule["COUNT"] = int(recurrence["count"])
    elif recurrence.get("until"):
        rule["UNTIL"] = datetime.fromisoformat(str(recurrence["until"]).replace("Z", "+00:00"))
    return rule


def vevent(item: Item, uid: str, recurring: bool) -> Event:
    all_day = bool(item.get("all_day"))
    zone = item.get("time_zone")
    event = Event()
    event.add("uid", uid)
    event.add("summary", item.get("title") or "")
    start = moment(str(item["start"]), zone, all_day)
    event.add("dtstart", start)
    if item.get("end"):
        event.add("dtend", moment(str(item["end"]), zone, all_day))
    else:
        event.add("dtend", start + timedelta(days=1) if all_day else start)
    for key, prop in (("location", "location"), ("notes", "description"), ("url", "url")):
        if item.get(key):
            event.add(prop, item[key])
    event.add("transp", "OPAQUE" if item.get("busy", True) else "TRANSPARENT")
    event.add("x-cloudtap-calendar", item.get("calendar") or "")
    if recurring and item.get("recurrence"):
        event.add("rrule", _rrule(item["recurrence"]))
    for person in item.get("attendees") or []:
        address = vCalAddress(f"mailto:{person.get('email') or ''}")
        if person.get("name"):
            address.params["CN"] = vText(person["name"])
        if person.get("status"):
            address.params["PARTSTAT"] = vText(person["status"])
        if person.get("role"):
            address.params["ROLE"] = vText(person["role"])
        event.add("attendee", address, encode=False)
        if person.get("organiser"):
            event.add("organizer", address, encode=False)
    for alarm_item in item.get("alarms") or []:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", item.get("title") or "Reminder")
        alarm.add("trigger", timedelta(minutes=-int(alarm_item.get("minutes_before") or 0)))
        event.add_component(alarm)
    return event


def calendars(items: dict[str, Item]) -> dict[str, list[Event]]:
    """Events per calendar name. A series whose first occurrence was listed becomes one
    VEVENT with its RRULE; occurrences listed without their first stand alone."""
    by_series: dict[str, list[Item]] = defaultdict(list)
    for item in items.values():
        by_series[series_id(item)].append(item)
    out: dict[str, list[Event]] = defaultdict(list)
    for sid, members in sorted(by_series.items()):
        first = next((m for m in members if str(m.get("event_guid")) == sid), None)
        name = str(members[0].get("calendar") or "Calendar")
        if first is not None and first.get("recurrence"):
            out[name].append(vevent(first, sid, recurring=True))
            continue
        for member in sorted(members, key=lambda m: str(m.get("start"))):
            uid = str(member.get("event_guid") or member.get("id"))
            out[name].append(vevent(member, uid, recurring=False))
    return out


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> list[OutsideCopy]:
    refused = []
    for name, events in calendars(items).items():
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        cal.add("x-wr-calname", name)
        for event in events:
            cal.add_component(event)
        cal.add_missing_timezones()
        try:
            write_atomically(root, f"calendars/{safe_name(name, 'calendar')}.ics", cal.to_ical())
        except OutsideCopy as exc:
            refused.append(exc)
    return refused

"""Reminders → one ICS file of VTODOs per list (``reminders/<list>.ics``), with icalendar.

Every published field has its place (RFC 5545 unless said): ``SUMMARY``, ``DESCRIPTION``
(notes), ``DUE`` (a ``DATE`` for an all-day reminder, else the moment with its ``TZID``
and the ``VTIMEZONE`` it uses), ``PRIORITY`` (Apple's 0/1/5/9 mean what RFC 5545's do),
``STATUS`` and ``COMPLETED``, ``RRULE``, ``RELATED-TO;RELTYPE=PARENT`` (a subtask),
``URL``, ``CATEGORIES`` (tags), ``CREATED``, ``LAST-MODIFIED``. A date alarm is a
``VALARM`` with an absolute ``TRIGGER`` (UTC, as RFC 5545 requires) and its zone in
``X-CLOUDTAP-TIME-ZONE``; a location alarm is a ``VALARM`` with RFC 9074's
``PROXIMITY`` (``ARRIVE``/``DEPART``) and Apple's ``X-APPLE-STRUCTURED-LOCATION``
(``geo:`` URI with ``X-TITLE``, ``X-ADDRESS``, ``X-APPLE-RADIUS``), its trigger Apple's
placeholder moment. Flagged is ``X-CLOUDTAP-FLAGGED``; the list's colour and sharing
are ``X-APPLE-CALENDAR-COLOR`` and ``X-CLOUDTAP-SHARED`` on the calendar.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Todo, vText

from cloudtap.pull.exporters import Item, OutsideCopy, Wanted, safe_name, write_atomically
from cloudtap.pull.paths import inside

DATA_TYPE = "cloudkit_reminders.reminders"
LIST_ITEM = "cloudkit_reminders.list"
PRODID = "-//cloudtap//cloudtap pull//EN"
# The trigger Apple writes on a location alarm, which has no time of its own.
LOCATION_TRIGGER = datetime(1976, 4, 1, 0, 55, 45, tzinfo=UTC)
PROXIMITY = {"arriving": "ARRIVE", "leaving": "DEPART"}


def wanted(item: Item) -> list[Wanted]:
    return []


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _zone(name: Any) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name)) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _due(item: Item) -> date | datetime | None:
    value = item.get("due_date")
    if not value:
        return None
    if item.get("all_day"):
        return date.fromisoformat(str(value)[:10])
    moment = _instant(str(value))
    zone = _zone(item.get("time_zone"))
    # icalendar writes a bare offset as floating time: without a zone it knows, UTC.
    return moment.astimezone(zone or UTC)


def _alarm(item: Item, entry: dict[str, Any]) -> Alarm | None:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", item.get("title") or "Reminder")
    if entry.get("type") == "date" and entry.get("date"):
        alarm.add("trigger", _instant(str(entry["date"])).astimezone(UTC))
        if entry.get("time_zone"):
            alarm.add("x-cloudtap-time-zone", entry["time_zone"])
        return alarm
    if entry.get("type") == "location":
        alarm.add("trigger", LOCATION_TRIGGER)
        if entry.get("proximity") in PROXIMITY:
            alarm.add("proximity", PROXIMITY[entry["proximity"]])
        place = vText(f"geo:{entry.get('latitude')},{entry.get('longitude')}")
        place.params["VALUE"] = "URI"
        for key, param in (("title", "X-TITLE"), ("address", "X-ADDRESS")):
            if entry.get(key):
                place.params[param] = str(entry[key])
        if entry.get("radius") is not None:
            place.params["X-APPLE-RADIUS"] = str(entry["radius"])
        alarm.add("x-apple-structured-location", place, encode=False)
        return alarm
    return None


def _rrule(recurrence: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"FREQ": str(recurrence.get("frequency") or "daily").upper()}
    rule["INTERVAL"] = int(recurrence.get("interval") or 1)
    if recurrence.get("count"):
        rule["COUNT"] = int(recurrence["count"])
    return rule


def vtodo(item: Item) -> Todo:
    todo = Todo()
    todo.add("uid", str(item.get("id")))
    todo.add("summary", item.get("title") or "")
    if item.get("notes"):
        todo.add("description", item["notes"])
    due = _due(item)
    if due is not None:
        todo.add("due", due)
    todo.add("priority", int(item.get("priority") or 0))
    if item.get("completed"):
        todo.add("status", "COMPLETED")
        if item.get("date_completed"):
            todo.add("completed", _instant(str(item["date_completed"])))
    else:
        todo.add("status", "NEEDS-ACTION")
    if item.get("recurrence"):
        todo.add("rrule", _rrule(item["recurrence"]))
    if item.get("parent_id"):
        todo.add("related-to", str(item["parent_id"]), parameters={"RELTYPE": "PARENT"})
    if item.get("url"):
        todo.add("url", item["url"])
    if item.get("tags"):
        todo.add("categories", [str(t) for t in item["tags"]])
    if item.get("flagged"):
        todo.add("x-cloudtap-flagged", "TRUE")
    for key, prop in (("date_created", "created"), ("date_modified", "last-modified")):
        if item.get(key):
            todo.add(prop, _instant(str(item[key])))
    stamp = item.get("date_modified") or item.get("date_created")
    todo.add("dtstamp", _instant(str(stamp)) if stamp else datetime.now(UTC))
    for entry in item.get("alarms") or []:
        alarm = _alarm(item, entry)
        if alarm is not None:
            todo.add_component(alarm)
    return todo


def calendars(items: dict[str, Item]) -> dict[str, tuple[Item | None, list[Item]]]:
    """Per list id: the list item (when known) and its reminders."""
    out: dict[str, tuple[Item | None, list[Item]]] = {}
    lists = {str(i.get("id")): i for i in items.values() if i.get("data_type") == LIST_ITEM}
    members: dict[str, list[Item]] = defaultdict(list)
    for item in items.values():
        if item.get("data_type") != LIST_ITEM:
            members[str(item.get("list_id"))].append(item)
    for list_id in {*lists, *members}:
        out[list_id] = (lists.get(list_id), members.get(list_id, []))
    return out


def _file_name(list_item: Item | None, reminders: list[Item], list_id: str) -> str:
    name = list_item.get("name") if list_item else (reminders[0].get("list") if reminders else "")
    # Two lists may share a name: the id's start keeps their files apart.
    return f"reminders/{safe_name(name, 'Reminders')}-{safe_name(list_id[:7], '_')}.ics"


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> list[OutsideCopy]:
    refused = []
    written: set[str] = set()
    for list_id, (list_item, reminders) in sorted(calendars(items).items()):
        cal = Calendar()
        cal.add("prodid", PRODID)
        cal.add("version", "2.0")
        name = (list_item or {}).get("name") or (reminders[0].get("list") if reminders else "")
        cal.add("x-wr-calname", name or "Reminders")
        if list_item and list_item.get("color"):
            cal.add("x-apple-calendar-color", list_item["color"])
        if list_item:
            cal.add("x-cloudtap-shared", "TRUE" if list_item.get("shared") else "FALSE")
        for reminder in sorted(reminders, key=lambda r: str(r.get("id"))):
            cal.add_component(vtodo(reminder))
        _add_timezones(cal)
        relative = _file_name(list_item, reminders, list_id)
        written.add(relative)
        try:
            write_atomically(root, relative, cal.to_ical())
        except OutsideCopy as exc:
            refused.append(exc)
    _remove_stale(root, written)
    return refused


def _add_timezones(cal: Calendar) -> None:
    """The VTIMEZONEs the reminders use, first and in name order: icalendar adds them in
    set order, which changes from run to run, and an unchanged list must keep its bytes."""
    cal.add_missing_timezones()
    zones = sorted(cal.timezones, key=lambda tz: str(tz.get("tzid")))
    rest = [c for c in cal.subcomponents if c.name != "VTIMEZONE"]
    cal.subcomponents[:] = [*zones, *rest]


def _remove_stale(root: Path, written: set[str]) -> None:
    """A list renamed (or removed from the copy) since an earlier pull: its old file goes."""
    try:
        folder = inside(root, "reminders")
    except OutsideCopy:
        return
    for path in folder.glob("*.ics") if folder.is_dir() else ():
        relative = f"reminders/{path.name}"
        try:
            inside(root, relative)
        except OutsideCopy:
            continue  # a symlink out of the folder: neither read nor removed
        if relative not in written:
            path.unlink()

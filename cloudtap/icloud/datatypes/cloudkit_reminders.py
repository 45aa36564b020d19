"""Data type ``cloudkit_reminders.reminders``: Reminders (CloudKit ``com.apple.reminders``,
zone ``Reminders``), the store every list upgraded since iOS 13 lives in.

One result holds two kinds of item: ``cloudkit_reminders.list`` (``name``, ``color``,
``shared``, ``count``) and ``cloudkit_reminders.reminder`` (``list_id`` and ``list``
naming its list, ``title``, ``notes``, ``due_date`` with ``time_zone`` or ``all_day``,
``alarms``, ``priority``, ``flagged``, ``completed`` and ``date_completed``,
``recurrence``, ``parent_id`` for a subtask, ``url``, ``tags``, dates). Lists come before
reminders. A cursor keeps the zone's sync token: the next poll reads only the changes
(records Apple reports removed, or marks ``Deleted``, as deletions). The zone's change
feed carries each reminder's alarms, tags, URL and rule as records of their own; any a
changed reminder names but the feed did not bring are looked up (200 names a call).
A listing holds the zone's records in memory until the feed ends (an account's
reminders are thousands at most, a few kB each), so that lists come first and every
reminder is whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cloudtap.icloud import errors
from cloudtap.icloud.client.apple import AppleClient
from cloudtap.icloud.connector import Filters, JSONDict
from cloudtap.icloud.datatypes.common import cursor_token, iso_from_ms, stable_id
from cloudtap.icloud.datatypes.stream import CursorSink, removed
from cloudtap.icloud.services import reminders_wire as wire
from cloudtap.icloud.services.cloudkit import (
    CloudKitDatabase,
    Record,
    decoded_bytes,
    decoded_text,
    field_value,
    zone_changes,
)

DATA_TYPE = "cloudkit_reminders.reminders"
ITEM_TYPE = "cloudkit_reminders.reminder"
LIST_ITEM_TYPE = "cloudkit_reminders.list"
CONTAINER = "com.apple.reminders"
ZONE = {"zoneName": "Reminders", "zoneType": "REGULAR_CUSTOM_ZONE"}
CURSOR_KEY = "private/Reminders"
CHILD_TYPES = ("Alarm", "AlarmTrigger", "Hashtag", "Attachment", "RecurrenceRule")
RECORD_TYPES = ["List", "Reminder", *CHILD_TYPES]
LOOKUP_BATCH = 200
FREQUENCIES = {0: "daily", 1: "weekly", 2: "monthly", 3: "yearly"}
PROXIMITIES = {1: "arriving", 2: "leaving"}
# The id lists on a Reminder record and the record type each names.
_CHILD_FIELDS = {
    "AlarmIDs": "Alarm",
    "HashtagIDs": "Hashtag",
    "AttachmentIDs": "Attachment",
    "RecurrenceRuleIDs": "RecurrenceRule",
}


def list_id(record_name: str) -> str:
    return stable_id("reminder_list", record_name)


def reminder_id(record_name: str) -> str:
    return stable_id("reminder", record_name)


def _record_name(kind: str, raw: Any) -> str:
    text = str(raw)
    return text if text.startswith(f"{kind}/") else f"{kind}/{text}"


def _reference(record: Record, name: str) -> str | None:
    value = field_value(record, name)
    found = value.get("recordName") if isinstance(value, dict) else None
    return str(found) if found else None


def _child_names(record: Record, field: str) -> list[str]:
    values = field_value(record, field)
    kind = _CHILD_FIELDS[field]
    return [_record_name(kind, v) for v in values or [] if isinstance(v, str) and v]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(record: Record, name: str) -> str | None:
    blob = decoded_bytes(record, name)
    return wire.document_text(blob) if blob else None


def list_item(record: Record) -> JSONDict:
    count = _int(field_value(record, "Count"))
    return {
        "id": list_id(str(record.get("recordName"))),
        "data_type": LIST_ITEM_TYPE,
        "name": field_value(record, "Name"),
        "color": wire.color_hex(field_value(record, "Color")),
        "shared": isinstance(record.get("share"), dict),
        "count": count,
    }


def _zone(name: Any) -> ZoneInfo | None:
    if not isinstance(name, str) or not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _due(record: Record) -> tuple[str | None, str | None, bool]:
    """``(due_date, time_zone, all_day)``: an all-day reminder's day (its UTC date); a
    timed one's moment in its own zone (UTC when it names none it can be read in)."""
    all_day = bool(field_value(record, "AllDay"))
    ms = _int(field_value(record, "DueDate"))
    if ms is None:
        return None, None, all_day
    try:
        moment = datetime.fromtimestamp(ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None, None, all_day
    if all_day:
        return moment.date().isoformat(), None, True
    zone = _zone(field_value(record, "TimeZone"))
    local = moment.astimezone(zone) if zone else moment
    return local.isoformat(timespec="seconds"), str(zone) if zone else None, False


def _alarm(alarm: Record, triggers: dict[str, Record]) -> JSONDict | None:
    trigger_id = field_value(alarm, "TriggerID")
    trigger = triggers.get(_record_name("AlarmTrigger", trigger_id)) if trigger_id else None
    if trigger is None:
        return None
    kind = field_value(trigger, "Type")
    if kind == "Date":
        blob = decoded_bytes(trigger, "DateComponentsData")
        wall = wire.date_components(blob) if blob else None
        if wall is None:
            return None
        aware = wall.aware()
        at = aware or wall.moment
        return {
            "type": "date",
            "date": at.isoformat(timespec="seconds"),
            "time_zone": wall.zone if aware else None,
        }
    if kind == "Location":
        return {
            "type": "location",
            "title": field_value(trigger, "Title"),
            "address": field_value(trigger, "Address"),
            "latitude": field_value(trigger, "Latitude"),
            "longitude": field_value(trigger, "Longitude"),
            "radius": field_value(trigger, "Radius"),
            "proximity": PROXIMITIES.get(_int(field_value(trigger, "Proximity")) or 0),
        }
    return None  # a trigger type no public source describes


def _recurrence(rules: list[Record]) -> JSONDict | None:
    for rule in rules:
        frequency = FREQUENCIES.get(_int(field_value(rule, "Frequency")) or 0)
        count = _int(field_value(rule, "OccurrenceCount")) or 0
        return {
            "frequency": frequency,
            "interval": _int(field_value(rule, "Interval")) or 1,
            "count": count or None,  # 0: open-ended
        }
    return None


def reminder_item(record: Record, lists: dict[str, str], related: dict[str, Record]) -> JSONDict:
    """A reminder, with its list's name from ``lists`` and its alarms, tags, URL and
    rule from ``related`` (records by name)."""

    def children(field: str) -> list[Record]:
        return [related[n] for n in _child_names(record, field) if n in related]

    due, zone, all_day = _due(record)
    owner = _reference(record, "List")
    parent = _reference(record, "ParentReminder")
    alarms = [_alarm(a, related) for a in children("AlarmIDs")]
    urls = [
        field_value(a, "URL") for a in children("AttachmentIDs") if field_value(a, "Type") == "URL"
    ]
    created = field_value(record, "CreationDate") or (record.get("created") or {}).get("timestamp")
    modified = field_value(record, "LastModifiedDate") or (record.get("modified") or {}).get(
        "timestamp"
    )
    completed = bool(field_value(record, "Completed"))
    return {
        "id": reminder_id(str(record.get("recordName"))),
        "data_type": ITEM_TYPE,
        "list_id": list_id(owner) if owner else None,
        "list": lists.get(owner or ""),
        "title": _text(record, "TitleDocument") or "",
        "notes": _text(record, "NotesDocument") or "",
        "due_date": due,
        "time_zone": zone,
        "all_day": all_day,
        "alarms": [a for a in alarms if a is not None],
        "priority": _int(field_value(record, "Priority")) or 0,
        "flagged": bool(field_value(record, "Flagged")),
        "completed": completed,
        "date_completed": iso_from_ms(field_value(record, "CompletionDate")) if completed else None,
        "recurrence": _recurrence(children("RecurrenceRuleIDs")),
        "parent_id": reminder_id(parent) if parent else None,
        "url": next((u for u in urls if isinstance(u, str) and u), None),
        "tags": [t for t in (decoded_text(h, "Name") for h in children("HashtagIDs")) if t],
        "date_created": iso_from_ms(created),
        "date_modified": iso_from_ms(modified),
    }


def _modified(record: Record) -> datetime | None:
    ms = _int(field_value(record, "LastModifiedDate"))
    try:
        return datetime.fromtimestamp(ms / 1000, UTC) if ms is not None else None
    except (OverflowError, OSError, ValueError):
        return None


class _Changes:
    """What one pass over the zone's change feed brought, by record name."""

    def __init__(self) -> None:
        self.lists: dict[str, Record] = {}
        self.reminders: dict[str, Record] = {}
        self.related: dict[str, Record] = {}
        self.gone: list[str] = []  # item ids of removed lists and reminders

    def add(self, record: Record) -> None:
        name = str(record.get("recordName") or "")
        kind = record.get("recordType")
        if record.get("deleted") is True or field_value(record, "Deleted"):
            if name.startswith("List/"):
                self.gone.append(list_id(name))
            elif name.startswith("Reminder/"):
                self.gone.append(reminder_id(name))
            self.lists.pop(name, None)
            self.reminders.pop(name, None)
            return
        if kind == "List":
            self.lists[name] = record
        elif kind == "Reminder":
            self.reminders[name] = record
        elif kind in CHILD_TYPES:
            self.related[name] = record


async def _lookup(database: CloudKitDatabase, names: Iterable[str]) -> dict[str, Record]:
    wanted = list(dict.fromkeys(names))
    found: dict[str, Record] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        for record in await database.lookup(ZONE, wanted[start : start + LOOKUP_BATCH]):
            # A missing name comes back as an error entry in the same list.
            if not record.get("serverErrorCode") and not record.get("deleted"):
                found[str(record.get("recordName"))] = record
    return found


async def _complete(database: CloudKitDatabase, seen: _Changes) -> dict[str, str]:
    """Look up what the changed reminders name but the feed did not bring (an
    incremental poll's unchanged alarms, tags, lists); the list names by record name."""
    missing = [
        n
        for r in seen.reminders.values()
        for field in _CHILD_FIELDS
        for n in _child_names(r, field)
        if n not in seen.related
    ]
    seen.related.update(await _lookup(database, missing))
    triggers = [
        _record_name("AlarmTrigger", field_value(a, "TriggerID"))
        for a in seen.related.values()
        if a.get("recordType") == "Alarm" and field_value(a, "TriggerID")
    ]
    seen.related.update(await _lookup(database, [t for t in triggers if t not in seen.related]))
    owners = {_reference(r, "List") for r in seen.reminders.values()} - {None, *seen.lists}
    named = {**seen.lists, **await _lookup(database, [o for o in owners if o])}
    return {name: str(field_value(r, "Name") or "") for name, r in named.items()}


async def fetch(
    client: AppleClient, filters: Filters, set_cursor: CursorSink
) -> AsyncIterator[JSONDict]:
    database = CloudKitDatabase(client, CONTAINER, "private")
    token = cursor_token(filters.cursor, CURSOR_KEY)
    incremental = token is not None
    seen = _Changes()
    try:
        async for records, page_token in zone_changes(database, ZONE, token, RECORD_TYPES):
            token = page_token
            for record in records:
                seen.add(record)
        list_names = await _complete(database, seen)
    except errors.ServiceDisabled as exc:
        raise errors.ServiceDisabled("Reminders is not set up for this account") from exc
    for record in seen.lists.values():
        yield list_item(record)
    for record in seen.reminders.values():
        if filters.admit(_modified(record)):
            yield reminder_item(record, list_names, seen.related)
    if incremental:
        for gone in dict.fromkeys(seen.gone):
            yield removed(gone)
    if token:
        set_cursor({"zones": {CURSOR_KEY: token}})

"""The Reminders CloudKit container (``com.apple.reminders``, private database, zone
``Reminders``), as pyicloud 2026.10.1's ``RemindersService`` reads it.

Records (names ``<Type>/<UUID>``, pyicloud's synthetic fixtures): ``List`` (``Name``,
``Color``, ``Count``, ``ReminderIDs`` as a JSON array), ``Reminder`` (``TitleDocument``,
``NotesDocument``, ``List``, ``DueDate``, ``TimeZone``, ``AllDay``, ``Priority``,
``Flagged``, ``Completed``, ``CompletionDate``, ``ParentReminder``, and the raw ids of its
``Alarm``, ``Hashtag``, ``Attachment`` and ``RecurrenceRule`` records), ``Alarm`` →
``AlarmTrigger`` (``Date`` with ``DateComponentsData``, or ``Location``). The change log
holds the lists, then each reminder followed by its own records. ``records/query`` of
``reminderList`` filtered by ``List`` answers that list's reminders with their records
(pyicloud's ``list_reminders``), paged by ``continuationMarker``.

Assumed (no public capture): ``Color`` as a JSON string of the symbolic name and hex, a
shared list as a record carrying CloudKit's ``share`` reference, an all-day due date as
midnight UTC of its day without ``TimeZone`` (docs/apple-evidence.md, Reminders).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any

from cloudtap.sandbox.accounts.model import ContentSpec, SandboxAccount
from cloudtap.sandbox.cloudkit.container import (
    CloudKitError,
    Database,
    QueryReply,
    Record,
    Zone,
    register_container,
)
from cloudtap.sandbox.services import _ckzone as ck
from cloudtap.sandbox.services import reminders_wire as wire
from cloudtap.sandbox.services.content import reminders as gen
from cloudtap.sandbox.services.content.rng import item_uuid

CONTAINER = "com.apple.reminders"
ZONE = Zone("Reminders")


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _bytes(blob: bytes, kind: str = "ENCRYPTED_BYTES") -> dict[str, Any]:
    return {"value": base64.b64encode(blob).decode(), "type": kind}


def _ref(kind: str, ident: str) -> dict[str, Any]:
    return ck.reference(ZONE, f"{kind}/{ident}")


def _ids(values: list[str]) -> dict[str, Any]:
    return {"value": values, "type": "STRING_LIST"}


def list_record(spec: ContentSpec, lst: gen.ReminderList, members: list[str]) -> Record:
    color = {"ckSymbolicColorName": lst.color_name, "daHexString": lst.color_hex}
    fields = {
        "Name": ck.string(lst.name),
        "Color": ck.string(json.dumps(color)),
        "Count": ck.int64(len(members)),
        "Deleted": ck.int64(0),
        "IsGroup": ck.int64(0),
        "ReminderIDs": ck.string(json.dumps(members)),
    }
    created = 1_700_000_000_000
    record = ck.record(ZONE, f"List/{lst.id}", "List", fields, created, created)
    if lst.shared:
        share = item_uuid(spec.seed, "reminder-share", 0)
        record["share"] = {"recordName": f"Share-{share}", "zoneID": ck.zone_json(ZONE)}
    return record


def reminder_record(item: gen.Reminder) -> Record:
    fields: dict[str, Any] = {
        "TitleDocument": _bytes(wire.crdt_document(item.title)),
        "NotesDocument": _bytes(wire.crdt_document(item.notes)),
        "List": _ref("List", item.list_id),
        "Completed": ck.int64(int(item.completed)),
        "CreationDate": ck.timestamp(_ms(item.created)),
        "LastModifiedDate": ck.timestamp(_ms(item.modified)),
        "Deleted": ck.int64(0),
        "Flagged": ck.int64(int(item.flagged)),
        "AllDay": ck.int64(int(item.all_day)),
        "Priority": ck.int64(item.priority),
        "AlarmIDs": _ids([a.id for a in item.alarms]),
        "HashtagIDs": _ids([ident for ident, _ in item.tags]),
        "AttachmentIDs": _ids([item.url_id] if item.url_id else []),
        "RecurrenceRuleIDs": _ids([item.recurrence_id] if item.recurrence_id else []),
    }
    if item.completed_at:
        fields["CompletionDate"] = ck.timestamp(_ms(item.completed_at))
    if item.due is not None:
        fields["DueDate"] = ck.timestamp(_ms(item.due))
        fields["TimeZone"] = ck.string(item.time_zone or "UTC")
    elif item.due_day is not None:
        midnight = _ms_of_day(item.due_day)
        fields["DueDate"] = ck.timestamp(midnight)
    if item.parent_id:
        fields["ParentReminder"] = _ref("Reminder", item.parent_id)
    return ck.record(
        ZONE, f"Reminder/{item.id}", "Reminder", fields, _ms(item.created), _ms(item.modified)
    )


def _ms_of_day(day: date) -> int:
    return _ms(datetime.combine(day, time(0, 0), tzinfo=UTC))


def child_records(item: gen.Reminder) -> list[Record]:
    """The reminder's alarms (each with its trigger), tags, URL and recurrence rule."""
    created, modified = _ms(item.created), _ms(item.modified)
    owner = _ref("Reminder", item.id)
    out: list[Record] = []

    def add(kind: str, ident: str, fields: dict[str, Any]) -> None:
        fields.setdefault("Deleted", ck.int64(0))
        out.append(ck.record(ZONE, f"{kind}/{ident}", kind, fields, created, modified))

    for alarm in item.alarms:
        add(
            "Alarm",
            alarm.id,
            {
                "AlarmUID": ck.string(alarm.id),
                "Reminder": owner,
                "TriggerID": ck.string(alarm.trigger_id),
            },
        )
        trigger: dict[str, Any] = {"Alarm": _ref("Alarm", alarm.id)}
        if isinstance(alarm, gen.DateAlarm):
            zone = str(alarm.at.tzinfo)
            trigger["Type"] = ck.string("Date")
            trigger["DateComponentsData"] = _bytes(wire.date_components(alarm.at, zone), "BYTES")
        else:
            trigger.update(
                Type=ck.string("Location"),
                Title=ck.string(alarm.title),
                Address=ck.string(alarm.address),
                Latitude=ck.double(alarm.latitude),
                Longitude=ck.double(alarm.longitude),
                Radius=ck.double(alarm.radius),
                Proximity=ck.int64(alarm.proximity),
                LocationUID=ck.string(alarm.trigger_id),
            )
        add("AlarmTrigger", alarm.trigger_id, trigger)
    for ident, name in item.tags:
        add(
            "Hashtag",
            ident,
            {
                "Name": ck.encrypted(name),
                "Reminder": owner,
                "CreationDate": ck.timestamp(created),
            },
        )
    if item.url and item.url_id:
        add(
            "Attachment",
            item.url_id,
            {
                "Type": ck.string("URL"),
                "URL": ck.string(item.url),
                "UTI": ck.string("public.url"),
                "Reminder": owner,
            },
        )
    if item.recurrence and item.recurrence_id:
        rule = item.recurrence
        add(
            "RecurrenceRule",
            item.recurrence_id,
            {
                "Reminder": owner,
                "Frequency": ck.int64(rule.frequency),
                "Interval": ck.int64(rule.interval),
                "OccurrenceCount": ck.int64(rule.count),
                "FirstDayOfTheWeek": ck.int64(0),
            },
        )
    return out


class _Zone:
    """The account's records in change-log order (a few dozen: built whole, kept)."""

    def __init__(self, spec: ContentSpec) -> None:
        world = gen.world(spec)
        self.records: list[Record] = [
            list_record(spec, lst, [r.id for r in world.of_list(lst.id)]) for lst in world.lists
        ]
        self.groups: dict[str, list[Record]] = {}
        for item in world.reminders:
            group = [reminder_record(item), *child_records(item)]
            self.groups[item.id] = group
            self.records += group
        self.world = world
        self.by_name = {str(r["recordName"]): r for r in self.records}


@lru_cache(maxsize=32)
def _zone(spec: ContentSpec) -> _Zone:
    return _Zone(spec)


class _Layout:
    def __init__(self, account: SandboxAccount) -> None:
        self.zone = _zone(account.content)
        self.total = len(self.zone.records)
        self.check = ck.zone_check(CONTAINER, account.dsid, account.content, self.total)

    def type_at(self, position: int) -> str:
        return str(self.zone.records[position]["recordType"])

    def record_at(self, position: int) -> Record:
        return self.zone.records[position]


class RemindersContainer(ck.ChangeLogContainer):
    name = CONTAINER
    zone = ZONE
    layout = _Layout

    def query(
        self, account: SandboxAccount, database: Database, zone: Zone, body: dict[str, Any]
    ) -> QueryReply:
        query = body.get("query") or {}
        if query.get("recordType") != "reminderList":
            return QueryReply([])
        list_name = _filter(query, "List")
        if list_name is None:
            return QueryReply([])  # pyicloud's sync-token probe: only the token matters
        if not isinstance(list_name, dict) or not isinstance(list_name.get("recordName"), str):
            raise CloudKitError("BAD_REQUEST", "List must be a reference")
        include_completed = bool(_filter(query, "includeCompleted"))
        state = _zone(account.content)
        list_id = str(list_name["recordName"]).removeprefix("List/")
        members = [r for r in state.world.of_list(list_id) if include_completed or not r.completed]
        offset = ck.query_offset(body.get("continuationMarker"))
        limit = ck.results_limit(body)
        page = members[offset : offset + limit]
        records = [record for item in page for record in state.groups[item.id]]
        end = offset + len(page)
        return QueryReply(records, ck.query_marker(end) if end < len(members) else None)

    def lookup(
        self, account: SandboxAccount, database: Database, zone: Zone, names: list[str]
    ) -> Iterator[Record]:
        by_name = _zone(account.content).by_name
        for name in names:
            if name in by_name:
                yield by_name[name]


def _filter(query: dict[str, Any], field: str) -> Any:
    for flt in query.get("filterBy") or []:
        if isinstance(flt, dict) and flt.get("fieldName") == field:
            value = flt.get("fieldValue")
            if not isinstance(value, dict):
                raise CloudKitError("BAD_REQUEST", "filterBy.fieldValue must be an object")
            return value.get("value")
    return None


register_container(RemindersContainer())

"""An incremental listing whose change feed brings a changed reminder without its
unchanged alarms, tags, URL, rule or list: those are looked up (real sandbox records,
served by a stand-in for our own CloudKit client's ``lookup``), so the item is whole."""

from __future__ import annotations

from typing import Any, cast

from cloudtap.icloud.datatypes import cloudkit_reminders as reminders
from cloudtap.icloud.services.cloudkit import CloudKitDatabase
from cloudtap.sandbox.accounts.model import ContentSpec
from cloudtap.sandbox.services import reminders as sandbox
from cloudtap.sandbox.services.content import reminders as gen

SPEC = ContentSpec(seed=11, reminders="rich")


class _Lookups:
    """Answers ``records/lookup`` from the sandbox zone, as the server would: an error
    entry for a missing name."""

    def __init__(self) -> None:
        self.by_name = dict(sandbox._zone(SPEC).by_name)  # a copy: the zone is cached
        self.asked: list[list[str]] = []

    async def lookup(self, zone: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
        self.asked.append(names)
        return [
            self.by_name.get(n) or {"recordName": n, "serverErrorCode": "NOT_FOUND"} for n in names
        ]


async def test_a_changed_reminder_alone_is_completed_by_lookups() -> None:
    world = gen.world(SPEC)
    rent = next(r for r in world.reminders if r.title == "Pay rent")
    lookups = _Lookups()
    full = reminders._Changes()
    for record in sandbox._zone(SPEC).records:
        full.add(record)
    names = await reminders._complete(cast(CloudKitDatabase, lookups), full)
    expected = reminders.reminder_item(full.reminders[f"Reminder/{rent.id}"], names, full.related)
    assert lookups.asked == []  # a full feed needs no lookups

    alone = reminders._Changes()
    alone.add(lookups.by_name[f"Reminder/{rent.id}"])
    names = await reminders._complete(cast(CloudKitDatabase, lookups), alone)
    item = reminders.reminder_item(alone.reminders[f"Reminder/{rent.id}"], names, alone.related)
    assert item == expected
    assert item["alarms"] and item["tags"] and item["url"] and item["recurrence"] and item["list"]
    # Alarms, tags, URL and rule in one call; the alarm's trigger and the list in more.
    assert len(lookups.asked) == 3


async def test_a_named_record_apple_no_longer_has_is_left_out() -> None:
    world = gen.world(SPEC)
    rent = next(r for r in world.reminders if r.title == "Pay rent")
    lookups = _Lookups()
    for tag_id, _ in rent.tags:
        del lookups.by_name[f"Hashtag/{tag_id}"]
    alone = reminders._Changes()
    alone.add(lookups.by_name[f"Reminder/{rent.id}"])
    names = await reminders._complete(cast(CloudKitDatabase, lookups), alone)
    item = reminders.reminder_item(alone.reminders[f"Reminder/{rent.id}"], names, alone.related)
    assert item["tags"] == [] and item["url"] == rent.url


def test_a_soft_deleted_or_removed_record_is_gone_not_an_item() -> None:
    zone = sandbox._zone(SPEC)
    reminder = next(r for r in zone.records if r["recordType"] == "Reminder")
    listed = next(r for r in zone.records if r["recordType"] == "List")
    seen = reminders._Changes()
    seen.add(reminder)
    # Deleted on a device: the record comes again with Deleted 1 (pyicloud's delete()).
    seen.add({**reminder, "fields": {**reminder["fields"], "Deleted": {"value": 1}}})
    seen.add({"recordName": listed["recordName"], "deleted": True})  # a tombstone
    assert seen.reminders == {} and seen.lists == {}
    assert seen.gone == [
        reminders.reminder_id(reminder["recordName"]),
        reminders.list_id(listed["recordName"]),
    ]

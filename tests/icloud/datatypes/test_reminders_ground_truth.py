"""``cloudkit_reminders.reminders`` against the sandbox world's own reminders (its content
generator, not the wire): every published field of lists and reminders, due dates in
time zones on both sides of UTC and all-day ones, alarms, recurrence, subtasks, URL,
tags; an incremental poll with nothing changed publishes nothing."""

# The live-sandbox fixtures are imported from tests/icloud/client, hence F401/F811.
# ruff: noqa: F401, F811

from __future__ import annotations

from datetime import UTC
from typing import Any

from cloudtap.icloud.client.connector import ICloudConnector
from cloudtap.icloud.connector import Filters
from cloudtap.icloud.datatypes.common import iso, stable_id
from cloudtap.sandbox.runtime import RunningSandbox
from cloudtap.sandbox.services.content import reminders as gen
from tests.icloud.client.conftest import connector, requests_made, sandbox, transport
from tests.icloud.datatypes.sandbox_session import items, session, world_account

ACCOUNT = "rich"
DATA_TYPE = "cloudkit_reminders.reminders"
FREQUENCIES = {
    gen.DAILY: "daily",
    gen.WEEKLY: "weekly",
    gen.MONTHLY: "monthly",
    gen.YEARLY: "yearly",
}


def _list(lst: gen.ReminderList, world: gen.World) -> dict[str, Any]:
    return {
        "id": stable_id("reminder_list", f"List/{lst.id}"),
        "data_type": "cloudkit_reminders.list",
        "name": lst.name,
        "color": lst.color_hex,
        "shared": lst.shared,
        "count": len(world.of_list(lst.id)),
    }


def _alarm(alarm: gen.Alarm) -> dict[str, Any]:
    if isinstance(alarm, gen.DateAlarm):
        return {
            "type": "date",
            "date": alarm.at.isoformat(timespec="seconds"),
            "time_zone": str(alarm.at.tzinfo),
        }
    return {
        "type": "location",
        "title": alarm.title,
        "address": alarm.address,
        "latitude": alarm.latitude,
        "longitude": alarm.longitude,
        "radius": alarm.radius,
        "proximity": {gen.ARRIVING: "arriving", gen.LEAVING: "leaving"}[alarm.proximity],
    }


def _reminder(item: gen.Reminder, world: gen.World) -> dict[str, Any]:
    lst = next(lst for lst in world.lists if lst.id == item.list_id)
    rule = item.recurrence
    due = item.due.isoformat(timespec="seconds") if item.due else None
    return {
        "id": stable_id("reminder", f"Reminder/{item.id}"),
        "data_type": "cloudkit_reminders.reminder",
        "list_id": stable_id("reminder_list", f"List/{lst.id}"),
        "list": lst.name,
        "title": item.title,
        "notes": item.notes,
        "due_date": item.due_day.isoformat() if item.due_day else due,
        "time_zone": item.time_zone,
        "all_day": item.all_day,
        "alarms": [_alarm(a) for a in item.alarms],
        "priority": item.priority,
        "flagged": item.flagged,
        "completed": item.completed,
        "date_completed": iso(item.completed_at) if item.completed_at else None,
        "recurrence": {
            "frequency": FREQUENCIES[rule.frequency],
            "interval": rule.interval,
            "count": rule.count or None,
        }
        if rule
        else None,
        "parent_id": stable_id("reminder", f"Reminder/{item.parent_id}")
        if item.parent_id
        else None,
        "url": item.url,
        "tags": [name for _, name in item.tags],
        "date_created": iso(item.created),
        "date_modified": iso(item.modified),
    }


async def test_every_list_and_reminder_field_matches_the_world(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    world = gen.world(world_account(sandbox, ACCOUNT).content)
    expected = {e["id"]: e for e in (_list(lst, world) for lst in world.lists)}
    expected |= {e["id"]: e for e in (_reminder(r, world) for r in world.reminders)}
    published = await items(connector, await session(connector, ACCOUNT), DATA_TYPE)
    assert len(published) == len(expected) == len(world.lists) + len(world.reminders)
    for item in published:
        assert item == expected[item["id"]], item["id"]
    # Lists come first, so a reader knows every list before its reminders.
    kinds = [item["data_type"] for item in published]
    assert kinds == sorted(kinds)  # "...list" < "...reminder"
    # Time zones on both sides of UTC, as the published strings say.
    offsets = {r["due_date"][-6:] for r in published if r.get("time_zone")}
    assert {"-08:00", "+09:00", "+13:00"} <= offsets
    assert any(r.get("all_day") and len(r["due_date"]) == 10 for r in published)
    assert all(r.get("date_created", "Z").endswith("Z") for r in published)
    assert any(r["data_type"].endswith("list") and r["shared"] for r in published)
    assert {u.tzinfo for u in [world.reminders[0].created]} == {UTC}


async def test_a_repeat_poll_from_the_cursor_publishes_nothing(
    connector: ICloudConnector, sandbox: RunningSandbox
) -> None:
    state = await session(connector, ACCOUNT)
    first = connector.fetch_items(state, DATA_TYPE, Filters())
    listed = [item async for item in first]
    assert listed and first.cursor
    again = connector.fetch_items(state, DATA_TYPE, Filters(cursor=first.cursor))
    assert [item async for item in again] == []
    assert list(getattr(again, "deleted", [])) == []

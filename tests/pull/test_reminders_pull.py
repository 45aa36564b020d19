"""``cloudtap pull --data-types cloudkit_reminders.reminders`` of rich@ as a user runs it,
twice: one ICS file of VTODOs per list, read back with icalendar equal to the sandbox
world's reminders (every field); the second pull lists only changes, fetches nothing and
leaves the files as they were; a reminder deleted on Apple's side meanwhile is recorded."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from icalendar import Calendar

from cloudtap.icloud.datatypes.cloudkit_reminders import reminder_id
from cloudtap.sandbox.services import _ckzone
from cloudtap.sandbox.services.content import reminders as gen
from cloudtap.sandbox.services.reminders import CONTAINER
from tests.pull.sandbox_world import PASSWORD, PullSandbox, run_pull

ACCOUNT = "rich@sandbox.cloudtap.dev"
DATA_TYPE = "cloudkit_reminders.reminders"
FREQUENCIES = {
    gen.DAILY: "DAILY",
    gen.WEEKLY: "WEEKLY",
    gen.MONTHLY: "MONTHLY",
    gen.YEARLY: "YEARLY",
}


def _pull(sandbox: PullSandbox, tmp_path: Path, root: Path) -> dict[str, Any]:
    env = {**sandbox.env(tmp_path), "CT_TEST_PASSWORD": PASSWORD}
    done = run_pull(
        env, ACCOUNT, "--to", str(root), "--password-env", "CT_TEST_PASSWORD",
        "--data-types", DATA_TYPE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    manifest: dict[str, Any] = json.loads((root / "manifest.json").read_text())
    return manifest


def _alarm_read(valarm: Any) -> tuple[Any, ...]:
    if valarm.get("proximity"):
        place = valarm["x-apple-structured-location"]
        lat, lon = str(place).removeprefix("geo:").split(",")
        return (
            "location",
            place.params["X-TITLE"],
            place.params["X-ADDRESS"],
            float(lat),
            float(lon),
            float(place.params["X-APPLE-RADIUS"]),
            {"ARRIVE": gen.ARRIVING, "DEPART": gen.LEAVING}[str(valarm["proximity"])],
        )
    return ("date", valarm.decoded("trigger"), str(valarm["x-cloudtap-time-zone"]))


def _alarm_world(alarm: gen.Alarm) -> tuple[Any, ...]:
    if isinstance(alarm, gen.DateAlarm):
        return ("date", alarm.at.astimezone(UTC), str(alarm.at.tzinfo))
    return (
        "location",
        alarm.title,
        alarm.address,
        alarm.latitude,
        alarm.longitude,
        alarm.radius,
        alarm.proximity,
    )


def _rule(rule: Any) -> tuple[str, int, int] | None:
    if not rule:
        return None
    count = int(rule["COUNT"][0]) if "COUNT" in rule else 0
    return str(rule["FREQ"][0]), int(rule["INTERVAL"][0]), count


def _read_back(root: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Lists by name and reminders by uid, as icalendar reads the files."""
    lists: dict[str, dict[str, Any]] = {}
    todos: dict[str, dict[str, Any]] = {}
    for path in sorted((root / "reminders").glob("*.ics")):
        cal = Calendar.from_ical(path.read_bytes())
        name = str(cal["x-wr-calname"])
        assert name not in lists, name
        lists[name] = {
            "color": str(cal["x-apple-calendar-color"]),
            "shared": str(cal["x-cloudtap-shared"]) == "TRUE",
            "count": 0,
        }
        for found in cal.walk("VTODO"):
            todo: Any = found  # icalendar's property union has no common interface
            lists[name]["count"] += 1
            due = todo.decoded("due") if "due" in todo else None
            related = todo.get("related-to")
            rule = todo.get("rrule")
            todos[str(todo["uid"])] = {
                "list": name,
                "title": str(todo["summary"]),
                "notes": str(todo.get("description", "")),
                "due": due,
                "time_zone": str(due.tzinfo) if isinstance(due, datetime) else None,
                "priority": int(todo["priority"]),
                "flagged": str(todo.get("x-cloudtap-flagged", "")) == "TRUE",
                "completed": todo.decoded("completed") if "completed" in todo else None,
                "status": str(todo["status"]),
                "recurrence": _rule(rule),
                "parent": str(related) if related else None,
                "url": str(todo["url"]) if "url" in todo else None,
                "tags": [str(c) for c in todo["categories"].cats] if "categories" in todo else [],
                "alarms": [_alarm_read(a) for a in todo.walk("VALARM")],
                "created": todo.decoded("created"),
                "modified": todo.decoded("last-modified"),
            }
    return lists, todos


def _expected(item: gen.Reminder, world: gen.World) -> dict[str, Any]:
    lst = next(lst for lst in world.lists if lst.id == item.list_id)
    rule = item.recurrence
    due: date | datetime | None = item.due_day if item.due_day else item.due
    return {
        "list": lst.name,
        "title": item.title,
        "notes": item.notes,
        "due": due,
        "time_zone": item.time_zone,
        "priority": item.priority,
        "flagged": item.flagged,
        "completed": item.completed_at,
        "status": "COMPLETED" if item.completed else "NEEDS-ACTION",
        "recurrence": (FREQUENCIES[rule.frequency], rule.interval, rule.count) if rule else None,
        "parent": reminder_id(f"Reminder/{item.parent_id}") if item.parent_id else None,
        "url": item.url,
        "tags": [name for _, name in item.tags],
        "alarms": [_alarm_world(a) for a in item.alarms],
        "created": item.created,
        "modified": item.modified,
    }


def test_reminders_pull_twice_round_trips_every_field(
    pull_sandbox: PullSandbox, tmp_path: Path
) -> None:
    root = tmp_path / "copy"
    account = pull_sandbox.account(ACCOUNT)
    world = gen.world(account.content)
    manifest = _pull(pull_sandbox, tmp_path, root)
    entry = manifest["data_types"][DATA_TYPE]
    assert "error" not in entry and entry["count"] == len(world.lists) + len(world.reminders)

    lists, todos = _read_back(root)
    assert lists == {
        lst.name: {
            "color": lst.color_hex,
            "shared": lst.shared,
            "count": len(world.of_list(lst.id)),
        }
        for lst in world.lists
    }
    expected = {reminder_id(f"Reminder/{r.id}"): _expected(r, world) for r in world.reminders}
    assert todos.keys() == expected.keys()
    for uid, todo in todos.items():
        assert todo == expected[uid], uid
    # Zones on both sides of UTC came back as zones, all-day ones as dates.
    zones = {t["time_zone"] for t in todos.values() if t["time_zone"]}
    assert {"America/Los_Angeles", "Asia/Tokyo", "Pacific/Auckland"} <= zones
    assert any(type(t["due"]) is date for t in todos.values())

    # Second pull: changes only, nothing fetched, the files unchanged.
    before = {p.name: p.read_bytes() for p in (root / "reminders").glob("*.ics")}
    exchanges_before = len(pull_sandbox.running.exchanges())
    manifest = _pull(pull_sandbox, tmp_path, root)
    run = manifest["runs"][-1]
    report = run["data_types"][DATA_TYPE]
    assert report["mode"] == "changes" and report["listed"] == 0, report
    assert run["files_fetched"] == 0
    assert {p.name: p.read_bytes() for p in (root / "reminders").glob("*.ics")} == before
    apple = [
        e for e in pull_sandbox.running.exchanges()[exchanges_before:] if "ckdatabasews" in e.host
    ]
    assert 1 <= len(apple) <= 2, [e.path for e in apple]  # one changes/zone

    # A reminder deleted on a device: the next pull records it, the copy keeps it.
    victim = next(r for r in world.reminders if r.title == "Milk")
    _ckzone.delete_record(pull_sandbox.world, account.dsid, CONTAINER, f"Reminder/{victim.id}")
    manifest = _pull(pull_sandbox, tmp_path, root)
    assert list(manifest["data_types"][DATA_TYPE]["deleted"]) == [
        reminder_id(f"Reminder/{victim.id}")
    ]

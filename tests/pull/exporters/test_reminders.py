"""Reminders as ICS files: one per list, a renamed list's old file goes, a list the copy
does not know still gets its reminders' file, a floating alarm or unknown zone is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar

from cloudtap.pull.exporters import Item
from cloudtap.pull.exporters.reminders import export

LIST: Item = {
    "id": "1111111aaaa",
    "data_type": "cloudkit_reminders.list",
    "name": "Home / Garden",
    "color": "#FF2968",
    "shared": False,
    "count": 1,
}
REMINDER: Item = {
    "id": "2222222bbbb",
    "data_type": "cloudkit_reminders.reminder",
    "list_id": "1111111aaaa",
    "list": "Home / Garden",
    "title": "Prune roses",
    "notes": "",
    "due_date": "2026-03-01T09:00:00+01:00",
    "time_zone": "Not/AZone",
    "all_day": False,
    "alarms": [{"type": "date", "date": "2026-03-01T08:30:00", "time_zone": None}],
    "priority": 0,
    "flagged": False,
    "completed": False,
    "date_completed": None,
    "recurrence": None,
    "parent_id": None,
    "url": None,
    "tags": [],
    "date_created": "2026-01-01T00:00:00.000000Z",
    "date_modified": "2026-01-02T00:00:00.000000Z",
}


def _names(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "reminders").glob("*.ics"))


def test_one_file_per_list_and_a_renamed_list_replaces_its_file(tmp_path: Path) -> None:
    assert export(tmp_path, {"l": LIST, "r": REMINDER}, {}) == []
    assert _names(tmp_path) == ["Home _ Garden-1111111.ics"]
    cal = Calendar.from_ical((tmp_path / "reminders" / "Home _ Garden-1111111.ics").read_bytes())
    todo = cal.walk("VTODO")[0]
    assert str(cal["x-wr-calname"]) == "Home / Garden" and str(todo["summary"]) == "Prune roses"
    # An unknown zone keeps the instant (in UTC, never floating); the alarm is kept.
    assert todo.decoded("due") == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert len(cal.walk("VALARM")) == 1
    export(tmp_path, {"l": {**LIST, "name": "Garden"}, "r": REMINDER}, {})
    assert _names(tmp_path) == ["Garden-1111111.ics"]


def test_reminders_of_a_list_not_in_the_copy_still_get_a_file(tmp_path: Path) -> None:
    assert export(tmp_path, {"r": REMINDER}, {}) == []
    assert _names(tmp_path) == ["Home _ Garden-1111111.ics"]

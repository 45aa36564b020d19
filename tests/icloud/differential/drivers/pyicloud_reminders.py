"""pyicloud's view of an account's reminders, for the differential test.

Usage: pyicloud_reminders.py APPLE_ID PASSWORD COOKIE_DIR
Prints one JSON line: ``{"lists": [...], "reminders": [...]}`` as unmodified pyicloud
2026.10.1's ``RemindersService.lists()`` and ``reminders()`` read them.
"""

import json
import sys
from datetime import datetime
from typing import Any

from pyicloud import PyiCloudService


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def main() -> None:
    apple_id, password, cookie_dir = sys.argv[1:4]
    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir)
    service = api.reminders
    lists: list[dict[str, Any]] = [
        {"id": lst.id, "title": lst.title, "color": lst.color, "count": lst.count}
        for lst in service.lists()
    ]
    reminders = [
        {
            "id": r.id,
            "list_id": r.list_id,
            "title": r.title,
            "desc": r.desc,
            "due_date": _iso(r.due_date),
            "time_zone": r.time_zone,
            "all_day": r.all_day,
            "completed": r.completed,
            "completed_date": _iso(r.completed_date),
            "parent": r.parent_reminder_id,
        }
        for r in service.reminders()
    ]
    print(json.dumps({"lists": lists, "reminders": reminders}))


if __name__ == "__main__":
    main()

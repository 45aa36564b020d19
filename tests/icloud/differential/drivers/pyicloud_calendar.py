"""pyicloud's view of a calendar: every event between two dates, in one get_events call.

Usage: pyicloud_calendar.py APPLE_ID PASSWORD COOKIE_DIR FROM TO ZONE
(FROM/TO are YYYY-MM-DD; ZONE is the machine's zone, which pyicloud sends as ``usertz``.)
Prints one JSON line. pyicloud hands Apple's date arrays back unchanged; the moments are
read the way its users read them (Home Assistant's iCloud calendar, for one): the
``localStartDate``/``localEndDate`` wall-clock in the zone pyicloud asked in, all-day
events as dates.
"""

import json
import os
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo


def wall_clock(parts: list[int]) -> datetime:
    """Apple's date array ``[yyyymmdd, year, month, day, hour, minute, minutes]``."""
    year, month, day, hour, minute = (int(p) for p in parts[1:6])
    return datetime(year, month, day, hour, minute)


def main() -> None:
    apple_id, password, cookie_dir, first, last, zone = sys.argv[1:7]
    os.environ["TZ"] = zone  # the machine's zone: what pyicloud sends as usertz
    time.tzset()

    from pyicloud import PyiCloudService
    from tzlocal import get_localzone_name

    api = PyiCloudService(apple_id, password, cookie_directory=cookie_dir, refresh_interval=None)
    service = api.calendar
    names = {c["guid"]: c["title"] for c in service.get_calendars()}
    usertz = ZoneInfo(get_localzone_name())
    events = service.get_events(
        from_dt=datetime.fromisoformat(first), to_dt=datetime.fromisoformat(last)
    )
    out = []
    for e in events:
        if e.get("allDay"):
            start = wall_clock(e["startDate"]).date().isoformat()
            end = wall_clock(e["endDate"]).date().isoformat()
        else:
            start = wall_clock(e["localStartDate"]).replace(tzinfo=usertz).isoformat()
            end = wall_clock(e["localEndDate"]).replace(tzinfo=usertz).isoformat()
        out.append(
            {
                "guid": e["guid"],
                "title": e.get("title"),
                "calendar": names.get(e.get("pGuid")),
                "all_day": bool(e.get("allDay")),
                "start": start,
                "end": end,
            }
        )
    print(json.dumps({"usertz": str(usertz), "events": out}))


if __name__ == "__main__":
    main()

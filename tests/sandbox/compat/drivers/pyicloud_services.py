"""Drive unmodified pyicloud's Find My, contacts, calendar, notes and account services.

Usage: pyicloud_services.py APPLE_ID PASSWORD COOKIE_DIR LOCATE_WAIT_SECONDS
Prints what the client saw as one JSON line.
"""

import hashlib
import json
import sys
import time
from typing import Any

from pyicloud import PyiCloudService


def find_my(api: PyiCloudService, wait: float) -> dict[str, Any]:
    devices = api.devices  # initClient: asks the devices to report
    first = [d.location is not None for d in devices]
    time.sleep(wait)
    devices.refresh(locate=True)  # refreshClient, 10-30 s later on real iCloud
    later = [
        {
            "name": d.name,
            "class": d.data.get("deviceClass"),
            "battery": d.data.get("batteryLevel"),
            "status": d.data.get("batteryStatus"),
            "location": d.location,
        }
        for d in devices
    ]
    return {
        "located_at_first": sum(first),
        "devices": later,
        "members": len((devices.user_info or {}).get("membersInfo", {})),
    }


def contacts(api: PyiCloudService) -> dict[str, Any]:
    everyone = api.contacts.all or []
    me = api.contacts.me
    return {
        "count": len(everyone),
        "first": {k: everyone[0].get(k) for k in ("firstName", "lastName", "phones", "emails")},
        "with_photo": sum(1 for c in everyone if c.get("photo")),
        "me": str(me),
    }


def calendar(api: PyiCloudService) -> dict[str, Any]:
    service = api.calendar
    events = service.get_events()  # this month
    objects = service.get_events(as_objs=True)
    calendars = service.get_calendars()
    detail = service.get_event_detail(events[0]["pGuid"], events[0]["guid"]) if events else None
    return {
        "count": len(events),
        "titles": sorted({e["title"] for e in events})[:10],
        "all_day": sum(1 for e in events if e.get("allDay")),
        "zones": sorted({e.get("tz") for e in events}),
        "object_durations": [o.duration for o in objects[:5]],
        "calendars": [c["title"] for c in calendars],
        "detail_title": detail.get("title") if detail else None,
        "first_title": events[0]["title"] if events else None,
    }


def notes(api: PyiCloudService) -> dict[str, Any]:
    service = api.notes
    recents = list(service.recents(limit=30))
    folders = list(service.folders())
    readable = next(n for n in recents if not n.is_locked and not n.is_deleted)
    note = service.get(readable.id, with_attachments=True)
    with_attachment = next(
        (
            n
            for n in recents
            if not n.is_locked
            and not n.is_deleted
            and service.get(n.id).text
            and "\ufffc" in service.get(n.id).text
        ),
        None,
    )
    attachments = (
        service.get(with_attachment.id, with_attachments=True).attachments
        if with_attachment
        else []
    )
    locked = next((n for n in recents if n.is_locked), None)
    locked_error = None
    if locked is not None:
        try:
            service.get(locked.id)
        except Exception as exc:  # the test asserts on the class name
            locked_error = type(exc).__name__
    every = list(service.iter_all())
    return {
        "recent_count": len(recents),
        "recent_titles": [n.title for n in recents[:5]],
        "recent_times": [n.modified_at.isoformat() for n in recents if n.modified_at],
        "folders": sorted(f.name for f in folders if f.name),
        "nested": sum(1 for f in folders if f.parent_id),
        "title": note.title,
        "text": note.text,
        "folder_name": note.folder_name,
        "attachments": [
            {
                "id": a.id,
                "uti": a.uti,
                "filename": a.filename,
                "size": a.size,
                # pyicloud's own download of the attachment's asset
                "md5": hashlib.md5(b"".join(service.stream_attachment(a))).hexdigest(),
            }
            for a in attachments or []
        ],
        "locked_error": locked_error,
        "all_count": len(every),
        "deleted": sum(1 for n in every if n.is_deleted),
    }


def account(api: PyiCloudService) -> dict[str, Any]:
    service = api.account
    return {
        "devices": len(service.devices),
        "family": len(service.family),
        "used": service.storage.usage.used_storage_in_bytes,
    }


def main() -> None:
    apple_id, password, cookie_dir, wait = sys.argv[1:5]
    api = PyiCloudService(
        apple_id,
        password,
        cookie_directory=cookie_dir,
        with_family=True,
        refresh_interval=None,
    )
    out = {
        "find_my": find_my(api, float(wait)),
        "contacts": contacts(api),
        "calendar": calendar(api),
        "notes": notes(api),
        "account": account(api),
    }
    print(json.dumps(out, default=str))


if __name__ == "__main__":
    main()

"""Photos → a date tree like icloudpd's: originals and their live-photo videos side by
side in ``photos/YYYY/MM/DD/``, edited renders in ``photos-edited/…`` and RAW (Apple's
alternative original) in ``photos-raw/…``; the capture time is set as each file's mtime.

Folders are the capture's day in the machine's local time zone, as icloudpd's are (its
``base.py`` formats ``photo.created.astimezone(get_localzone())``), or in UTC on request."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from cloudtap.pull.exporters import Item, Wanted, safe_extension, safe_name

DATA_TYPE = "icpl.photos"
DEFAULT_FOLDERS = "{:%Y/%m/%d}"
TIME_ZONES = ("local", "utc")
# The resource letter at the end of an ``icpl://`` id → (kind, top folder).
KINDS = {"o": ("original", "photos"), "v": ("live", "photos"), "f": ("edited", "photos-edited")}
KINDS["a"] = ("raw", "photos-raw")


def resource_letter(file_id: str) -> str | None:
    """``icpl://<base64url of scope:zone:record:letter>`` → the letter."""
    payload = file_id.removeprefix("icpl://")
    try:
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.rsplit(":", 1)[-1] if ":" in decoded else None


def captured(item: Item) -> datetime | None:
    value = item.get("date_created") or item.get("date_uploaded")
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def folder(moment: datetime | None, structure: str, time_zone: str = "local") -> str:
    """icloudpd's ``--folder-structure``: ``{:%Y/%m/%d}`` (or plain ``%Y/%m/%d``), or
    ``none`` for one flat folder. Dates are the capture time in the machine's local
    zone (``TZ`` honoured), or in UTC when ``time_zone`` is ``"utc"``."""
    if time_zone not in TIME_ZONES:
        raise ValueError(f"folder time zone must be one of {', '.join(TIME_ZONES)}")
    if structure.lower() == "none" or moment is None:
        return ""
    pattern = structure if "{" in structure else "{:" + structure + "}"
    day = moment.astimezone(UTC) if time_zone == "utc" else moment.astimezone()
    return str(PurePosixPath(pattern.format(day)))


def wanted(item: Item, structure: str = DEFAULT_FOLDERS, time_zone: str = "local") -> list[Wanted]:
    moment = captured(item)
    subdir = folder(moment, structure, time_zone)
    name = safe_name(item.get("filename"), str(item.get("id")))  # never a path
    stem = name.rsplit(".", 1)[0] if "." in name else name
    upper = name != name.lower() and name.rsplit(".", 1)[-1].isupper()
    mtime = moment.timestamp() if moment else None
    out = []
    for file in item.get("files") or []:
        file_id = str(file.get("id") or "")
        kind = KINDS.get(resource_letter(file_id) or "")
        if kind is None:
            continue  # medium and thumbnail renditions are not part of the copy
        label, top = kind
        if label == "original":
            filename = name
        else:
            ext = safe_extension(file.get("extension"), "bin")
            filename = f"{stem}.{ext.upper() if upper else ext}"
        path = "/".join(p for p in (top, subdir, filename) if p)
        out.append(Wanted(file_id, path, mtime, label))
    return out


def export(root: Path, items: dict[str, Item], files: dict[str, str]) -> None:
    """Photos are their files: nothing else to write."""

"""Redaction inside a date alarm's ``DateComponentsData`` (an ``NSKeyedArchiver``
binary plist of ``NSDateComponents``): its day moves by the capture's one offset (the
wall clock and the zone are kept), every other string is redacted as free text (class
names aside) and any data but a time zone file is emptied; the archive is written
again, so the replay reads the alarm as cloudtap reads Apple's."""

from __future__ import annotations

import plistlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

_CLASS_KEYS = frozenset({"$classname", "$classes"})


def redact_date_components(
    blob: bytes, shift_days: int, text: Callable[[str], str]
) -> bytes | None:
    """The archive with its day shifted, or ``None`` when it is no such archive."""
    try:
        archive = plistlib.loads(blob)
    except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError):
        return None
    if not isinstance(archive, dict) or archive.get("$archiver") != "NSKeyedArchiver":
        return None
    objects = archive.get("$objects")
    if not isinstance(objects, list):
        return None
    archive["$objects"] = [_object(o, text) for o in objects]
    for found in archive["$objects"]:
        if isinstance(found, dict) and not _shift_day(found, shift_days):
            return None
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)


def _object(value: Any, text: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return value if value == "$null" else text(value)
    if isinstance(value, bytes):
        return value if value.startswith(b"TZif") else b""  # a zone's public rules
    if isinstance(value, dict):
        return {k: v if k in _CLASS_KEYS else _object(v, text) for k, v in value.items()}
    if isinstance(value, list):
        return [_object(v, text) for v in value]
    return value


def _shift_day(components: dict[str, Any], shift_days: int) -> bool:
    """Moves ``NS.year``/``NS.month``/``NS.day`` when all three are there; False when
    they make no date (the archive is then not trusted)."""
    year, month, day = (components.get(f"NS.{k}") for k in ("year", "month", "day"))
    if not (isinstance(year, int) and isinstance(month, int) and isinstance(day, int)):
        return True
    try:
        moved = date(year, month, day) + timedelta(days=shift_days)
    except (ValueError, OverflowError):
        return False
    components["NS.year"], components["NS.month"], components["NS.day"] = (
        moved.year,
        moved.month,
        moved.day,
    )
    return True

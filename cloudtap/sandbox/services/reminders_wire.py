"""How Reminders packs values into CloudKit fields, as pyicloud 2026.10.1 reads them.

* ``TitleDocument`` / ``NotesDocument``: zlib of a ``versioned_document.Document`` whose
  first ``Version.data`` is a topotext ``String`` with the text in field 2 (pyicloud's
  ``reminders.proto`` and ``versioned_document.proto``). Encoded by hand: three
  length-delimited fields and two varints.
* ``DateComponentsData`` of a date alarm: an ``NSKeyedArchiver`` binary plist of an
  ``NSDateComponents`` with its ``NS.timezone`` (pyicloud's
  ``reminders_query_alarm_date_trigger_response.json``).
"""

from __future__ import annotations

import plistlib
import zlib
from datetime import datetime


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _field_int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def crdt_document(text: str) -> bytes:
    """A one-version document holding ``text`` (no replica history: a fresh document)."""
    string = _field_bytes(2, text.encode())
    version = _field_int(1, 1) + _field_int(2, 0) + _field_bytes(3, string)
    return zlib.compress(_field_int(1, 1) + _field_bytes(2, version))


def date_components(moment: datetime, zone: str) -> bytes:
    """``moment``'s wall-clock fields in ``zone``, archived as Reminders stores them."""
    objects: list[object] = [
        "$null",
        {
            "$class": plistlib.UID(4),
            "NS.year": moment.year,
            "NS.month": moment.month,
            "NS.day": moment.day,
            "NS.hour": moment.hour,
            "NS.minute": moment.minute,
            "NS.second": moment.second,
            "NS.leapMonth": False,
            "NS.repeatedDay": False,
            "NS.timezone": plistlib.UID(2),
        },
        {"$class": plistlib.UID(5), "NS.name": plistlib.UID(3)},
        zone,
        {"$classname": "NSDateComponents", "$classes": ["NSDateComponents", "NSObject"]},
        {"$classname": "NSTimeZone", "$classes": ["NSTimeZone", "NSObject"]},
    ]
    archive = {
        "$archiver": "NSKeyedArchiver",
        "$version": 100000,
        "$top": {"root": plistlib.UID(1)},
        "$objects": objects,
    }
    return plistlib.dumps(archive, fmt=plistlib.FMT_BINARY)

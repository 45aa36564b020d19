"""Reading the values Reminders packs into CloudKit fields (docs/apple-evidence.md,
Reminders): the text of a ``TitleDocument``/``NotesDocument``, a date alarm's
``DateComponentsData`` and a list's ``Color``.

A document is (zlib or gzip of) a ``versioned_document.Document`` → first ``Version`` →
``data``: a topotext ``String`` with the text in field 2; pyicloud also meets a bare
``Version`` or a bare ``String``, so all three are tried. The protobuf is read by a
small wire-format walker: only length-delimited field 2/3 are needed.
"""

from __future__ import annotations

import gzip
import json
import plistlib
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_LEN = 2  # protobuf wire type of bytes, strings and messages


class _Truncated(ValueError):
    pass


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise _Truncated("varint runs past the end")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if not byte & 0x80:
            return value, at


def _fields(data: bytes) -> list[tuple[int, int, bytes | int]]:
    """``(number, wire type, value)`` of each top-level field; raises on bad input."""
    out: list[tuple[int, int, bytes | int]] = []
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, at = _varint(data, at)
            out.append((number, kind, value))
        elif kind == _LEN:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise _Truncated("field runs past the end")
            out.append((number, kind, data[at : at + size]))
            at += size
        elif kind in (1, 5):  # fixed 64 / 32 bits
            at += 8 if kind == 1 else 4
        else:
            raise _Truncated(f"unsupported wire type {kind}")
    if at != len(data):
        raise _Truncated("message runs past the end")
    return out


def _first(data: bytes, number: int) -> bytes | None:
    for found, kind, value in _fields(data):
        if found == number and kind == _LEN and isinstance(value, bytes):
            return value
    return None


def _inflate(blob: bytes) -> bytes:
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    try:
        return zlib.decompress(blob)
    except zlib.error:
        return blob


def document_text(blob: bytes) -> str | None:
    """The text of a Reminders CRDT document, or ``None`` when it cannot be read."""
    try:
        data = _inflate(blob)
    except (OSError, EOFError, zlib.error):
        return None
    # Document.version(2) → Version.data(3) → String.string(2); then the bare forms.
    paths = ((2, 3, 2), (3, 2), (2,))
    for path in paths:
        try:
            value: bytes | None = data
            for number in path:
                value = _first(value, number) if value is not None else None
            if value is not None:
                return value.decode("utf-8")
        except (_Truncated, UnicodeDecodeError):
            continue
    return None


@dataclass(frozen=True)
class WallTime:
    """A date alarm's wall-clock moment and the zone it names (``None``: floating)."""

    moment: datetime  # naive, as the components say
    zone: str | None

    def aware(self) -> datetime | None:
        if self.zone is None:
            return None
        try:
            return self.moment.replace(tzinfo=ZoneInfo(self.zone))
        except (ZoneInfoNotFoundError, ValueError):
            return None


def _resolve(value: Any, objects: list[Any]) -> Any:
    if isinstance(value, plistlib.UID):
        return objects[value.data] if 0 <= value.data < len(objects) else None
    return value


def _clock(value: Any) -> int:
    """An hour, minute or second; NSDateComponents leaves an unset one at NSIntegerMax."""
    return value if isinstance(value, int) and 0 <= value < 60 else 0


def date_components(blob: bytes) -> WallTime | None:
    """An archived ``NSDateComponents`` (``NSKeyedArchiver`` plist) as a wall time."""
    try:
        archive = plistlib.loads(blob)
    except (plistlib.InvalidFileException, ValueError, TypeError, OverflowError):
        return None
    if not isinstance(archive, dict) or archive.get("$archiver") != "NSKeyedArchiver":
        return None
    objects = archive.get("$objects")
    top = archive.get("$top")
    if not isinstance(objects, list) or not isinstance(top, dict):
        return None
    root = _resolve(top.get("root"), objects)
    if not isinstance(root, dict):
        return None
    year, month, day = (root.get(f"NS.{k}") for k in ("year", "month", "day"))
    if not (isinstance(year, int) and isinstance(month, int) and isinstance(day, int)):
        return None
    hour, minute, second = (_clock(root.get(f"NS.{k}")) for k in ("hour", "minute", "second"))
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError):
        return None
    zone = _resolve(root.get("NS.timezone"), objects)
    name = _resolve(zone.get("NS.name"), objects) if isinstance(zone, dict) else None
    if isinstance(name, bytes):
        name = name.decode("utf-8", "replace")
    return WallTime(moment, name if isinstance(name, str) else None)


def color_hex(value: Any) -> str | None:
    """A list's ``Color``: a JSON object with ``daHexString`` [assumed], or a bare hex."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    if isinstance(parsed, dict):
        found = parsed.get("daHexString") or parsed.get("hexString")
        return str(found) if found else None
    return value

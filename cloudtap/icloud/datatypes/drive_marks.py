"""What an iCloud Drive listing's cursor remembers of each item, in little room.

A later listing must tell, for every item it meets, whether it changed since the cursor
(its mark: a 64-bit digest of everything published about it), and name the items it no
longer meets (deleted). drive-100k@ has 105,001 items: as a dict of id strings to digest
strings that was ~30 MB in the server and 8.7 MB of JSON; here it is the ids, one JSON
string a line, zlib-compressed, and the marks as one array of 64-bit numbers in the same
order (1.5 MB in the cursor). Looking an id up goes through a sorted array of 64-bit
hashes of the ids, built when the cursor is read.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

import orjson

from cloudtap.icloud.connector import JSONDict

CURSOR_KEY = "drive_marks"
OLD_CURSOR_KEY = "drive_etags"  # {id: 16 hex digits}: cursors kept before this format
_VERSION = 1
_CHUNK = 1 << 16
_LINES = 4_096  # ids compressed together


def mark_of(item: JSONDict) -> int:
    """An item's mark: the first 64 bits of the SHA-256 of its JSON (keys sorted), the
    digest the old cursor format kept as 16 hex digits (so an old cursor still reads)."""
    blob = json.dumps(item, sort_keys=True).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def _key(item_id: str) -> int:
    return int.from_bytes(hashlib.blake2b(item_id.encode(), digest_size=8).digest(), "big")


def _little_endian(numbers: array[int]) -> bytes:
    if sys.byteorder == "big":
        numbers = array("Q", numbers)
        numbers.byteswap()
    return numbers.tobytes()


def _from_little_endian(blob: bytes) -> array[int]:
    numbers = array("Q")
    numbers.frombytes(blob)
    if sys.byteorder == "big":
        numbers.byteswap()
    return numbers


class NewMarks:
    """The marks of the listing under way, in the order items were met."""

    def __init__(self) -> None:
        self._marks = array("Q")
        self._ids = zlib.compressobj(6)
        self._packed: list[bytes] = []
        self._lines: list[str] = []  # ids not yet compressed (a few thousand at most)

    def add(self, item_id: str, mark: int) -> None:
        """Remember ``item_id`` (the listing keeps an item met twice out; were one kept
        twice, reading the cursor would count both as seen)."""
        self._marks.append(mark)
        self._lines.append(json.dumps(item_id))  # ASCII, escaped: never a raw newline
        if len(self._lines) >= _LINES:
            self._pack()

    def _pack(self) -> None:
        self._packed.append(self._ids.compress(("\n".join(self._lines) + "\n").encode()))
        self._lines = []

    def to_cursor(self) -> JSONDict:
        if self._lines:
            self._pack()
        self._packed.append(self._ids.flush())
        ids = b"".join(self._packed)
        self._packed = [ids]
        self._ids = zlib.compressobj(6)  # spent; a second call gives the same cursor
        return {
            "version": _VERSION,
            "count": len(self._marks),
            "ids": base64.b64encode(ids).decode("ascii"),
            "marks": base64.b64encode(_little_endian(self._marks)).decode("ascii"),
        }


def _ids_of(packed: bytes) -> Iterator[str]:
    """The ids of a cursor, in order, decompressed a piece at a time."""
    unpack = zlib.decompressobj()
    rest = b""
    for start in range(0, len(packed), _CHUNK):
        rest += unpack.decompress(packed[start : start + _CHUNK])
        *lines, rest = rest.split(b"\n")
        for line in lines:
            yield str(orjson.loads(line))
    rest += unpack.flush()
    for line in rest.split(b"\n"):
        if line:
            yield str(orjson.loads(line))


class KnownMarks:
    """The marks a cursor kept: which items changed, and which were not met again."""

    def __init__(self, ids: list[str] | bytes, marks: array[int]) -> None:
        self._packed = ids
        # Each id's hash, its low bits replaced by the id's position, sorted: one array
        # to search, and where each id sits in the cursor (no list of pairs to sort).
        low = (1 << max(1, len(marks).bit_length())) - 1
        keyed = array("Q", sorted(_key(i) & ~low | n for n, i in enumerate(self._ids())))
        if len(keyed) != len(marks):
            raise ValueError("a Drive cursor's ids and marks differ in number")
        self._keyed = keyed
        self._low = low
        self._marks = marks
        self._seen = bytearray(len(marks))

    def _ids(self) -> Iterator[str]:
        if isinstance(self._packed, list):
            return iter(self._packed)
        return _ids_of(self._packed)

    def changed(self, item_id: str, mark: int) -> bool:
        """Whether ``item_id`` is new or its mark differs; either way it is now seen."""
        key = _key(item_id) & ~self._low
        position = bisect_left(self._keyed, key)
        same = False
        # Ids whose (shortened) hashes collide share a key: each is seen, and any equal
        # mark counts (two ids and marks colliding at once: about one in 2**64).
        while position < len(self._keyed) and self._keyed[position] & ~self._low == key:
            at = self._keyed[position] & self._low
            self._seen[at] = 1
            same = same or self._marks[at] == mark
            position += 1
        return not same

    def gone(self) -> list[str]:
        """The ids kept in the cursor that this listing did not meet, in id order."""
        return sorted(i for i, seen in zip(self._ids(), self._seen, strict=True) if not seen)


def known_marks(cursor: Any) -> KnownMarks | None:
    """The marks of a kept cursor (this format or the old one); None if it holds none or
    cannot be read (then the listing is a full one, never a wrong change list)."""
    if not isinstance(cursor, dict):
        return None
    kept = cursor.get(CURSOR_KEY)
    try:
        if isinstance(kept, dict) and kept.get("version") == _VERSION:
            marks = _from_little_endian(base64.b64decode(str(kept["marks"]), validate=True))
            return KnownMarks(base64.b64decode(str(kept["ids"]), validate=True), marks)
        old = cursor.get(OLD_CURSOR_KEY)
        if isinstance(old, dict):
            ids = [str(k) for k in old]
            return KnownMarks(ids, array("Q", (int(str(old[i]), 16) for i in ids)))
    except (KeyError, ValueError, TypeError, zlib.error, orjson.JSONDecodeError):
        return None
    return None

"""Redaction inside a Reminders CRDT document (``TitleDocument``, ``NotesDocument``:
zlib or gzip of a ``versioned_document.Document``): its text is read as cloudtap reads
it, redacted, and written back as a fresh one-version document in the form cloudtap
and pyicloud read first. The replica history, timestamps and attribute runs are
dropped: nothing reads them, and they could carry what nobody checked."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

from cloudtap.icloud.services.reminders_wire import document_text


def redact_document(blob: bytes, text: Callable[[str], str]) -> bytes | None:
    """The document with its text redacted, or ``None`` when it is no such document."""
    found = document_text(blob)
    if found is None:
        return None
    string = _field_bytes(2, text(found).encode())
    version = _field_int(1, 1) + _field_int(2, 0) + _field_bytes(3, string)
    raw = _field_int(1, 1) + _field_bytes(2, version)
    if blob[:2] == b"\x1f\x8b":
        return gzip.compress(raw, mtime=0)
    try:
        zlib.decompress(blob)
    except zlib.error:
        return raw  # it came uncompressed
    return zlib.compress(raw)


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

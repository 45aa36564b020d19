"""Streaming ``{"data": [...]}`` JSON results, one item at a time."""

from __future__ import annotations

import json
from typing import Any

import orjson

from cloudtap.publish.store import ResultSink

# Types orjson would write its own way are handed to ``default=str``, as before.
_AS_BEFORE = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_AS_BEFORE |= orjson.OPT_PASSTHROUGH_SUBCLASS


def dump_item(item: Any) -> bytes:
    """One item as compact JSON: orjson (a tenth of the stdlib's cost), else the stdlib
    for what orjson refuses (ints beyond 64 bits, non-string keys)."""
    try:
        return orjson.dumps(item, default=str, option=_AS_BEFORE)
    except TypeError:
        return json.dumps(item, separators=(",", ":"), default=str).encode()


class JsonDataWriter:
    """Writes the ricloud result shape without holding the list in memory."""

    def __init__(self, sink: ResultSink) -> None:
        self._sink = sink
        self._count = 0
        sink.write(b'{"data": [')

    def add(self, item: Any) -> None:
        prefix = b", " if self._count else b""
        self._sink.write(prefix + dump_item(item))
        self._count += 1

    def close(self, deleted: list[str] | None = None, warnings: list[Any] | None = None) -> int:
        """End the result; ``deleted`` (ids of items Apple reports deleted since the
        listing's cursor) adds a top-level ``"deleted"`` list beside ``data`` when any;
        ``warnings`` (``{code, message}``: data the listing had to go on without) a
        top-level ``"warnings"`` list."""
        tail = b"]" + (b', "deleted": ' + dump_item(deleted) if deleted else b"")
        tail += (b', "warnings": ' + dump_item(warnings) if warnings else b"") + b"}"
        self._sink.write(tail)
        return self._count

"""Streaming ``{"data": [...]}`` JSON results, one item at a time."""

from __future__ import annotations

import json
from typing import Any

from cloudtap.publish.store import ResultSink


class JsonDataWriter:
    """Writes the ricloud result shape without holding the list in memory."""

    def __init__(self, sink: ResultSink) -> None:
        self._sink = sink
        self._count = 0
        sink.write(b'{"data": [')

    def add(self, item: Any) -> None:
        prefix = b", " if self._count else b""
        self._sink.write(prefix + json.dumps(item, separators=(", ", ": "), default=str).encode())
        self._count += 1

    def close(self) -> int:
        self._sink.write(b"]}")
        return self._count

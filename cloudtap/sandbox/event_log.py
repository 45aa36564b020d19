"""What happened to calendars after the world was built: events a person edited or
deleted on a device (test hooks stand in for the person). Each calendar's ``ctag`` is
worked out from these, so it changes whenever one of its events does."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class EventLog:
    _edits: dict[str, dict[int, int]] = field(default_factory=dict)
    _deleted: dict[str, set[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def edit(self, apple_id: str, index: int) -> None:
        key = apple_id.strip().lower()
        with self._lock:
            edits = self._edits.setdefault(key, {})
            edits[index] = edits.get(index, 0) + 1

    def delete(self, apple_id: str, index: int) -> None:
        with self._lock:
            self._deleted.setdefault(apple_id.strip().lower(), set()).add(index)

    def edits(self, apple_id: str) -> dict[int, int]:
        """Event index -> how many times it was edited."""
        with self._lock:
            return dict(self._edits.get(apple_id.strip().lower(), {}))

    def deleted(self, apple_id: str) -> set[int]:
        with self._lock:
            return set(self._deleted.get(apple_id.strip().lower(), set()))

    def marks(self, apple_id: str) -> dict[int, str]:
        """Event index -> what happened to it (``e<n>`` edited n times, ``d`` deleted)."""
        marks = {index: f"e{n}" for index, n in self.edits(apple_id).items()}
        marks.update({index: "d" for index in self.deleted(apple_id)})
        return marks

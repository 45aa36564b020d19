"""How many requests of a kind each account made: what tests count at the fake Apple
(sign-in attempts, contacts pages) to prove a client's requests stay bounded."""

from __future__ import annotations

import threading
from collections import Counter


class RequestTally:
    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def add(self, apple_id: str, what: str) -> None:
        with self._lock:
            self._counts[(apple_id.lower(), what)] += 1

    def count(self, apple_id: str, what: str) -> int:
        with self._lock:
            return self._counts[(apple_id.lower(), what)]

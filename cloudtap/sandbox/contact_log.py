"""What happened to address books after the world was built: contacts a person added,
edited or deleted on a device (test hooks stand in for the person).

Each change takes the account's next serial; ``/co`` sync tokens carry the serial they
were handed out at, so ``/co/changeset`` can answer what changed after a token.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["added", "edited", "deleted"]


@dataclass(frozen=True)
class ContactChange:
    serial: int
    index: int  # the contact's index in the account's generated book
    kind: Kind


@dataclass
class ContactLog:
    _changes: dict[str, list[ContactChange]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, apple_id: str, index: int, kind: Kind) -> None:
        key = apple_id.strip().lower()
        with self._lock:
            changes = self._changes.setdefault(key, [])
            changes.append(ContactChange(len(changes) + 1, index, kind))

    def _of(self, apple_id: str) -> list[ContactChange]:
        with self._lock:
            return list(self._changes.get(apple_id.strip().lower(), ()))

    def serial(self, apple_id: str) -> int:
        """The account's latest change (0: none since the world was built)."""
        return len(self._of(apple_id))

    def deleted(self, apple_id: str) -> set[int]:
        return {c.index for c in self._of(apple_id) if c.kind == "deleted"}

    def revision(self, apple_id: str, index: int) -> int:
        """How many times the contact was edited."""
        return sum(1 for c in self._of(apple_id) if c.index == index and c.kind == "edited")

    def since(self, apple_id: str, serial: int) -> tuple[list[int], list[int]]:
        """(indexes added or edited, indexes deleted) after ``serial``, each once, in
        the order of their last change; a contact deleted after an edit is only deleted."""
        last: dict[int, ContactChange] = {}
        for change in self._of(apple_id):
            if change.serial > serial:
                last.pop(change.index, None)  # keep the order of the last change
                last[change.index] = change
        changed = [i for i, c in last.items() if c.kind != "deleted"]
        return changed, [i for i, c in last.items() if c.kind == "deleted"]
